// Numeric literals of the text format: integers with range checks, floats
// correctly rounded, NaN payloads. Each returns nothing when the token is
// not a literal of that type or is out of range.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace whirl::wasm::text {

// Any of [-2^(bits-1), 2^bits - 1], returned as the two's-complement bits.
std::optional<uint64_t> parse_int(std::string_view token, int bits);
// Unsigned only (indices, alignment, offsets): [0, 2^bits - 1].
std::optional<uint64_t> parse_uint(std::string_view token, int bits);
std::optional<uint32_t> parse_f32(std::string_view token);  // IEEE bits
std::optional<uint64_t> parse_f64(std::string_view token);  // IEEE bits

}  // namespace whirl::wasm::text
