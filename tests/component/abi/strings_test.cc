// Strings in every pair of source and destination encodings, with the exact
// bytes and realloc calls worked out by hand from definitions.py's
// store_string_* functions. Texts: "héllo" (Latin-1 but not ASCII), "日本"
// (BMP beyond Latin-1), "a😀" (a surrogate pair in UTF-16).
#include <gtest/gtest.h>

#include "component/abi/lift_lower.h"
#include "test_types.h"

namespace whirl::component::abi {
namespace {

using namespace test;
using B = std::vector<uint8_t>;
constexpr uint64_t kTag = 0x80000000;

const std::string kHello = "h\xC3\xA9llo";           // héllo
const std::string kNihon = "\xE6\x97\xA5\xE6\x9C\xAC";  // 日本
const std::string kEmoji = "a\xF0\x9F\x98\x80";        // a😀
const std::string kMixed = "\xC3\xA9\xE6\x97\xA5";     // é日

struct Case {
  const char* name;
  StringSource source;
  const std::string* text;
  StringEncoding dst;
  uint64_t ptr, tagged_code_units;
  B bytes;  // at ptr
  std::vector<ReallocCall> calls;
};

// The heap starts at 8; a realloc that shrinks keeps its pointer, any
// other bumps the heap (aligned) and copies the old bytes.
const Case kCases[] = {
    {"utf8->utf8", StringSource::Utf8, &kHello, StringEncoding::Utf8, 8, 6,
     {0x68, 0xC3, 0xA9, 0x6C, 0x6C, 0x6F}, {{0, 0, 1, 6, 8}}},
    {"utf8->utf16", StringSource::Utf8, &kHello, StringEncoding::Utf16, 8, 5,
     {0x68, 0, 0xE9, 0, 0x6C, 0, 0x6C, 0, 0x6F, 0}, {{0, 0, 2, 12, 8}, {8, 12, 2, 10, 8}}},
    {"utf8->utf16 surrogates", StringSource::Utf8, &kEmoji, StringEncoding::Utf16, 8, 3,
     {0x61, 0, 0x3D, 0xD8, 0x00, 0xDE}, {{0, 0, 2, 10, 8}, {8, 10, 2, 6, 8}}},
    {"utf8->latin1", StringSource::Utf8, &kHello, StringEncoding::Latin1Utf16, 8, 5,
     {0x68, 0xE9, 0x6C, 0x6C, 0x6F}, {{0, 0, 2, 6, 8}, {8, 6, 2, 5, 8}}},
    {"utf8->compact utf16", StringSource::Utf8, &kNihon, StringEncoding::Latin1Utf16, 14, 2 | kTag,
     {0xE5, 0x65, 0x2C, 0x67}, {{0, 0, 2, 6, 8}, {8, 6, 2, 12, 14}, {14, 12, 2, 4, 14}}},
    // é is written as Latin-1, then widened in place when 日 arrives.
    {"utf8->latin1 then utf16", StringSource::Utf8, &kMixed, StringEncoding::Latin1Utf16, 14, 2 | kTag,
     {0xE9, 0x00, 0xE5, 0x65}, {{0, 0, 2, 5, 8}, {8, 5, 2, 10, 14}, {14, 10, 2, 4, 14}}},
    {"utf16->utf8", StringSource::Utf16, &kEmoji, StringEncoding::Utf8, 11, 5,
     {0x61, 0xF0, 0x9F, 0x98, 0x80}, {{0, 0, 1, 3, 8}, {8, 3, 1, 9, 11}, {11, 9, 1, 5, 11}}},
    {"utf16->utf16", StringSource::Utf16, &kEmoji, StringEncoding::Utf16, 8, 3,
     {0x61, 0, 0x3D, 0xD8, 0x00, 0xDE}, {{0, 0, 2, 6, 8}}},
    {"utf16->latin1", StringSource::Utf16, &kHello, StringEncoding::Latin1Utf16, 8, 5,
     {0x68, 0xE9, 0x6C, 0x6C, 0x6F}, {{0, 0, 2, 5, 8}}},
    {"latin1->utf8", StringSource::CompactLatin1, &kHello, StringEncoding::Utf8, 13, 6,
     {0x68, 0xC3, 0xA9, 0x6C, 0x6C, 0x6F}, {{0, 0, 1, 5, 8}, {8, 5, 1, 10, 13}, {13, 10, 1, 6, 13}}},
    {"latin1->utf16", StringSource::CompactLatin1, &kHello, StringEncoding::Utf16, 8, 5,
     {0x68, 0, 0xE9, 0, 0x6C, 0, 0x6C, 0, 0x6F, 0}, {{0, 0, 2, 10, 8}}},
    {"latin1->latin1", StringSource::CompactLatin1, &kHello, StringEncoding::Latin1Utf16, 8, 5,
     {0x68, 0xE9, 0x6C, 0x6C, 0x6F}, {{0, 0, 2, 5, 8}}},
    {"compact utf16->utf8", StringSource::CompactUtf16, &kNihon, StringEncoding::Utf8, 10, 6,
     {0xE6, 0x97, 0xA5, 0xE6, 0x9C, 0xAC}, {{0, 0, 1, 2, 8}, {8, 2, 1, 6, 10}}},
    {"compact utf16->compact utf16", StringSource::CompactUtf16, &kNihon, StringEncoding::Latin1Utf16, 8,
     2 | kTag, {0xE5, 0x65, 0x2C, 0x67}, {{0, 0, 2, 4, 8}}},
    // A UTF-16 source that fits Latin-1 is narrowed after the copy.
    {"compact utf16->latin1", StringSource::CompactUtf16, &kHello, StringEncoding::Latin1Utf16, 8, 5,
     {0x68, 0xE9, 0x6C, 0x6C, 0x6F}, {{0, 0, 2, 10, 8}, {8, 10, 1, 5, 8}}},
    {"empty utf8->utf8", StringSource::Utf8, nullptr, StringEncoding::Utf8, 8, 0, {}, {{0, 0, 1, 0, 8}}},
};

TEST(AbiStrings, StoreEveryEncodingPair) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    HeapContext cx(64, c.dst, 8);
    auto r = store_string_into_range(cx, Value::string(c.text ? *c.text : "", c.source));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->ptr, c.ptr);
    EXPECT_EQ(r->tagged_code_units, c.tagged_code_units);
    EXPECT_EQ(B(cx.bytes.begin() + c.ptr, cx.bytes.begin() + c.ptr + c.bytes.size()), c.bytes);
    EXPECT_EQ(cx.calls, c.calls);
    // And it lifts back to the same text.
    auto back = load_string_from_range(cx, r->ptr, r->tagged_code_units);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->str, c.text ? *c.text : "");
  }
}

