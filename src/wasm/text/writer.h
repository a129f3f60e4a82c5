// Binary-format byte writer used by the text-to-binary translation.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace whirl::wasm::text {

struct Writer {
  std::vector<uint8_t> b;

  void u8(uint8_t v) { b.push_back(v); }
  void u32(uint64_t v) {
    do {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      b.push_back(v ? (byte | 0x80) : byte);
    } while (v);
  }
  void s64(int64_t v) {
    for (;;) {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
      b.push_back(done ? byte : (byte | 0x80));
      if (done) return;
    }
  }
  void fixed(uint64_t bits, int bytes) {
    for (int i = 0; i < bytes; ++i) b.push_back(uint8_t(bits >> (8 * i)));
  }
  void bytes(std::string_view s) {
    u32(s.size());
    b.insert(b.end(), s.begin(), s.end());
  }
  void append(const Writer& w) { b.insert(b.end(), w.b.begin(), w.b.end()); }
  void section(uint8_t id, const Writer& content) {
    u8(id);
    u32(content.b.size());
    append(content);
  }
};

}  // namespace whirl::wasm::text
