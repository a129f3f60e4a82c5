// lift_flat / lower_flat and the parameter/result lists: the core values
// worked out by hand from CanonicalABI.md's "Flat Lifting" and "Flat
// Lowering", variant payloads coerced to the joined types.
#include <gtest/gtest.h>

#include <cmath>

#include "component/abi/lift_lower.h"
#include "test_types.h"

namespace whirl::component::abi {
namespace {

using namespace test;
using V = std::vector<CoreValue>;

Expected<Value, Trap> lift(CallContext& cx, const V& vs, const ValType& t) {
  FlatReader in(vs);
  auto v = lift_flat(cx, in, t);
  if (v && !in.done()) return unexpected(Trap{"core values left over"});
  return v;
}

V lower(CallContext& cx, const Value& v, const ValType& t) {
  V out;
  auto r = lower_flat(cx, v, t, out);
  EXPECT_TRUE(r) << r.error().message;
  return out;
}

TEST(AbiFlat, IntegersWrapAndSignExtend) {
  HeapContext cx(0);
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0x1FF)}, *u8()), Value::uint(TypeKind::U8, 0xFF));
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0x1FF)}, *s8()), Value::sint(TypeKind::S8, -1));
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0x18000)}, *s16()), Value::sint(TypeKind::S16, -32768));
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0xFFFFFFFF)}, *s32()), Value::sint(TypeKind::S32, -1));
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0xFFFFFFFF)}, *u32()), Value::uint(TypeKind::U32, 0xFFFFFFFF));
  EXPECT_EQ(*lift(cx, {CoreValue::i64(~uint64_t(0))}, *s64()), Value::sint(TypeKind::S64, -1));
  EXPECT_EQ(lower(cx, Value::sint(TypeKind::S8, -1), *s8()), (V{CoreValue::i32(0xFFFFFFFF)}));
  EXPECT_EQ(lower(cx, Value::sint(TypeKind::S16, -2), *s16()), (V{CoreValue::i32(0xFFFFFFFE)}));
  EXPECT_EQ(lower(cx, Value::sint(TypeKind::S64, -2), *s64()), (V{CoreValue::i64(0xFFFFFFFFFFFFFFFE)}));
  EXPECT_EQ(lower(cx, Value::uint(TypeKind::U16, 65535), *u16()), (V{CoreValue::i32(65535)}));
}

TEST(AbiFlat, BoolCharFloats) {
  HeapContext cx(0);
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0)}, *boolean()), Value::boolean(false));
  EXPECT_EQ(*lift(cx, {CoreValue::i32(2)}, *boolean()), Value::boolean(true));
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0x80000000)}, *boolean()), Value::boolean(true));
  EXPECT_EQ(lower(cx, Value::boolean(true), *boolean()), (V{CoreValue::i32(1)}));
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0x1F600)}, *chr()), Value::character(0x1F600));
  EXPECT_FALSE(lift(cx, {CoreValue::i32(0xD800)}, *chr()));
  EXPECT_FALSE(lift(cx, {CoreValue::i32(0xDFFF)}, *chr()));
  EXPECT_FALSE(lift(cx, {CoreValue::i32(0x110000)}, *chr()));
  auto nan = lift(cx, {CoreValue{CoreType::F32, 0xFFC00123}}, *f32());
  ASSERT_TRUE(nan);
  EXPECT_EQ(std::bit_cast<uint32_t>(nan->f32), 0x7FC00000u);
  EXPECT_EQ(lower(cx, Value::float64(std::bit_cast<double>(uint64_t(0x7FF0000000000001))), *f64()),
            (V{CoreValue{CoreType::F64, 0x7FF8000000000000}}));
  EXPECT_EQ(lower(cx, Value::float32(0.5f), *f32()), (V{CoreValue::f32(0.5f)}));
}

