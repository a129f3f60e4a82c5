// The "name" custom section.
#include <gtest/gtest.h>

#include "test_util.h"

namespace whirl::wasm::testing {
namespace {

Bytes subsection(uint8_t id, const Bytes& contents) { return section(id, contents); }
Bytes naming(uint32_t index, std::string_view name) { return cat({uleb(index), str(name)}); }
Bytes name_section(std::initializer_list<Bytes> subsections) {
  Bytes c = str("name");
  for (const auto& s : subsections) append(c, s);
  return section(0, c);
}

Module decode_ok(const Bytes& b) {
  auto m = decode_module(b);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  return m ? std::move(*m) : Module{};
}

TEST(NameSection, ReadWhenCustomSectionsAreLeftOut) {
  auto m = decode_module(module({name_section({subsection(1, vec({naming(2, "kept")}))})}), nullptr,
                         Features::process_default(), /*bodies=*/true, /*customs=*/false);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->func_name(2), "kept");
  EXPECT_TRUE(m->customs.empty());
}

TEST(NameSection, ModuleAndFunctionNames) {
  Module m = decode_ok(module({name_section({subsection(0, str("my module")),
                                             subsection(1, vec({naming(0, "main"), naming(3, "helper")})),
                                             subsection(2, vec({cat({{0x00}, vec({naming(0, "x")})})}))})}));
  EXPECT_EQ(m.module_name, "my module");
  ASSERT_EQ(m.func_names.size(), 2u);
  EXPECT_EQ(m.func_name(0), "main");
  EXPECT_EQ(m.func_name(3), "helper");
  EXPECT_EQ(m.func_name(1), "");
  ASSERT_EQ(m.customs.size(), 1u);  // still kept as a custom section
  EXPECT_EQ(m.customs[0].name, "name");
}

TEST(NameSection, OnlyFunctionNames) {
  Module m = decode_ok(module({name_section({subsection(1, vec({naming(7, "f")}))})}));
  EXPECT_FALSE(m.module_name);
  EXPECT_EQ(m.func_name(7), "f");
}

TEST(NameSection, EmptyAndUnknownSubsections) {
  Module m = decode_ok(module({name_section({})}));
  EXPECT_FALSE(m.module_name);
  m = decode_ok(module({name_section({subsection(0, str("m")), subsection(7, {0xde, 0xad})})}));
  EXPECT_EQ(m.module_name, "m");
}

TEST(NameSection, MalformedIsIgnoredNotAnError) {
  const std::vector<Bytes> broken = {
      {0x01},                                                     // truncated subsection header
      cat({subsection(0, str("m")), {0x01, 0x7f}}),               // size beyond the section
      subsection(0, {0x05, 'a'}),                                 // name longer than subsection
      subsection(0, cat({str("m"), {0x00}})),                     // junk after the module name
      subsection(0, {0x01, 0xff}),                                // invalid UTF-8
      cat({subsection(1, vec({naming(0, "a")})), subsection(0, str("m"))}),  // out of order
      cat({subsection(0, str("a")), subsection(0, str("b"))}),    // duplicate
      subsection(1, vec({naming(2, "a"), naming(1, "b")})),       // indices not increasing
      subsection(1, vec({naming(2, "a"), naming(2, "b")})),       // duplicate index
      subsection(1, {0x02, 0x00, 0x01, 'a'}),                     // fewer namings than declared
      subsection(1, {0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}),  // LEB too long
  };
  for (const auto& contents : broken) {
    Bytes c = str("name");
    append(c, contents);
    Module m = decode_ok(module({section(0, c)}));
    EXPECT_FALSE(m.module_name);
    EXPECT_TRUE(m.func_names.empty());
    EXPECT_EQ(m.customs.size(), 1u);
  }
}

TEST(NameSection, FirstOneWins) {
  Module m = decode_ok(module({name_section({subsection(0, str("first"))}),
                               name_section({subsection(0, str("second"))})}));
  EXPECT_EQ(m.module_name, "first");
  EXPECT_EQ(m.customs.size(), 2u);
}

TEST(NameSection, CustomSectionNameMustBeUtf8) {
  // The only check the spec makes on custom sections.
  EXPECT_DECODE_ERROR(module({section(0, {0x02, 0xc3, 0x28})}), "malformed UTF-8 encoding");
}

}  // namespace
}  // namespace whirl::wasm::testing
