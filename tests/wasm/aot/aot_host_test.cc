// Host functions called from compiled code (through the tier's slow call):
// arguments and results of every type, several results, NaN payloads kept
// bit for bit; a host function's trap, with the compiled frames appended;
// host functions that call back into compiled code, to any depth, with
// traps inside the nested calls passed on or swallowed; what a host
// function changes of its caller (memory, its size, globals) seen by the
// compiled code after the call. Each case runs under the interpreter too.
#include <gtest/gtest.h>

#include <functional>

#include "tiers.h"

namespace whirl::wasm {
namespace {

using aot_test::outcome;

const rt::Tier* const kTiers[] = {&aot_test::interp(), &aot_test::aot()};

// `wat` instantiated under `tier` with host functions for its imports, in
// order (made by `make` in the instance's store).
struct Hosted {
  std::unique_ptr<Store> store = Store::create();
  Instance* inst = nullptr;
  Hosted(const rt::Tier& tier, const std::string& wat,
         const std::function<std::vector<ExternVal>(Store&, Hosted&)>& make, StoreConfig config = {}) {
    store = Store::create(config);
    auto imports = make(*store, *this);
    auto c = aot_test::compile(tier, wat);
    if (!c) return;
    auto i = store->instantiate(c, imports);
    EXPECT_TRUE(i) << i.error().message;
    if (i) inst = *i;
  }
  Expected<std::vector<Value>, Trap> call(const char* name, std::vector<Value> args = {}) {
    return store->invoke(inst->find_export(name)->as_func(), args);
  }
};

TEST(AotHost, ArgumentsAndResultsOfEveryTypeKeepTheirBits) {
  // Signaling NaNs, which an arithmetic operation would quiet, and negative
  // NaNs with payloads go in and out unchanged.
  const std::string wat = R"((module
    (import "h" "f" (func $h (param i32 i64 f32 f64 externref funcref) (result f64 f32 i64 i32 externref)))
    (memory (export "mem") 1)
    (func $some)
    (elem declare func $some)
    (func (export "go") (param externref) (result f64 f32 i64 i32 externref)
      (local f64 f32 i64 i32 externref)
      (call $h (i32.const -7) (i64.const 0x123456789abcdef0) (f32.const nan:0x200001) (f64.const -nan:0x4000000000001)
               (local.get 0) (ref.func $some))
      (local.set 5) (local.set 4) (local.set 3) (local.set 2) (local.set 1)
      (f64.store (i32.const 0) (local.get 1))
      (f32.store (i32.const 8) (local.get 2))
      (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5))))";
  std::string got[2], seen[2], stored[2];
  for (int k = 0; k < 2; ++k) {
    Hosted h(*kTiers[k], wat, [&](Store& s, Hosted&) {
      FuncType t{{ValType::I32, ValType::I64, ValType::F32, ValType::F64, ValType::ExternRef, ValType::FuncRef},
                 {ValType::F64, ValType::F32, ValType::I64, ValType::I32, ValType::ExternRef}};
      return std::vector<ExternVal>{ExternVal::func(s.create_host_func(
          t, [&seen, k](Caller&, std::span<const Value> a, std::span<Value> r) -> std::optional<Trap> {
            for (const Value& v : a) {
              bool narrow = v.type == ValType::I32 || v.type == ValType::F32;
              seen[k] += std::to_string(is_ref(v.type) ? v.bits != 0 : narrow ? uint32_t(v.bits) : v.bits) + " ";
            }
            seen[k] += a[5].as_func()->type().params.empty() ? "()" : "?";
            r[0] = Value::f64_bits(0x7ff0000000000bad);  // a signaling NaN
            r[1] = Value::f32_bits(0xff800001);
            r[2] = Value::i64(a[1].bits + 1);
            r[3] = Value::i32(a[0].as_u32() * 3);
            r[4] = a[4];
            return std::nullopt;
          }))};
    });
    ASSERT_TRUE(h.inst);
    auto r = h.call("go", {Value::externref(0xfeed)});
    got[k] = outcome(r);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[4].bits, 0xfeedu);
    uint64_t d;
    uint32_t f;
    std::memcpy(&d, h.inst->memory(0)->data(), 8);
    std::memcpy(&f, h.inst->memory(0)->data() + 8, 4);
    stored[k] = std::to_string(d) + " " + std::to_string(f);
  }
  EXPECT_EQ(seen[0], "4294967289 1311768467463790320 2141192193 " + std::to_string(0xfff4000000000001ull) + " 1 1 ()");
  EXPECT_EQ(got[0], "f64:9218868437227408301 f32:4286578689 i64:1311768467463790321 i32:-21 ref");
  EXPECT_EQ(stored[0], "9218868437227408301 4286578689");
  EXPECT_EQ(seen[1], seen[0]);
  EXPECT_EQ(got[1], got[0]);
  EXPECT_EQ(stored[1], stored[0]);
}

