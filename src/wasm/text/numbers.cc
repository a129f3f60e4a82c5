#include "wasm/text/numbers.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace whirl::wasm::text {
namespace {

bool is_digit(char c, bool hex) {
  return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
}

// Removes '_' separators, which must sit between two digits.
std::optional<std::string> strip_underscores(std::string_view s, bool hex) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 >= s.size() || !is_digit(s[i - 1], hex) || !is_digit(s[i + 1], hex)) return std::nullopt;
      continue;
    }
    out += s[i];
  }
  return out;
}

// Unsigned magnitude of a decimal or 0x-hex digit string (no sign).
std::optional<uint64_t> magnitude(std::string_view s) {
  bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x');
  std::string_view digits = hex ? s.substr(2) : s;
  if (digits.empty()) return std::nullopt;
  auto clean = strip_underscores(digits, hex);
  if (!clean || clean->empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : *clean) {
    if (!is_digit(c, hex)) return std::nullopt;
    uint64_t d = (c >= '0' && c <= '9') ? uint64_t(c - '0') : uint64_t((c | 0x20) - 'a' + 10);
    uint64_t base = hex ? 16 : 10;
    if (v > (UINT64_MAX - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

template <class Bits, int kMant, int kExpBits>
std::optional<Bits> parse_float(std::string_view t) {
  bool neg = false;
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  const Bits sign = neg ? Bits(1) << (kMant + kExpBits) : 0;
  const Bits exp_all = ((Bits(1) << kExpBits) - 1) << kMant;
  if (t == "inf") return sign | exp_all;
  if (t == "nan") return sign | exp_all | (Bits(1) << (kMant - 1));
  if (t.substr(0, 6) == "nan:0x") {
    auto payload = magnitude(t.substr(4));
    if (!payload || *payload == 0 || *payload >= (uint64_t(1) << kMant)) return std::nullopt;
    return sign | exp_all | Bits(*payload);
  }
  bool hex = t.size() > 2 && t[0] == '0' && t[1] == 'x';
  if (t.empty() || !is_digit(t[hex ? 2 : 0], hex)) return std::nullopt;
  // Shape check: digits [. digits] [e|p [sign] digits]; underscores between digits.
  std::string clean;
  {
    size_t i = hex ? 2 : 0;
    bool seen_dot = false, seen_exp = false;
    for (; i < t.size(); ++i) {
      char c = t[i];
      bool digit_here = seen_exp ? is_digit(c, false) : is_digit(c, hex);
      if (digit_here) {
        clean += c;
      } else if (c == '_') {
        bool prev = i > 0 && (seen_exp ? is_digit(t[i - 1], false) : is_digit(t[i - 1], hex));
        bool next = i + 1 < t.size() && (seen_exp ? is_digit(t[i + 1], false) : is_digit(t[i + 1], hex));
        if (!prev || !next) return std::nullopt;
      } else if (c == '.' && !seen_dot && !seen_exp) {
        seen_dot = true;
        clean += c;
      } else if (!seen_exp && ((hex && (c == 'p' || c == 'P')) || (!hex && (c == 'e' || c == 'E')))) {
        if (i > 0 && t[i - 1] == '_') return std::nullopt;
        seen_exp = true;
        clean += c;
        if (i + 1 < t.size() && (t[i + 1] == '+' || t[i + 1] == '-')) clean += t[++i];
        if (i + 1 >= t.size() || !is_digit(t[i + 1], false)) return std::nullopt;
      } else {
        return std::nullopt;
      }
    }
  }
  std::string full = (hex ? "0x" : "") + clean;
  errno = 0;
  char* end = nullptr;
  Bits bits;
  if constexpr (sizeof(Bits) == 4) {
    float f = std::strtof(full.c_str(), &end);
    if (end != full.c_str() + full.size()) return std::nullopt;
    if (std::isinf(f)) return std::nullopt;  // constant out of range
    std::memcpy(&bits, &f, 4);
  } else {
    double d = std::strtod(full.c_str(), &end);
    if (end != full.c_str() + full.size()) return std::nullopt;
    if (std::isinf(d)) return std::nullopt;
    std::memcpy(&bits, &d, 8);
  }
  return bits | sign;
}

}  // namespace

std::optional<uint64_t> parse_uint(std::string_view t, int bits) {
  if (t.empty() || t[0] == '+' || t[0] == '-') return std::nullopt;
  auto v = magnitude(t);
  if (!v) return std::nullopt;
  if (bits < 64 && *v >> bits) return std::nullopt;
  return v;
}

std::optional<uint64_t> parse_int(std::string_view t, int bits) {
  bool neg = false, signed_ = false;
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
    neg = t[0] == '-';
    signed_ = true;
    t.remove_prefix(1);
  }
  auto v = magnitude(t);
  if (!v) return std::nullopt;
  uint64_t max_unsigned = bits == 64 ? UINT64_MAX : (uint64_t(1) << bits) - 1;
  uint64_t max_neg = uint64_t(1) << (bits - 1);
  if (neg) {
    if (*v > max_neg) return std::nullopt;
    uint64_t r = uint64_t(0) - *v;
    return bits == 64 ? r : (r & max_unsigned);
  }
  if (signed_ && *v > max_unsigned) return std::nullopt;
  if (*v > max_unsigned) return std::nullopt;
  return *v;
}

std::optional<uint32_t> parse_f32(std::string_view t) { return parse_float<uint32_t, 23, 8>(t); }
std::optional<uint64_t> parse_f64(std::string_view t) { return parse_float<uint64_t, 52, 11>(t); }

}  // namespace whirl::wasm::text
