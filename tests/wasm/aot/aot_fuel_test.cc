// Fuel and interruption in compiled code. Both tiers tick at function entry
// and at each backward branch taken (a loop iteration), so with the same
// fuel they run out at the same point: the counters the code keeps in a
// global and in memory must match the interpreter's at the trap, for every
// amount of fuel, and the fuel left after a call that completes too.
// Store::interrupt() from another thread stops compiled loops.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tiers.h"

namespace whirl::wasm {
namespace {

using aot_test::Both;

// Each export counts its steps in $n and in memory (at 0: 8 bytes per
// step-kind) as it goes, so where fuel ran out shows in both.
const char* const kLoops = R"((module
  (memory (export "mem") 1)
  (global $n (export "n") (mut i32) (i32.const 0))
  (type $v (func))
  (table funcref (elem $step $step2))
  (func $step (global.set $n (i32.add (global.get $n) (i32.const 1))))
  (func $step2 (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1))))
  (func (export "br_if") (param i32)
    (loop $l
      (call $step)
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0))))
  (func (export "br") (param i32)
    (block $out
      (loop $l
        (br_if $out (i32.eqz (local.get 0)))
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l))))
  (func (export "br_table") (param i32)
    (block $out
      (loop $l
        (call $step2)
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br_table $l $out $l (i32.and (i32.eqz (local.get 0)) (i32.const 1))))))
  (func $rec (param i32)
    (call $step)
    (if (local.get 0) (then (call $rec (i32.sub (local.get 0) (i32.const 1))))))
  (func (export "rec") (param i32) (call $rec (local.get 0)))
  (func (export "nested") (param i32) (local i32)
    (loop $outer
      (local.set 1 (i32.const 3))
      (loop $inner
        (call_indirect (type $v) (i32.and (local.get 1) (i32.const 1)))
        (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
        (br_if $inner (local.get 1)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $outer (local.get 0))))
  (func (export "from_block") (param i32)
    ;; the back-edge from inside a block and an if
    (loop $l
      (block $b
        (if (i32.and (local.get 0) (i32.const 1))
          (then (call $step2) (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l)))
        (br_if $b (i32.eqz (local.get 0)))
        (call $step)
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br 1))))
  (func (export "params") (param i32) (result i32)
    ;; a loop with parameters: the back-edge carries them
    (i32.const 0) (local.get 0)
    (loop $l (param i32 i32) (result i32)
      (call $step)
      (i32.sub (i32.const 1))
      (local.tee 0)
      (i32.add)
      (local.get 0)
      (local.get 0)
      (br_if $l)
      (drop)))
  (func (export "empty_loop") (param i32)
    ;; a loop of nothing but its branch
    (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))))";

uint64_t fuel_left(const aot_test::Run& r) { return static_cast<rt::StoreImpl&>(*r.store).fuel_left; }

TEST(AotFuel, RunsOutAtTheSamePointAsTheInterpreter) {
  const char* exports[] = {"br_if", "br", "br_table", "rec", "nested", "from_block", "params", "empty_loop"};
  const Both::Compiled loops(kLoops);
  for (const char* name : exports) {
    SCOPED_TRACE(name);
    size_t trapped = 0;
    for (uint64_t fuel = 1; fuel <= 90; ++fuel) {
      StoreConfig c;
      c.fuel = fuel;
      Both t(loops, c);
      ASSERT_TRUE(t.ok());
      std::string r = t.call(name, {Value::i32(12)});
      if (r.starts_with("trap all fuel consumed")) ++trapped;
      else EXPECT_TRUE(r == "()" || r.starts_with("i32:")) << r;
      EXPECT_EQ(t.ao.inst->find_export("n")->as_global()->get().bits,
                t.in.inst->find_export("n")->as_global()->get().bits)
          << "fuel " << fuel;
      t.expect_same_memory();
      EXPECT_EQ(fuel_left(t.ao), fuel_left(t.in)) << "fuel " << fuel;
    }
    // Some amounts stop it, and the larger ones let it finish.
    EXPECT_GT(trapped, 0u);
    EXPECT_LT(trapped, 90u);
  }
}

TEST(AotFuel, TicksAtEntryAndBackEdgesOnly) {
  // Absolute counts, so both tiers agreeing on another scheme fails: 12
  // iterations of br_if's loop are 1 (entry) + 12 (step calls) + 11 (taken
  // back-edges) ticks; `rec 12` 1 + 13 entries of $rec + 13 of $step.
  StoreConfig c;
  c.fuel = 1000;
  Both t(kLoops, c);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("br_if", {Value::i32(12)}), "()");
  EXPECT_EQ(fuel_left(t.in), 1000u - 24);
  EXPECT_EQ(fuel_left(t.ao), fuel_left(t.in));
  EXPECT_EQ(t.call("rec", {Value::i32(12)}), "()");
  EXPECT_EQ(fuel_left(t.in), 1000u - 24 - 27);
  EXPECT_EQ(fuel_left(t.ao), fuel_left(t.in));
}

