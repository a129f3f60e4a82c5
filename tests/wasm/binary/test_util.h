// Helpers for writing module binaries by hand in decoder tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/binary/decoder.h"

namespace whirl::wasm::testing {

using Bytes = std::vector<uint8_t>;

// Appends byte by byte (vector::insert of small vectors trips GCC 12's
// -Warray-bounds false positives).
inline void append(Bytes& out, const Bytes& part) {
  for (uint8_t b : part) out.push_back(b);
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) append(out, p);
  return out;
}

inline Bytes uleb(uint64_t v) {
  Bytes out;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? (b | 0x80) : b);
  } while (v);
  return out;
}

inline Bytes sleb(int64_t v) {
  Bytes out;
  for (;;) {
    uint8_t b = v & 0x7f;
    v >>= 7;
    bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    out.push_back(done ? b : (b | 0x80));
    if (done) return out;
  }
}

inline Bytes str(std::string_view s) {
  Bytes out = uleb(s.size());
  for (char c : s) out.push_back(static_cast<uint8_t>(c));
  return out;
}

inline Bytes header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

// A section: id, u32 size, contents.
inline Bytes section(uint8_t id, const Bytes& contents) {
  return cat({{id}, uleb(contents.size()), contents});
}

// A vector: u32 count followed by the already-encoded elements.
inline Bytes vec(std::initializer_list<Bytes> items) {
  Bytes out = uleb(items.size());
  for (const auto& i : items) append(out, i);
  return out;
}

inline Bytes module(std::initializer_list<Bytes> sections) {
  Bytes out = header();
  for (const auto& s : sections) append(out, s);
  return out;
}

// Type section with one type: [] -> [].
inline Bytes void_type_section() { return section(1, vec({{0x60, 0x00, 0x00}})); }
// Function section declaring `n` functions of type 0.
inline Bytes func_section(size_t n) {
  Bytes c = uleb(n);
  for (size_t i = 0; i < n; ++i) c.push_back(0);
  return section(3, c);
}
// One code entry: size, then locals and instructions as given.
inline Bytes body(const Bytes& locals_and_code) { return cat({uleb(locals_and_code.size()), locals_and_code}); }

// A module with one function of type [] -> [] whose body (without locals) is
// `code`; `extra` sections go between the function and code sections
// (memory, table, global, ...), `after` after the code section.
inline Bytes func_module(const Bytes& code, std::initializer_list<Bytes> extra = {},
                         std::initializer_list<Bytes> after = {}) {
  Bytes out = cat({header(), void_type_section(), func_section(1)});
  for (const auto& s : extra) append(out, s);
  append(out, section(10, cat({{0x01}, body(cat({{0x00}, code}))})));
  for (const auto& s : after) append(out, s);
  return out;
}

// WebAssembly 2.0 (one memory, zero bytes for memory indices, no shared
// memories), as the 2.0 spec suite runs; Features{} is 3.0, the default.
inline const Features kWasm2 = Features::wasm2();

// "" when the bytes decode, else the error message.
inline std::string error_of(const Bytes& b, const Features& features = Features{}) {
  auto m = decode_module(b, nullptr, features);
  return m ? std::string() : m.error().message;
}

// The message contains `text` (the spec's wording).
#define EXPECT_DECODE_ERROR_IN(features, bytes, text)                            \
  do {                                                                           \
    std::string whirl_err_ = ::whirl::wasm::testing::error_of(bytes, features);  \
    EXPECT_NE(whirl_err_, "") << "decoded, expected \"" << (text) << "\"";       \
    EXPECT_NE(whirl_err_.find(text), std::string::npos)                          \
        << "expected \"" << (text) << "\", got \"" << whirl_err_ << "\"";        \
  } while (0)
#define EXPECT_DECODE_ERROR(bytes, text) EXPECT_DECODE_ERROR_IN(::whirl::wasm::Features{}, bytes, text)

#define EXPECT_DECODES(bytes) EXPECT_EQ(::whirl::wasm::testing::error_of(bytes), "")

}  // namespace whirl::wasm::testing
