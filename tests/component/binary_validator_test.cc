// The component validator on hand-built binaries: index spaces, type
// rules, names, instantiation arguments.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "component/binary/decoder.h"
#include "component/binary/validator.h"

namespace whirl::component {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes str(const std::string& s) { return cat({{uint8_t(s.size())}, Bytes(s.begin(), s.end())}); }
Bytes section(uint8_t id, const Bytes& c) {
  Bytes size;
  for (size_t n = c.size(); size.empty() || n; n >>= 7) size.push_back(uint8_t((n & 0x7f) | (n >> 7 ? 0x80 : 0)));
  return cat({{id}, size, c});
}
Bytes component(std::initializer_list<Bytes> sections) {
  Bytes out = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
  for (const auto& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

// "" if valid, else the validation error; decoding must succeed.
std::string check(const Bytes& b) {
  auto d = decode_component(b);
  if (!d) return "decode: " + d.error().message;
  auto v = validate_component(*d);
  return v ? "" : v.error().message;
}

const Bytes kFuncType = {0x40, 0x00, 0x01, 0x00};  // (func)

Bytes import_func(const std::string& name) { return cat({{0x00}, str(name), {0x01, 0x00}}); }

TEST(ComponentValidator, ImportNames) {
  EXPECT_EQ(check(component({section(7, cat({{0x01}, kFuncType})),
                             section(10, cat({{0x03}, import_func("a"), import_func("wasi:io/streams@0.2.0"),
                                              import_func("x:y/z")}))})),
            "");
  // wasmparser's messages: the name's, then what is wrong with it.
  for (auto [bad, why] : {std::pair{"1a", "`1a` is not in kebab case"},
                          {"a--b", "`a--b` is not in kebab case"},
                          {"aB", "`aB` is not in kebab case"},
                          {"wasi:io", "expected `/` after package name"},
                          {"[method]a", "failed to find `.` character"},
                          {"a:b/c/d", "trailing characters found: `/d`"}}) {
    std::string e = check(component({section(7, cat({{0x01}, kFuncType})), section(10, cat({{0x01}, import_func(bad)}))}));
    EXPECT_NE(e.find(std::string("import name `") + bad + "` is not a valid extern name: " + why), std::string::npos)
        << bad << ": " << e;
  }
  // Versions are semver (the semver crate's messages).
  for (auto [bad, why] : {std::pair{"wasi:io/streams@0.02", "invalid leading zero in minor version number"},
                          {"x:y/z@1.", "unexpected end of input while parsing minor version number"},
                          {"x:y/z@1.0.0-", "empty identifier segment in pre-release identifier"}}) {
    std::string e = check(component({section(7, cat({{0x01}, kFuncType})), section(10, cat({{0x01}, import_func(bad)}))}));
    EXPECT_NE(e.find(std::string("import name `") + bad + "` is not valid: invalid interface version: " + why),
              std::string::npos)
        << bad << ": " << e;
  }
}

TEST(ComponentValidator, StronglyUniqueNames) {
  // `foo` and `FOO` are the same kebab name.
  std::string e = check(component({section(7, cat({{0x01}, kFuncType})),
                                   section(10, cat({{0x02}, import_func("foo"), import_func("FOO")}))}));
  EXPECT_NE(e.find("import name `FOO` conflicts with previous name `foo`"), std::string::npos) << e;
  // Record field labels too.
  e = check(component({section(7, cat({{0x01, 0x72, 0x02}, str("a"), {0x79}, str("A"), {0x79}}))}));
  EXPECT_NE(e.find("record field name `A` conflicts with previous field name `a`"), std::string::npos) << e;
  e = check(component({section(7, cat({{0x01, 0x72, 0x01}, str(""), {0x79}}))}));
  EXPECT_NE(e.find("record field name cannot be empty"), std::string::npos) << e;
}

TEST(ComponentValidator, TypeReferences) {
  // own of a non-resource; borrow in a result; a valtype naming a func type.
  EXPECT_EQ(check(component({section(7, {0x02, 0x73, 0x69, 0x00})})), "at offset 0xc: type index 0 is not a resource type");
  EXPECT_EQ(check(component({section(7, cat({{0x03, 0x3f, 0x7f, 0x00, 0x68, 0x00, 0x40, 0x00, 0x00, 0x01}}))})),
            "at offset 0x10: function result cannot contain a `borrow` type");
  EXPECT_EQ(check(component({section(7, cat({{0x02}, kFuncType, {0x70, 0x00}}))})),
            "at offset 0xf: type index 0 is not a defined type");
  // A resource's rep must be i32 (i64 needs 🚝 cm64).
  EXPECT_EQ(check(component({section(7, {0x01, 0x3f, 0x7e, 0x00})})),
            "at offset 0xb: resources with `i64` require the `cm64` feature to be enabled");
}

TEST(ComponentValidator, CanonOptions) {
  // lower of an imported (func (param string)) needs a memory.
  Bytes type = cat({{0x01, 0x40, 0x01}, str("s"), {0x73, 0x01, 0x00}});
  std::string e = check(component({section(7, type), section(10, cat({{0x01}, import_func("f")})),
                                   section(8, {0x01, 0x01, 0x00, 0x00, 0x00})}));
  EXPECT_NE(e.find("canonical option `memory` is required"), std::string::npos) << e;
  // Conflicting encodings, repeated options.
  e = check(component({section(7, cat({{0x01}, kFuncType})), section(10, cat({{0x01}, import_func("f")})),
                       section(8, {0x01, 0x01, 0x00, 0x00, 0x02, 0x00, 0x01})}));
  EXPECT_NE(e.find("canonical encoding option `utf8` conflicts with option `utf16`"), std::string::npos) << e;
  e = check(component({section(7, cat({{0x01}, kFuncType})), section(10, cat({{0x01}, import_func("f")})),
                       section(8, {0x01, 0x01, 0x00, 0x00, 0x02, 0x06, 0x06})}));
  EXPECT_NE(e.find("canonical option `async` is specified more than once"), std::string::npos) << e;
  // A lift of a core function that does not exist.
  e = check(component({section(7, cat({{0x01}, kFuncType})), section(8, {0x01, 0x00, 0x00, 0x00, 0x00, 0x00})}));
  EXPECT_NE(e.find("unknown core function 0: function index out of bounds"), std::string::npos) << e;
  // lower with post-return.
  e = check(component({section(7, cat({{0x01}, kFuncType})), section(10, cat({{0x01}, import_func("f")})),
                       section(8, {0x01, 0x01, 0x00, 0x00, 0x01, 0x05, 0x00})}));
  EXPECT_NE(e.find("canonical option `post-return` cannot be specified for lowerings"), std::string::npos) << e;
}

TEST(ComponentValidator, InstantiationArguments) {
  // A nested component importing "x": (func) instantiated without it, then with a string type.
  Bytes nested = component({section(7, cat({{0x01}, kFuncType})), section(10, cat({{0x01}, import_func("x")}))});
  Bytes outer_missing = component({section(4, nested), section(5, {0x01, 0x00, 0x00, 0x00})});
  EXPECT_NE(check(outer_missing).find("missing import named `x`"), std::string::npos) << check(outer_missing);
  Bytes outer_wrong = component({section(4, nested), section(7, {0x01, 0x73}),
                                 section(5, cat({{0x01, 0x00, 0x00, 0x01}, str("x"), {0x03, 0x00}}))});
  EXPECT_NE(check(outer_wrong).find("type mismatch for import `x`: expected func, found type"), std::string::npos)
      << check(outer_wrong);
}

TEST(ComponentValidator, CoreModulesAreValidated) {
  // (module (func (result i32))) with an empty body: invalid core code.
  Bytes core = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00,
                0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b};
  std::string e = check(component({section(1, core)}));
  EXPECT_EQ(e.rfind("at offset 0xa: in core module: ", 0), 0u) << e;
}

TEST(ComponentValidator, ExportsIntroduceIndices) {
  // export "t" of type 0, then (list <type 1>) through the export's index.
  EXPECT_EQ(check(component({section(7, {0x01, 0x73}), section(11, cat({{0x01, 0x00}, str("t"), {0x03, 0x00, 0x00}})),
                             section(7, {0x01, 0x70, 0x01})})),
            "");
}

TEST(ComponentValidator, TypeSizeAndDepthAreBounded) {
  // Each tuple holds the previous one twice: 2^n nodes from n small types.
  Bytes types = {0x79};
  for (uint8_t i = 0; i < 30; ++i) types = cat({types, {0x6f, 0x02, i, i}});
  std::string e = check(component({section(7, cat({{31}, types}))}));
  EXPECT_NE(e.find("effective type size exceeds the limit of 1000000"), std::string::npos) << e;
  // (list (list ... u8)) 120 deep, one type each (indices as 2-byte s33s).
  Bytes lists = {0x7d};
  for (uint8_t i = 0; i < 120; ++i) lists = cat({lists, {0x70, uint8_t(i | 0x80), 0x00}});
  e = check(component({section(7, cat({{121}, lists}))}));
  EXPECT_NE(e.find("type nesting is too deep (implementation limit: 100)"), std::string::npos) << e;
}

TEST(ComponentValidator, LiftSignatureIsTheFlattenedType) {
  // (core module (func (export "f") (param i32))) lifted as (func): mismatch.
  Bytes core = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,
                0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 'f',  0x00, 0x00, 0x0a, 0x04, 0x01,
                0x02, 0x00, 0x0b};
  Bytes start = cat({section(1, core), section(2, {0x01, 0x00, 0x00, 0x00}),
                     section(6, cat({{0x01, 0x00, 0x00, 0x01, 0x00}, str("f")}))});
  std::string e = check(cat({component({start}), section(7, cat({{0x01}, kFuncType})),
                             section(8, {0x01, 0x00, 0x00, 0x00, 0x00, 0x00})}));
  EXPECT_NE(e.find("lowered parameter types `[]` do not match parameter types `[I32]` of core function 0"),
            std::string::npos)
      << e;
  // Lifted as (func (param "x" u32)): fine.
  Bytes u32_func = cat({{0x01, 0x40, 0x01}, str("x"), {0x79, 0x01, 0x00}});
  EXPECT_EQ(check(cat({component({start}), section(7, u32_func), section(8, {0x01, 0x00, 0x00, 0x00, 0x00, 0x00})})), "");
}

Bytes import_(const std::string& name, const Bytes& externtype) { return cat({{0x00}, str(name), externtype}); }
const Bytes kSubResource = {0x03, 0x01};  // (type (sub resource))

TEST(ComponentValidator, ImportedAndExportedTypesMustBeNamed) {
  // (type $r (record (field "x" u32))) (import "f" (func (result $r))): the
  // record is not imported itself.
  Bytes record = cat({{0x01, 0x72, 0x01}, str("x"), {0x79}});
  std::string e = check(component({section(7, record), section(7, {0x01, 0x40, 0x00, 0x00, 0x00}),
                                   section(10, cat({{0x01}, import_("f", {0x01, 0x01})}))}));
  EXPECT_NE(e.find("func not valid to be used as import"), std::string::npos) << e;
  // Through the index (import "r" (type (eq $r))) creates, it is.
  EXPECT_EQ(check(component({section(7, record), section(10, cat({{0x01}, import_("r", {0x03, 0x00, 0x00})})),
                             section(7, {0x01, 0x40, 0x00, 0x00, 0x01}),
                             section(10, cat({{0x01}, import_("f", {0x01, 0x02})}))})),
            "");
}

TEST(ComponentValidator, OuterAliasesMayNotCaptureResources) {
  Bytes nested = component({section(6, {0x01, 0x03, 0x02, 0x01, 0x00})});  // (alias outer 1 0 (type))
  std::string e = check(component({section(10, cat({{0x01}, import_("r", kSubResource)})), section(4, nested)}));
  EXPECT_NE(e.find("cannot alias outer type which transitively refers to resources not defined in the current component"),
            std::string::npos)
      << e;
  EXPECT_EQ(check(component({section(7, {0x01, 0x79}), section(4, nested)})), "");
}

TEST(ComponentValidator, AnnotatedNamesMatchTheirResource) {
  // (import "a" (type (sub resource))) (type (own 0)) (type (func (result 1)))
  Bytes start = cat({section(10, cat({{0x01}, import_("a", kSubResource)})),
                     section(7, {0x02, 0x69, 0x00, 0x40, 0x00, 0x00, 0x01})});
  EXPECT_EQ(check(cat({component({start}), section(10, cat({{0x01}, import_("[constructor]a", {0x01, 0x02})}))})), "");
  std::string e =
      check(cat({component({start}), section(10, cat({{0x01}, import_("[constructor]b", {0x01, 0x02})}))}));
  EXPECT_NE(e.find("import name `[constructor]b` is not valid: function does not match expected resource name `a`"),
            std::string::npos)
      << e;
  e = check(cat({component({start}), section(10, cat({{0x01}, import_("[static]b.f", {0x01, 0x02})}))}));
  EXPECT_NE(e.find("static resource name is not known in this context"), std::string::npos) << e;
}

TEST(ComponentValidator, InstantiationSubstitutesResources) {
  // (component $C (import "T" (type (sub resource))) (import "g" (func (param "x" (own 0)))))
  Bytes own_param = {0x40, 0x01, 0x01, 'x', 0x02, 0x01, 0x00};  // (func (param "x" 2))
  Bytes c = component({section(10, cat({{0x01}, import_("T", kSubResource)})),
                       section(7, {0x02, 0x69, 0x00, 0x40, 0x01, 0x01, 'x', 0x01, 0x01, 0x00}),
                       section(10, cat({{0x01}, import_("g", {0x01, 0x02})}))});
  auto outer = [&](uint8_t resource) {
    return component({section(10, cat({{0x02}, import_("T", kSubResource), import_("U", kSubResource)})),
                      section(7, cat({{0x02, 0x69, resource}, own_param})),
                      section(10, cat({{0x01}, import_("f", {0x01, 0x03})})), section(4, c),
                      section(5, cat({{0x01, 0x00, 0x00, 0x02}, str("T"), {0x03, 0x00}, str("g"), {0x01, 0x00}}))});
  };
  // f takes (own T) and C's T is given T: fine; f taking (own U) is not.
  EXPECT_EQ(check(outer(0)), "");
  std::string e = check(outer(1));
  EXPECT_NE(e.find("type mismatch for import `g`: type mismatch in function parameter `x`: resource types are not the same"),
            std::string::npos)
      << e;
  // The index spaces ValidationInfo records: one entry per definition.
  auto d = decode_component(outer(0));
  ASSERT_TRUE(d.has_value());
  ValidationInfo info;
  ASSERT_TRUE(validate_component(*d, &info).has_value());
  const ScopeTypes& root = info.scopes.at(&*d);
  EXPECT_EQ(root.types.size(), 4u);
  EXPECT_EQ(root.funcs.size(), 1u);
  EXPECT_EQ(root.components.size(), 1u);
  EXPECT_EQ(root.instances.size(), 1u);
}

TEST(ComponentValidator, ResourceBuiltInsNeedLocalResources) {
  std::string e = check(component({section(10, cat({{0x01}, import_("r", kSubResource)})), section(8, {0x01, 0x02, 0x00})}));
  EXPECT_NE(e.find("type 0 is not a local resource"), std::string::npos) << e;
  EXPECT_EQ(check(component({section(7, {0x01, 0x3f, 0x7f, 0x00}), section(8, {0x01, 0x02, 0x00})})), "");
}

TEST(ComponentValidator, ValueTypesStayBelowTheMaximumByteSize) {
  // (list u8 2^28-1) is the largest; (list u8 2^28) and (list string 2^24)
  // (16 bytes a string with 64-bit pointers) are too large.
  EXPECT_EQ(check(component({section(7, {0x01, 0x67, 0x7d, 0xff, 0xff, 0xff, 0x7f})})), "");
  for (Bytes t : {Bytes{0x01, 0x67, 0x7d, 0x80, 0x80, 0x80, 0x80, 0x01}, Bytes{0x01, 0x67, 0x73, 0x80, 0x80, 0x80, 0x08}}) {
    std::string e = check(component({section(7, t)}));
    EXPECT_NE(e.find("exceeds maximum byte size"), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace whirl::component