TEST(AotFuel, SpentFuelStaysSpent) {
  StoreConfig c;
  c.fuel = 50;
  Both t(kLoops, c);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("br", {Value::i32(10)}), "()");
  EXPECT_EQ(t.call("br", {Value::i32(100)}), "trap all fuel consumed at <func 3>:3");
  EXPECT_EQ(t.call("params", {Value::i32(1)}), "trap all fuel consumed at <func 9>:9");
  EXPECT_EQ(fuel_left(t.ao), 0u);
}

TEST(AotFuel, RecursionRunsOutOfFuelWithTheWholeBacktrace) {
  StoreConfig c;
  c.fuel = 400;
  Both t(kLoops, c);
  ASSERT_TRUE(t.ok());
  std::string r = t.call("rec", {Value::i32(1000)});
  EXPECT_TRUE(r.starts_with("trap all fuel consumed at step:0 rec:5 rec:5")) << r;
  EXPECT_TRUE(r.ends_with("rec:5 <func 6>:6 (162 omitted)")) << r;
}

// Runs `name` of `run` while another thread interrupts the store after a
// while; the outcome.
std::string interrupted(const aot_test::Run& run, const char* name, std::vector<Value> args = {}) {
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    run.store->interrupt();
  });
  auto r = run.call(name, args);
  stopper.join();
  return aot_test::outcome(r);
}

const char* const kForever = R"((module
  (global $n (export "n") (mut i64) (i64.const 0))
  (func $spin (loop $l (global.set $n (i64.add (global.get $n) (i64.const 1))) (br $l)))
  (func $deep (param i32)
    (if (local.get 0) (then (call $deep (i32.sub (local.get 0) (i32.const 1)))) (else (call $spin))))
  (func (export "spin") (call $spin))
  (func (export "deep") (call $deep (i32.const 50)))
  (func (export "empty") (loop $l (br $l)))
  (func (export "calls")
    ;; no loop back-edge at all between the entries: recursion without end
    ;; would exhaust the stack, so a loop of calls instead
    (loop $l (call $tiny) (br_if $l (i32.const 1))))
  (func $tiny)
  (func (export "table") (param i32)
    (loop $l (block $b (br_table $l $b (local.get 0)))))))";

TEST(AotFuel, InterruptStopsCompiledLoops) {
  const std::pair<const char*, const char*> cases[] = {
      {"spin", "trap interrupted at spin:0 <func 2>:2"},
      {"deep", "trap interrupted at spin:0 deep:1 deep:1"},
      {"empty", "trap interrupted at <func 4>:4"},
      {"calls", "trap interrupted at"},
      {"table", "trap interrupted at <func 7>:7"},
  };
  for (const auto& [name, want] : cases) {
    SCOPED_TRACE(name);
    auto run = aot_test::instantiate(aot_test::aot(), kForever);
    ASSERT_TRUE(run.inst);
    std::string r = interrupted(run, name, std::string(name) == "table" ? std::vector<Value>{Value::i32(0)}
                                                                          : std::vector<Value>{});
    EXPECT_TRUE(r.starts_with(want)) << r;
    // The store stays interrupted: the next call stops at once.
    EXPECT_EQ(aot_test::outcome(run.call("spin")), "trap interrupted at <func 2>:2");
  }
  // The deep one's backtrace, whole: spin then 51 $deep frames.
  auto run = aot_test::instantiate(aot_test::aot(), kForever);
  std::string r = interrupted(run, "deep");
  EXPECT_TRUE(r.ends_with("deep:1 deep:1 <func 3>:3 (13 omitted)")) << r;
  EXPECT_GT(run.inst->find_export("n")->as_global()->get().bits, 0u);
}

TEST(AotFuel, InterruptBeforeTheCallStopsItAtOnce) {
  auto run = aot_test::instantiate(aot_test::aot(), kForever);
  ASSERT_TRUE(run.inst);
  run.store->interrupt();
  EXPECT_EQ(aot_test::outcome(run.call("spin")), "trap interrupted at <func 2>:2");
  EXPECT_EQ(run.inst->find_export("n")->as_global()->get().bits, 0u);
}

TEST(AotFuel, InterruptWithFuelOnStopsToo) {
  StoreConfig c;
  c.fuel = uint64_t(1) << 60;
  auto run = aot_test::instantiate(aot_test::aot(), kForever, c);
  ASSERT_TRUE(run.inst);
  EXPECT_EQ(interrupted(run, "spin"), "trap interrupted at spin:0 <func 2>:2");
}

}  // namespace
}  // namespace whirl::wasm