TEST(AotHost, ManyParametersGoThroughTheSlots) {
  // More than the 16 slots the tier keeps on its stack for a call from the
  // host, to a host function and to a compiled one.
  std::string params, args, sum;
  for (int i = 0; i < 20; ++i) {
    params += i % 2 ? " f64" : " i64";
    args += i % 2 ? " (f64.const " + std::to_string(i) + ".5)" : " (i64.const " + std::to_string(i) + ")";
    sum += i % 2 ? " (f64.add (local.get " + std::to_string(i) + "))" : "";
  }
  const std::string wat = "(module (import \"h\" \"f\" (func $h (param" + params + ") (result f64)))\n" +
                          "(func $w (export \"w\") (param" + params + ") (result f64) (f64.const 0)" + sum + ")\n" +
                          "(func (export \"go\") (result f64) (f64.add (call $h" + args + ") (call $w" + args + "))))";
  std::string got[2];
  for (int k = 0; k < 2; ++k) {
    Hosted h(*kTiers[k], wat, [](Store& s, Hosted&) {
      FuncType t;
      for (int i = 0; i < 20; ++i) t.params.push_back(i % 2 ? ValType::F64 : ValType::I64);
      t.results = {ValType::F64};
      return std::vector<ExternVal>{ExternVal::func(s.create_host_func(
          t, [](Caller&, std::span<const Value> a, std::span<Value> r) -> std::optional<Trap> {
            double x = 0;
            for (size_t i = 0; i < a.size(); ++i) x += i % 2 ? a[i].as_f64() : double(a[i].bits) * 1000;
            r[0] = Value::f64(x);
            return std::nullopt;
          }))};
    });
    ASSERT_TRUE(h.inst);
    std::vector<Value> direct;
    for (int i = 0; i < 20; ++i) direct.push_back(i % 2 ? Value::f64(i + 0.5) : Value::i64(i));
    got[k] = outcome(h.call("go")) + " " + outcome(h.call("w", direct));
  }
  // 100 + 10 * 0.5 = 105; host: + 1000 * (0 + 2 + ... + 18) = 90000.
  EXPECT_EQ(got[0], aot_test::outcome(std::vector<Value>{Value::f64(90105 + 105)}) + " " +
                        aot_test::outcome(std::vector<Value>{Value::f64(105)}));
  EXPECT_EQ(got[1], got[0]);
}

const char* const kHostTrap = R"((module
  (import "h" "fail" (func $fail (param i32) (result i32)))
  (func $inner (param i32) (result i32) (i32.add (call $fail (local.get 0)) (i32.const 1)))
  (func $outer (export "outer") (param i32) (result i32) (call $inner (local.get 0)))))";

