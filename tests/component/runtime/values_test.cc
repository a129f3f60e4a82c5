// Every value type through canon lift and canon lower, both ways: the host
// calls $C's echo functions (host -> guest -> host), and $D's forwarders,
// which call $C's echo through a lowered import (guest -> guest), nested in
// one component and linked across instances (ComponentImports). Each echo
// stores its flat arguments back in the result's memory layout, written by
// hand per type, so a value comes back only if lifting and lowering agree
// with the Canonical ABI's layout; expected results are the arguments.
#include <bit>
#include <cmath>
#include <sstream>

#include "runtime_test_util.h"

namespace whirl::component::runtime::test {
namespace {

struct TypeCase {
  std::string name;
  std::string def;       // the component type
  bool nominal = false;  // record, variant, enum, flags: defined and exported by name
  std::string params;    // core params of the flat form
  std::string result;    // core result when it fits in one flat value; else the
  std::string store;     // stores of the params at 16 (the result's layout), returned by pointer
};

std::vector<TypeCase> cases() {
  auto scalar = [](std::string name, std::string core) {
    return TypeCase{name, name, false, core, core, ""};
  };
  std::vector<TypeCase> out = {
      scalar("bool", "i32"), scalar("s8", "i32"),  scalar("u8", "i32"),  scalar("s16", "i32"),
      scalar("u16", "i32"),  scalar("s32", "i32"), scalar("u32", "i32"), scalar("s64", "i64"),
      scalar("u64", "i64"),  scalar("f32", "f32"), scalar("f64", "f64"), scalar("char", "i32"),
  };
  const std::string ptr_len = "(i32.store (i32.const 16) (local.get 0)) (i32.store (i32.const 20) (local.get 1))";
  out.push_back({"string", "string", false, "i32 i32", "", ptr_len});
  out.push_back({"list-u32", "(list u32)", false, "i32 i32", "", ptr_len});
  out.push_back({"list-string", "(list string)", false, "i32 i32", "", ptr_len});
  // u8 at 0, string at 4.
  out.push_back({"rec", "(record (field \"a\" u8) (field \"b\" string))", true, "i32 i32 i32", "",
                 "(i32.store8 (i32.const 16) (local.get 0)) (i32.store (i32.const 20) (local.get 1))"
                 " (i32.store (i32.const 24) (local.get 2))"});
  // u16 at 0, f64 at 8.
  out.push_back({"tup", "(tuple u16 f64)", false, "i32 f64", "",
                 "(i32.store16 (i32.const 16) (local.get 0)) (f64.store (i32.const 24) (local.get 1))"});
  // Discriminant (u8) at 0, the payload at 4: s32, or a string's pointer and length.
  const std::string disc_2 = "(i32.store8 (i32.const 16) (local.get 0)) (i32.store (i32.const 20) (local.get 1))"
                             " (i32.store (i32.const 24) (local.get 2))";
  out.push_back({"var", "(variant (case \"none\") (case \"int\" s32) (case \"text\" string))", true, "i32 i32 i32", "",
                 disc_2});
  out.push_back({"color", "(enum \"red\" \"green\" \"blue\")", true, "i32", "i32", ""});
  out.push_back({"opt", "(option u32)", false, "i32 i32", "",
                 "(i32.store8 (i32.const 16) (local.get 0)) (i32.store (i32.const 20) (local.get 1))"});
  out.push_back({"res", "(result u32 (error string))", false, "i32 i32 i32", "", disc_2});
  out.push_back({"perms", "(flags \"read\" \"write\" \"exec\")", true, "i32", "i32", ""});
  return out;
}

std::string ref(const TypeCase& t) { return t.nominal ? "$" + t.name : t.def; }

std::string param_list(const TypeCase& t) {
  std::string s;
  std::istringstream in(t.params);
  for (std::string p; in >> p;) s += " " + p;
  return s;
}

std::string local_gets(const TypeCase& t) {
  std::string s;
  std::istringstream in(t.params);
  int i = 0;
  for (std::string p; in >> p; ++i) s += " (local.get " + std::to_string(i) + ")";
  return s;
}

// $C: echo-NAME for every type, lifted with its memory and realloc.
std::string component_c(const std::vector<TypeCase>& ts) {
  std::string core = "(core module $M (memory (export \"mem\") 1)" + std::string(kBumpRealloc);
  for (const auto& t : ts) {
    core += "\n (func (export \"echo-" + t.name + "\") (param" + param_list(t) + ")";
    if (!t.result.empty()) core += " (result " + t.result + ") (local.get 0))";
    else core += " (result i32) " + t.store + " (i32.const 16))";
  }
  core += ")\n";
  std::string s = "(component $C\n" + core + "(core instance $m (instantiate $M))\n";
  for (const auto& t : ts)
    if (t.nominal) s += "(type $" + t.name + "' " + t.def + ") (export $" + t.name + " \"" + t.name + "\" (type $" + t.name + "'))\n";
  for (const auto& t : ts)
    s += "(func (export \"echo-" + t.name + "\") (param \"x\" " + ref(t) + ") (result " + ref(t) +
         ") (canon lift (core func $m \"echo-" + t.name +
         "\") (memory (core memory $m \"mem\")) (realloc (core func $m \"realloc\"))))\n";
  return s + ")\n";
}

// $D: imports $C's functions as instance "c" and exports fwd-NAME, which
// calls echo-NAME through canon lower.
std::string component_d(const std::vector<TypeCase>& ts) {
  std::string s = "(component $D\n (import \"c\" (instance $c\n";
  for (const auto& t : ts)
    if (t.nominal) s += "  (type $" + t.name + "' " + t.def + ") (export \"" + t.name + "\" (type $" + t.name + " (eq $" + t.name + "')))\n";
  for (const auto& t : ts)
    s += "  (export \"echo-" + t.name + "\" (func (param \"x\" " + ref(t) + ") (result " + ref(t) + ")))\n";
  s += " ))\n";
  for (const auto& t : ts)
    if (t.nominal)
      s += " (alias export $c \"" + t.name + "\" (type $" + t.name + "'))" + " (export $" + t.name + " \"" + t.name +
           "\" (type $" + t.name + "'))\n";
  s += " (core module $Libc (memory (export \"mem\") 1)" + std::string(kBumpRealloc) + ")\n";
  s += " (core instance $libc (instantiate $Libc))\n";
  for (const auto& t : ts)
    s += " (core func $imp-" + t.name + " (canon lower (func $c \"echo-" + t.name +
         "\") (memory (core memory $libc \"mem\")) (realloc (core func $libc \"realloc\"))))\n";
  s += " (core module $Main (import \"libc\" \"mem\" (memory 1))\n";
  for (const auto& t : ts) {
    std::string results = t.result.empty() ? "" : " (result " + t.result + ")";
    std::string extra = t.result.empty() ? " i32" : "";
    s += "  (import \"c\" \"echo-" + t.name + "\" (func $imp-" + t.name + " (param" + param_list(t) + extra + ")" +
         results + "))\n";
  }
  for (const auto& t : ts) {
    s += "  (func (export \"fwd-" + t.name + "\") (param" + param_list(t) + ") (result " +
         (t.result.empty() ? "i32" : t.result) + ") (call $imp-" + t.name + local_gets(t) +
         (t.result.empty() ? " (i32.const 16)) (i32.const 16))\n" : "))\n");
  }
  s += " )\n (core instance $main (instantiate $Main (with \"libc\" (instance $libc)) (with \"c\" (instance\n";
  for (const auto& t : ts) s += "  (export \"echo-" + t.name + "\" (func $imp-" + t.name + "))\n";
  s += " ))))\n";
  for (const auto& t : ts)
    s += " (func (export \"fwd-" + t.name + "\") (param \"x\" " + ref(t) + ") (result " + ref(t) +
         ") (canon lift (core func $main \"fwd-" + t.name +
         "\") (memory (core memory $libc \"mem\")) (realloc (core func $libc \"realloc\"))))\n";
  return s + ")\n";
}

// $C and $D nested in one component, $D exported as instance "d".
std::string nested(const std::vector<TypeCase>& ts) {
  std::string s = "(component\n" + component_c(ts) + component_d(ts);
  s += "(instance $c (instantiate $C))\n(instance $d (instantiate $D (with \"c\" (instance $c))))\n";
  return s + "(export \"d\" (instance $d)))\n";
}

// Each type's test values; every one must come back unchanged.
std::vector<std::pair<std::string, Value>> values() {
  auto rec = [](uint64_t a, std::string b) {
    return Value::record({{"a", Value::uint(TypeKind::U8, a)}, {"b", str(std::move(b))}});
  };
  return {
      {"bool", Value::boolean(true)},
      {"bool", Value::boolean(false)},
      {"s8", Value::sint(TypeKind::S8, -128)},
      {"s8", Value::sint(TypeKind::S8, 127)},
      {"u8", Value::uint(TypeKind::U8, 255)},
      {"s16", Value::sint(TypeKind::S16, -32768)},
      {"u16", Value::uint(TypeKind::U16, 65535)},
      {"s32", s32(INT32_MIN)},
      {"u32", u32(0xffffffff)},
      {"s64", Value::sint(TypeKind::S64, INT64_MIN)},
      {"u64", Value::uint(TypeKind::U64, UINT64_MAX)},
      {"f32", Value::float32(1.5f)},
      {"f32", Value::float32(-INFINITY)},
      {"f64", Value::float64(-3.25)},
      {"f64", Value::float64(1e300)},
      {"char", Value::character('a')},
      {"char", Value::character(0x2603)},
      {"char", Value::character(0x10FFFF)},
      {"string", str("")},
      {"string", str("hello")},
      {"string", str("h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80")},
      {"list-u32", Value::list({})},
      {"list-u32", Value::list({u32(1), u32(2), u32(0xffffffff)})},
      {"list-string", Value::list({str("a"), str(""), str("bcd")})},
      {"rec", rec(7, "seven")},
      {"tup", Value::tuple({Value::uint(TypeKind::U16, 513), Value::float64(0.5)})},
      {"var", Value::variant("none")},
      {"var", Value::variant("int", s32(-5))},
      {"var", Value::variant("text", str("x"))},
      {"color", Value::enumeration("green")},
      {"color", Value::enumeration("blue")},
      {"opt", Value::none()},
      {"opt", Value::some(u32(7))},
      {"res", Value::ok(u32(1))},
      {"res", Value::err(str("bad"))},
      {"perms", Value::flags({"read", "exec"})},
      {"perms", Value::flags({})},
  };
}

class ValuesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto ts = cases();
    c_ = load(component_c(ts));
    d_ = load(component_d(ts));
    nested_ = load(nested(ts));
  }
  static inline std::shared_ptr<const LoadedComponent> c_, d_, nested_;
};

