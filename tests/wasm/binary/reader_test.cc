// The byte reader: LEB128 limits, lengths, fixed-width values, UTF-8.
#include "wasm/binary/reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace whirl::wasm::binary {
namespace {

using Bytes = std::vector<uint8_t>;

// Reads one value with `read` and returns the error ("" on success); checks
// that a successful read consumed all of `b`.
template <class F>
std::string run(const Bytes& b, F read) {
  Reader r(b);
  if (!read(r)) return r.error();
  if (!r.eof()) return "not all bytes consumed";
  return "";
}

uint32_t u32_of(const Bytes& b) {
  uint32_t v = 0;
  Reader r(b);
  EXPECT_TRUE(r.u32(v)) << r.error();
  EXPECT_TRUE(r.eof());
  return v;
}
std::string u32_err(const Bytes& b) {
  return run(b, [](Reader& r) { uint32_t v; return r.u32(v); });
}
int32_t s32_of(const Bytes& b) {
  int32_t v = 0;
  Reader r(b);
  EXPECT_TRUE(r.s32(v)) << r.error();
  EXPECT_TRUE(r.eof());
  return v;
}
std::string s32_err(const Bytes& b) {
  return run(b, [](Reader& r) { int32_t v; return r.s32(v); });
}
int64_t s64_of(const Bytes& b) {
  int64_t v = 0;
  Reader r(b);
  EXPECT_TRUE(r.s64(v)) << r.error();
  EXPECT_TRUE(r.eof());
  return v;
}
std::string s64_err(const Bytes& b) {
  return run(b, [](Reader& r) { int64_t v; return r.s64(v); });
}
int64_t s33_of(const Bytes& b) {
  int64_t v = 0;
  Reader r(b);
  EXPECT_TRUE(r.s33(v)) << r.error();
  EXPECT_TRUE(r.eof());
  return v;
}
std::string s33_err(const Bytes& b) {
  return run(b, [](Reader& r) { int64_t v; return r.s33(v); });
}

TEST(ReaderU32, Values) {
  EXPECT_EQ(u32_of({0x00}), 0u);
  EXPECT_EQ(u32_of({0x7f}), 127u);
  EXPECT_EQ(u32_of({0x80, 0x01}), 128u);
  EXPECT_EQ(u32_of({0xe5, 0x8e, 0x26}), 624485u);
  EXPECT_EQ(u32_of({0xff, 0xff, 0xff, 0xff, 0x0f}), 0xffffffffu);
  // Non-minimal encodings are allowed up to five bytes.
  EXPECT_EQ(u32_of({0x80, 0x00}), 0u);
  EXPECT_EQ(u32_of({0x82, 0x80, 0x80, 0x80, 0x00}), 2u);
}

TEST(ReaderU32, Limits) {
  EXPECT_EQ(u32_err({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), kTooLong);
  // The fifth byte's value bits are checked before its continuation bit.
  EXPECT_EQ(u32_err({0xff, 0xff, 0xff, 0xff, 0xff, 0x0f}), kTooLarge);
  // Unused bits of the fifth byte must be zero.
  EXPECT_EQ(u32_err({0x80, 0x80, 0x80, 0x80, 0x10}), kTooLarge);
  EXPECT_EQ(u32_err({0xff, 0xff, 0xff, 0xff, 0x1f}), kTooLarge);
  EXPECT_EQ(u32_err({0x80, 0x80, 0x80, 0x80, 0x70}), kTooLarge);
  // The fifth byte with only its continuation bit: too long, not too large.
  EXPECT_EQ(u32_err({0x80, 0x80, 0x80, 0x80, 0x80}), kTooLong);
}

TEST(ReaderU32, Truncated) {
  EXPECT_EQ(u32_err({}), kUnexpectedEnd);
  EXPECT_EQ(u32_err({0x80}), kUnexpectedEnd);
  EXPECT_EQ(u32_err({0xff, 0xff, 0xff, 0xff}), kUnexpectedEnd);
}

TEST(ReaderU1, LimitsFlag) {
  auto u1 = [](const Bytes& b) {
    return run(b, [](Reader& r) { uint32_t v; return r.u1(v); });
  };
  EXPECT_EQ(u1({0x00}), "");
  EXPECT_EQ(u1({0x01}), "");
  EXPECT_EQ(u1({0x02}), kTooLarge);
  EXPECT_EQ(u1({0x7f}), kTooLarge);
  EXPECT_EQ(u1({0x81, 0x00}), kTooLong);
  EXPECT_EQ(u1({0x80, 0x00}), kTooLong);
}

TEST(ReaderS32, Values) {
  EXPECT_EQ(s32_of({0x00}), 0);
  EXPECT_EQ(s32_of({0x3f}), 63);
  EXPECT_EQ(s32_of({0x40}), -64);
  EXPECT_EQ(s32_of({0x7f}), -1);
  EXPECT_EQ(s32_of({0x80, 0x7f}), -128);
  EXPECT_EQ(s32_of({0xff, 0x00}), 127);
  EXPECT_EQ(s32_of({0xff, 0xff, 0xff, 0xff, 0x07}), 0x7fffffff);
  EXPECT_EQ(s32_of({0x80, 0x80, 0x80, 0x80, 0x78}), INT32_MIN);
  EXPECT_EQ(s32_of({0xff, 0xff, 0xff, 0xff, 0x7f}), -1);
  EXPECT_EQ(s32_of({0x80, 0x80, 0x80, 0x80, 0x00}), 0);
}

TEST(ReaderS32, Limits) {
  // In the fifth byte, bits 3..6 must all equal the sign bit (bit 3).
  EXPECT_EQ(s32_err({0x80, 0x80, 0x80, 0x80, 0x70}), kTooLarge);
  EXPECT_EQ(s32_err({0xff, 0xff, 0xff, 0xff, 0x0f}), kTooLarge);
  EXPECT_EQ(s32_err({0x80, 0x80, 0x80, 0x80, 0x1f}), kTooLarge);
  EXPECT_EQ(s32_err({0xff, 0xff, 0xff, 0xff, 0x4f}), kTooLarge);
  EXPECT_EQ(s32_err({0x80, 0x80, 0x80, 0x80, 0x08}), kTooLarge);
  EXPECT_EQ(s32_err({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), kTooLong);
  EXPECT_EQ(s32_err({0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}), kTooLong);
  EXPECT_EQ(s32_err({0x80}), kUnexpectedEnd);
}

TEST(ReaderS33, BlockTypeRange) {
  EXPECT_EQ(s33_of({0x40}), -64);
  EXPECT_EQ(s33_of({0xff, 0xff, 0xff, 0xff, 0x0f}), 0xffffffffll);
  EXPECT_EQ(s33_err({0x80, 0x80, 0x80, 0x80, 0x10}), kTooLarge);  // 2^32 is out of range
  EXPECT_EQ(s33_of({0x80, 0x80, 0x80, 0x80, 0x70}), -(1ll << 32));
  EXPECT_EQ(s33_err({0x80, 0x80, 0x80, 0x80, 0x20}), kTooLarge);
  EXPECT_EQ(s33_err({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), kTooLong);
}

TEST(ReaderS64, Values) {
  EXPECT_EQ(s64_of({0x7f}), -1);
  EXPECT_EQ(s64_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}), INT64_MIN);
  EXPECT_EQ(s64_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}), INT64_MAX);
  EXPECT_EQ(s64_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), 0);
  EXPECT_EQ(s64_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}), -1);
}

