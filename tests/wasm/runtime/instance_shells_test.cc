// Instances of a module whose stores are gone are kept and taken again
// (InstanceShells, tier.h): a later instance must see only its own
// imports, globals, tables and memory, on every tier, and the module keeps
// no more of them than were alive at once (at most kMax).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "wasm/aot/tier.h"
#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

// An imported function, a mutable global, a table filled with its own
// functions, a memory: each call reaches one of them.
constexpr const char* kModule = R"((module
  (import "host" "tag" (func $tag (result i32)))
  (global $g (mut i32) (i32.const 100))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $seven $tagged)
  (func $seven (result i32) (i32.const 7))
  (func $tagged (result i32) (call $tag))
  (func (export "via_table") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
  (func (export "bump") (result i32)
    (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
  (func (export "peek") (result i32) (i32.load (i32.const 64)))
  (func (export "poke") (param i32) (i32.store (i32.const 64) (local.get 0)))
  (func (export "self") (result funcref) (ref.func $tagged)))
)";

// The import "host" "tag": a host function answering `value`.
FuncInst* tag_answering(Store& s, int32_t value) {
  return s.create_host_func(FuncType{{}, {ValType::I32}}, [value](Caller&, std::span<const Value>,
                                                                  std::span<Value> out) -> std::optional<Trap> {
    out[0] = Value::i32(uint32_t(value));
    return {};
  }, "tag");
}

class InstanceShellsTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (std::string_view(GetParam()) == "aot" && !aot::register_aot_tier()) GTEST_SKIP() << "no aot tier here";
  }
  std::shared_ptr<const CompiledModule> load() {
    auto bytes = text::wat_to_binary(kModule);
    EXPECT_TRUE(bytes) << bytes.error().message;
    CompileOptions options;
    options.tier = GetParam();
    auto m = load_module(*bytes, nullptr, options);
    EXPECT_TRUE(m) << m.error().message;
    return m ? *m : nullptr;
  }
  static const rt::InstanceShells& shells(const std::shared_ptr<const CompiledModule>& m) {
    return std::static_pointer_cast<const rt::TieredModule>(m)->shells;
  }
  static int32_t call(Store& s, Instance& inst, const char* name, std::vector<Value> args = {}) {
    auto r = s.invoke(inst.find_export(name)->as_func(), args);
    EXPECT_TRUE(r) << name << ": " << r.error().message;
    return r && !r->empty() ? int32_t((*r)[0].as_u32()) : -1;
  }
};

TEST_P(InstanceShellsTest, ATakenInstanceSeesOnlyItsOwnStore) {
  auto m = load();
  ASSERT_TRUE(m);
  const Instance* first = nullptr;
  for (int32_t round = 0; round < 5; ++round) {
    auto s = Store::create();
    // Host functions before it, so its object is not where the last
    // store's was (a stale import would otherwise still answer).
    for (int32_t k = 0; k <= round; ++k)
      s->create_host_func(FuncType{{}, {}}, [](Caller&, std::span<const Value>, std::span<Value>) {
        return std::optional<Trap>{};
      }, "pad");
    FuncInst* tag = tag_answering(*s, 1000 + round);
    std::vector<ExternVal> imports{ExternVal{ExternKind::Func, tag}};
    auto inst = s->instantiate(m, imports);
    ASSERT_TRUE(inst) << inst.error().message;
    if (round == 0) first = *inst;
    else EXPECT_EQ(*inst, first) << "round " << round << ": the instance before was not taken again";
    // This store's import, through the table and directly.
    EXPECT_EQ(call(*s, **inst, "via_table", {Value::i32(1)}), 1000 + round) << "round " << round;
    EXPECT_EQ(call(*s, **inst, "via_table", {Value::i32(0)}), 7);
    // Fresh global and memory, whatever the last instance left.
    EXPECT_EQ(call(*s, **inst, "bump"), 101) << "round " << round;
    EXPECT_EQ(call(*s, **inst, "peek"), 0) << "round " << round;
    call(*s, **inst, "poke", {Value::i32(uint32_t(round + 1))});
    // A function reference handed out belongs to this instance.
    auto ref = s->invoke((*inst)->find_export("self")->as_func(), {});
    ASSERT_TRUE(ref);
    auto* f = reinterpret_cast<FuncInst*>((*ref)[0].bits);
    auto r = s->invoke(f, {});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)[0].as_u32(), uint32_t(1000 + round));
  }
  EXPECT_EQ(shells(m).kept(), 1u);
}

TEST_P(InstanceShellsTest, KeepsNoMoreThanWereAliveAtOnceAndAtMostKMax) {
  auto m = load();
  ASSERT_TRUE(m);
  auto instantiate_n = [&](size_t n) {
    std::vector<std::unique_ptr<Store>> stores;
    for (size_t i = 0; i < n; ++i) {
      stores.push_back(Store::create());
      FuncInst* tag = tag_answering(*stores.back(), int32_t(i));
      std::vector<ExternVal> imports{ExternVal{ExternKind::Func, tag}};
      auto inst = stores.back()->instantiate(m, imports);
      EXPECT_TRUE(inst);
      // Instances alive together are distinct, each calling its own import.
      if (inst) EXPECT_EQ(call(*stores.back(), **inst, "via_table", {Value::i32(1)}), int32_t(i));
    }
  };
  instantiate_n(2);
  EXPECT_EQ(shells(m).kept(), 2u);
  instantiate_n(rt::InstanceShells::kMax + 3);
  EXPECT_EQ(shells(m).kept(), rt::InstanceShells::kMax);
}

TEST_P(InstanceShellsTest, AFailedLinkLeavesTheKeptInstanceUsable) {
  auto m = load();
  ASSERT_TRUE(m);
  { auto s = Store::create();
    FuncInst* tag = tag_answering(*s, 1);
    std::vector<ExternVal> imports{ExternVal{ExternKind::Func, tag}};
    ASSERT_TRUE(s->instantiate(m, imports));
  }
  ASSERT_EQ(shells(m).kept(), 1u);
  auto s = Store::create();
  FuncInst* wrong = s->create_host_func(FuncType{{ValType::I32}, {}}, [](Caller&, std::span<const Value>,
                                                                         std::span<Value>) -> std::optional<Trap> { return {}; },
                                        "wrong");
  std::vector<ExternVal> bad{ExternVal{ExternKind::Func, wrong}};
  auto failed = s->instantiate(m, bad);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("incompatible import type"), std::string::npos) << failed.error().message;
  FuncInst* tag = tag_answering(*s, 42);
  std::vector<ExternVal> good{ExternVal{ExternKind::Func, tag}};
  auto inst = s->instantiate(m, good);
  ASSERT_TRUE(inst) << inst.error().message;
  EXPECT_EQ(call(*s, **inst, "via_table", {Value::i32(1)}), 42);
  EXPECT_EQ(call(*s, **inst, "bump"), 101);
}

INSTANTIATE_TEST_SUITE_P(Tiers, InstanceShellsTest, ::testing::Values("interp", "aot"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace whirl::wasm
