// component_to_binary: small components checked byte for byte against the
// encoding written out by hand from design/mvp/Binary.md, one construct at a
// time, plus the sugar wasm-tools expands (hoisted inline types, projection
// aliases, implicit outer aliases, inline exports appended at the end).
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "component/binary/decoder.h"
#include "component/binary/validator.h"
#include "wasm/text/component_text.h"
#include "wasm/text/wast.h"
#include "wasm/text/wat.h"

namespace whirl::wasm::text {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes B(std::initializer_list<int> v) { return Bytes(v.begin(), v.end()); }

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes str(const std::string& s) {
  Bytes out{uint8_t(s.size())};
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

const Bytes kPreamble = B({0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00});

// A section: id, size (under 128 here), contents.
Bytes sec(int id, const Bytes& body) { return cat({B({id, int(body.size())}), body}); }
Bytes component(std::initializer_list<Bytes> sections) { return cat({kPreamble, cat(sections)}); }

Bytes encode(const std::string& text) {
  auto b = component_to_binary(text);
  EXPECT_TRUE(b.has_value()) << text << "\n" << (b ? "" : b.error().message);
  return b ? *b : Bytes{};
}

std::string error_of(const std::string& text) {
  auto b = component_to_binary(text);
  EXPECT_FALSE(b.has_value()) << text;
  return b ? "" : b.error().message;
}

bool valid(const Bytes& bytes) {
  auto d = component::decode_component(bytes);
  if (!d) return ADD_FAILURE() << d.error().message, false;
  auto v = component::validate_component(*d);
  if (!v) return ADD_FAILURE() << v.error().message, false;
  return true;
}

Bytes core(const std::string& wat) {
  auto b = wat_to_binary(wat);
  EXPECT_TRUE(b.has_value());
  return b ? *b : Bytes{};
}

TEST(ComponentText, EmptyComponent) {
  EXPECT_EQ(encode("(component)"), kPreamble);
  EXPECT_EQ(encode("(component $c)"), kPreamble);
  EXPECT_EQ(encode("(component definition $c)"), kPreamble);
}

TEST(ComponentText, PrimitiveAndRecordTypes) {
  // type 0 = u32; type 1 = (record (field "a" u32) (field "b" 0))
  EXPECT_EQ(encode(R"((component (type $t u32) (type (record (field "a" u32) (field "b" $t)))))"),
            component({sec(7, B({0x02, 0x79, 0x72, 0x02, 0x01, 'a', 0x79, 0x01, 'b', 0x00}))}));
}

TEST(ComponentText, DefinedValueTypes) {
  struct Case {
    const char* text;
    Bytes def;
  } cases[] = {
      {"(variant (case \"a\") (case \"b\" u8))", B({0x71, 0x02, 0x01, 'a', 0x00, 0x00, 0x01, 'b', 0x01, 0x7d, 0x00})},
      {"(list u8)", B({0x70, 0x7d})},
      {"(list u8 4)", B({0x67, 0x7d, 0x04})},
      {"(tuple u8 s8)", B({0x6f, 0x02, 0x7d, 0x7e})},
      {"(flags \"a\" \"b\")", B({0x6e, 0x02, 0x01, 'a', 0x01, 'b'})},
      {"(enum \"x\")", B({0x6d, 0x01, 0x01, 'x'})},
      {"(option bool)", B({0x6b, 0x7f})},
      {"(result u32 (error string))", B({0x6a, 0x01, 0x79, 0x01, 0x73})},
      {"(result)", B({0x6a, 0x00, 0x00})},
      {"(result (error u8))", B({0x6a, 0x00, 0x01, 0x7d})},
      {"(stream u8)", B({0x66, 0x01, 0x7d})},
      {"(future)", B({0x65, 0x00})},
      {"(map string u32)", B({0x63, 0x73, 0x79})},
      {"char", B({0x74})},
      {"f64", B({0x75})},
  };
  for (const auto& c : cases)
    EXPECT_EQ(encode(std::string("(component (type ") + c.text + "))"), component({sec(7, cat({B({0x01}), c.def}))}))
        << c.text;
}

TEST(ComponentText, ResourceAndHandleTypes) {
  EXPECT_EQ(encode("(component (type $r (resource (rep i32))) (type (own $r)) (type (borrow $r)))"),
            component({sec(7, B({0x03, 0x3f, 0x7f, 0x00, 0x69, 0x00, 0x68, 0x00}))}));
  // A destructor: core function 0, bare or legacy `(func 0)` or `(core func 0)`.
  for (const char* dtor : {"0", "(func 0)", "(core func 0)"})
    EXPECT_EQ(encode(std::string("(component (type (resource (rep i32) (dtor ") + dtor + "))))"),
              component({sec(7, B({0x01, 0x3f, 0x7f, 0x01, 0x00}))}));
}

TEST(ComponentText, InlineValueTypesAreHoisted) {
  // The inner list becomes type 0, defined before the outer one.
  EXPECT_EQ(encode("(component (type (list (list u8))))"),
            component({sec(7, B({0x02, 0x70, 0x7d, 0x70, 0x00}))}));
}

TEST(ComponentText, TypeIndicesAreS33) {
  // Type index 64 as a valtype is the signed LEB 0xc0 0x00, not 0x40 (a
  // primitive's code range).
  std::string text = "(component";
  for (int i = 0; i < 65; ++i) text += " (type u8)";
  text += " (type (list 64)))";
  Bytes body{65 + 1};
  for (int i = 0; i < 65; ++i) body.push_back(0x7d);
  for (int b : {0x70, 0xc0, 0x00}) body.push_back(uint8_t(b));
  Bytes expected = kPreamble;
  expected.push_back(7);
  expected.push_back(uint8_t(body.size()));
  expected.insert(expected.end(), body.begin(), body.end());
  EXPECT_EQ(encode(text), expected);
}

TEST(ComponentText, FuncImportWithInlineType) {
  // The inline function type becomes type 0; the import refers to it.
  Bytes bytes = encode(R"((component (import "f" (func (param "x" u8) (result u8)))))");
  EXPECT_EQ(bytes, component({sec(7, B({0x01, 0x40, 0x01, 0x01, 'x', 0x7d, 0x00, 0x7d})),
                              sec(10, B({0x01, 0x00, 0x01, 'f', 0x01, 0x00}))}));
  EXPECT_TRUE(valid(bytes));
  // Without a result: resultlist 0x01 0x00. The `(import ...)` sugar on func.
  EXPECT_EQ(encode(R"((component (func $f (import "f"))))"),
            component({sec(7, B({0x01, 0x40, 0x00, 0x01, 0x00})), sec(10, B({0x01, 0x00, 0x01, 'f', 0x01, 0x00}))}));
}

TEST(ComponentText, InlineExportsComeLast) {
  // wasm-tools appends `(export "a")` sugar after the last definition.
  EXPECT_EQ(encode("(component (type $a (export \"a\") u8) (type $b u8))"),
            component({sec(7, B({0x02, 0x7d, 0x7d})), sec(11, B({0x01, 0x00, 0x01, 'a', 0x03, 0x00, 0x00}))}));
}

TEST(ComponentText, ExportWithAscribedType) {
  Bytes bytes = encode(R"((component (import "f" (func $f)) (export "g" (func $f) (func (type 0)))))");
  EXPECT_EQ(bytes, component({sec(7, B({0x01, 0x40, 0x00, 0x01, 0x00})), sec(10, B({0x01, 0x00, 0x01, 'f', 0x01, 0x00})),
                              sec(11, B({0x01, 0x00, 0x01, 'g', 0x01, 0x00, 0x01, 0x01, 0x00}))}));
  EXPECT_TRUE(valid(bytes));
}

TEST(ComponentText, LiftWithProjectionAlias) {
  const char* text = R"((component
    (core module $m (func (export "f")))
    (core instance $i (instantiate $m))
    (func (export "g") (canon lift (core func $i "f")))))";
  Bytes m = core(R"((module (func (export "f"))))");
  Bytes bytes = encode(text);
  EXPECT_EQ(bytes, component({
                       sec(1, m),
                       sec(2, B({0x01, 0x00, 0x00, 0x00})),                       // instantiate module 0, no args
                       sec(7, B({0x01, 0x40, 0x00, 0x01, 0x00})),                 // the hoisted func type
                       sec(6, B({0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 'f'})),      // alias core export 0 "f" (core func)
                       sec(8, B({0x01, 0x00, 0x00, 0x00, 0x00, 0x00})),           // lift core func 0, no opts, type 0
                       sec(11, B({0x01, 0x00, 0x01, 'g', 0x01, 0x00, 0x00})),     // the inline export
                   }));
  EXPECT_TRUE(valid(bytes));
}