TEST_F(ValuesTest, HostToGuestAndBack) {
  auto c = instantiate(c_);
  ASSERT_TRUE(c);
  for (const auto& [type, v] : values()) {
    auto r = call(*c, "echo-" + type, {v});
    ASSERT_EQ(r.size(), 1u) << type;
    EXPECT_EQ(r[0], v) << type << ": " << abi::to_string(r[0]) << " != " << abi::to_string(v);
  }
}

TEST_F(ValuesTest, GuestToGuestNested) {
  auto n = instantiate(nested_);
  ASSERT_TRUE(n);
  for (const auto& [type, v] : values()) {
    auto r = call(*n, "d#fwd-" + type, {v});
    ASSERT_EQ(r.size(), 1u) << type;
    EXPECT_EQ(r[0], v) << type << ": " << abi::to_string(r[0]) << " != " << abi::to_string(v);
  }
}

TEST_F(ValuesTest, GuestToGuestAcrossInstances) {
  auto c = instantiate(c_);
  ComponentImports imports;
  imports.instances["c"] = c;
  auto d = instantiate(d_, {}, imports);
  ASSERT_TRUE(d);
  for (const auto& [type, v] : values()) {
    auto r = call(*d, "fwd-" + type, {v});
    ASSERT_EQ(r.size(), 1u) << type;
    EXPECT_EQ(r[0], v) << type << ": " << abi::to_string(r[0]) << " != " << abi::to_string(v);
  }
}

// NaNs cross as the canonical NaN (deterministic profile), whatever payload went in.
TEST_F(ValuesTest, NaNsAreCanonicalized) {
  auto n = instantiate(nested_);
  ASSERT_TRUE(n);
  auto r32 = call(*n, "d#fwd-f32", {Value::float32(std::bit_cast<float>(0xffa00001u))});
  ASSERT_EQ(r32.size(), 1u);
  EXPECT_EQ(std::bit_cast<uint32_t>(r32[0].f32), 0x7fc00000u);
  auto r64 = call(*n, "d#fwd-f64", {Value::float64(std::bit_cast<double>(0x7ff0000000000001ull))});
  ASSERT_EQ(r64.size(), 1u);
  EXPECT_EQ(std::bit_cast<uint64_t>(r64[0].f64), 0x7ff8000000000000ull);
}

// A value that does not match the parameter type is refused before any
// guest code runs.
TEST_F(ValuesTest, HostArgumentOfTheWrongTypeTraps) {
  auto c = instantiate(c_);
  ASSERT_TRUE(c);
  EXPECT_NE(trap(*c, "echo-u8", {str("x")}), "");
}

}  // namespace
}  // namespace whirl::component::runtime::test
