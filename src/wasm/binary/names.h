// The "name" custom section (spec appendix): module name and function names.
#pragma once

#include <cstdint>
#include <span>

#include "wasm/module.h"

namespace whirl::wasm::binary {

// Parses the payload of a "name" custom section (after its name) into
// m.module_name and m.func_names. Custom section contents are not validated by
// the spec, so a malformed name section is ignored as a whole: nothing is
// stored and no error is reported.
void parse_name_section(std::span<const uint8_t> payload, Module& m);

}  // namespace whirl::wasm::binary
