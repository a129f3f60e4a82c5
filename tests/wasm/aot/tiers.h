// What the aot tier's tests share: a module from WAT compiled by the
// interpreter and by the aot tier, instantiated in a store of each, and
// outcomes of calls written out (values as bits, traps with their code,
// message and backtrace) so that the two tiers' compare as strings. The
// interpreter is the reference: a test runs the same calls under both and
// expects the same text, and checks the interpreter's against the value it
// should have, so that agreeing on a wrong answer fails too.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "wasm/aot/tier.h"
#include "wasm/binary/decoder.h"
#include "wasm/runtime/objects.h"
#include "wasm/runtime/tier.h"
#include "wasm/text/wat.h"
#include "wasm/validate/validator.h"

namespace whirl::wasm::aot_test {

inline std::shared_ptr<const Module> parse(const std::string& wat) {
  auto bytes = text::wat_to_binary(wat);
  EXPECT_TRUE(bytes) << bytes.error().message;
  if (!bytes) return nullptr;
  auto m = decode_module(*bytes);
  EXPECT_TRUE(m) << m.error().message;
  if (!m) return nullptr;
  auto module = std::make_shared<const Module>(std::move(*m));
  auto v = validate_module(*module);
  EXPECT_TRUE(v) << v.error().message;
  return v ? module : nullptr;
}

inline const rt::Tier& aot() {
  static const bool ok = aot::register_aot_tier();
  EXPECT_TRUE(ok) << "the aot tier is not available";
  return aot::aot_tier();
}
inline const rt::Tier& interp() { return rt::interp_tier(); }

// `module` compiled for `tier`; for the aot tier, native code (not the
// interpreter's fallback for what it does not compile).
inline std::shared_ptr<const CompiledModule> compile(const rt::Tier& tier, const std::shared_ptr<const Module>& module) {
  if (!module) return nullptr;
  auto c = tier.compile(module, {});
  EXPECT_TRUE(c) << tier.name() << ": " << c.error().message;
  if (!c) return nullptr;
  if (&tier == &aot::aot_tier()) {
    EXPECT_NE(dynamic_cast<const aot::AotModule*>(c->get()), nullptr) << "the aot tier fell back to the interpreter";
  }
  return *c;
}

inline std::shared_ptr<const CompiledModule> compile(const rt::Tier& tier, const std::string& wat) {
  return compile(tier, parse(wat));
}

// An instance in a store of its own.
struct Run {
  std::unique_ptr<Store> store;
  Instance* inst = nullptr;

  FuncInst* func(const char* name) const {
    auto e = inst->find_export(name);
    EXPECT_TRUE(e && e->kind == ExternKind::Func) << name;
    return e ? e->as_func() : nullptr;
  }
  Expected<std::vector<Value>, Trap> call(const char* name, std::vector<Value> args = {}) const {
    return store->invoke(func(name), args);
  }
  uint8_t* memory(uint32_t i = 0) const { return inst->memory(i)->data(); }
};

inline Run instantiate(const std::shared_ptr<const CompiledModule>& c, StoreConfig config = {},
                       std::vector<ExternVal> imports = {}) {
  Run r{Store::create(config)};
  if (!c) return r;
  auto inst = r.store->instantiate(c, imports);
  EXPECT_TRUE(inst) << inst.error().message;
  if (inst) r.inst = *inst;
  return r;
}

inline Run instantiate(const rt::Tier& tier, const std::string& wat, StoreConfig config = {},
                       std::vector<ExternVal> imports = {}) {
  return instantiate(compile(tier, wat), config, std::move(imports));
}

// "name:index" of each frame, innermost first, with the omitted count where
// frames were left out.
inline std::string frames(const Trap& t) {
  std::string out;
  for (size_t i = 0; i < t.backtrace.size(); ++i) {
    if (t.omitted_frames && i == kBacktraceEnds) out += " ...";
    out += (out.empty() ? "" : " ") + t.backtrace[i].name + ":" + std::to_string(t.backtrace[i].func_index);
  }
  if (t.omitted_frames) out += " (" + std::to_string(t.omitted_frames) + " omitted)";
  return out;
}

inline std::string trap_text(const Trap& t) { return "trap " + t.message + " at " + frames(t); }

// Values by type and bits (NaNs by their bits: a function that only moves
// a NaN must keep its payload).
inline std::string outcome(const Expected<std::vector<Value>, Trap>& r) {
  if (!r) return trap_text(r.error());
  std::string out;
  for (const Value& v : *r) {
    if (!out.empty()) out += ' ';
    switch (v.type) {
      case ValType::I32: out += "i32:" + std::to_string(int32_t(v.bits)); break;
      case ValType::I64: out += "i64:" + std::to_string(int64_t(v.bits)); break;
      case ValType::F32: out += "f32:" + std::to_string(uint32_t(v.bits)); break;
      case ValType::F64: out += "f64:" + std::to_string(v.bits); break;
      default: out += v.bits ? "ref" : "null"; break;
    }
  }
  return out.empty() ? "()" : out;
}

// The same module under both tiers, in stores of the same config: calls
// made on both, their outcomes compared.
struct Both {
  // The module compiled by each tier, for instantiating many times (an aot
  // compilation takes LLVM tens of milliseconds).
  struct Compiled {
    std::shared_ptr<const CompiledModule> in, ao;
    explicit Compiled(const std::string& wat) {
      auto m = parse(wat);
      in = compile(interp(), m);
      ao = compile(aot(), m);
    }
  };
  Run in, ao;
  Both(const Compiled& c, StoreConfig config = {}) : in(instantiate(c.in, config)), ao(instantiate(c.ao, config)) {}
  Both(const std::string& wat, StoreConfig config = {}) : Both(Compiled(wat), config) {}
  bool ok() const { return in.inst && ao.inst; }
  // The interpreter's outcome, after checking the aot tier's is the same.
  std::string call(const char* name, std::vector<Value> args = {}) {
    std::string a = outcome(in.call(name, args)), b = outcome(ao.call(name, args));
    EXPECT_EQ(a, b) << "export " << name << ": interp vs aot";
    return a;
  }
  // Memory i of both instances holds the same bytes.
  void expect_same_memory(uint32_t i = 0) const {
    MemoryInst* a = in.inst->memory(i);
    MemoryInst* b = ao.inst->memory(i);
    ASSERT_EQ(a->size_bytes(), b->size_bytes()) << "memory " << i;
    EXPECT_EQ(std::memcmp(a->data(), b->data(), a->size_bytes()), 0) << "memory " << i;
  }
};

}  // namespace whirl::wasm::aot_test
