// WAVE text read against a type: each case's expected value is built by
// hand, and printing it (to_string) gives back the canonical text.
#include "component/abi/wave.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_types.h"

namespace whirl::component::abi {
namespace {

using namespace test;

Value parse(std::string_view text, const ValTypePtr& t) {
  auto v = parse_wave(text, *t);
  EXPECT_TRUE(v.has_value()) << text << ": " << (v ? "" : v.error().message);
  return v ? *v : Value{};
}

std::string error_of(std::string_view text, const ValTypePtr& t) {
  auto v = parse_wave(text, *t);
  return v ? "(parsed)" : v.error().message;
}

TEST(Wave, Numbers) {
  EXPECT_EQ(parse("42", u8()), Value::uint(TypeKind::U8, 42));
  EXPECT_EQ(parse(" -7 ", s32()), Value::sint(TypeKind::S32, -7));
  EXPECT_EQ(parse("18446744073709551615", u64()), Value::uint(TypeKind::U64, UINT64_MAX));
  EXPECT_EQ(parse("-9223372036854775808", s64()), Value::sint(TypeKind::S64, INT64_MIN));
  EXPECT_EQ(parse("1.5", f64()), Value::float64(1.5));
  EXPECT_EQ(parse("-inf", f32()), Value::float32(-INFINITY));
  EXPECT_TRUE(std::isnan(parse("nan", f64()).f64));
  EXPECT_NE(error_of("256", u8()), "(parsed)");
  EXPECT_NE(error_of("-1", u32()), "(parsed)");
  EXPECT_NE(error_of("1x", s32()), "(parsed)");
}

TEST(Wave, TextAndChars) {
  EXPECT_EQ(parse(R"("h\u{e9}llo \"q\" \\ \n")", str()), Value::string("h\xc3\xa9llo \"q\" \\ \n"));
  EXPECT_EQ(parse("'\\''", chr()), Value::character('\''));
  EXPECT_EQ(parse("'\xe2\x98\x83'", chr()), Value::character(0x2603));
  EXPECT_NE(error_of("'ab'", chr()), "(parsed)");
  EXPECT_NE(error_of("\"open", str()), "(parsed)");
  EXPECT_NE(error_of(R"("\u{d800}")", str()), "(parsed)");
}

TEST(Wave, Compounds) {
  auto point = record({{"x", s32()}, {"y", s32()}, {"label", option(str())}});
  EXPECT_EQ(parse("{y: 2, x: -1}", point),
            Value::record({{"x", Value::sint(TypeKind::S32, -1)}, {"y", Value::sint(TypeKind::S32, 2)},
                           {"label", Value::none()}}));
  EXPECT_NE(error_of("{x: 1}", point), "(parsed)");  // y is not an option: it may not be left out
  EXPECT_EQ(parse("[1, 2, 3,]", list(u16())),
            Value::list({Value::uint(TypeKind::U16, 1), Value::uint(TypeKind::U16, 2), Value::uint(TypeKind::U16, 3)}));
  EXPECT_EQ(parse("[]", list(u16())), Value::list({}));
  EXPECT_EQ(parse("(true, \"a\")", tuple({boolean(), str()})), Value::tuple({Value::boolean(true), Value::string("a")}));
  auto shape = variant({{"circle", f64()}, {"none", nullptr}});
  EXPECT_EQ(parse("circle(2.0)", shape), Value::variant("circle", Value::float64(2.0)));
  EXPECT_EQ(parse("%none", shape), Value::variant("none"));
  EXPECT_EQ(parse("some(none)", option(option(u8()))), Value::some(Value::none()));
  EXPECT_EQ(parse("err(\"no\")", result(u8(), str())), Value::err(Value::string("no")));
  EXPECT_EQ(parse("ok", result(nullptr, str())), Value::ok());
  EXPECT_EQ(parse("{write, read}", flags({"read", "write", "exec"})), Value::flags({"read", "write"}));
  EXPECT_EQ(parse("blue", enumeration({"red", "blue"})), Value::enumeration("blue"));
  EXPECT_NE(error_of("green", enumeration({"red", "blue"})), "(parsed)");
}

TEST(Wave, PrintedValuesReadBack) {
  auto t = record({{"name", str()}, {"tags", list(enumeration({"a", "b"}))}, {"r", result(f32(), nullptr)}});
  Value v = Value::record({{"name", Value::string("x\ty")},
                           {"tags", Value::list({Value::enumeration("b")})},
                           {"r", Value::ok(Value::float32(0.25f))}});
  EXPECT_EQ(parse(to_string(v), t), v);
}

TEST(Wave, Calls) {
  auto c = parse_wave_call(" add(1, \"a,b\", [1, 2], {x: (1, 2)}) ");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->name, "add");
  EXPECT_EQ(c->args, (std::vector<std::string>{"1", "\"a,b\"", "[1, 2]", "{x: (1, 2)}"}));
  auto none = parse_wave_call("run()");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->args.empty());
  EXPECT_FALSE(parse_wave_call("add(1, [2)").has_value());
  EXPECT_FALSE(parse_wave_call("add").has_value());
}

}  // namespace
}  // namespace whirl::component::abi
