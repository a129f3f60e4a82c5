#include "component/binary/reader.h"

#include <cstdio>

#include "wasm/binary/reader.h"

namespace whirl::component::binary {

void Reader::fail(size_t at, std::string message) { throw DecodeFail{at, std::move(message), {}}; }

void Reader::bad_byte(size_t at, uint8_t b, const char* what) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "invalid leading byte (0x%x) for %s", b, what);
  fail(at, buf);
}

void Reader::eof_fail() const { fail(pos_, "unexpected end-of-file"); }

// At most 5 bytes; in the fifth only the low 4 bits may be set.
uint32_t Reader::u32() {
  uint32_t v = 0;
  for (int i = 0; i < 5; ++i) {
    uint8_t b = u8();
    if (i == 4) {
      if (b & 0x80) fail(pos_ - 1, "invalid var_u32: integer representation too long");
      if (b & 0x70) fail(pos_ - 1, "invalid var_u32: integer too large");
    }
    v |= uint32_t(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) break;
  }
  return v;
}

std::span<const uint8_t> Reader::bytes(size_t n) {
  if (n > remaining()) fail(end_, "unexpected end-of-file");
  std::span<const uint8_t> s(data_ + pos_, n);
  pos_ += n;
  return s;
}

std::string Reader::name() {
  uint32_t n = u32();
  size_t at = pos_;
  auto b = bytes(n);
  if (!wasm::binary::is_valid_utf8(b.data(), b.size())) fail(at, "malformed UTF-8 encoding");
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

Reader Reader::sub(size_t n) {
  if (n > remaining()) fail(end_, "unexpected end-of-file");
  Reader r(data_, pos_, pos_ + n);
  r.depth = depth;
  pos_ += n;
  return r;
}

bool Reader::boolean() {
  size_t at = pos_;
  uint8_t b = u8();
  if (b > 1) fail(at, "invalid boolean value");
  return b == 1;
}

}  // namespace whirl::component::binary