TEST(AbiStrings, LoadRecordsTheSourceEncoding) {
  HeapContext cx(64, StringEncoding::Latin1Utf16);
  cx.bytes = {0x68, 0xE9, 0x6C, 0x6C, 0x6F, 0, 0xE5, 0x65, 0x2C, 0x67};
  auto latin1 = load_string_from_range(cx, 0, 5);
  ASSERT_TRUE(latin1);
  EXPECT_EQ(latin1->str, kHello);
  EXPECT_EQ(latin1->source, StringSource::CompactLatin1);
  auto utf16 = load_string_from_range(cx, 6, 2 | kTag);
  ASSERT_TRUE(utf16);
  EXPECT_EQ(utf16->str, kNihon);
  EXPECT_EQ(utf16->source, StringSource::CompactUtf16);

  HeapContext u16(64, StringEncoding::Utf16);
  u16.bytes = {0x61, 0, 0x3D, 0xD8, 0x00, 0xDE};
  auto e = load_string_from_range(u16, 0, 3);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->str, kEmoji);
  EXPECT_EQ(e->source, StringSource::Utf16);
}

TEST(AbiStrings, InvalidUtf8Traps) {
  const B bad[] = {
      {0xC3, 0x28},              // continuation byte missing
      {0xED, 0xA0, 0x80},        // an encoded surrogate (U+D800)
      {0xC0, 0x80},              // overlong NUL
      {0xE0, 0x80, 0x80},        // overlong
      {0xF4, 0x90, 0x80, 0x80},  // above U+10FFFF
      {0xE6, 0x97},              // truncated
      {0x80},                    // stray continuation
      {0xFF},
  };
  for (const auto& b : bad) {
    HeapContext cx(0);
    cx.bytes = b;
    auto r = load_string_from_range(cx, 0, b.size());
    ASSERT_FALSE(r) << to_string(*r);
    EXPECT_NE(r.error().message.find("UTF-8"), std::string::npos);
  }
  HeapContext ok(0);
  ok.bytes = {0xF4, 0x8F, 0xBF, 0xBF, 0};  // U+10FFFF and NUL are fine
  EXPECT_TRUE(load_string_from_range(ok, 0, 5));
}

