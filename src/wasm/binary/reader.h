// A byte reader over a whole module binary: LEB128 integers, fixed-width
// values, length-prefixed byte strings and UTF-8 names, with the spec's
// error wording.
//
// The reader is bounded by the end of the whole module, not by the end of the
// current section or function body: like the reference interpreter, the
// decoder reads a section's contents and then checks that exactly the declared
// size was consumed ("section size mismatch"). This gives the same accept/
// reject decisions as a section-bounded reader and the same messages as the
// reference interpreter (e.g. a constant expression missing its End runs into
// the next section's id byte and reports "illegal opcode").
//
// Errors are sticky values, not exceptions: every read returns false on
// failure after recording a message and the offset it refers to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace whirl::wasm::binary {

// Spec wording (the reference interpreter's messages).
inline constexpr const char* kUnexpectedEnd = "unexpected end of section or function";
inline constexpr const char* kTooLong = "integer representation too long";
inline constexpr const char* kTooLarge = "integer too large";
inline constexpr const char* kLengthOutOfBounds = "length out of bounds";
inline constexpr const char* kMalformedUtf8 = "malformed UTF-8 encoding";

// True if `s` is well-formed UTF-8 (no overlong forms, no surrogates, at most
// U+10FFFF).
bool is_valid_utf8(const uint8_t* s, size_t n);

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes)
      : begin_(bytes.data()), p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  size_t pos() const { return static_cast<size_t>(p_ - begin_); }
  size_t size() const { return static_cast<size_t>(end_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool eof() const { return p_ == end_; }
  const uint8_t* ptr() const { return p_; }
  const uint8_t* data() const { return begin_; }

  // The byte at the current position, if any; does not consume it.
  bool peek(uint8_t& out) const {
    if (p_ == end_) return false;
    out = *p_;
    return true;
  }

  bool u8(uint8_t& out) {
    if (p_ == end_) return fail_eos();
    out = *p_++;
    return true;
  }

  // Unsigned LEB128: u32 (indices, counts), u1 (limits flags).
  bool u32(uint32_t& out) {
    if (p_ != end_ && *p_ < 0x80) {
      out = *p_++;
      return true;
    }
    uint64_t v = 0;
    if (!leb_unsigned(32, v)) return false;
    out = static_cast<uint32_t>(v);
    return true;
  }
  bool u1(uint32_t& out) {
    uint64_t v = 0;
    if (!leb_unsigned(1, v)) return false;
    out = static_cast<uint32_t>(v);
    return true;
  }

  // Signed LEB128: s32, s33 (block types), s64; sign-extended.
  bool s32(int32_t& out) {
    if (p_ != end_ && *p_ < 0x80) {
      uint8_t b = *p_++;
      out = (b & 0x40) ? static_cast<int32_t>(b) - 0x80 : static_cast<int32_t>(b);
      return true;
    }
    int64_t v = 0;
    if (!leb_signed(32, v)) return false;
    out = static_cast<int32_t>(v);
    return true;
  }
  bool s33(int64_t& out) { return leb_signed(33, out); }
  bool s64(int64_t& out) {
    if (p_ != end_ && *p_ < 0x80) {
      uint8_t b = *p_++;
      out = (b & 0x40) ? static_cast<int64_t>(b) - 0x80 : static_cast<int64_t>(b);
      return true;
    }
    return leb_signed(64, out);
  }

  // Little-endian fixed-width values (float bit patterns).
  bool fixed32(uint32_t& out) {
    if (remaining() < 4) return fail_eos_at(end_);
    out = uint32_t(p_[0]) | uint32_t(p_[1]) << 8 | uint32_t(p_[2]) << 16 | uint32_t(p_[3]) << 24;
    p_ += 4;
    return true;
  }
  bool fixed64(uint64_t& out) {
    if (remaining() < 8) return fail_eos_at(end_);
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p_[i];
    out = v;
    p_ += 8;
    return true;
  }

  // A u32 length or vector count that must not exceed the bytes left in the
  // module (counted from the start of the length itself, as the reference
  // interpreter does): "length out of bounds". Bounds every reservation made
  // from a count by the size of the input.
  bool len32(uint32_t& out);

  // `n` raw bytes.
  bool bytes(size_t n, const uint8_t*& out) {
    if (n > remaining()) return fail_eos_at(end_);
    out = p_;
    p_ += n;
    return true;
  }
  bool skip(size_t n) {
    const uint8_t* unused = nullptr;
    return bytes(n, unused);
  }

  // A name: len32 then UTF-8 bytes ("malformed UTF-8 encoding").
  bool name(std::string& out);

  // Error state.
  bool fail(size_t offset, std::string message);
  bool fail_here(std::string message) { return fail(pos(), std::move(message)); }
  bool fail_eos() { return fail(pos(), kUnexpectedEnd); }
  bool fail_eos_at(const uint8_t* at) { return fail(static_cast<size_t>(at - begin_), kUnexpectedEnd); }
  bool failed() const { return failed_; }
  // Backtracking for the few places where the grammar tries alternatives
  // (block types): go back to `offset` and forget a recorded error.
  void rewind(size_t offset) {
    p_ = begin_ + offset;
    failed_ = false;
    error_.clear();
  }
  const std::string& error() const { return error_; }
  size_t error_offset() const { return error_offset_; }

 private:
  bool leb_unsigned(int bits, uint64_t& out);
  bool leb_signed(int bits, int64_t& out);

  const uint8_t* begin_ = nullptr;
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  bool failed_ = false;
  size_t error_offset_ = 0;
  std::string error_;
};

}  // namespace whirl::wasm::binary