TEST(AbiFlat, RecordWithString) {
  auto t = record({{"a", u8()}, {"b", s16()}, {"c", f32()}, {"d", str()}});
  HeapContext cx(32, StringEncoding::Utf8, 8);
  Value v = Value::record({{"a", Value::uint(TypeKind::U8, 1)},
                           {"b", Value::sint(TypeKind::S16, -1)},
                           {"c", Value::float32(1.5f)},
                           {"d", Value::string("h\xC3\xA9")}});
  V flat = lower(cx, v, *t);
  EXPECT_EQ(flat, (V{CoreValue::i32(1), CoreValue::i32(0xFFFFFFFF), CoreValue::f32(1.5f), CoreValue::i32(8),
                     CoreValue::i32(3)}));
  EXPECT_EQ(*lift(cx, flat, *t), v);
}

TEST(AbiFlat, VariantPayloadsAreCoercedToJoinedTypes) {
  HeapContext cx(0);
  // variant { a(f32), b(u64), c } flattens to [i32, i64].
  auto t = variant({{"a", f32()}, {"b", u64()}, {"c", nullptr}});
  V a = lower(cx, Value::variant("a", Value::float32(1.5f)), *t);
  EXPECT_EQ(a, (V{CoreValue::i32(0), CoreValue::i64(0x3FC00000)}));
  EXPECT_EQ(*lift(cx, a, *t), Value::variant("a", Value::float32(1.5f)));
  V b = lower(cx, Value::variant("b", Value::uint(TypeKind::U64, 5)), *t);
  EXPECT_EQ(b, (V{CoreValue::i32(1), CoreValue::i64(5)}));
  EXPECT_EQ(lower(cx, Value::variant("c"), *t), (V{CoreValue::i32(2), CoreValue::i64(0)}));
  // i64 -> f32 takes the low 32 bits.
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0), CoreValue::i64(0xDEADBEEF3FC00000)}, *t),
            Value::variant("a", Value::float32(1.5f)));
  EXPECT_FALSE(lift(cx, {CoreValue::i32(3), CoreValue::i64(0)}, *t));  // bad discriminant

  // result<f64, f32>: [i32, i64].
  auto r = result(f64(), f32());
  EXPECT_EQ(lower(cx, Value::err(Value::float32(-2)), *r), (V{CoreValue::i32(1), CoreValue::i64(0xC0000000)}));
  EXPECT_EQ(lower(cx, Value::ok(Value::float64(2.5)), *r),
            (V{CoreValue::i32(0), CoreValue::i64(std::bit_cast<uint64_t>(2.5))}));
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0), CoreValue::i64(std::bit_cast<uint64_t>(2.5))}, *r),
            Value::ok(Value::float64(2.5)));

  // variant { a(u32), b(f32) }: [i32, i32]; f32 travels as its bits.
  auto t2 = variant({{"a", u32()}, {"b", f32()}});
  EXPECT_EQ(lower(cx, Value::variant("b", Value::float32(1)), *t2), (V{CoreValue::i32(1), CoreValue::i32(0x3F800000)}));
  EXPECT_EQ(*lift(cx, {CoreValue::i32(1), CoreValue::i32(0x3F800000)}, *t2), Value::variant("b", Value::float32(1)));

  // option<tuple<u8, f64>> none: the payload is zeros of the payload types.
  auto o = option(tuple({u8(), f64()}));
  EXPECT_EQ(lower(cx, Value::none(), *o), (V{CoreValue::i32(0), CoreValue::i32(0), CoreValue{CoreType::F64, 0}}));
  // A short payload skips the remaining flat values.
  auto t3 = variant({{"a", u8()}, {"b", tuple({u64(), u64()})}});
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0), CoreValue::i64(7), CoreValue::i64(9)}, *t3),
            Value::variant("a", Value::uint(TypeKind::U8, 7)));
  EXPECT_FALSE(lift(cx, {CoreValue::i32(5), CoreValue::i64(7), CoreValue::i64(9)}, *t3));
}

TEST(AbiFlat, FlagsAndEnums) {
  HeapContext cx(0);
  auto f = flags({"a", "b", "c"});
  EXPECT_EQ(*lift(cx, {CoreValue::i32(0xFFFFFFFA)}, *f), Value::flags({"b"}));
  EXPECT_EQ(lower(cx, Value::flags({"c", "a"}), *f), (V{CoreValue::i32(5)}));
  auto e = enumeration({"red", "green"});
  EXPECT_EQ(lower(cx, Value::enumeration("green"), *e), (V{CoreValue::i32(1)}));
  EXPECT_FALSE(lift(cx, {CoreValue::i32(2)}, *e));
}

