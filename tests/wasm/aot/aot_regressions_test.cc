// Translator bugs found by comparing the tiers, one test each: the module
// that showed it, under both tiers, with the spec's outcome.
#include <gtest/gtest.h>

#include "tiers.h"

namespace whirl::wasm {
namespace {

using aot_test::Both;

Value i32(int32_t v) { return Value::i32(uint32_t(v)); }

// LLVM takes stores for infallible; wasm stores trap when out of bounds,
// and what the stores before the trapping one wrote stays written. Each
// case stores, then traps in a later store of the same function; memory
// and globals after the trap must be the interpreter's.
const char* const kStoresBeforeATrap = R"((module
  (memory (export "mem") 1)
  (global $g (export "g") (mut i32) (i32.const 0))
  ;; Dead store elimination: the i64 store covers the byte store.
  (func (export "overwritten") (param i32)
    (i32.store8 (local.get 0) (i32.const 0xaa))
    (i64.store (local.get 0) (i64.const 0)))
  ;; Store merging: two adjacent byte stores became one 16-bit store.
  (func (export "adjacent") (param i32)
    (i32.store8 (local.get 0) (i32.const 1))
    (i32.store8 offset=1 (local.get 0) (i32.const 2)))
  (func (export "adjacent16") (param i32)
    (i32.store16 (local.get 0) (i32.const 0x0101))
    (i32.store16 offset=2 (local.get 0) (i32.const 0x0202)))
  ;; A global.set overwritten by a later one, a trapping store between.
  (func (export "global") (param i32)
    (global.set $g (i32.const 3))
    (i32.store offset=65536 (local.get 0) (i32.const 0))
    (global.set $g (i32.const 4)))
  ;; The same in a loop: each iteration's store must be there.
  (func (export "loop") (param i32)
    (loop $l
      (i32.store8 (local.get 0) (i32.const 9))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br $l)))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "get") (result i32) (global.get $g))))";

TEST(AotRegressions, StoresBeforeATrappingStoreStayWritten) {
  Both t(kStoresBeforeATrap);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("overwritten", {i32(65530)}), "trap out of bounds memory access at <func 0>:0");
  EXPECT_EQ(t.call("byte", {i32(65530)}), "i32:170");
  EXPECT_EQ(t.call("adjacent", {i32(65535)}), "trap out of bounds memory access at <func 1>:1");
  EXPECT_EQ(t.call("byte", {i32(65535)}), "i32:1");
  EXPECT_EQ(t.call("adjacent16", {i32(65533)}), "trap out of bounds memory access at <func 2>:2");
  EXPECT_EQ(t.call("byte", {i32(65533)}), "i32:1");
  EXPECT_EQ(t.call("global", {i32(8)}), "trap out of bounds memory access at <func 3>:3");
  EXPECT_EQ(t.call("get"), "i32:3");
  EXPECT_EQ(t.call("loop", {i32(65000)}), "trap out of bounds memory access at <func 4>:4");
  EXPECT_EQ(t.call("byte", {i32(65535)}), "i32:9");
  t.expect_same_memory();
}

}  // namespace
}  // namespace whirl::wasm
