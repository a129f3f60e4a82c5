// Instructions of compiled code against the interpreter, with the values
// the spec gives: memory.grow then accesses to the new pages (the base does
// not move), memory.size, bulk memory and its bounds, table instructions,
// globals, blocks, loops and ifs with parameters and several results,
// br_table with loop targets, select, and memories other than 0.
#include <gtest/gtest.h>

#include "tiers.h"

namespace whirl::wasm {
namespace {

using aot_test::Both;

Value i32(int32_t v) { return Value::i32(uint32_t(v)); }

TEST(AotOps, MemoryGrowKeepsTheBaseAndOpensTheNewPages) {
  Both t(R"((module
    (memory (export "mem") 1 5)
    (func (export "size") (result i32) (memory.size))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
    (func (export "grow_then_use") (result i32)
      ;; the same function grows and then touches the new page: the base
      ;; it loaded at entry still holds
      (i32.store (i32.const 0) (i32.const 11))
      (drop (memory.grow (i32.const 1)))
      (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (i32.const 22))
      (i32.add (i32.load (i32.const 0))
               (i32.load (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))))))");
  ASSERT_TRUE(t.ok());
  const uint8_t* base = t.ao.memory();
  EXPECT_EQ(t.call("size"), "i32:1");
  EXPECT_EQ(t.call("load", {i32(65536)}), "trap out of bounds memory access at <func 2>:2");
  EXPECT_EQ(t.call("grow", {i32(2)}), "i32:1");
  EXPECT_EQ(t.call("size"), "i32:3");
  EXPECT_EQ(t.call("store", {i32(3 * 65536 - 4), i32(77)}), "()");
  EXPECT_EQ(t.call("load", {i32(3 * 65536 - 4)}), "i32:77");
  EXPECT_EQ(t.call("load", {i32(3 * 65536 - 3)}), "trap out of bounds memory access at <func 2>:2");
  EXPECT_EQ(t.call("grow", {i32(3)}), "i32:-1");  // past the maximum
  EXPECT_EQ(t.call("grow", {i32(-1)}), "i32:-1");
  EXPECT_EQ(t.call("grow", {i32(0)}), "i32:3");
  EXPECT_EQ(t.call("grow_then_use"), "i32:33");
  EXPECT_EQ(t.call("size"), "i32:4");
  EXPECT_EQ(t.ao.memory(), base);
  t.expect_same_memory();
}

TEST(AotOps, BulkMemoryAndItsBounds) {
  Both t(R"((module
    (memory (export "mem") 1)
    (data $d "\01\02\03\04\05\06\07\08")
    (data (i32.const 100) "abcdefgh")
    (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
    (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
    (func (export "drop") (data.drop $d))
    (func (export "sum") (param i32 i32) (result i32) (local i32)
      (block $done
        (loop $l
          (br_if $done (i32.eqz (local.get 1)))
          (local.set 2 (i32.add (local.get 2) (i32.load8_u (local.get 0))))
          (local.set 0 (i32.add (local.get 0) (i32.const 1)))
          (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
          (br $l)))
      (local.get 2))))");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("fill", {i32(10), i32(0x1ff), i32(5)}), "()");  // the value's low byte
  EXPECT_EQ(t.call("sum", {i32(9), i32(7)}), "i32:1275");
  EXPECT_EQ(t.call("fill", {i32(65530), i32(1), i32(7)}), "trap out of bounds memory access at <func 0>:0");
  EXPECT_EQ(t.call("sum", {i32(65530), i32(6)}), "i32:0");  // nothing written
  EXPECT_EQ(t.call("fill", {i32(65536), i32(1), i32(0)}), "()");  // empty, at the end
  EXPECT_EQ(t.call("fill", {i32(65537), i32(1), i32(0)}), "trap out of bounds memory access at <func 0>:0");
  EXPECT_EQ(t.call("copy", {i32(102), i32(100), i32(6)}), "()");  // overlapping, upwards
  EXPECT_EQ(t.call("sum", {i32(100), i32(8)}), "i32:" + std::to_string('a' + 'b' + 'a' + 'b' + 'c' + 'd' + 'e' + 'f'));
  EXPECT_EQ(t.call("copy", {i32(100), i32(101), i32(7)}), "()");  // downwards
  EXPECT_EQ(t.call("copy", {i32(0), i32(65535), i32(2)}), "trap out of bounds memory access at <func 1>:1");
  EXPECT_EQ(t.call("init", {i32(200), i32(2), i32(6)}), "()");
  EXPECT_EQ(t.call("sum", {i32(200), i32(6)}), "i32:33");
  EXPECT_EQ(t.call("init", {i32(200), i32(2), i32(7)}), "trap out of bounds memory access at <func 2>:2");
  EXPECT_EQ(t.call("drop"), "()");
  EXPECT_EQ(t.call("init", {i32(200), i32(0), i32(0)}), "()");
  EXPECT_EQ(t.call("init", {i32(200), i32(0), i32(1)}), "trap out of bounds memory access at <func 2>:2");
  t.expect_same_memory();
}

TEST(AotOps, TableInstructions) {
  Both t(R"((module
    (type $v (func (result i32)))
    (table $t (export "t") 4 10 funcref)
    (table $e 2 externref)
    (func $one (result i32) (i32.const 1))
    (func $two (result i32) (i32.const 2))
    (elem $seg func $one $two $one)
    (elem (table $t) (i32.const 0) func $two)
    (func (export "size") (result i32) (table.size $t))
    (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $one) (local.get 0)))
    (func (export "call") (param i32) (result i32) (call_indirect $t (type $v) (local.get 0)))
    (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
    (func (export "set_null") (param i32) (table.set $t (local.get 0) (ref.null func)))
    (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.func $two) (local.get 1)))
    (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
    (func (export "init") (param i32 i32 i32) (table.init $t $seg (local.get 0) (local.get 1) (local.get 2)))
    (func (export "drop") (elem.drop $seg))
    (func (export "ext") (param externref) (result i32)
      (table.set $e (i32.const 1) (local.get 0))
      (ref.is_null (table.get $e (i32.const 1))))
    (func (export "ext_grow") (result i32) (table.grow $e (ref.null extern) (i32.const 3)))))");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("call", {i32(0)}), "i32:2");
  EXPECT_EQ(t.call("call", {i32(1)}), "trap uninitialized element 1 at <func 4>:4");
  EXPECT_EQ(t.call("is_null", {i32(1)}), "i32:1");
  EXPECT_EQ(t.call("is_null", {i32(4)}), "trap out of bounds table access at <func 5>:5");
  EXPECT_EQ(t.call("init", {i32(1), i32(0), i32(3)}), "()");
  EXPECT_EQ(t.call("call", {i32(2)}), "i32:2");
  EXPECT_EQ(t.call("init", {i32(2), i32(1), i32(3)}), "trap out of bounds table access at <func 9>:9");
  EXPECT_EQ(t.call("grow", {i32(3)}), "i32:4");
  EXPECT_EQ(t.call("size"), "i32:7");
  EXPECT_EQ(t.call("call", {i32(6)}), "i32:1");
  EXPECT_EQ(t.call("grow", {i32(4)}), "i32:-1");
  EXPECT_EQ(t.call("set_null", {i32(6)}), "()");
  EXPECT_EQ(t.call("call", {i32(6)}), "trap uninitialized element 6 at <func 4>:4");
  EXPECT_EQ(t.call("set_null", {i32(7)}), "trap out of bounds table access at <func 6>:6");
  EXPECT_EQ(t.call("copy", {i32(4), i32(0), i32(3)}), "()");
  EXPECT_EQ(t.call("call", {i32(6)}), "i32:2");
  EXPECT_EQ(t.call("copy", {i32(5), i32(0), i32(3)}), "trap out of bounds table access at <func 8>:8");
  EXPECT_EQ(t.call("fill", {i32(5), i32(2)}), "()");
  EXPECT_EQ(t.call("fill", {i32(6), i32(2)}), "trap out of bounds table access at <func 7>:7");
  EXPECT_EQ(t.call("drop"), "()");
  EXPECT_EQ(t.call("init", {i32(0), i32(0), i32(0)}), "()");
  EXPECT_EQ(t.call("init", {i32(0), i32(0), i32(1)}), "trap out of bounds table access at <func 9>:9");
  EXPECT_EQ(t.call("ext", {Value::externref(0x55)}), "i32:0");
  EXPECT_EQ(t.call("ext", {Value::null(ValType::ExternRef)}), "i32:1");
  EXPECT_EQ(t.call("ext_grow"), "i32:2");
  for (int32_t i = 0; i < 7; ++i) EXPECT_EQ(t.call("is_null", {i32(i)}), "i32:0") << i;
}