TEST(AbiFlat, ListsGoThroughMemory) {
  HeapContext cx(64, StringEncoding::Utf8, 8);
  auto t = list(u16());
  Value v = Value::list({Value::uint(TypeKind::U16, 1), Value::uint(TypeKind::U16, 2)});
  V flat = lower(cx, v, *t);
  EXPECT_EQ(flat, (V{CoreValue::i32(8), CoreValue::i32(2)}));
  EXPECT_EQ(cx.calls, (std::vector<ReallocCall>{{0, 0, 2, 4, 8}}));
  EXPECT_EQ(*lift(cx, flat, *t), v);
  EXPECT_FALSE(lift(cx, {CoreValue::i32(9), CoreValue::i32(1)}, *t));   // misaligned
  EXPECT_FALSE(lift(cx, {CoreValue::i32(62), CoreValue::i32(2)}, *t));  // out of bounds
  // Fixed-length lists are flat.
  auto fixed = list(u8(), 2);
  EXPECT_EQ(lower(cx, Value::list({Value::uint(TypeKind::U8, 3), Value::uint(TypeKind::U8, 4)}), *fixed),
            (V{CoreValue::i32(3), CoreValue::i32(4)}));
}

TEST(AbiFlat, ReaderChecksCoreTypes) {
  HeapContext cx(0);
  EXPECT_FALSE(lift(cx, {CoreValue::i64(1)}, *u32()));
  EXPECT_FALSE(lift(cx, {}, *u32()));
  EXPECT_FALSE(lift(cx, {CoreValue::i32(1), CoreValue::i32(2)}, *u32()));  // left over (our helper)
}

TEST(AbiFlat, ParamsBeyondSixteenGoThroughMemory) {
  std::vector<ValTypePtr> ts(17, u32());
  std::vector<Value> vs;
  for (uint32_t i = 0; i < 17; ++i) vs.push_back(Value::uint(TypeKind::U32, i * 10));
  HeapContext cx(256, StringEncoding::Utf8, 16);
  // Lowering: realloc'd (68 bytes, align 4) and passed as one pointer.
  auto flat = lower_flat_values(cx, kMaxFlatParams, vs, ts);
  ASSERT_TRUE(flat);
  EXPECT_EQ(*flat, (V{CoreValue::i32(16)}));
  EXPECT_EQ(cx.calls, (std::vector<ReallocCall>{{0, 0, 4, 68, 16}}));
  EXPECT_EQ(cx.bytes[16 + 4 * 16], 160);
  FlatReader in(*flat);
  auto back = lift_flat_values(cx, kMaxFlatParams, in, ts);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, vs);
  // 16 stay flat.
  std::vector<ValTypePtr> ts16(16, u32());
  auto flat16 = lower_flat_values(cx, kMaxFlatParams, std::span(vs).first(16), ts16);
  ASSERT_TRUE(flat16);
  EXPECT_EQ(flat16->size(), 16u);
  // A misaligned or out-of-bounds pointer traps.
  V bad{CoreValue::i32(18)};
  FlatReader in2(bad);
  EXPECT_FALSE(lift_flat_values(cx, kMaxFlatParams, in2, ts));
  V oob{CoreValue::i32(192)};
  FlatReader in3(oob);
  EXPECT_FALSE(lift_flat_values(cx, kMaxFlatParams, in3, ts));
}

TEST(AbiFlat, ResultsBeyondOneUseTheCallersPointer) {
  std::vector<ValTypePtr> ts{str()};
  std::vector<Value> vs{Value::string("ok")};
  HeapContext cx(64, StringEncoding::Utf8, 32);
  // canon lower: the caller passes where to put the result.
  auto flat = lower_flat_values(cx, kMaxFlatResults, vs, ts, 8);
  ASSERT_TRUE(flat);
  EXPECT_TRUE(flat->empty());
  EXPECT_EQ(cx.bytes[8], 32);
  EXPECT_EQ(cx.bytes[12], 2);
  EXPECT_FALSE(lower_flat_values(cx, kMaxFlatResults, vs, ts, 6));   // misaligned
  EXPECT_FALSE(lower_flat_values(cx, kMaxFlatResults, vs, ts, 60));  // out of bounds
  // canon lift: the callee returns a pointer to (ptr, len).
  V ret{CoreValue::i32(8)};
  FlatReader in(ret);
  auto back = lift_flat_values(cx, kMaxFlatResults, in, ts);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, vs);
}