TEST(ReaderS64, Limits) {
  EXPECT_EQ(s64_err({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7e}), kTooLarge);
  EXPECT_EQ(s64_err({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), kTooLarge);
  EXPECT_EQ(s64_err({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02}), kTooLarge);
  EXPECT_EQ(s64_err({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x41}), kTooLarge);
  EXPECT_EQ(s64_err({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), kTooLong);
}

TEST(Reader, Fixed) {
  Bytes b = {0x78, 0x56, 0x34, 0x12, 1, 2, 3, 4, 5, 6, 7, 8};
  Reader r(b);
  uint32_t a = 0;
  uint64_t c = 0;
  ASSERT_TRUE(r.fixed32(a));
  ASSERT_TRUE(r.fixed64(c));
  EXPECT_EQ(a, 0x12345678u);
  EXPECT_EQ(c, 0x0807060504030201ull);
  EXPECT_FALSE(r.fixed32(a));
  EXPECT_EQ(r.error(), kUnexpectedEnd);
}

TEST(Reader, Len32CountsFromTheLengthItself) {
  // 2 bytes remain at the length's position: a length of 2 passes the bound
  // check (then runs out of bytes), 3 is out of bounds.
  {
    Bytes b = {0x02, 0xaa};
    Reader r(b);
    uint32_t n = 0;
    EXPECT_TRUE(r.len32(n));
    EXPECT_EQ(n, 2u);
    const uint8_t* p = nullptr;
    EXPECT_FALSE(r.bytes(n, p));
    EXPECT_EQ(r.error(), kUnexpectedEnd);
  }
  {
    Bytes b = {0x03, 0xaa};
    Reader r(b);
    uint32_t n = 0;
    EXPECT_FALSE(r.len32(n));
    EXPECT_EQ(r.error(), kLengthOutOfBounds);
    EXPECT_EQ(r.error_offset(), 0u);
  }
  {
    Bytes b = {0xff, 0xff, 0xff, 0xff, 0x0f};
    Reader r(b);
    uint32_t n = 0;
    EXPECT_FALSE(r.len32(n));
    EXPECT_EQ(r.error(), kLengthOutOfBounds);
  }
}

TEST(Reader, FirstErrorWins) {
  Bytes b = {0x80};
  Reader r(b);
  uint32_t v = 0;
  EXPECT_FALSE(r.u32(v));
  r.fail(0, "later");
  EXPECT_EQ(r.error(), kUnexpectedEnd);
}

std::string name_err(const Bytes& b) {
  return run(b, [](Reader& r) { std::string s; return r.name(s); });
}

TEST(ReaderName, Utf8) {
  EXPECT_EQ(name_err({0x00}), "");
  EXPECT_EQ(name_err({0x03, 'a', 'b', 'c'}), "");
  EXPECT_EQ(name_err({0x02, 0xc2, 0xa9}), "");                // U+00A9
  EXPECT_EQ(name_err({0x03, 0xe2, 0x8c, 0xa3}), "");          // U+2323
  EXPECT_EQ(name_err({0x03, 0xef, 0xbb, 0xbf}), "");          // BOM is a valid character
  EXPECT_EQ(name_err({0x04, 0xf4, 0x8f, 0xbf, 0xbf}), "");    // U+10FFFF
  EXPECT_EQ(name_err({0x01, 0x00}), "");                      // NUL is fine
  EXPECT_EQ(name_err({0x01, 0x80}), kMalformedUtf8);          // lone continuation
  EXPECT_EQ(name_err({0x01, 0xc2}), kMalformedUtf8);          // truncated
  EXPECT_EQ(name_err({0x02, 0xc0, 0x80}), kMalformedUtf8);    // overlong NUL
  EXPECT_EQ(name_err({0x02, 0xc1, 0xbf}), kMalformedUtf8);    // overlong
  EXPECT_EQ(name_err({0x03, 0xe0, 0x9f, 0xbf}), kMalformedUtf8);        // overlong
  EXPECT_EQ(name_err({0x03, 0xed, 0xa0, 0x80}), kMalformedUtf8);        // surrogate D800
  EXPECT_EQ(name_err({0x03, 0xed, 0xbf, 0xbf}), kMalformedUtf8);        // surrogate DFFF
  EXPECT_EQ(name_err({0x04, 0xf0, 0x8f, 0xbf, 0xbf}), kMalformedUtf8);  // overlong
  EXPECT_EQ(name_err({0x04, 0xf4, 0x90, 0x80, 0x80}), kMalformedUtf8);  // > U+10FFFF
  EXPECT_EQ(name_err({0x01, 0xf8}), kMalformedUtf8);
  EXPECT_EQ(name_err({0x01, 0xff}), kMalformedUtf8);
  EXPECT_EQ(name_err({0x02, 0xc2, 0x41}), kMalformedUtf8);    // bad continuation
  EXPECT_EQ(name_err({0x05, 'a'}), kLengthOutOfBounds);
  EXPECT_EQ(name_err({0x02, 'a'}), kUnexpectedEnd);
}

}  // namespace
}  // namespace whirl::wasm::binary
