// Runtime behaviour beyond the spec scripts: trap backtraces with names,
// host functions both ways, limits (call depth, memory, fuel, interrupt).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

std::shared_ptr<const CompiledModule> load(const char* wat) {
  auto bytes = text::wat_to_binary(wat);
  EXPECT_TRUE(bytes) << bytes.error().message;
  auto m = load_module(*bytes);
  EXPECT_TRUE(m) << m.error().message;
  return *m;
}

FuncInst* export_func(Instance* inst, const char* name) {
  auto e = inst->find_export(name);
  EXPECT_TRUE(e && e->kind == ExternKind::Func);
  return e ? e->as_func() : nullptr;
}

TEST(Runtime, TrapCarriesNamedBacktrace) {
  auto m = load(R"((module
    (func $inner (unreachable))
    (func $outer (export "run") (call $inner))))");
  auto store = Store::create();
  auto inst = store->instantiate(m, {});
  ASSERT_TRUE(inst);
  auto r = store->invoke(export_func(*inst, "run"), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, TrapCode::Unreachable);
  ASSERT_EQ(r.error().backtrace.size(), 2u);
  EXPECT_EQ(r.error().backtrace[0].name, "inner");
  EXPECT_EQ(r.error().backtrace[1].name, "outer");
}

TEST(Runtime, HostFunctionsSeeArgumentsAndMemory) {
  auto m = load(R"((module
    (import "env" "add" (func $add (param i32 i64) (result i64)))
    (memory (export "mem") 1)
    (data (i32.const 8) "\2a")
    (func (export "run") (result i64) (call $add (i32.load8_u (i32.const 8)) (i64.const 100)))))");
  auto store = Store::create();
  uint8_t seen = 0;
  FuncInst* add = store->create_host_func(
      FuncType{{ValType::I32, ValType::I64}, {ValType::I64}},
      [&](Caller& c, std::span<const Value> args, std::span<Value> results) -> std::optional<Trap> {
        seen = c.memory()->data()[8];
        results[0] = Value::i64(args[0].as_u32() + args[1].as_u64());
        return std::nullopt;
      });
  std::vector<ExternVal> imports{ExternVal::func(add)};
  auto inst = store->instantiate(m, imports);
  ASSERT_TRUE(inst);
  auto r = store->invoke(export_func(*inst, "run"), {});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].as_u64(), 142u);
  EXPECT_EQ(seen, 42);
}

TEST(Runtime, HostTrapStopsTheGuest) {
  auto m = load(R"((module
    (import "env" "exit" (func $exit (param i32)))
    (global $after (export "after") (mut i32) (i32.const 0))
    (func (export "run") (call $exit (i32.const 7)) (global.set $after (i32.const 1)))))");
  auto store = Store::create();
  FuncInst* exit_fn = store->create_host_func(
      FuncType{{ValType::I32}, {}}, [](Caller&, std::span<const Value> args, std::span<Value>) -> std::optional<Trap> {
        Trap t;
        t.code = TrapCode::Exit;
        t.exit_code = int32_t(args[0].as_u32());
        return t;
      });
  std::vector<ExternVal> imports{ExternVal::func(exit_fn)};
  auto inst = store->instantiate(m, imports);
  ASSERT_TRUE(inst);
  auto r = store->invoke(export_func(*inst, "run"), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, TrapCode::Exit);
  EXPECT_EQ(r.error().exit_code, 7);
  EXPECT_EQ((*inst)->find_export("after")->as_global()->get().as_u32(), 0u);
}

TEST(Runtime, DeepRecursionIsATrapNotACrash) {
  auto m = load(R"((module (func $f (export "f") (param i64) (result i64)
      (i64.add (call $f (local.get 0)) (i64.const 1)))))");
  StoreConfig cfg;
  cfg.max_call_depth = 5000;
  auto store = Store::create(cfg);
  auto inst = store->instantiate(m, {});
  ASSERT_TRUE(inst);
  std::vector<Value> args{Value::i64(0)};
  auto r = store->invoke(export_func(*inst, "f"), args);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, TrapCode::StackExhausted);
  EXPECT_EQ(r.error().message, "call stack exhausted");
}

TEST(Runtime, MemoryGrowRespectsStoreLimit) {
  auto m = load(R"((module (memory 1)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))");
  StoreConfig cfg;
  cfg.max_memory_bytes = 4 * kPageSize;
  auto store = Store::create(cfg);
  auto inst = store->instantiate(m, {});
  ASSERT_TRUE(inst);
  auto grow = [&](uint32_t n) {
    std::vector<Value> args{Value::i32(n)};
    return int32_t((*store->invoke(export_func(*inst, "grow"), args))[0].as_u32());
  };
  EXPECT_EQ(grow(3), 1);
  EXPECT_EQ(grow(1), -1);
  EXPECT_EQ((*inst)->memory(0)->pages(), 4u);
}

