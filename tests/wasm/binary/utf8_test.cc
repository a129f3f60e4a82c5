// is_valid_utf8 (names in modules and components): its eight-bytes-at-a-time
// ASCII path must not step over a bad byte wherever it falls, nor read
// past the end. Checked against a byte-at-a-time validation of the same
// strings (the standard's rules: no overlongs, no surrogates, <= U+10FFFF).
#include <gtest/gtest.h>

#include <string>

#include "wasm/binary/reader.h"

namespace whirl::wasm::binary {
namespace {

bool valid(const std::string& s) { return is_valid_utf8(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

TEST(Utf8, AnyBadSequenceAnywhereAfterAsciiIsFound) {
  const std::string bad[] = {"\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\xc3"};
  const std::string good[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x7f"};
  for (size_t prefix = 0; prefix < 20; ++prefix) {
    for (size_t suffix = 0; suffix < 10; ++suffix) {
      const std::string a(prefix, 'a'), z(suffix, 'z');
      for (const auto& b : bad) EXPECT_FALSE(valid(a + b + z)) << prefix << " " << suffix;
      for (const auto& g : good) EXPECT_TRUE(valid(a + g + z)) << prefix << " " << suffix;
      // A truncated sequence at the very end.
      EXPECT_FALSE(valid(a + z + "\xe2\x82")) << prefix << " " << suffix;
    }
  }
  EXPECT_TRUE(valid(""));
  EXPECT_TRUE(valid(std::string(64, 'k')));
}

}  // namespace
}  // namespace whirl::wasm::binary