TEST(ComponentText, LowerWithOptions) {
  const char* module = R"((module (memory (export "mem") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) unreachable)))";
  std::string text = std::string(R"((component
    (import "f" (func $f (param "s" string)))
    (core module $m )") + std::string(module).substr(8) + R"(
    (core instance $i (instantiate $m))
    (core func (canon lower (func $f) (memory $i "mem") (realloc (func $i "realloc")) string-encoding=utf16))))";
  Bytes m = core(module);
  Bytes bytes = encode(text);
  EXPECT_EQ(bytes, component({
                       sec(7, B({0x01, 0x40, 0x01, 0x01, 's', 0x73, 0x01, 0x00})),
                       sec(10, B({0x01, 0x00, 0x01, 'f', 0x01, 0x00})),
                       sec(1, m),
                       sec(2, B({0x01, 0x00, 0x00, 0x00})),
                       // Aliases in option order: the memory, then realloc.
                       sec(6, cat({B({0x02, 0x00, 0x02, 0x01, 0x00}), str("mem"), B({0x00, 0x00, 0x01, 0x00}), str("realloc")})),
                       // lower func 0, opts: (memory 0) (realloc 0) utf16
                       sec(8, B({0x01, 0x01, 0x00, 0x00, 0x03, 0x03, 0x00, 0x04, 0x00, 0x01})),
                   }));
  EXPECT_TRUE(valid(bytes));
}