TEST(AotOps, GlobalsOfEveryType) {
  Both t(R"((module
    (global $i (export "i") (mut i32) (i32.const -1))
    (global $l (mut i64) (i64.const 0x7fffffffffffffff))
    (global $f (mut f32) (f32.const nan:0x7))
    (global $d (mut f64) (f64.const -0))
    (global $c i32 (i32.const 5))
    (global $r (mut funcref) (ref.null func))
    (func $k (result i32) (global.get $c))
    (elem declare func $k)
    (func (export "get") (result i32 i64 f32 f64 i32)
      (global.get $i) (global.get $l) (global.get $f) (global.get $d) (ref.is_null (global.get $r)))
    (func (export "set")
      (global.set $i (i32.add (global.get $i) (global.get $c)))
      (global.set $l (i64.add (global.get $l) (i64.const 1)))
      (global.set $f (f32.neg (global.get $f)))
      (global.set $d (f64.add (global.get $d) (f64.const 0.5)))
      (global.set $r (ref.func $k)))))");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("get"), "i32:-1 i64:9223372036854775807 f32:2139095047 f64:9223372036854775808 i32:1");
  EXPECT_EQ(t.call("set"), "()");
  EXPECT_EQ(t.call("get"), "i32:4 i64:-9223372036854775808 f32:4286578695 f64:4602678819172646912 i32:0");
  EXPECT_EQ(t.ao.inst->find_export("i")->as_global()->get().as_u32(), 4u);
}

