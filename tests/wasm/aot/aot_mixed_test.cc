// Both tiers in one store: an aot-compiled module importing functions
// exported by an interpreted instance and the other way round (each side
// entering the other through its tier), a table shared by instances of
// both tiers called through with call_indirect from either, and imported
// mutable globals and memories that instances of both tiers read and
// write. Every arrangement of tiers must give the all-interpreter outcome,
// traps and their backtraces across the tiers included.
#include <gtest/gtest.h>

#include <bit>

#include "tiers.h"

namespace whirl::wasm {
namespace {

using aot_test::outcome;

const rt::Tier& tier_of(char c) { return c == 'a' ? aot_test::aot() : aot_test::interp(); }

// The library: arithmetic, a trap, and a call back to what it imports.
const char* const kLib = R"((module
  (import "app" "cb" (func $cb (param i32) (result i32)))
  (func $add3 (export "add3") (param i32 i32 i32) (result i32) (i32.add (i32.add (local.get 0) (local.get 1)) (local.get 2)))
  (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $pair (export "pair") (param i64) (result i64 f64) (local.get 0) (f64.convert_i64_s (local.get 0)))
  (func $back (export "back") (param i32) (result i32) (i32.mul (call $cb (local.get 0)) (i32.const 10)))))";

// The application: calls the library's functions, and is called back.
const char* const kApp = R"((module
  (import "lib" "add3" (func $add3 (param i32 i32 i32) (result i32)))
  (import "lib" "div" (func $div (param i32 i32) (result i32)))
  (import "lib" "pair" (func $pair (param i64) (result i64 f64)))
  (import "lib" "back" (func $back (param i32) (result i32)))
  (func $cb (export "cb") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then unreachable) (else (i32.add (local.get 0) (i32.const 1)))))
  (func $calc (export "calc") (param i32 i32) (result i32)
    (call $div (call $add3 (local.get 0) (local.get 1) (i32.const 4)) (local.get 1)))
  (func (export "pair") (param i64) (result f64) (local f64)
    (call $pair (local.get 0)) (local.set 1) (f64.convert_i64_u) (local.get 1) (f64.add))
  (func $via (export "via") (param i32) (result i32) (call $back (local.get 0)))))";

// kLib under tier `lib`, kApp under `app` (the library's callback import
// is the application's export, through a forwarder made before it exists).
std::string run_pair(char lib, char app) {
  auto store = Store::create();
  Instance* app_inst = nullptr;
  FuncInst* cb = store->create_host_func(
      {{ValType::I32}, {ValType::I32}}, [&](Caller&, std::span<const Value> a, std::span<Value> r) -> std::optional<Trap> {
        auto res = store->invoke(app_inst->find_export("cb")->as_func(), std::vector<Value>{a[0]});
        if (!res) return res.error();
        r[0] = (*res)[0];
        return std::nullopt;
      });
  auto l = store->instantiate(aot_test::compile(tier_of(lib), kLib), std::vector<ExternVal>{ExternVal::func(cb)});
  if (!l) return "lib: " + l.error().message;
  std::vector<ExternVal> imports;
  for (const char* name : {"add3", "div", "pair", "back"}) imports.push_back(*(*l)->find_export(name));
  auto a = store->instantiate(aot_test::compile(tier_of(app), kApp), imports);
  if (!a) return "app: " + a.error().message;
  app_inst = *a;
  auto call = [&](const char* name, std::vector<Value> args) {
    return outcome(store->invoke(app_inst->find_export(name)->as_func(), args));
  };
  std::string out = call("calc", {Value::i32(10), Value::i32(2)});
  out += " | " + call("calc", {Value::i32(10), Value::i32(0)});
  out += " | " + call("pair", {Value::i64(uint64_t(-3))});
  out += " | " + call("via", {Value::i32(4)});
  out += " | " + call("via", {Value::i32(0)});
  return out;
}

TEST(AotMixed, ModulesOfEitherTierImportEachOthersFunctions) {
  const std::string want = run_pair('i', 'i');
  EXPECT_EQ(want, "i32:8 | trap integer divide by zero at div:2 calc:5 | f64:" +
                      std::to_string(std::bit_cast<uint64_t>(-3.0 + 18446744073709551613.0)) +
                      " | i32:50 | trap unreachable at cb:4 back:4 via:7");
  EXPECT_EQ(run_pair('a', 'i'), want);  // interpreted code importing compiled functions
  EXPECT_EQ(run_pair('i', 'a'), want);  // compiled code importing interpreted functions
  EXPECT_EQ(run_pair('a', 'a'), want);
}

