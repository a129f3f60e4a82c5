// Binary format decoder: bytes -> Module. Checks everything the binary
// format itself defines (malformed input); typing is the validator's job.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "common/expected.h"
#include "wasm/module.h"

namespace whirl::wasm {

// Errors read like "section 10 (code) at offset 0x1f: integer too large" and
// always include the spec's wording for the failure where the spec has one
// ("unexpected end", "magic header not detected", "integer representation too
// long", "malformed section id", "zero byte expected", "illegal opcode", ...).
// Errors outside any section (header, checks after the last section) read
// "at offset 0x..: <wording>". The wording and the order of checks follow the
// reference interpreter. SIMD content (the v128 type, the 0xFD prefix) is
// rejected with a message containing "SIMD is not supported".
//
// Implementation limits beyond the spec: at most 50000 locals per function
// and 2^26 locals per module ("too many locals (implementation limit ...)").
//
// With an `owner` that keeps `bytes` alive, data segments and custom
// sections point into `bytes` and the module holds `owner`; without one they
// are copied (into one buffer).
Expected<Module> decode_module(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner = nullptr);

}  // namespace whirl::wasm
