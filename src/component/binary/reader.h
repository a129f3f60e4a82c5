// The component decoder's byte reader: LEB128, bytes, UTF-8 names, bounded
// by the end of the current section or nested binary. Offsets are absolute
// (into the outermost binary), so an error inside a nested component still
// points at the right byte. A failure throws DecodeFail, which
// decode_component turns into an Error value at its boundary; the wording
// is wasmparser's ("unexpected end-of-file", "invalid leading byte (0x62)
// for component defined type"), which the component-model tests expect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace whirl::component::binary {

struct DecodeFail {
  size_t offset = 0;
  std::string message;
  std::string where;  // "section 7 (type)": the innermost section, set while unwinding
};

class Reader {
 public:
  // Reads data[begin, end).
  Reader(const uint8_t* data, size_t begin, size_t end) : data_(data), pos_(begin), end_(end) {}

  size_t pos() const { return pos_; }
  size_t end() const { return end_; }
  bool eof() const { return pos_ >= end_; }
  size_t remaining() const { return end_ - pos_; }
  const uint8_t* data() const { return data_; }

  uint8_t u8() {
    if (pos_ >= end_) eof_fail();
    return data_[pos_++];
  }
  uint8_t peek() const {
    if (pos_ >= end_) eof_fail();
    return data_[pos_];
  }
  uint32_t u32();
  // A vector count: any u32, but reservations use reserve_hint().
  uint32_t count() { return u32(); }
  // How many entries to reserve for a count: never more than the bytes
  // left (every entry takes at least one byte).
  size_t reserve_hint(uint32_t n) const { return n < remaining() ? n : remaining(); }
  std::span<const uint8_t> bytes(size_t n);
  std::string name();  // u32 length + UTF-8
  // A reader over the next n bytes; this one moves past them.
  Reader sub(size_t n);  // inherits depth
  // 0x00 / 0x01 as false / true; anything else: "invalid boolean value".
  bool boolean();

  // How deeply definitions nest here (components, component/instance/module
  // types): bounded so that a small binary cannot exhaust the C++ stack.
  int depth = 0;

  [[noreturn]] static void fail(size_t at, std::string message);
  [[noreturn]] static void bad_byte(size_t at, uint8_t b, const char* what);
  [[noreturn]] void eof_fail() const;

 private:
  const uint8_t* data_;
  size_t pos_, end_;
};

}  // namespace whirl::component::binary