TEST(AotOps, MultiValueBlocksLoopsAndIfs) {
  Both t(R"((module
    (type $pair (func (param i32 i32) (result i32 i32)))
    (func $swap (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
    (func (export "block") (param i32 i32) (result i32 i32)
      (local.get 0) (local.get 1)
      (block (type $pair) (call $swap)))
    (func (export "if") (param i32 i32 i32) (result i32 i32)
      (local.get 0) (local.get 1)
      (if (type $pair) (local.get 2)
        (then (i32.add (i32.const 100)))
        (else (call $swap))))
    (func (export "if_no_else") (param i32 i32) (result i32 i32)
      ;; an if with parameters and no else passes them through
      (local.get 0) (i32.const 7)
      (if (param i32 i32) (result i32 i32) (local.get 1) (then (i32.mul (i32.const 3)))))
    (func (export "fib") (param i32) (result i64)
      ;; a loop whose parameters are the state: (a, b) -> (b, a + b)
      (i64.const 0) (i64.const 1)
      (loop $l (param i64 i64) (result i64 i64)
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (call $swap64)
        (br_if $l (local.get 0)))
      (drop))
    (func $swap64 (param i64 i64) (result i64 i64) (local.get 1) (i64.add (local.get 0) (local.get 1)))
    (func (export "br_out") (param i32) (result i32 i64 f32)
      ;; a branch out of nested blocks carrying several values
      (block $out (result i32 i64 f32)
        (block (result i32)
          (i32.const 1) (i64.const 2) (f32.const 3)
          (br_if $out (local.get 0))
          (drop) (drop) (drop)
          (i32.const 4))
        (i64.const 5) (f32.const 6)))))");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("block", {i32(1), i32(2)}), "i32:2 i32:1");
  EXPECT_EQ(t.call("if", {i32(1), i32(2), i32(1)}), "i32:1 i32:102");
  EXPECT_EQ(t.call("if", {i32(1), i32(2), i32(0)}), "i32:2 i32:1");
  EXPECT_EQ(t.call("if_no_else", {i32(5), i32(1)}), "i32:5 i32:21");
  EXPECT_EQ(t.call("if_no_else", {i32(5), i32(0)}), "i32:5 i32:7");
  EXPECT_EQ(t.call("fib", {i32(50)}), "i64:12586269025");
  EXPECT_EQ(t.call("br_out", {i32(1)}), "i32:1 i64:2 f32:1077936128");
  EXPECT_EQ(t.call("br_out", {i32(0)}), "i32:4 i64:5 f32:1086324736");
}

TEST(AotOps, BrTableWithLoopAndBlockTargets) {
  Both t(R"((module
    (func (export "dispatch") (param i32) (result i32) (local i32)
      ;; each round: a state machine over br_table, the loop as one target
      (block $done
        (loop $top
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (block $c
            (block $b
              (block $a
                (br_table $a $b $c $top $done (local.get 0)))
              ;; a: go to state 2
              (local.set 0 (i32.const 2))
              (br $top))
            ;; b: go to state 4 (done) via the default
            (local.set 0 (i32.const 9))
            (br $top))
          ;; c: to state 1
          (local.set 0 (i32.const 1))
          (br $top)))
      (local.get 1))
    (func (export "values") (param i32) (result i32)
      ;; br_table carrying a value to blocks of one result
      (block $x (result i32)
        (block $y (result i32)
          (br_table $x $y $x (i32.const 10) (local.get 0)))
        (i32.add (i32.const 5))))
    (func (export "to_loop") (param i32) (result i32) (local i32)
      ;; a br_table whose targets and default are the loop, but for 0
      (block $out
        (loop $l
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br_table $out $l $l $l (local.get 0))))
      (local.get 1))))");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("dispatch", {i32(0)}), "i32:4");  // a -> c -> b -> done
  EXPECT_EQ(t.call("dispatch", {i32(4)}), "i32:1");
  EXPECT_EQ(t.call("dispatch", {i32(-1)}), "i32:1");
  EXPECT_EQ(t.call("values", {i32(0)}), "i32:10");
  EXPECT_EQ(t.call("values", {i32(1)}), "i32:15");
  EXPECT_EQ(t.call("values", {i32(7)}), "i32:10");
  EXPECT_EQ(t.call("to_loop", {i32(10)}), "i32:10");
}

