// How script expectations match runtime values: exact bits for numbers,
// NaN classes per the spec's nan:canonical / nan:arithmetic.
#include <gtest/gtest.h>

#include "wasm/script/values.h"

namespace whirl::wasm::script {
namespace {

using Kind = text::WastValue::Kind;

text::WastValue wv(Kind k, ValType t, uint64_t bits = 0) { return {k, t, bits}; }

TEST(ScriptValues, NumbersMatchExactBits) {
  EXPECT_TRUE(matches(wv(Kind::I32, ValType::I32, 0xffffffff), Value::i32(0xffffffff)));
  EXPECT_FALSE(matches(wv(Kind::I32, ValType::I32, 1), Value::i64(1)));
  // +0 and -0 differ, and so do NaN payloads.
  EXPECT_FALSE(matches(wv(Kind::F32, ValType::F32, 0x80000000), Value::f32_bits(0)));
  EXPECT_FALSE(matches(wv(Kind::F64, ValType::F64, 0x7ff8000000000001), Value::f64_bits(0x7ff8000000000000)));
}

TEST(ScriptValues, CanonicalNanIgnoresSignOnly) {
  auto canon32 = wv(Kind::NanCanonical, ValType::F32);
  EXPECT_TRUE(matches(canon32, Value::f32_bits(0x7fc00000)));
  EXPECT_TRUE(matches(canon32, Value::f32_bits(0xffc00000)));
  EXPECT_FALSE(matches(canon32, Value::f32_bits(0x7fc00001)));
  EXPECT_FALSE(matches(canon32, Value::f64_bits(0x7ff8000000000000)));
  auto canon64 = wv(Kind::NanCanonical, ValType::F64);
  EXPECT_TRUE(matches(canon64, Value::f64_bits(0xfff8000000000000)));
  EXPECT_FALSE(matches(canon64, Value::f64_bits(0x7ff4000000000000)));
}

TEST(ScriptValues, ArithmeticNanNeedsQuietBit) {
  auto arith32 = wv(Kind::NanArithmetic, ValType::F32);
  EXPECT_TRUE(matches(arith32, Value::f32_bits(0x7fc00001)));
  EXPECT_TRUE(matches(arith32, Value::f32_bits(0xffffffff)));
  EXPECT_FALSE(matches(arith32, Value::f32_bits(0x7f800001)));  // signalling
  EXPECT_FALSE(matches(arith32, Value::f32_bits(0x7f800000)));  // infinity
  auto arith64 = wv(Kind::NanArithmetic, ValType::F64);
  EXPECT_TRUE(matches(arith64, Value::f64_bits(0x7ff8000000000123)));
  EXPECT_FALSE(matches(arith64, Value::f64_bits(0x7ff0000000000001)));
}

TEST(ScriptValues, References) {
  auto ext = wv(Kind::RefExtern, ValType::ExternRef, 0);
  EXPECT_TRUE(matches(ext, to_value(ext)));
  EXPECT_FALSE(matches(ext, Value::null(ValType::ExternRef)));
  EXPECT_FALSE(matches(wv(Kind::RefExtern, ValType::ExternRef, 1), to_value(ext)));
  EXPECT_TRUE(matches(wv(Kind::RefNull, ValType::FuncRef), Value::null(ValType::FuncRef)));
  EXPECT_FALSE(matches(wv(Kind::RefNull, ValType::FuncRef), Value::null(ValType::ExternRef)));
  EXPECT_FALSE(matches(wv(Kind::RefFunc, ValType::FuncRef), Value::null(ValType::FuncRef)));
}

}  // namespace
}  // namespace whirl::wasm::script