TEST(ComponentText, ResourceBuiltins) {
  Bytes bytes = encode(R"((component (type $r (resource (rep i32)))
      (core func (canon resource.new $r)) (core func (canon resource.drop $r)) (canon resource.rep $r (core func))))");
  EXPECT_EQ(bytes, component({sec(7, B({0x01, 0x3f, 0x7f, 0x00})), sec(8, B({0x03, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00}))}));
  EXPECT_TRUE(valid(bytes));
}

TEST(ComponentText, OuterAliases) {
  Bytes inner = component({sec(6, B({0x01, 0x03, 0x02, 0x01, 0x00})),  // alias outer 1 0 (type)
                           sec(7, B({0x01, 0x70, 0x00}))});
  Bytes expected = component({sec(7, B({0x01, 0x7d})), sec(4, inner)});
  // A name of the enclosing component becomes an outer alias...
  EXPECT_EQ(encode("(component $C (type $t u8) (component (type (list $t))))"), expected);
  // ... as the explicit form writes it.
  EXPECT_EQ(encode("(component $C (type $t u8) (component (alias outer $C $t (type $u)) (type (list $u))))"), expected);
  EXPECT_TRUE(valid(expected));
}

TEST(ComponentText, InstanceAndComponentTypes) {
  // (instance (export "f" (func (param "x" u32)))): the func type is
  // declared inside the instance type, before the export.
  EXPECT_EQ(encode(R"((component (type (instance (export "f" (func (param "x" u32)))))))"),
            component({sec(7, B({0x01, 0x42, 0x02, 0x01, 0x40, 0x01, 0x01, 'x', 0x79, 0x01, 0x00,
                                 0x04, 0x00, 0x01, 'f', 0x01, 0x00}))}));
  Bytes bytes = encode(R"((component (type (component (import "i" (instance)) (export "e" (func))))))");
  EXPECT_EQ(bytes, component({sec(7, B({0x01, 0x41, 0x04, 0x01, 0x42, 0x00, 0x03, 0x00, 0x01, 'i', 0x05, 0x00,
                                        0x01, 0x40, 0x00, 0x01, 0x00, 0x04, 0x00, 0x01, 'e', 0x01, 0x01}))}));
  EXPECT_TRUE(valid(bytes));
  // Type bounds in declarators.
  EXPECT_EQ(encode(R"((component (type (instance (export "r" (type $r (sub resource))) (export "t" (type (eq $r)))))))"),
            component({sec(7, B({0x01, 0x42, 0x02, 0x04, 0x00, 0x01, 'r', 0x03, 0x01, 0x04, 0x00, 0x01, 't', 0x03, 0x00, 0x00}))}));
}

TEST(ComponentText, CoreTypes) {
  EXPECT_EQ(encode("(component (core type (func (param i32 i64) (result f32))))"),
            component({sec(3, B({0x01, 0x60, 0x02, 0x7f, 0x7e, 0x01, 0x7d}))}));
  // A module type: its inline function signature becomes a type declarator.
  EXPECT_EQ(encode(R"((component (core type (module (import "a" "b" (func (param i32))) (export "m" (memory 1))))))"),
            component({sec(3, cat({B({0x01, 0x50, 0x03, 0x01, 0x60, 0x01, 0x7f, 0x00, 0x00}), str("a"), str("b"),
                                   B({0x00, 0x00, 0x03}), str("m"), B({0x02, 0x00, 0x01})}))}));
}