TEST(AotOps, SelectOfEveryType) {
  Both t(R"((module
    (func (export "i") (param i32 i32 i32) (result i32) (select (local.get 0) (local.get 1) (local.get 2)))
    (func (export "l") (param i64 i64 i32) (result i64) (select (local.get 0) (local.get 1) (local.get 2)))
    (func (export "f") (param f32 f32 i32) (result f32) (select (local.get 0) (local.get 1) (local.get 2)))
    (func (export "d") (param f64 f64 i32) (result f64) (select (result f64) (local.get 0) (local.get 1) (local.get 2)))
    (func (export "r") (param i32) (result i32)
      (ref.is_null (select (result externref) (ref.null extern) (ref.null extern) (local.get 0))))))");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("i", {i32(1), i32(2), i32(0)}), "i32:2");
  EXPECT_EQ(t.call("i", {i32(1), i32(2), i32(-5)}), "i32:1");
  EXPECT_EQ(t.call("l", {Value::i64(1), Value::i64(2), i32(1)}), "i64:1");
  // NaN payloads go through unchanged.
  EXPECT_EQ(t.call("f", {Value::f32_bits(0x7f800001), Value::f32(1), i32(1)}), "f32:2139095041");
  EXPECT_EQ(t.call("d", {Value::f64(1), Value::f64_bits(0xfff0000000000001), i32(0)}), "f64:18442240474082181121");
  EXPECT_EQ(t.call("r", {i32(0)}), "i32:1");
}

TEST(AotOps, MemoriesOtherThanZero) {
  Both t(R"((module
    (memory $a (export "a") 1)
    (memory $b (export "b") 1 2)
    (data (memory $b) (i32.const 8) "\2a")
    (func (export "load1") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
    (func (export "store1") (param i32 i32) (i64.store16 $b offset=2 (local.get 0) (i64.extend_i32_u (local.get 1))))
    (func (export "size1") (result i32) (memory.size $b))
    (func (export "grow1") (param i32) (result i32) (memory.grow $b (local.get 0)))
    (func (export "copy") (param i32 i32 i32) (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
    (func (export "fill1") (param i32 i32) (memory.fill $b (local.get 0) (i32.const 0xee) (local.get 1)))
    (func (export "load0") (param i32) (result i32) (i32.load8_u $a (local.get 0)))))");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("load1", {i32(8)}), "i32:42");
  EXPECT_EQ(t.call("load0", {i32(8)}), "i32:0");
  EXPECT_EQ(t.call("store1", {i32(65534), i32(1)}), "trap out of bounds memory access at <func 1>:1");
  EXPECT_EQ(t.call("store1", {i32(65532), i32(0x1234)}), "()");
  EXPECT_EQ(t.call("load1", {i32(65535)}), "i32:18");
  EXPECT_EQ(t.call("load1", {i32(65536)}), "trap out of bounds memory access at <func 0>:0");
  EXPECT_EQ(t.call("grow1", {i32(1)}), "i32:1");
  EXPECT_EQ(t.call("size1"), "i32:2");
  EXPECT_EQ(t.call("load1", {i32(65536)}), "i32:0");
  EXPECT_EQ(t.call("grow1", {i32(1)}), "i32:-1");
  EXPECT_EQ(t.call("fill1", {i32(131070), i32(2)}), "()");
  EXPECT_EQ(t.call("copy", {i32(0), i32(131070), i32(2)}), "()");
  EXPECT_EQ(t.call("load0", {i32(1)}), "i32:238");
  EXPECT_EQ(t.call("copy", {i32(65535), i32(0), i32(2)}), "trap out of bounds memory access at <func 4>:4");
  t.expect_same_memory(0);
  t.expect_same_memory(1);
}

}  // namespace
}  // namespace whirl::wasm
