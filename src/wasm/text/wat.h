// WebAssembly text format: a .wat module -> its binary encoding. The binary
// then goes through the one decoder and validator like any .wasm file.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace whirl::wasm::text {

// Accepts "(module $id? field*)", "(module $id? binary "..."*)",
// "(module $id? quote "..."*)" or a bare sequence of module fields.
// Errors are "LINE:COL: message" using the spec's wording where it has one
// ("unexpected token", "unknown operator", "unknown label", "unknown type",
// "i32 constant out of range", "alignment", "inline function type", ...).
Expected<std::vector<uint8_t>> wat_to_binary(std::string_view source);

}  // namespace whirl::wasm::text