TEST(AotHost, AHostFunctionsTrapGetsTheCompiledFramesAppended) {
  std::string got[2];
  for (int k = 0; k < 2; ++k) {
    Hosted h(*kTiers[k], kHostTrap, [](Store& s, Hosted&) {
      FuncType t{{ValType::I32}, {ValType::I32}};
      return std::vector<ExternVal>{ExternVal::func(s.create_host_func(
          t, [](Caller&, std::span<const Value> a, std::span<Value> r) -> std::optional<Trap> {
            if (a[0].as_u32() == 0) {
              r[0] = Value::i32(10);
              return std::nullopt;
            }
            Trap t;
            t.code = a[0].as_u32() == 1 ? TrapCode::Host : TrapCode::Exit;
            t.message = "host says no";
            t.exit_code = 7;
            t.backtrace.push_back({99, "host-side"});
            return t;
          }))};
    });
    ASSERT_TRUE(h.inst);
    got[k] = outcome(h.call("outer", {Value::i32(0)}));
    for (uint32_t arg : {1, 2}) {
      auto r = h.call("outer", {Value::i32(arg)});
      got[k] += " | " + outcome(r);
      if (!r) got[k] += " code " + std::to_string(int(r.error().code)) + " exit " + std::to_string(r.error().exit_code);
    }
    got[k] += " | " + outcome(h.call("outer", {Value::i32(0)}));
  }
  EXPECT_EQ(got[0],
            "i32:11 | trap host says no at host-side:99 inner:1 outer:2 code 13 exit 7 | "
            "trap host says no at host-side:99 inner:1 outer:2 code 12 exit 7 | i32:11");
  EXPECT_EQ(got[1], got[0]);
}

// f(n): n == 0 ends (trapping if $trap is set); else host(n - 1) + 1, where
// the host function calls f again through the store. Each level is a new
// entry into compiled code from the host, inside a call out of it.
const char* const kNested = R"((module
  (import "h" "again" (func $again (param i32) (result i32)))
  (memory (export "mem") 1)
  (global $trap (export "trap") (mut i32) (i32.const 0))
  (func $f (export "f") (param i32) (result i32)
    (if (i32.eqz (local.get 0))
      (then
        (if (global.get $trap) (then (drop (i32.load (i32.const 70000)))))
        (return (i32.const 0))))
    (i32.store (i32.mul (local.get 0) (i32.const 4)) (local.get 0))
    (i32.add (call $again (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "oob") (result i32) (i32.load (i32.const 65536)))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))))";

// The host function of kNested: calls f; on a trap, passes it on, or
// (swallow) returns 100 instead.
std::vector<ExternVal> nested_host(Store& s, Hosted& h, bool swallow) {
  FuncType t{{ValType::I32}, {ValType::I32}};
  return {ExternVal::func(s.create_host_func(
      t, [&s, &h, swallow](Caller&, std::span<const Value> a, std::span<Value> r) -> std::optional<Trap> {
        auto res = s.invoke(h.inst->find_export("f")->as_func(), std::vector<Value>{a[0]});
        if (!res) {
          if (!swallow) return res.error();
          r[0] = Value::i32(100);
          return std::nullopt;
        }
        r[0] = (*res)[0];
        return std::nullopt;
      }))};
}

TEST(AotHost, HostFunctionsCallBackIntoCompiledCode) {
  std::string got[2];
  for (int k = 0; k < 2; ++k) {
    Hosted h(*kTiers[k], kNested, [](Store& s, Hosted& h) { return nested_host(s, h, false); });
    ASSERT_TRUE(h.inst);
    got[k] = outcome(h.call("f", {Value::i32(50)}));
    const uint8_t* mem = h.inst->memory(0)->data();
    EXPECT_EQ(mem[4 * 50], 50);
    EXPECT_EQ(mem[4 * 1], 1);
    // A trap at the innermost level, passed on by every host call: one
    // backtrace of all levels' frames (the host function has none).
    h.inst->find_export("trap")->as_global()->set(Value::i32(1));
    got[k] += " | " + outcome(h.call("f", {Value::i32(3)}));
    // A trap at depth 60: the merged backtrace is cut as any other.
    got[k] += " | " + outcome(h.call("f", {Value::i32(60)}));
    // The store and its activations are back as they were.
    got[k] += " | " + outcome(h.call("oob")) + " | " + outcome(h.call("div", {Value::i32(0)}));
    h.inst->find_export("trap")->as_global()->set(Value::i32(0));
    got[k] += " | " + outcome(h.call("f", {Value::i32(5)}));
  }
  EXPECT_EQ(got[0],
            "i32:50 | trap out of bounds memory access at f:1 f:1 f:1 f:1 | "
            "trap out of bounds memory access at f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 "
            "f:1 f:1 ... f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 f:1 (21 omitted) | "
            "trap out of bounds memory access at <func 2>:2 | trap integer divide by zero at <func 3>:3 | i32:5");
  EXPECT_EQ(got[1], got[0]);
}

