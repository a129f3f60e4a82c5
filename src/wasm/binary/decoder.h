// Binary format decoder: bytes -> Module. Checks everything the binary
// format itself defines (malformed input); typing is the validator's job.
#pragma once

#include <cstdint>
#include <span>

#include "common/expected.h"
#include "wasm/module.h"

namespace whirl::wasm {

// Errors read like "section 10 (code) at offset 0x1f: integer too large" and
// always include the spec's wording for the failure where the spec has one
// ("unexpected end", "magic header not detected", "integer representation too
// long", "malformed section id", "zero byte expected", "illegal opcode", ...).
Expected<Module> decode_module(std::span<const uint8_t> bytes);

}  // namespace whirl::wasm
