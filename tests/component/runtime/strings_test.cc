// Strings in each string-encoding (utf8, utf16, latin1+utf16), from the
// host and transcoded between guests: $C lifts an echo per encoding and
// records the length (tagged code units) it received; $D lowers each echo
// in each encoding. Expected lengths are counted by hand: "h\u00e9llo" is 6
// UTF-8 bytes, 5 UTF-16 units, 5 Latin-1 bytes; "\u2603" 3 bytes, 1 unit,
// UTF-16 tagged (bit 31); "\U0001F600" 4 bytes, 2 units (a surrogate pair).
#include "runtime_test_util.h"

namespace whirl::component::runtime::test {
namespace {

const char* const kEncodings[] = {"utf8", "utf16", "latin1+utf16"};

std::string name_of(const std::string& enc) { return enc == "latin1+utf16" ? "latin1" : enc; }

std::string strings_component() {
  std::string c = R"((component $C
  (core module $M (memory (export "mem") 1))" + std::string(kBumpRealloc) + R"(
    (global $ptr (mut i32) (i32.const 0))
    (global $len (mut i32) (i32.const 0))
    (func (export "echo") (param i32 i32) (result i32)
      (global.set $ptr (local.get 0)) (global.set $len (local.get 1))
      (i32.store (i32.const 16) (local.get 0)) (i32.store (i32.const 20) (local.get 1)) (i32.const 16))
    (func (export "last-len") (result i32) (global.get $len))
    (func (export "byte") (param i32) (result i32) (i32.load8_u (i32.add (global.get $ptr) (local.get 0)))))
  (core instance $m (instantiate $M))
)";
  for (const char* e : kEncodings)
    c += "  (func (export \"echo-" + name_of(e) + "\") (param \"s\" string) (result string) (canon lift (core func $m \"echo\") string-encoding=" + e +
         " (memory (core memory $m \"mem\")) (realloc (core func $m \"realloc\"))))\n";
  c += R"(  (func (export "last-len") (result u32) (canon lift (core func $m "last-len")))
  (func (export "byte") (param "i" u32) (result u8) (canon lift (core func $m "byte"))))
)";
  std::string d = "(component $D\n  (import \"c\" (instance $c\n";
  for (const char* e : kEncodings)
    d += "    (export \"echo-" + name_of(e) + "\" (func (param \"s\" string) (result string)))\n";
  d += "  ))\n  (core module $Libc (memory (export \"mem\") 1)" + std::string(kBumpRealloc) + ")\n";
  d += "  (core instance $libc (instantiate $Libc))\n";
  std::string imports, funcs, with, lifts;
  for (const char* src : kEncodings)
    for (const char* dst : kEncodings) {
      std::string n = name_of(src) + "-" + name_of(dst);
      d += "  (core func $" + n + " (canon lower (func $c \"echo-" + name_of(dst) + "\") string-encoding=" + src +
           " (memory (core memory $libc \"mem\")) (realloc (core func $libc \"realloc\"))))\n";
      imports += "    (import \"c\" \"" + n + "\" (func $" + n + " (param i32 i32 i32)))\n";
      funcs += "    (func (export \"fwd-" + n + "\") (param i32 i32) (result i32) (call $" + n +
               " (local.get 0) (local.get 1) (i32.const 16)) (i32.const 16))\n";
      with += "    (export \"" + n + "\" (func $" + n + "))\n";
      lifts += "  (func (export \"fwd-" + n + "\") (param \"s\" string) (result string) (canon lift (core func $main \"fwd-" +
               n + "\") string-encoding=" + src + " (memory (core memory $libc \"mem\")) (realloc (core func $libc \"realloc\"))))\n";
    }
  d += "  (core module $Main (import \"libc\" \"mem\" (memory 1))\n" + imports + funcs + "  )\n";
  d += "  (core instance $main (instantiate $Main (with \"libc\" (instance $libc)) (with \"c\" (instance\n" + with + "  ))))\n";
  d += lifts + ")\n";
  std::string root = "(component\n" + c + d;
  root += "(instance $c (instantiate $C))\n(instance $d (instantiate $D (with \"c\" (instance $c))))\n";
  for (const char* e : kEncodings) root += "(export \"echo-" + name_of(e) + "\" (func $c \"echo-" + name_of(e) + "\"))\n";
  root += "(export \"last-len\" (func $c \"last-len\"))\n(export \"byte\" (func $c \"byte\"))\n";
  for (const char* src : kEncodings)
    for (const char* dst : kEncodings) {
      std::string n = name_of(src) + "-" + name_of(dst);
      root += "(export \"fwd-" + n + "\" (func $d \"fwd-" + n + "\"))\n";
    }
  return root + ")\n";
}

