// The component decoder on hand-built binaries: what it keeps, and a
// precise error (section, offset, wording) for each kind of malformed input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "component/binary/decoder.h"

namespace whirl::component {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes leb(uint32_t v) {
  Bytes out;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? b | 0x80 : b);
  } while (v);
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes str(const std::string& s) { return cat({leb(uint32_t(s.size())), Bytes(s.begin(), s.end())}); }

Bytes section(uint8_t id, const Bytes& contents) { return cat({{id}, leb(uint32_t(contents.size())), contents}); }

const Bytes kPreamble = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

Bytes component(std::initializer_list<Bytes> sections) {
  Bytes out = kPreamble;
  for (const auto& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

std::string error_of(const Bytes& b) {
  auto r = decode_component(b);
  return r ? std::string("(decoded)") : r.error().message;
}

TEST(ComponentDecoder, Preamble) {
  EXPECT_TRUE(decode_component(kPreamble).has_value());
  EXPECT_TRUE(is_component_binary(kPreamble));
  EXPECT_EQ(error_of({0x00, 0x61, 0x73}), "at offset 0x3: unexpected end-of-file");
  EXPECT_EQ(error_of({0x00, 0x41, 0x53, 0x4d, 0x0d, 0x00, 0x01, 0x00}), "at offset 0x1: magic header not detected");
  Bytes core = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  EXPECT_FALSE(is_component_binary(core));
  EXPECT_EQ(error_of(core), "at offset 0x4: expected a version header for a component");
  EXPECT_EQ(error_of({0x00, 0x61, 0x73, 0x6d, 0x0e, 0x00, 0x01, 0x00}), "at offset 0x4: unknown binary version");
  EXPECT_EQ(error_of({0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x02, 0x00}), "at offset 0x6: unknown binary layer");
}

TEST(ComponentDecoder, UnknownSectionId) {
  EXPECT_EQ(error_of(component({section(13, {})})), "at offset 0x8: malformed section id");
  EXPECT_EQ(error_of(component({{0xff}})), "at offset 0x8: malformed section id");
}

TEST(ComponentDecoder, TruncatedSections) {
  // Declared size beyond the end of the input.
  EXPECT_EQ(error_of(component({{0x07, 0x05, 0x01, 0x73}})), "at offset 0xc: unexpected end-of-file");
  // A type runs past its section's end (not into the next section).
  Bytes b = component({section(7, {0x01}), section(0, str("x"))});
  EXPECT_EQ(error_of(b), "section 7 (type) at offset 0xb: unexpected end-of-file");
  // A section with bytes left over.
  EXPECT_EQ(error_of(component({section(7, {0x00, 0x00})})),
            "section 7 (type) at offset 0xb: unexpected content at the end of the section (section size mismatch)");
  // The section id with no size.
  EXPECT_EQ(error_of(component({{0x07}})), "at offset 0x9: unexpected end-of-file");
}

TEST(ComponentDecoder, BadLeb) {
  // Bits beyond 32 in the fifth byte; a sixth byte.
  EXPECT_EQ(error_of(component({{0x07, 0x81, 0x80, 0x80, 0x80, 0x10, 0x00}})),
            "at offset 0xd: invalid var_u32: integer too large");
  EXPECT_EQ(error_of(component({{0x07, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00}})),
            "at offset 0xd: invalid var_u32: integer representation too long");
  // An overlong but zero-padded encoding is fine.
  EXPECT_EQ(error_of(component({{0x07, 0x81, 0x80, 0x80, 0x80, 0x00, 0x00}})), "(decoded)");
}

TEST(ComponentDecoder, CountsBeyondTheDataAllocateNothingLarge) {
  // 4 billion types, 4 billion record fields, 4 billion canon options: each
  // ends at the end of its section, after reserving at most its size.
  EXPECT_EQ(error_of(component({section(7, cat({leb(0xffffffff), {0x73}}))})),
            "section 7 (type) at offset 0x10: unexpected end-of-file");
  EXPECT_EQ(error_of(component({section(7, cat({{0x01, 0x72}, leb(0xffffffff)}))})),
            "section 7 (type) at offset 0x11: unexpected end-of-file");
  EXPECT_EQ(error_of(component({section(8, cat({{0x01, 0x01, 0x00, 0x00}, leb(0xffffffff)}))})),
            "section 8 (canon) at offset 0x13: unexpected end-of-file");
}

TEST(ComponentDecoder, Utf8Names) {
  EXPECT_EQ(error_of(component({section(0, {0x02, 0xc0, 0x80})})),
            "section 0 (custom) at offset 0xb: malformed UTF-8 encoding");  // overlong
  EXPECT_EQ(error_of(component({section(10, {0x01, 0x00, 0x03, 0xed, 0xa0, 0x80, 0x01, 0x00})})),
            "section 10 (import) at offset 0xd: malformed UTF-8 encoding");  // a surrogate
  EXPECT_EQ(error_of(component({section(7, {0x01, 0x6d, 0x01, 0x01, 0xff})})),
            "section 7 (type) at offset 0xe: malformed UTF-8 encoding");  // an enum label
}

TEST(ComponentDecoder, BadTypeCodes) {
  EXPECT_EQ(error_of(component({section(7, {0x01, 0x62})})),
            "section 7 (type) at offset 0xb: invalid leading byte (0x62) for component defined type");
  // A valtype that is a negative s33 but no primitive: 0x6c.
  EXPECT_EQ(error_of(component({section(7, {0x01, 0x70, 0x6c})})),
            "section 7 (type) at offset 0xc: invalid leading byte (0x6c) for component value type");
  // A core value type inside a resource's rep.
  EXPECT_EQ(error_of(component({section(7, {0x01, 0x3f, 0x40, 0x00})})),
            "section 7 (type) at offset 0xc: invalid leading byte (0x40) for value type");
  EXPECT_EQ(error_of(component({section(3, {0x01, 0x5f, 0x00})})),
            "section 3 (core type) at offset 0xb: GC struct and array types are not supported");
}

TEST(ComponentDecoder, NestingIsBounded) {
  // 200 component types each holding the next: an error, not a deep recursion.
  Bytes inner = {0x41, 0x00};
  for (int i = 0; i < 200; ++i) inner = cat({{0x41, 0x01, 0x01}, inner});
  std::string e = error_of(component({section(7, cat({{0x01}, inner}))}));
  EXPECT_NE(e.find("definitions nested too deeply (implementation limit: 100)"), std::string::npos) << e;
  // Nested components too.
  Bytes c = kPreamble;
  for (int i = 0; i < 150; ++i) c = cat({kPreamble, section(4, c)});
  e = error_of(c);
  EXPECT_NE(e.find("nested too deeply"), std::string::npos) << e;
}

TEST(ComponentDecoder, NestedCoreModuleErrors) {
  // A truncated core module: the core decoder's message, marked as such.
  std::string e = error_of(component({section(1, {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00})}));
  EXPECT_EQ(e.rfind("section 1 (core module) at offset 0xa: in core module: ", 0), 0u) << e;
  // A component where a core module belongs.
  e = error_of(component({section(1, kPreamble)}));
  EXPECT_EQ(e, "section 1 (core module) at offset 0xe: expected a version header for a module");
}

TEST(ComponentDecoder, KeepsDefinitionsInOrder) {
  Bytes core = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  Bytes b = component({
      section(0, cat({str("component-name"), {0x00, 0x02, 0x01, 'c'}})),
      section(1, core),
      section(7, cat({{0x02}, {0x72, 0x01}, str("a"), {0x79}, {0x40, 0x01}, str("x"), {0x00}, {0x00, 0x73}})),
      section(10, cat({{0x01, 0x02}, str("f"), {0x01, 0x00}, str("a:b/c@0.2"), {0x01, 0x01}})),
      section(8, cat({{0x01, 0x01, 0x00, 0x00, 0x03, 0x01, 0x03, 0x00, 0x04, 0x00}})),
  });
  auto r = decode_component(b);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const Component& c = *r;
  ASSERT_EQ(c.customs.size(), 1u);
  EXPECT_EQ(c.customs[0].name, "component-name");
  EXPECT_EQ(c.customs[0].data.size(), 4u);
  ASSERT_EQ(c.core_modules.size(), 1u);
  EXPECT_EQ(c.core_modules[0].bytes.size(), 8u);
  ASSERT_TRUE(c.core_modules[0].module);
  ASSERT_EQ(c.types.size(), 2u);
  EXPECT_EQ(c.types[0]->kind, TypeDef::Kind::Val);
  EXPECT_EQ(c.types[0]->val.kind, TypeKind::Record);
  EXPECT_EQ(c.types[0]->val.fields[0].label, "a");
  EXPECT_EQ(c.types[0]->val.fields[0].type.prim, TypeKind::U32);
  EXPECT_EQ(c.types[1]->kind, TypeDef::Kind::Func);
  EXPECT_TRUE(c.types[1]->func.params[0].type.is_index);
  EXPECT_EQ(c.types[1]->func.result->prim, TypeKind::String);
  ASSERT_EQ(c.imports.size(), 1u);
  EXPECT_EQ(c.imports[0].name.name, "f");
  ASSERT_EQ(c.imports[0].name.attributes.size(), 1u);
  EXPECT_EQ(c.imports[0].name.attributes[0].kind, NameAttribute::Kind::Implements);
  EXPECT_EQ(c.imports[0].name.attributes[0].value, "a:b/c@0.2");
  EXPECT_EQ(c.imports[0].type.kind, ExternType::Kind::Func);
  ASSERT_EQ(c.canons.size(), 1u);
  EXPECT_EQ(c.canons[0].kind, CanonKind::Lower);
  EXPECT_EQ(c.canons[0].opts.encoding, StringEncoding::Utf16);
  EXPECT_EQ(c.canons[0].opts.memory, 0u);
  EXPECT_EQ(c.canons[0].opts.realloc, 0u);
  ASSERT_EQ(c.order.size(), 5u);
  EXPECT_EQ(c.order[0].kind, Item::Kind::CoreModule);
  EXPECT_EQ(c.order[1].kind, Item::Kind::Type);
  EXPECT_EQ(c.order[3].kind, Item::Kind::Import);
  EXPECT_EQ(c.order[4].kind, Item::Kind::Canon);
}

TEST(ComponentDecoder, CanonOptionRepeatsAreKeptForTheValidator) {
  auto r = decode_component(component({section(8, {0x01, 0x01, 0x00, 0x00, 0x02, 0x00, 0x01})}));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->canons[0].opts.duplicates.size(), 1u);
  // utf8 then utf16: the first encoding stays, the conflicting one is named.
  EXPECT_EQ(r->canons[0].opts.duplicates[0], "utf16");
  EXPECT_EQ(r->canons[0].opts.encoding, StringEncoding::Utf8);
}

TEST(ComponentDecoder, ViewsIntoALentBuffer) {
  auto owned = std::make_shared<Bytes>(component({section(0, cat({str("n"), {1, 2, 3}}))}));
  auto r = decode_component(*owned, owned);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->customs[0].data.data(), owned->data() + owned->size() - 3);
}

}  // namespace
}  // namespace whirl::component
