#include "wasm/binary/reader.h"

#include <cstring>

namespace whirl::wasm::binary {

bool Reader::fail(size_t offset, std::string message) {
  if (!failed_) {
    failed_ = true;
    error_offset_ = offset;
    error_ = std::move(message);
  }
  return false;
}

// LEB128 with the reference interpreter's limits: at most ceil(bits/7) bytes
// ("integer representation too long"), and the unused bits of the last byte
// must be zero ("integer too large").
bool Reader::leb_unsigned(int bits, uint64_t& out) {
  uint64_t result = 0;
  unsigned shift = 0;
  for (int n = bits;; n -= 7, shift += 7) {
    if (n <= 0) return fail_here(kTooLong);
    if (p_ == end_) return fail_eos();
    uint8_t b = *p_++;
    if (n < 7 && (b & 0x7f) >= (1u << n)) return fail(pos() - 1, kTooLarge);
    result |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  out = result;
  return true;
}

// Signed LEB128: in the last byte the unused bits and the sign bit must all
// be equal (a proper sign extension), otherwise "integer too large".
bool Reader::leb_signed(int bits, int64_t& out) {
  uint64_t result = 0;
  unsigned shift = 0;
  for (int n = bits;; n -= 7) {
    if (n <= 0) return fail_here(kTooLong);
    if (p_ == end_) return fail_eos();
    uint8_t b = *p_++;
    if (n < 7) {
      uint8_t mask = static_cast<uint8_t>((0xffu << (n - 1)) & 0x7f);
      if ((b & mask) != 0 && (b & mask) != mask) return fail(pos() - 1, kTooLarge);
    }
    result |= uint64_t(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) {
      if (shift < 64 && (b & 0x40)) result |= ~uint64_t{0} << shift;
      break;
    }
  }
  out = static_cast<int64_t>(result);
  return true;
}

bool Reader::len32(uint32_t& out) {
  size_t start = pos();
  uint32_t n = 0;
  if (!u32(n)) return false;
  if (n > size() - start) return fail(start, kLengthOutOfBounds);
  out = n;
  return true;
}

bool Reader::name(std::string& out) {
  size_t start = pos();
  uint32_t n = 0;
  if (!len32(n)) return false;
  const uint8_t* s = nullptr;
  if (!bytes(n, s)) return false;
  if (!is_valid_utf8(s, n)) return fail(start, kMalformedUtf8);
  out.assign(reinterpret_cast<const char*>(s), n);
  return true;
}

bool is_valid_utf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      // Names are mostly ASCII: eight bytes at a time while no high bit is set.
      uint64_t w;
      while (i + 8 <= n && (std::memcpy(&w, s + i, 8), (w & 0x8080808080808080ull) == 0)) i += 8;
      if (i < n && s[i] < 0x80) ++i;
      continue;
    }
    size_t len;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;  // a continuation byte or 0xf8..0xff as a lead byte
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      uint8_t cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min) return false;                        // overlong
    if (cp > 0x10ffff) return false;                   // beyond Unicode
    if (cp >= 0xd800 && cp <= 0xdfff) return false;    // surrogate
    i += len;
  }
  return true;
}

}  // namespace whirl::wasm::binary