struct Sample {
  std::string text;
  uint32_t utf8, utf16, latin1;  // the tagged code units each encoding receives
};

const Sample kSamples[] = {
    {"", 0, 0, 0},
    {"hello", 5, 5, 5},
    {"h\xc3\xa9llo", 6, 5, 5},
    {"\xe2\x98\x83", 3, 1, 0x80000001},
    {"\xf0\x9f\x98\x80", 4, 2, 0x80000002},
    {"a\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80", 10, 5, 0x80000005},
};

uint32_t expected_len(const Sample& s, const std::string& enc) {
  return enc == "utf8" ? s.utf8 : enc == "utf16" ? s.utf16 : s.latin1;
}

class StringsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static auto loaded = load(strings_component());
    inst = instantiate(loaded);
    ASSERT_TRUE(inst);
  }
  uint32_t last_len() {
    auto r = call(*inst, "last-len");
    return r.size() == 1 ? uint32_t(r[0].u) : ~0u;
  }
  std::shared_ptr<ComponentInstance> inst;
};

TEST_F(StringsTest, FromTheHostInEachEncoding) {
  for (const char* e : kEncodings)
    for (const auto& s : kSamples) {
      auto r = call(*inst, "echo-" + name_of(e), {str(s.text)});
      ASSERT_EQ(r.size(), 1u);
      EXPECT_EQ(r[0], str(s.text)) << e;
      EXPECT_EQ(last_len(), expected_len(s, e)) << e << " " << s.text;
    }
}

TEST_F(StringsTest, TranscodedBetweenGuests) {
  for (const char* src : kEncodings)
    for (const char* dst : kEncodings)
      for (const auto& s : kSamples) {
        std::string n = "fwd-" + name_of(src) + "-" + name_of(dst);
        auto r = call(*inst, n, {str(s.text)});
        ASSERT_EQ(r.size(), 1u) << n;
        EXPECT_EQ(r[0], str(s.text)) << n;
        EXPECT_EQ(last_len(), expected_len(s, dst)) << n << " " << s.text;
      }
}

// The bytes the callee sees: Latin-1 when every character fits, else UTF-16LE.
TEST_F(StringsTest, Latin1OrUtf16Bytes) {
  call(*inst, "fwd-utf8-latin1", {str("h\xc3\xa9")});
  EXPECT_EQ(call(*inst, "byte", {u32(0)}), std::vector<Value>{Value::uint(TypeKind::U8, 'h')});
  EXPECT_EQ(call(*inst, "byte", {u32(1)}), std::vector<Value>{Value::uint(TypeKind::U8, 0xE9)});
  call(*inst, "fwd-utf8-latin1", {str("\xe2\x98\x83")});  // U+2603: 03 26
  EXPECT_EQ(call(*inst, "byte", {u32(0)}), std::vector<Value>{Value::uint(TypeKind::U8, 0x03)});
  EXPECT_EQ(call(*inst, "byte", {u32(1)}), std::vector<Value>{Value::uint(TypeKind::U8, 0x26)});
  call(*inst, "fwd-utf16-utf16", {str("\xf0\x9f\x98\x80")});  // D83D DE00
  EXPECT_EQ(call(*inst, "byte", {u32(1)}), std::vector<Value>{Value::uint(TypeKind::U8, 0xD8)});
  EXPECT_EQ(call(*inst, "byte", {u32(3)}), std::vector<Value>{Value::uint(TypeKind::U8, 0xDE)});
}

}  // namespace
}  // namespace whirl::component::runtime::test
