// Component value constants of .wast scripts, with wasm-tools' syntax:
// (bool.const true) (u8.const 1) .. (s64.const -1) (f32.const 1.5)
// (char.const "x") (str.const "x") (list.const v*) (record.const (field "a" kind.const ...)*)
// (tuple.const v*) (variant.const "case" v?) (enum.const "x") (option.none)
// (option.some v) (result.ok v?) (result.err v?) (flags.const "a"*).
#include <bit>
#include <cstring>

#include "wasm/text/component_parser.h"
#include "wasm/text/numbers.h"
#include "wasm/text/wast.h"

namespace whirl::wasm::text {

namespace comp {

using ::whirl::component::TypeKind;
// (Ns has an enumerator named Value.)
using CValue = ::whirl::component::abi::Value;

CValue component_value(const Node& n) {
  if (!n.is_list() || n.children.empty() || n.children[0].kind != Node::Kind::Atom)
    Parser::fail(n, "expected a [type].const expression");
  const std::string& k = n.children[0].text;
  const auto& c = n.children;
  auto one = [&]() -> const Node& {
    if (c.size() != 2) Parser::fail(n, "unexpected token: expected one value");
    return c[1];
  };
  auto str = [&](const Node& s) -> const std::string& {
    if (s.kind != Node::Kind::String) Parser::fail(s, "unexpected token: expected a string");
    return s.text;
  };
  auto rest = [&](size_t from) {
    std::vector<CValue> items;
    for (size_t i = from; i < c.size(); ++i) items.push_back(component_value(c[i]));
    return items;
  };
  auto optional_payload = [&](size_t at) -> std::optional<CValue> {
    if (c.size() == at) return std::nullopt;
    if (c.size() != at + 1) Parser::fail(n, "unexpected token");
    return component_value(c[at]);
  };
  static const struct { const char* name; TypeKind kind; int bits; bool sign; } kInts[] = {
      {"u8.const", TypeKind::U8, 8, false},    {"s8.const", TypeKind::S8, 8, true},
      {"u16.const", TypeKind::U16, 16, false}, {"s16.const", TypeKind::S16, 16, true},
      {"u32.const", TypeKind::U32, 32, false}, {"s32.const", TypeKind::S32, 32, true},
      {"u64.const", TypeKind::U64, 64, false}, {"s64.const", TypeKind::S64, 64, true},
  };
  for (const auto& t : kInts) {
    if (k != t.name) continue;
    const Node& a = one();
    // Signed constants take [-2^(bits-1), 2^(bits-1)-1], unsigned [0, 2^bits-1].
    auto bits = a.kind == Node::Kind::Atom ? (t.sign ? parse_int(a.text, t.bits) : parse_uint(a.text, t.bits))
                                           : std::nullopt;
    if (!bits) Parser::fail(a, std::string("invalid ") + t.name + " value");
    if (!t.sign) return CValue::uint(t.kind, *bits);
    int64_t v = int64_t(*bits << (64 - t.bits)) >> (64 - t.bits);
    if (t.bits < 64 && a.text[0] != '-' && v < 0) Parser::fail(a, std::string("invalid ") + t.name + " value");
    return CValue::sint(t.kind, v);
  }
  if (k == "bool.const") {
    const Node& a = one();
    if (a.is_atom("true")) return CValue::boolean(true);
    if (a.is_atom("false")) return CValue::boolean(false);
    Parser::fail(a, "unexpected token: expected true or false");
  }
  if (k == "f32.const" || k == "f64.const") {
    const Node& a = one();
    if (a.kind != Node::Kind::Atom) Parser::fail(a, "unexpected token: expected a number");
    if (k == "f32.const") {
      auto b = parse_f32(a.text);
      if (!b) Parser::fail(a, "invalid f32.const value");
      return CValue::float32(std::bit_cast<float>(*b));
    }
    auto b = parse_f64(a.text);
    if (!b) Parser::fail(a, "invalid f64.const value");
    return CValue::float64(std::bit_cast<double>(*b));
  }
  if (k == "char.const") {
    const std::string& s = str(one());
    // Exactly one code point (the string is valid UTF-8 already).
    auto u = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    size_t len = s.empty() ? 0 : u(0) < 0x80 ? 1 : u(0) < 0xe0 ? 2 : u(0) < 0xf0 ? 3 : 4;
    if (s.empty()) Parser::fail(c[1], "empty string");
    if (s.size() != len) Parser::fail(c[1], "more than one character");
    uint32_t cp = len == 1 ? u(0) : u(0) & (0xff >> (len + 1));
    for (size_t i = 1; i < len; ++i) cp = (cp << 6) | (u(i) & 0x3f);
    return CValue::character(cp);
  }
  if (k == "str.const") return CValue::string(str(one()));
  if (k == "list.const") return CValue::list(rest(1));
  if (k == "tuple.const") return CValue::tuple(rest(1));
  if (k == "record.const") {
    std::vector<std::pair<std::string, CValue>> fields;
    for (size_t i = 1; i < c.size(); ++i) {
      // wasm-tools writes a field's value without its parentheses:
      // (field "a" u32.const 7); a parenthesized one is accepted too.
      const auto& f = c[i].children;
      if (!c[i].is_list("field") || f.size() < 3) Parser::fail(c[i], "unexpected token: expected (field \"name\" value)");
      if (f.size() == 3 && f[2].is_list()) {
        fields.emplace_back(str(f[1]), component_value(f[2]));
        continue;
      }
      Node inner;
      inner.kind = Node::Kind::List;
      inner.line = f[2].line, inner.col = f[2].col;
      inner.children.assign(f.begin() + 2, f.end());
      fields.emplace_back(str(f[1]), component_value(inner));
    }
    return CValue::record(std::move(fields));
  }
  if (k == "variant.const") {
    if (c.size() < 2) Parser::fail(n, "unexpected token: expected a case name");
    std::string label = str(c[1]);
    auto payload = optional_payload(2);
    return payload ? CValue::variant(std::move(label), std::move(*payload)) : CValue::variant(std::move(label));
  }
  if (k == "enum.const") return CValue::enumeration(str(one()));
  if (k == "option.none") {
    if (c.size() != 1) Parser::fail(n, "unexpected token");
    return CValue::none();
  }
  if (k == "option.some") return CValue::some(component_value(one()));
  if (k == "result.ok" || k == "result.err") {
    auto payload = optional_payload(1);
    if (k == "result.ok") return payload ? CValue::ok(std::move(*payload)) : CValue::ok();
    return payload ? CValue::err(std::move(*payload)) : CValue::err();
  }
  if (k == "flags.const") {
    std::vector<std::string> set;
    for (size_t i = 1; i < c.size(); ++i) set.push_back(str(c[i]));
    return CValue::flags(std::move(set));
  }
  Parser::fail(n, "expected a [type].const expression");
}

}  // namespace comp

Expected<component::abi::Value> parse_component_value(std::string_view source) {
  auto nodes = read_sexprs(source);
  if (!nodes) return unexpected(std::move(nodes).error());
  if (nodes->size() != 1) return make_error("1:1: expected one value");
  try {
    return comp::component_value((*nodes)[0]);
  } catch (const Fail& f) {
    return make_error(f.message);
  }
}

}  // namespace whirl::wasm::text