TEST(ComponentText, CoreInstances) {
  EXPECT_EQ(encode("(component (core instance (export \"a\" (func 0))))"),
            component({sec(2, B({0x01, 0x01, 0x01, 0x01, 'a', 0x00, 0x00}))}));
  // (with "x" (instance (export ...))): the bundle becomes an instance first.
  EXPECT_EQ(encode(R"((component (core instance (instantiate 0 (with "x" (instance (export "t" (table 1))))))))"),
            component({sec(2, B({0x02, 0x01, 0x01, 0x01, 't', 0x01, 0x01, 0x00, 0x00, 0x01, 0x01, 'x', 0x12, 0x00}))}));
}

TEST(ComponentText, ComponentInstances) {
  Bytes bytes = encode(R"((component
    (import "c" (component $c (import "f" (func)) (import "i" (instance (export "g" (func))))))
    (import "f" (func $f))
    (instance (instantiate $c (with "f" (func $f)) (with "i" (instance (export "g" (func $f))))))))");
  Bytes ctype = B({0x41, 0x04, 0x01, 0x40, 0x00, 0x01, 0x00, 0x03, 0x00, 0x01, 'f', 0x01, 0x00,  // func type, import f
                   0x01, 0x42, 0x02, 0x01, 0x40, 0x00, 0x01, 0x00, 0x04, 0x00, 0x01, 'g', 0x01, 0x00,  // instance type
                   0x03, 0x00, 0x01, 'i', 0x05, 0x01});
  EXPECT_EQ(bytes, component({
                       sec(7, cat({B({0x01}), ctype})),
                       sec(10, B({0x01, 0x00, 0x01, 'c', 0x04, 0x00})),
                       sec(7, B({0x01, 0x40, 0x00, 0x01, 0x00})),
                       sec(10, B({0x01, 0x00, 0x01, 'f', 0x01, 0x01})),
                       // The bundle (instance 0), then the instantiation (instance 1).
                       sec(5, B({0x02, 0x01, 0x01, 0x00, 0x01, 'g', 0x01, 0x00,
                                 0x00, 0x00, 0x02, 0x01, 'f', 0x01, 0x00, 0x01, 'i', 0x05, 0x00})),
                   }));
  EXPECT_TRUE(valid(bytes));
  // Export projection: (func $i "g") is an alias of instance 1's export.
  Bytes alias = encode(R"((component (import "i" (instance $i (export "g" (func)))) (export "h" (func $i "g"))))");
  EXPECT_EQ(alias, component({sec(7, B({0x01, 0x42, 0x02, 0x01, 0x40, 0x00, 0x01, 0x00, 0x04, 0x00, 0x01, 'g', 0x01, 0x00})),
                              sec(10, B({0x01, 0x00, 0x01, 'i', 0x05, 0x00})),
                              sec(6, B({0x01, 0x01, 0x00, 0x00, 0x01, 'g'})),
                              sec(11, B({0x01, 0x00, 0x01, 'h', 0x01, 0x00, 0x00}))}));
  EXPECT_TRUE(valid(alias));
}

TEST(ComponentText, Start) {
  EXPECT_EQ(encode(R"((component (import "f" (func $f)) (start $f)))"),
            component({sec(7, B({0x01, 0x40, 0x00, 0x01, 0x00})), sec(10, B({0x01, 0x00, 0x01, 'f', 0x01, 0x00})),
                       sec(9, B({0x00, 0x00, 0x00}))}));
}

TEST(ComponentText, NamesWithAttributes) {
  // nameattributes 0x02: the name, then (implements) 0x00, (versionsuffix)
  // 0x01, (external-id) 0x02.
  EXPECT_EQ(encode(R"((component (import "a" (implements "b:c/d") (external-id "x") (instance))))"),
            component({sec(7, B({0x01, 0x42, 0x00})),
                       sec(10, cat({B({0x01, 0x02}), str("a"), B({0x02, 0x00}), str("b:c/d"), B({0x02}), str("x"), B({0x05, 0x00})}))}));
  EXPECT_EQ(encode(R"((component (import "a:b/c@1.0.0" (func))))"),
            component({sec(7, B({0x01, 0x40, 0x00, 0x01, 0x00})), sec(10, cat({B({0x01, 0x00}), str("a:b/c@1.0.0"), B({0x01, 0x00})}))}));
}

TEST(ComponentText, BinaryQuoteAndCustom) {
  EXPECT_EQ(encode(R"((component binary "\00asm\0d\00\01\00"))"), kPreamble);
  EXPECT_EQ(encode("(component quote \"(type u8)\")"), encode("(component (type u8))"));
  EXPECT_EQ(encode(R"((component (@custom "n" "xy")))"), component({sec(0, B({0x01, 'n', 'x', 'y'}))}));
}

