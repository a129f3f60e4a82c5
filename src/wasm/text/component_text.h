// The component model's text format (design/mvp/Explainer.md) -> its binary
// format (design/mvp/Binary.md), encoded as wasm-tools (the reference
// encoder) does: the same sugar expansion, index assignment and section
// grouping, so the bytes decode with component::decode_component and index
// errors name the same indices. Core modules inside go through wat_to_binary's
// translation.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace whirl::wasm::text {

// Accepts "(component $id? definition*)", "(component $id? binary "..."*)",
// "(component $id? quote "..."*)" (a leading `definition` keyword, as .wast
// scripts write it, is skipped). Errors are "LINE:COL: message" with
// wasm-tools' wording where the reference tests check it ("unexpected token",
// "unknown type: failed to find name `$t`", "outer item `x` is not a module,
// type, or component", "invalid string escape", ...). Constructs this encoder
// does not know are an error naming them.
Expected<std::vector<uint8_t>> component_to_binary(std::string_view source);

}  // namespace whirl::wasm::text