TEST(AbiFlat, StringsInMemory64) {
  HeapContext cx(64, StringEncoding::Latin1Utf16, 8);
  cx.ptr_type = PtrType::I64;
  V flat = lower(cx, Value::string("\xE6\x97\xA5"), *str());  // 日
  EXPECT_EQ(flat, (V{CoreValue::i64(12), CoreValue::i64(1 | (uint64_t(1) << 63))}));
  EXPECT_EQ(to_string(*lift(cx, flat, *str())), "\"\xE6\x97\xA5\"");
  EXPECT_FALSE(lift(cx, {CoreValue::i32(14), CoreValue::i32(1)}, *str()));  // i32 where i64 is due
}

TEST(AbiValue, WaveText) {
  EXPECT_EQ(to_string(Value::boolean(true)), "true");
  EXPECT_EQ(to_string(Value::sint(TypeKind::S32, -7)), "-7");
  EXPECT_EQ(to_string(Value::float64(1)), "1.0");
  EXPECT_EQ(to_string(Value::float32(0.1f)), "0.1");
  EXPECT_EQ(to_string(Value::float64(NAN)), "nan");
  EXPECT_EQ(to_string(Value::float64(-INFINITY)), "-inf");
  EXPECT_EQ(to_string(Value::character('\'')), "'\\''");
  EXPECT_EQ(to_string(Value::character(0xE9)), "'\xC3\xA9'");
  EXPECT_EQ(to_string(Value::string("a\"b\\\n\x01")), "\"a\\\"b\\\\\\n\\u{1}\"");
  EXPECT_EQ(to_string(Value::list({})), "[]");
  EXPECT_EQ(to_string(Value::tuple({Value::uint(TypeKind::U8, 1), Value::string("a")})), "(1, \"a\")");
  EXPECT_EQ(to_string(Value::record({{"a", Value::uint(TypeKind::U8, 1)}, {"b", Value::string("x")}})),
            "{a: 1, b: \"x\"}");
  EXPECT_EQ(to_string(Value::some(Value::uint(TypeKind::U8, 3))), "some(3)");
  EXPECT_EQ(to_string(Value::none()), "none");
  EXPECT_EQ(to_string(Value::ok(Value::string("x"))), "ok(\"x\")");
  EXPECT_EQ(to_string(Value::ok()), "ok");
  EXPECT_EQ(to_string(Value::err(Value::enumeration("denied"))), "err(denied)");
  EXPECT_EQ(to_string(Value::variant("circle", Value::float32(2))), "circle(2.0)");
  EXPECT_EQ(to_string(Value::flags({"read", "write"})), "{read, write}");
  EXPECT_EQ(to_string(Value::flags({})), "{}");
  EXPECT_EQ(to_string(Value::own(3)), "own(3)");
  EXPECT_EQ(to_string(Value::borrow(1)), "borrow(1)");
}

TEST(AbiValue, Equality) {
  EXPECT_EQ(Value::flags({"a", "b"}), Value::flags({"b", "a"}));
  EXPECT_EQ(Value::string("x", StringSource::Utf16), Value::string("x"));
  EXPECT_EQ(Value::float32(NAN), Value::float32(-NAN));
  EXPECT_NE(Value::ok(), Value::err());
  EXPECT_NE(Value::uint(TypeKind::U8, 1), Value::uint(TypeKind::U16, 1));
  EXPECT_NE(Value::sint(TypeKind::S8, 1), Value::sint(TypeKind::S8, 2));
  EXPECT_NE(Value::record({{"a", Value::boolean(true)}}), Value::record({{"b", Value::boolean(true)}}));
  EXPECT_NE(Value::some(Value::none()), Value::none());
}

}  // namespace
}  // namespace whirl::component::abi