TEST(ComponentText, Errors) {
  EXPECT_EQ(error_of("(component (type (list $nope)))"), "1:24: unknown type: failed to find name `$nope`");
  EXPECT_NE(error_of("(component (type $a u8) (type $a u8))").find("duplicate type identifier"), std::string::npos);
  EXPECT_NE(error_of(R"((component (import "x" (func $x)) (component (export "x" (func $x)))))")
                .find("outer item `x` is not a module, type, or component"),
            std::string::npos);
  EXPECT_NE(error_of("(component (foo))").find("expected valid component field"), std::string::npos);
  EXPECT_NE(error_of(R"((component (import "\zz" (func))))").find("invalid string escape"), std::string::npos);
  EXPECT_NE(error_of(R"((component (import "a" (implements "a:b/c") (implements "a:b/c") (instance))))")
                .find("unexpected token"),
            std::string::npos);
  EXPECT_NE(error_of("(component (core func (canon no.such)))").find("unknown canonical built-in"), std::string::npos);
  EXPECT_NE(error_of("(component (core module (func (bad))))").find("1:"), std::string::npos);
}

TEST(ComponentText, ComponentValues) {
  using component::TypeKind;
  using V = component::abi::Value;
  auto parse = [](const char* s) {
    auto v = parse_component_value(s);
    EXPECT_TRUE(v.has_value()) << s << (v ? "" : v.error().message);
    return v ? *v : V{};
  };
  EXPECT_EQ(parse("(bool.const true)"), V::boolean(true));
  EXPECT_EQ(parse("(s8.const -1)"), V::sint(TypeKind::S8, -1));
  EXPECT_EQ(parse("(u64.const 18446744073709551615)"), V::uint(TypeKind::U64, ~uint64_t(0)));
  EXPECT_EQ(parse("(char.const \"\\u{e9}\")"), V::character(0xe9));
  EXPECT_EQ(parse("(str.const \"hi\")"), V::string("hi"));
  EXPECT_EQ(parse("(list.const (u8.const 1) (u8.const 2))"),
            V::list({V::uint(TypeKind::U8, 1), V::uint(TypeKind::U8, 2)}));
  EXPECT_EQ(parse("(record.const (field \"s\" str.const \"v\") (field \"n\" u32.const 7))"),
            V::record({{"s", V::string("v")}, {"n", V::uint(TypeKind::U32, 7)}}));
  EXPECT_EQ(parse("(tuple.const (f32.const 1.5))"), V::tuple({V::float32(1.5f)}));
  EXPECT_EQ(parse("(variant.const \"c\" (u8.const 1))"), V::variant("c", V::uint(TypeKind::U8, 1)));
  EXPECT_EQ(parse("(enum.const \"x\")"), V::enumeration("x"));
  EXPECT_EQ(parse("(option.none)"), V::none());
  EXPECT_EQ(parse("(option.some (u8.const 3))"), V::some(V::uint(TypeKind::U8, 3)));
  EXPECT_EQ(parse("(result.ok)"), V::ok());
  EXPECT_EQ(parse("(result.err (str.const \"e\"))"), V::err(V::string("e")));
  EXPECT_EQ(parse("(flags.const \"a\" \"b\")"), V::flags({"a", "b"}));
  EXPECT_FALSE(parse_component_value("(s8.const 128)").has_value());
  EXPECT_FALSE(parse_component_value("(char.const \"ab\")").has_value());
  EXPECT_FALSE(parse_component_value("(nope.const 1)").has_value());
}

TEST(ComponentText, ScriptCommands) {
  auto commands = parse_wast(R"(
    (component definition $D (type u8))
    (component instance $i $D)
    (assert_return (invoke "f" (str.const "x") (f32.const 2)) (list.const))
  )");
  ASSERT_TRUE(commands.has_value()) << commands.error().message;
  ASSERT_EQ(commands->size(), 3u);
  EXPECT_TRUE((*commands)[0].module.definition);
  EXPECT_EQ((*commands)[1].kind, WastCommandKind::ComponentInstance);
  EXPECT_EQ((*commands)[1].instance_id, "$i");
  EXPECT_EQ((*commands)[1].definition_id, "$D");
  const auto& a = (*commands)[2];
  EXPECT_TRUE(a.action.component);
  ASSERT_EQ(a.action.component_args.size(), 2u);
  EXPECT_EQ(a.action.component_args[0], component::abi::Value::string("x"));
  EXPECT_EQ(a.action.component_args[1], component::abi::Value::float32(2));
  ASSERT_EQ(a.component_expected.size(), 1u);
  EXPECT_TRUE(a.component_values);
}

}  // namespace
}  // namespace whirl::wasm::text
