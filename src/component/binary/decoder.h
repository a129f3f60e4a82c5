// Component binary decoder (design/mvp/Binary.md): bytes -> Component
// (component/ast.h). Checks the binary format only; index references,
// types and names are the validator's (component/binary/validator.h).
#pragma once

#include <functional>

#include <cstdint>
#include <memory>
#include <span>

#include "common/expected.h"
#include "component/ast.h"

namespace whirl::component {

// Errors read "section 7 (type) at offset 0x1f: invalid leading byte (0x62)
// for component defined type" (offsets into the outermost binary, the
// innermost section named; outside any section "at offset 0x..: ..."),
// with wasmparser's wording, which the component-model tests expect.
// A core module inside is decoded by the core decoder (decode_module); its
// error follows kCoreModuleError with the core decoder's own message.
//
// Implementation limit: definitions nest at most kMaxNesting deep (nested
// components, component, instance and module types).
inline constexpr int kMaxNesting = 100;
inline constexpr const char* kCoreModuleError = "in core module: ";

// With an `owner` that keeps `bytes` alive, core module bytes and custom
// sections are views into `bytes`; without one they view a copy the
// component holds.
//
// `find_compiled`, when given, is asked for each core module's bytes: what
// it returns (a tier's code made from exactly those bytes, validated whole
// then) goes to CoreModuleDef::compiled_before, and that module's function
// bodies are skipped, not decoded.
using FindCompiled = std::function<std::shared_ptr<const void>(std::span<const uint8_t> bytes)>;
Expected<Component> decode_component(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner = nullptr,
                                     const FindCompiled& find_compiled = {});

// True if `bytes` starts with a component preamble (\0asm 0d 00 01 00):
// how a .wasm file tells a component from a core module.
bool is_component_binary(std::span<const uint8_t> bytes);

}  // namespace whirl::component