// A table exported by one module, filled with functions of instances of
// both tiers by their element segments, and called through from both.
const char* const kTableOwner = R"((module
  (table (export "t") 8 funcref)
  (type $ii (func (param i32) (result i32)))
  (func $own (param i32) (result i32) (i32.add (local.get 0) (i32.const 1000)))
  (elem (i32.const 0) $own)
  (func (export "call") (param i32 i32) (result i32) (call_indirect (type $ii) (local.get 1) (local.get 0)))))";

// `base`: where its functions go in the table; $twice calls through it.
std::string filler(int base, int k) {
  return R"((module
    (import "o" "t" (table 8 funcref))
    (type $ii (func (param i32) (result i32)))
    (func $mul (param i32) (result i32) (i32.mul (local.get 0) (i32.const )" +
         std::to_string(k) + R"()))
    (func $bad (param i64) (result i64) (local.get 0))
    (func $trap (param i32) (result i32) (i32.div_u (local.get 0) (i32.const 0)))
    (elem (i32.const )" +
         std::to_string(base) + R"() $mul $bad $trap)
    (func (export "call") (param i32 i32) (result i32) (call_indirect (type $ii) (local.get 1) (local.get 0)))
    (func (export "twice") (param i32 i32) (result i32)
      (call_indirect (type $ii) (call_indirect (type $ii) (local.get 1) (local.get 0)) (local.get 0)))))";
}

std::string run_table(char owner, char f1, char f2) {
  auto store = Store::create();
  auto o = store->instantiate(aot_test::compile(tier_of(owner), kTableOwner), {});
  if (!o) return "owner: " + o.error().message;
  std::vector<ExternVal> imports{*(*o)->find_export("t")};
  auto a = store->instantiate(aot_test::compile(tier_of(f1), filler(1, 3)), imports);
  auto b = store->instantiate(aot_test::compile(tier_of(f2), filler(4, 5)), imports);
  if (!a || !b) return "filler";
  std::string out;
  for (Instance* caller : {*o, *a, *b}) {
    for (uint32_t i = 0; i < 9; ++i) {
      auto r = store->invoke(caller->find_export("call")->as_func(), std::vector<Value>{Value::i32(i), Value::i32(7)});
      out += outcome(r) + "; ";
    }
    out += "| ";
  }
  // Through the table twice, crossing tiers in between.
  for (Instance* caller : {*a, *b})
    for (uint32_t i : {1u, 4u})
      out += outcome(store->invoke(caller->find_export("twice")->as_func(),
                                   std::vector<Value>{Value::i32(i), Value::i32(2)})) + "; ";
  return out;
}

TEST(AotMixed, CallIndirectThroughATableSharedByBothTiers) {
  const std::string want = run_table('i', 'i', 'i');
  // Seen from the owner (function 0 its own, 1-3 and 4-6 the fillers').
  EXPECT_TRUE(want.starts_with("i32:1007; i32:21; trap indirect call type mismatch at <func 1>:1; "
                               "trap integer divide by zero at trap:2 <func 1>:1; i32:35; "
                               "trap indirect call type mismatch at <func 1>:1; "
                               "trap integer divide by zero at trap:2 <func 1>:1; "
                               "trap uninitialized element 7 at <func 1>:1; trap undefined element at <func 1>:1; | "))
      << want;
  EXPECT_TRUE(want.ends_with("| i32:18; i32:50; i32:18; i32:50; ")) << want;
  for (const char* tiers : {"aaa", "aai", "aia", "iaa", "iia", "iai", "aii"})
    EXPECT_EQ(run_table(tiers[0], tiers[1], tiers[2]), want) << tiers;
}

// A mutable global and a memory made by the host, imported by instances
// of both tiers: what one writes the other reads.
const char* const kShared = R"((module
  (import "h" "g" (global $g (mut i32)))
  (import "h" "m" (memory 1))
  (func (export "bump") (param i32) (result i32)
    (global.set $g (i32.add (global.get $g) (local.get 0)))
    (i32.store (i32.const 100) (i32.add (i32.load (i32.const 100)) (global.get $g)))
    (global.get $g))
  (func (export "peek") (result i32 i32) (global.get $g) (i32.load (i32.const 100)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "far") (param i32) (result i32)
    (i32.store (i32.const 65540) (local.get 0))
    (i32.load (i32.const 65540)))))";