// load_module holds a lent file only when the module keeps most of it (its
// data): a file that is mostly debug information goes, its data copied.
TEST(Runtime, LoadModuleHoldsALentFileOnlyWhenItKeepsMostOfIt) {
  for (bool mostly_debug : {false, true}) {
    const std::string data(4096, 'x');
    auto bytes = text::wat_to_binary(R"((module (memory 1) (data (i32.const 8) ")" + data + R"(")
      (func (export "at") (param i32) (result i32) (i32.load8_u (local.get 0)))))");
    ASSERT_TRUE(bytes) << bytes.error().message;
    if (mostly_debug) {  // a custom section "dbg" of 16 KiB
      const std::vector<uint8_t> custom = {0, 0x80, 0x80, 0x01, 3, 'd', 'b', 'g'};
      bytes->insert(bytes->end(), custom.begin(), custom.end());
      bytes->insert(bytes->end(), 16384 - 4, uint8_t(7));
    }
    auto file = std::make_shared<std::vector<uint8_t>>(std::move(*bytes));
    std::weak_ptr<std::vector<uint8_t>> watch = file;
    auto m = load_module(*file, file);
    ASSERT_TRUE(m) << m.error().message;
    file.reset();
    EXPECT_EQ(watch.expired(), mostly_debug) << (mostly_debug ? "a mostly-debug file was held" : "the data was copied");
    auto store = Store::create();
    auto inst = store->instantiate(*m, {});
    ASSERT_TRUE(inst);
    std::vector<Value> args{Value::i32(8 + 4095)};
    EXPECT_EQ((*store->invoke(export_func(*inst, "at"), args))[0].as_u32(), uint32_t('x'));
  }
}

TEST(Runtime, FuelAndInterruptStopInfiniteLoops) {
  auto m = load(R"((module (func (export "spin") (loop $l (br $l)))))");
  StoreConfig cfg;
  cfg.fuel = 100000;
  auto fueled = Store::create(cfg);
  auto inst = fueled->instantiate(m, {});
  ASSERT_TRUE(inst);
  auto r = fueled->invoke(export_func(*inst, "spin"), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, TrapCode::OutOfFuel);
  // Fuel is the store's budget: once spent it stays spent (found by the
  // differential test: the counter wrapped around and the next call ran
  // unbounded).
  auto again = fueled->invoke(export_func(*inst, "spin"), {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, TrapCode::OutOfFuel);

  auto store = Store::create();
  auto inst2 = store->instantiate(m, {});
  ASSERT_TRUE(inst2);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    store->interrupt();
  });
  auto r2 = store->invoke(export_func(*inst2, "spin"), {});
  stopper.join();
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, TrapCode::Interrupted);
}

// Found by the fuzzer: code that only recurses (no loops) ran unbounded
// under a fuel limit, because only loop back-edges consumed fuel.
TEST(Runtime, FuelBoundsRecursionWithoutLoops) {
  auto m = load(R"((module (func $fib (export "fib") (param i32) (result i32)
      (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
        (then (local.get 0))
        (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                       (call $fib (i32.sub (local.get 0) (i32.const 2)))))))))");
  StoreConfig cfg;
  cfg.fuel = 10000;
  auto store = Store::create(cfg);
  auto inst = store->instantiate(m, {});
  ASSERT_TRUE(inst);
  std::vector<Value> args{Value::i32(40)};
  auto r = store->invoke(export_func(*inst, "fib"), args);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, TrapCode::OutOfFuel);
}

TEST(Runtime, LinkErrorsNameTheImport) {
  auto m = load(R"((module (import "env" "f" (func (param i32)))))");
  auto store = Store::create();
  FuncInst* wrong = store->create_host_func(FuncType{{ValType::I64}, {}},
      [](Caller&, std::span<const Value>, std::span<Value>) -> std::optional<Trap> { return std::nullopt; });
  std::vector<ExternVal> imports{ExternVal::func(wrong)};
  auto inst = store->instantiate(m, imports);
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().kind, InstantiationError::Kind::Link);
  EXPECT_NE(inst.error().message.find("incompatible import type for \"env\" \"f\""), std::string::npos)
      << inst.error().message;
}

// The VmFlags of the mapping that holds `p` in /proc/self/smaps ("" if none).
std::string vm_flags_of(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2) {  // a mapping's first line
      inside = uintptr_t(p) >= lo && uintptr_t(p) < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

// StoreConfig::huge_pages asks the kernel for huge pages over the memory
// (VmFlags "hg"), and only then; the memory works the same either way.
TEST(Runtime, HugePagesAreAskedForOnlyWhenConfigured) {
  const int on_the_stack = 0;
  if (vm_flags_of(&on_the_stack).empty()) GTEST_SKIP() << "no /proc/self/smaps VmFlags";
  for (bool huge : {false, true}) {
    StoreConfig sc;
    sc.huge_pages = huge;
    auto store = Store::create(sc);
    auto mem = store->create_memory(MemoryType{Limits{64, 128}});  // 4 MiB
    ASSERT_TRUE(mem) << mem.error().message;
    uint8_t* base = (*mem)->data();
    const std::string flags = vm_flags_of(base);
    EXPECT_EQ(flags.find(" hg") != std::string::npos, huge) << flags;
    ASSERT_TRUE((*mem)->grow(64).has_value());
    for (size_t at = 0; at < (*mem)->size_bytes(); at += 4096) base[at] = uint8_t(at >> 12);
    for (size_t at = 0; at < (*mem)->size_bytes(); at += 4096) ASSERT_EQ(base[at], uint8_t(at >> 12));
  }
}

}  // namespace
}  // namespace whirl::wasm
