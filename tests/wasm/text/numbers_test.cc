// Numeric literals: integer ranges, float rounding, NaN payloads.
#include <gtest/gtest.h>

#include <cstring>

#include "wasm/text/numbers.h"

namespace whirl::wasm::text {
namespace {

uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
uint64_t bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

TEST(Numbers, IntegerRanges) {
  EXPECT_EQ(parse_int("4294967295", 32), 0xffffffffu);
  EXPECT_EQ(parse_int("-2147483648", 32), 0x80000000u);
  EXPECT_FALSE(parse_int("4294967296", 32));
  EXPECT_FALSE(parse_int("-2147483649", 32));
  EXPECT_EQ(parse_int("0x1_0000", 32), 0x10000u);
  EXPECT_EQ(parse_int("-0x8000_0000_0000_0000", 64), 0x8000000000000000ull);
  EXPECT_EQ(parse_int("18446744073709551615", 64), ~0ull);
  EXPECT_FALSE(parse_int("18446744073709551616", 64));
  EXPECT_FALSE(parse_int("1__0", 32));
  EXPECT_FALSE(parse_int("_1", 32));
  EXPECT_FALSE(parse_int("0x", 32));
  EXPECT_FALSE(parse_uint("+1", 32));
}

TEST(Numbers, FloatsRoundToNearestEven) {
  EXPECT_EQ(parse_f32("0.1"), bits(0.1f));
  EXPECT_EQ(parse_f64("0.1"), bits(0.1));
  EXPECT_EQ(parse_f32("-0"), 0x80000000u);
  EXPECT_EQ(parse_f32("0x1p-149"), 1u);  // smallest subnormal
  // Halfway between 1 and the next float rounds to even (1).
  EXPECT_EQ(parse_f32("0x1.000001p0"), 0x3f800000u);
  EXPECT_EQ(parse_f32("0x1.000003p0"), 0x3f800002u);
  // Largest finite value, and one just below the overflow threshold.
  EXPECT_EQ(parse_f32("0x1.fffffep127"), 0x7f7fffffu);
  EXPECT_EQ(parse_f32("0x1.fffffefffffffffffp127"), 0x7f7fffffu);
  EXPECT_FALSE(parse_f32("0x1p128"));  // constant out of range
  EXPECT_FALSE(parse_f32("1e39"));
  EXPECT_EQ(parse_f64("1_000.5e0_1"), bits(10005.0));
}

TEST(Numbers, InfinityAndNan) {
  EXPECT_EQ(parse_f32("inf"), 0x7f800000u);
  EXPECT_EQ(parse_f32("-inf"), 0xff800000u);
  EXPECT_EQ(parse_f32("nan"), 0x7fc00000u);
  EXPECT_EQ(parse_f32("-nan:0x1"), 0xff800001u);
  EXPECT_EQ(parse_f64("nan:0xf_ffff_ffff_ffff"), 0x7fffffffffffffffull);
  EXPECT_FALSE(parse_f32("nan:0x0"));
  EXPECT_FALSE(parse_f32("nan:0x800000"));  // payload wider than the mantissa
}

}  // namespace
}  // namespace whirl::wasm::text