TEST(AotMixed, ImportedGlobalsAndMemoriesAreShared) {
  std::string got[2];
  for (int k = 0; k < 2; ++k) {
    auto store = Store::create();
    GlobalInst* g = store->create_global({ValType::I32, true}, Value::i32(1));
    auto mem = store->create_memory(MemoryType{Limits{1, 4}});
    ASSERT_TRUE(mem);
    std::vector<ExternVal> imports{ExternVal::global(g), ExternVal::memory(*mem)};
    // k = 0: both interpreted; k = 1: one of each.
    auto x = store->instantiate(aot_test::compile(aot_test::interp(), kShared), imports);
    auto y = store->instantiate(aot_test::compile(k ? aot_test::aot() : aot_test::interp(), kShared), imports);
    ASSERT_TRUE(x && y);
    auto call = [&](Instance* i, const char* name, std::vector<Value> args = {}) {
      return outcome(store->invoke(i->find_export(name)->as_func(), args)) + "; ";
    };
    // One statement each: the order of a + b's operands is unspecified.
    got[k] += call(*x, "bump", {Value::i32(2)});
    got[k] += call(*y, "peek");
    got[k] += call(*y, "bump", {Value::i32(10)});
    got[k] += call(*x, "peek");
    got[k] += call(*y, "far", {Value::i32(5)});
    got[k] += call(*x, "grow");
    got[k] += call(*y, "far", {Value::i32(6)});
    got[k] += call(*x, "far", {Value::i32(7)});
    got[k] += call(*y, "grow");
    got[k] += call(*x, "grow");
    got[k] += call(*y, "grow");
    got[k] += std::to_string(g->get().as_u32());
  }
  EXPECT_EQ(got[0],
            "i32:3; i32:3 i32:3; i32:13; i32:13 i32:16; trap out of bounds memory access at <func 3>:3; i32:1; "
            "i32:6; i32:7; i32:2; i32:3; i32:-1; 13");
  EXPECT_EQ(got[1], got[0]);
}

// ping (in one instance) and pong (in another) call each other through a
// table both import, without end: each round trip between the tiers nests
// a call of each tier in the other's.
const char* const kPingPong = R"((module
  (import "h" "t" (table 2 funcref))
  (import "h" "slot" (global $slot i32))
  (type $ii (func (param i32) (result i32)))
  (func $me (param i32) (result i32)
    (i32.add (call_indirect (type $ii) (i32.add (local.get 0) (i32.const 1)) (i32.xor (global.get $slot) (i32.const 1)))
             (i32.const 1)))
  (elem (table 0) (global.get $slot) func $me)
  (func (export "start") (result i32) (call $me (i32.const 0)))
  (func (export "ok") (result i32) (i32.const 5))))";

TEST(AotMixed, RecursionAcrossTheTiersExhaustsTheStack) {
  for (const char* tiers : {"ai", "ia", "aa"}) {
    SCOPED_TRACE(tiers);
    auto store = Store::create();
    auto table = store->create_table({ValType::FuncRef, Limits{2, 2}}, Value::null(ValType::FuncRef));
    ASSERT_TRUE(table);
    Instance* inst[2];
    for (int k = 0; k < 2; ++k) {
      GlobalInst* slot = store->create_global({ValType::I32, false}, Value::i32(uint32_t(k)));
      auto i = store->instantiate(aot_test::compile(tier_of(tiers[k]), kPingPong),
                                  std::vector<ExternVal>{ExternVal::table(*table), ExternVal::global(slot)});
      ASSERT_TRUE(i) << i.error().message;
      inst[k] = *i;
    }
    for (int round = 0; round < 2; ++round) {
      auto r = store->invoke(inst[0]->find_export("start")->as_func(), {});
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, TrapCode::StackExhausted) << r.error().message;
      // Both instances' functions are in it, and the entry outermost.
      ASSERT_EQ(r.error().backtrace.size(), 2 * kBacktraceEnds);
      EXPECT_EQ(r.error().backtrace.back().func_index, 1u);
      EXPECT_EQ(r.error().backtrace[r.error().backtrace.size() - 2].name, "me");
      EXPECT_GT(r.error().omitted_frames, 100u);
      for (Instance* i : inst) EXPECT_EQ(outcome(store->invoke(i->find_export("ok")->as_func(), {})), "i32:5");
    }
  }
}

}  // namespace
}  // namespace whirl::wasm
