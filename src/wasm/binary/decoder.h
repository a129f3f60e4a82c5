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
// Implementation limits beyond the spec, so that a small binary cannot make
// decoding, validation and compilation cost far more than its size: at most
// 50000 locals per function and 2^26 per module ("too many locals
// (implementation limit ...)"), and the counts below, the ones V8 and
// wasmparser agree on ("too many functions: 1000001 (implementation limit:
// 1000000)"). They are checked after the spec's own checks of a count
// ("length out of bounds").
inline constexpr uint32_t kMaxTypes = 1'000'000;
inline constexpr uint32_t kMaxFunctions = 1'000'000;  // imported and defined
inline constexpr uint32_t kMaxImports = 100'000;
inline constexpr uint32_t kMaxExports = 100'000;
inline constexpr uint32_t kMaxGlobals = 1'000'000;    // imported and defined
inline constexpr uint32_t kMaxTags = 1'000'000;       // imported and defined
inline constexpr uint32_t kMaxTables = 100;           // imported and defined
inline constexpr uint32_t kMaxMemories = 100;         // imported and defined
inline constexpr uint32_t kMaxElemSegments = 100'000;
inline constexpr uint32_t kMaxDataSegments = 100'000;
inline constexpr uint32_t kMaxElemSegmentItems = 10'000'000;  // as a table's size
inline constexpr uint32_t kMaxFunctionParams = 1000;
inline constexpr uint32_t kMaxFunctionResults = 1000;
// V8's current limit (wasmparser and older V8: 128 KiB, which large real
// functions exceed).
inline constexpr uint32_t kMaxFunctionBodySize = 7'654'321;
// Blocks, loops and ifs open at once in a function: whirl's own limit (each
// level costs the validator and the compiler a control frame). Compilers
// nest a block per switch target: far beyond any real switch.
inline constexpr uint32_t kMaxNestingDepth = 100'000;
//
// With an `owner` that keeps `bytes` alive, data segments and custom
// sections point into `bytes` and the module holds `owner`; without one they
// are copied (into one buffer). `features`: see module.h.
//
// `bodies` false skips the function bodies (Function::code_offset only, no
// body_storage): for a module whose code a tier already holds from a
// module of the same bytes that was validated whole (load_module).
//
// `customs` false leaves Module::customs empty (the name section is still
// read into names): what runs a module needs none of them, and a build
// with debug information has most of its bytes there, which would
// otherwise be copied and kept with every loaded module.
Expected<Module> decode_module(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner = nullptr,
                               const Features& features = Features::process_default(), bool bodies = true,
                               bool customs = true);

// What of its input a decoded module keeps: its data segments' and custom
// sections' bytes.
size_t kept_bytes(const Module& m);
// Copies those into one buffer of the module's own (Module::byte_storage),
// so a lent input the module keeps little of can go.
void keep_own_copy(Module& m);

}  // namespace whirl::wasm
