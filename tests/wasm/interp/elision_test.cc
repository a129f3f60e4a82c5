// Instructions the compiler leaves out: identities (x + 0, x * 1, x & -1)
// and setting a declared local to zero where only the function's entry
// (which zeroed it) can have reached. Each case counts the ops left in the
// fused compilation and compares results with the plain compilation (one
// slot op per wasm op) over a grid of inputs. The "kept" cases are the ones
// where eliding would be wrong: a path that wrote the local, a loop header.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "wasm/binary/decoder.h"
#include "wasm/interp/code.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

// The plain slot code, from a fresh decode: load_module's module keeps no
// bodies to compile again.
Expected<std::shared_ptr<const CompiledModule>> compile_plain(const std::vector<uint8_t>& bytes) {
  auto m = decode_module(bytes);
  if (!m) return unexpected(std::move(m).error());
  return compile_module(std::make_shared<const Module>(std::move(*m)),
                        {.superinstructions = false, .translation = CompileOptions::Translation::Eager});
}

struct Case {
  const char* name;
  const char* op;  // the slot op counted in the fused code
  long count;      // how many of it the fused code has
  const char* body;  // of (param i32 i32) (result i64) (local $a i32) (local $b i64)
};

const Case kCases[] = {
    {"identities", "const", 0,
     "(i64.add (i64.xor (i64.shl (i64.extend_i32_u (i32.and (i32.mul (i32.or (i32.add (local.get 0) (i32.const 0))"
     " (i32.const 0)) (i32.const 1)) (i32.const -1))) (i64.const 0)) (i64.const 0))"
     " (i64.extend_i32_s (i32.shr_u (local.get 1) (i32.const 0))))"},
    {"identity_keeps_a_computed_value", "i32.add", 1,
     "(i64.extend_i32_u (i32.sub (i32.add (local.get 0) (local.get 1)) (i32.const 0)))"},
    {"zero_on_entry_path", "const", 0,
     "(local.set $a (i32.const 0)) (local.set $b (i64.const 0))"
     " (i64.add (i64.extend_i32_u (i32.add (local.get $a) (local.get 0))) (local.get $b))"},
    {"zero_after_early_exit", "const", 0,
     "(block (br_if 0 (i32.eqz (local.get 1))) (local.set 0 (i32.add (local.get 0) (local.get 1))))"
     " (local.set $a (i32.const 0))"
     " (loop $l (local.set $a (i32.add (local.get $a) (i32.const 3)))"
     "   (br_if $l (i32.lt_u (local.get $a) (i32.and (local.get 0) (i32.const 63)))))"
     " (i64.extend_i32_u (local.get $a))"},
    {"zero_kept_after_a_path_that_set_it", "const", 2,
     "(block (br_if 0 (i32.eqz (local.get 1))) (local.set $a (i32.const 5)))"
     " (local.set $b (i64.extend_i32_u (local.get $a))) (local.set $a (i32.const 0))"
     " (i64.add (local.get $b) (i64.extend_i32_u (i32.add (local.get $a) (local.get 0))))"},
    {"zero_kept_after_a_branch_that_set_it", "const", 2,
     "(block (local.set $a (local.get 0)) (br_if 0 (local.get 1)) (local.set $a (i32.const 9)))"
     " (local.set $b (i64.extend_i32_u (local.get $a))) (local.set $a (i32.const 0))"
     " (i64.add (local.get $b) (i64.extend_i32_u (i32.add (local.get $a) (local.get 1))))"},
    {"zero_in_else_kept_after_if", "const", 2,
     "(if (local.get 0) (then (local.set $a (i32.const 3))) (else (local.set $a (i32.const 0))))"
     " (local.set $b (i64.extend_i32_u (local.get $a))) (local.set $a (i32.const 0))"
     " (i64.add (local.get $b) (i64.extend_i32_u (i32.add (local.get $a) (local.get 1))))"},
    {"zero_kept_in_else_after_a_write", "const", 1,
     "(local.set $a (local.get 0))"
     " (if (local.get 1) (then (local.set $a (i32.add (local.get $a) (i32.const 2)))) (else (local.set $a (i32.const 0))))"
     " (i64.extend_i32_u (local.get $a))"},
    {"zero_kept_in_loop", "const", 1,
     "(loop $l (local.set $a (i32.const 0))"
     "   (local.set $a (i32.add (local.get $a) (local.get 1)))"
     "   (local.set $b (i64.add (local.get $b) (i64.extend_i32_u (local.get $a))))"
     "   (local.set 0 (i32.shr_u (local.get 0) (i32.const 1)))"
     "   (br_if $l (local.get 0)))"
     " (local.get $b)"},
};

uint64_t run(const std::shared_ptr<const CompiledModule>& m, uint32_t x, uint32_t y) {
  auto store = Store::create({});
  auto inst = store->instantiate(m, {});
  EXPECT_TRUE(inst);
  if (!inst) return 0;
  auto r = store->invoke((*inst)->find_export("f")->as_func(), std::vector<Value>{Value::i32(x), Value::i32(y)});
  EXPECT_TRUE(r);
  return r ? (*r)[0].bits : 0;
}

class Elision : public testing::TestWithParam<Case> {};

TEST_P(Elision, LeavesOutOnlyWhatChangesNothing) {
  const Case& c = GetParam();
  std::string text = std::string("(module (func (export \"f\") (param i32 i32) (result i64) (local $a i32) (local $b i64) ") +
                     c.body + "))";
  auto bytes = text::wat_to_binary(text);
  ASSERT_TRUE(bytes) << bytes.error().message << "\n" << text;
  auto fused = load_module(*bytes, nullptr, {.translation = CompileOptions::Translation::Eager});
  ASSERT_TRUE(fused) << fused.error().message;
  auto plain = compile_plain(*bytes);
  ASSERT_TRUE(plain);
  const auto& impl = static_cast<const interp::CompiledModuleImpl&>(**fused);
  const auto& ops = impl.funcs[0].ops;
  EXPECT_EQ(std::count_if(ops.begin(), ops.end(), [&](uint16_t op) { return interp::slot_op_name(op) == c.op; }),
            c.count);
  for (uint32_t x : {0u, 1u, 2u, 5u, 77u, 0x80000000u, 0xffffffffu})
    for (uint32_t y : {0u, 1u, 3u, 0xfffffffeu}) ASSERT_EQ(run(*fused, x, y), run(*plain, x, y)) << x << " " << y;
}

INSTANTIATE_TEST_SUITE_P(Interp, Elision, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace whirl::wasm