TEST(AotHost, ATrapSwallowedByTheHostLeavesTheOuterCallRunning) {
  std::string got[2];
  for (int k = 0; k < 2; ++k) {
    Hosted h(*kTiers[k], kNested, [](Store& s, Hosted& h) { return nested_host(s, h, true); });
    ASSERT_TRUE(h.inst);
    h.inst->find_export("trap")->as_global()->set(Value::i32(1));
    // f(3): f(2) + 1, f(2): f(1) + 1, f(1): host(0) -> f(0) traps -> 100.
    got[k] = outcome(h.call("f", {Value::i32(3)}));
    // Traps after that are the outer call's own.
    got[k] += " | " + outcome(h.call("oob")) + " | " + outcome(h.call("div", {Value::i32(0)}));
  }
  EXPECT_EQ(got[0], "i32:103 | trap out of bounds memory access at <func 2>:2 | trap integer divide by zero at <func 3>:3");
  EXPECT_EQ(got[1], got[0]);
}

TEST(AotHost, WhatTheHostChangesOfItsCallerIsSeenAfterTheCall) {
  // The host writes the caller's memory, grows it and sets a global; the
  // compiled code reads all three after the call (nothing kept in registers
  // across it but the memory base, which does not move).
  const std::string wat = R"((module
    (import "h" "poke" (func $poke))
    (import "h" "g" (global $g (mut i64)))
    (memory (export "mem") 1 3)
    (func (export "go") (result i32 i32 i64 i32)
      (i32.store (i32.const 16) (i32.const 1))
      (drop (i32.load (i32.const 16)))
      (call $poke)
      (i32.load (i32.const 16))
      (memory.size)
      (global.get $g)
      (i32.store (i32.const 70000) (i32.const 9))
      (i32.load (i32.const 70000)))))";
  std::string got[2];
  for (int k = 0; k < 2; ++k) {
    Hosted h(*kTiers[k], wat, [](Store& s, Hosted&) {
      GlobalInst* g = s.create_global({ValType::I64, true}, Value::i64(5));
      FuncInst* poke = s.create_host_func({}, [g](Caller& c, std::span<const Value>, std::span<Value>) -> std::optional<Trap> {
        MemoryInst* m = c.memory();
        if (!m) return Trap{TrapCode::Host, "no memory"};
        m->data()[16] = 77;
        m->grow(1);
        g->set(Value::i64(g->get().bits * 2));
        return std::nullopt;
      });
      return std::vector<ExternVal>{ExternVal::func(poke), ExternVal::global(g)};
    });
    ASSERT_TRUE(h.inst);
    got[k] = outcome(h.call("go"));
  }
  EXPECT_EQ(got[0], "i32:77 i32:2 i64:10 i32:9");
  EXPECT_EQ(got[1], got[0]);
}

TEST(AotHost, ReexportedHostFunctionsRunFromTheHost) {
  const std::string wat = R"((module
    (import "h" "f" (func $f (param i32) (result i32)))
    (export "f" (func $f))
    (table (export "t") funcref (elem $f))))";
  for (const rt::Tier* tier : kTiers) {
    Hosted h(*tier, wat, [](Store& s, Hosted&) {
      return std::vector<ExternVal>{ExternVal::func(s.create_host_func(
          {{ValType::I32}, {ValType::I32}},
          [](Caller&, std::span<const Value> a, std::span<Value> r) -> std::optional<Trap> {
            r[0] = Value::i32(a[0].as_u32() + 1);
            return std::nullopt;
          }))};
    });
    ASSERT_TRUE(h.inst);
    EXPECT_EQ(outcome(h.call("f", {Value::i32(41)})), "i32:42");
  }
}

}  // namespace
}  // namespace whirl::wasm