TEST(AbiStrings, UnpairedSurrogatesTrap) {
  const B bad[] = {
      {0x3D, 0xD8, 0x61, 0x00},  // high surrogate then 'a'
      {0x00, 0xDE},              // lone low surrogate
      {0x61, 0x00, 0x3D, 0xD8},  // high surrogate at the end
  };
  for (const auto& b : bad) {
    HeapContext cx(0, StringEncoding::Utf16);
    cx.bytes = b;
    EXPECT_FALSE(load_string_from_range(cx, 0, b.size() / 2));
    HeapContext compact(0, StringEncoding::Latin1Utf16);
    compact.bytes = b;
    EXPECT_FALSE(load_string_from_range(compact, 0, (b.size() / 2) | kTag));
  }
}

TEST(AbiStrings, RangeLengthAndAlignmentTraps) {
  HeapContext cx(16, StringEncoding::Utf16);
  EXPECT_FALSE(load_string_from_range(cx, 1, 1));   // UTF-16 needs 2-byte alignment
  EXPECT_TRUE(load_string_from_range(cx, 14, 1));
  EXPECT_FALSE(load_string_from_range(cx, 14, 2));  // past the end
  EXPECT_FALSE(load_string_from_range(cx, 0, (uint64_t(1) << 28)));  // over 2^28-1 bytes
  HeapContext u8(16);
  EXPECT_TRUE(load_string_from_range(u8, 1, 15));   // UTF-8 needs no alignment
  EXPECT_FALSE(load_string_from_range(u8, 1, 16));
  EXPECT_FALSE(load_string_from_range(u8, 17, 0));
  EXPECT_FALSE(load_string_from_range(u8, 0xFFFFFFFF, 0xFFFFFFFF));
  auto big = load_string_from_range(u8, 0, (uint64_t(1) << 28));
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("2^28"), std::string::npos);
}

TEST(AbiStrings, ReallocResultsAreChecked) {
  HeapContext misaligned(64, StringEncoding::Utf16, 8);
  misaligned.misalign = 1;
  auto r = store_string_into_range(misaligned, Value::string("hi"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("misaligned"), std::string::npos);

  HeapContext small(8, StringEncoding::Utf8, 0);
  small.misalign = 4;  // 4 + 5 bytes > 8
  EXPECT_FALSE(store_string_into_range(small, Value::string("hello")));

  HeapContext full(4);
  auto f = store_string_into_range(full, Value::string("hello"));
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message, "heap exhausted");  // the realloc's own trap

  HeapContext cx(16);
  EXPECT_FALSE(store_string_into_range(cx, Value::string("\xFF")));  // a host value that is not UTF-8
}

}  // namespace
}  // namespace whirl::component::abi
