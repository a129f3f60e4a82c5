// The Canonical ABI's call rules as definitions.py states them: an instance
// on the stack cannot be entered again, but a call into oneself or an
// ancestor enters nothing; realloc and post-return may not leave their
// instance; context storage belongs to the running (implicit) thread;
// backpressure may not go below zero.
#include "runtime_test_util.h"

namespace whirl::component::runtime::test {
namespace {

// A function lifted and lowered in the same component: a call from the
// instance to itself enters nothing (its entering set is empty), so it is
// allowed.
TEST(RulesTest, CallingOneselfEntersNothing) {
  auto inst = instantiate(load(R"((component
    (core module $Leaf (func (export "leaf") (result i32) (i32.const 1)))
    (core instance $leaf (instantiate $Leaf))
    (func $leaf (result u32) (canon lift (core func $leaf "leaf")))
    (core func $leaf' (canon lower (func $leaf)))
    (core module $M
      (import "" "leaf" (func $leaf (result i32)))
      (func (export "run") (result i32) (i32.add (call $leaf) (i32.const 1))))
    (core instance $m (instantiate $M (with "" (instance (export "leaf" (func $leaf'))))))
    (func (export "run") (result u32) (canon lift (core func $m "run")))))"));
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*inst, "run"), std::vector<Value>{u32(2)});
}

// CanonicalABI.md's example: the host calls child $C1 (entering $C1 and its
// parent), $C1 calls its parent (entering nothing), which calls back into
// $C1 through a table: $C1 is on the stack, so that traps.
TEST(RulesTest, ReenteringAChildOnTheStackTraps) {
  auto inst = instantiate(load(R"((component
    (component $C1
      (import "cb" (func $cb))
      (core func $cb' (canon lower (func $cb)))
      (core module $M
        (import "" "cb" (func $cb))
        (func (export "run") (call $cb))
        (func (export "leaf")))
      (core instance $m (instantiate $M (with "" (instance (export "cb" (func $cb'))))))
      (func (export "run") (canon lift (core func $m "run")))
      (func (export "leaf") (canon lift (core func $m "leaf"))))
    (core module $Tbl
      (table (export "t") 1 funcref)
      (type $ft (func))
      (func (export "cb") (call_indirect (type $ft) (i32.const 0))))
    (core instance $tbl (instantiate $Tbl))
    (func $cb (canon lift (core func $tbl "cb")))
    (instance $c1 (instantiate $C1 (with "cb" (func $cb))))
    (core func $leaf (canon lower (func $c1 "leaf")))
    (core module $Fill
      (import "" "t" (table 1 funcref))
      (import "" "leaf" (func $leaf))
      (elem (i32.const 0) func $leaf))
    (core instance (instantiate $Fill (with "" (instance (export "t" (table $tbl "t")) (export "leaf" (func $leaf))))))
    (export "run" (func $c1 "run"))
    (export "leaf" (func $c1 "leaf"))))"));
  ASSERT_TRUE(inst);
  call(*inst, "leaf");
  EXPECT_NE(trap(*inst, "run").find("cannot enter component instance"), std::string::npos);
}

// A child calling a function of its parent (given to it at instantiation)
// enters nothing that is not on the stack already: allowed.
TEST(RulesTest, ChildMayCallItsParent) {
  auto inst = instantiate(load(R"((component
    (core module $P (func (export "seven") (result i32) (i32.const 7)))
    (core instance $p (instantiate $P))
    (func $seven (result u32) (canon lift (core func $p "seven")))
    (component $Child
      (import "seven" (func $seven (result u32)))
      (core func $seven' (canon lower (func $seven)))
      (core module $M
        (import "" "seven" (func $seven (result i32)))
        (func (export "run") (result i32) (i32.mul (call $seven) (i32.const 6))))
      (core instance $m (instantiate $M (with "" (instance (export "seven" (func $seven'))))))
      (func (export "run") (result u32) (canon lift (core func $m "run"))))
    (instance $c (instantiate $Child (with "seven" (func $seven))))
    (export "run" (func $c "run"))))"));
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*inst, "run"), std::vector<Value>{u32(42)});
}

// realloc runs with may_leave cleared: an import called from it traps.
TEST(RulesTest, ReallocMayNotLeave) {
  auto inst = instantiate(load(R"((component
    (core module $Other (func (export "other")))
    (core instance $other (instantiate $Other))
    (func $other (canon lift (core func $other "other")))
    (component $C
      (import "other" (func $other))
      (core module $Mem (memory (export "mem") 1))
      (core instance $mem (instantiate $Mem))
      (core func $other' (canon lower (func $other)))
      (core module $M
        (import "" "other" (func $other))
        (func (export "realloc") (param i32 i32 i32 i32) (result i32) (call $other) (i32.const 64))
        (func (export "take") (param i32 i32)))
      (core instance $m (instantiate $M (with "" (instance (export "other" (func $other'))))))
      (func (export "take") (param "s" string)
        (canon lift (core func $m "take") (memory (core memory $mem "mem")) (realloc (core func $m "realloc")))))
    (instance $c (instantiate $C (with "other" (func $other))))
    (export "take" (func $c "take"))))"));
  ASSERT_TRUE(inst);
  EXPECT_NE(trap(*inst, "take", {str("x")}).find("cannot leave component instance"), std::string::npos);
}

// Every call starts a thread with zeroed context storage; post-return runs
// in the call's thread and sees what the call stored.
TEST(RulesTest, ContextStorageIsPerCall) {
  auto inst = instantiate(load(R"((component
    (canon context.get i32 0 (core func $get))
    (canon context.set i32 0 (core func $set))
    (core module $M
      (import "" "get" (func $get (result i32)))
      (import "" "set" (func $set (param i32)))
      (global $seen (mut i32) (i32.const -1))
      (func (export "bump") (result i32)
        (call $set (i32.add (call $get) (i32.const 5)))
        (call $get))
      (func (export "bump-post") (param i32) (global.set $seen (call $get)))
      (func (export "seen") (result i32) (global.get $seen)))
    (core instance $m (instantiate $M (with "" (instance (export "get" (func $get)) (export "set" (func $set))))))
    (func (export "bump") (result u32) (canon lift (core func $m "bump") (post-return (core func $m "bump-post"))))
    (func (export "seen") (result u32) (canon lift (core func $m "seen")))))"));
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*inst, "bump"), std::vector<Value>{u32(5)});
  EXPECT_EQ(call(*inst, "seen"), std::vector<Value>{u32(5)});
  EXPECT_EQ(call(*inst, "bump"), std::vector<Value>{u32(5)});  // not 10: a new thread
}

TEST(RulesTest, BackpressureBelowZeroTraps) {
  auto inst = instantiate(load(R"((component
    (canon backpressure.inc (core func $inc))
    (canon backpressure.dec (core func $dec))
    (core module $M
      (import "" "inc" (func $inc))
      (import "" "dec" (func $dec))
      (func (export "balanced") (call $inc) (call $dec))
      (func (export "under") (call $dec)))
    (core instance $m (instantiate $M (with "" (instance (export "inc" (func $inc)) (export "dec" (func $dec))))))
    (func (export "balanced") (canon lift (core func $m "balanced")))
    (func (export "under") (canon lift (core func $m "under")))))"));
  ASSERT_TRUE(inst);
  call(*inst, "balanced");
  EXPECT_NE(trap(*inst, "under").find("backpressure"), std::string::npos);
}

// An async built-in instantiates (so a component using one loads) and
// traps when called, naming the feature.
TEST(RulesTest, AsyncBuiltinsTrapAsUnsupported) {
  auto inst = instantiate(load(R"((component
    (canon waitable-set.new (core func $new))
    (core module $M
      (import "" "new" (func $new (result i32)))
      (func (export "run") (result i32) (call $new)))
    (core instance $m (instantiate $M (with "" (instance (export "new" (func $new))))))
    (func (export "run") (result u32) (canon lift (core func $m "run")))))"));
  ASSERT_TRUE(inst);
  std::string t = trap(*inst, "run");
  EXPECT_NE(t.find("waitable-set.new is not supported"), std::string::npos) << t;
  EXPECT_NE(t.find("component-model-async"), std::string::npos) << t;
}

}  // namespace
}  // namespace whirl::component::runtime::test
