// Module validation exactly per the spec's validation algorithm. The one
// validator: every execution tier runs only modules that passed it.
#pragma once

#include "common/expected.h"
#include "wasm/module.h"

namespace whirl::wasm {

// Errors name the function (index and, if known, name), the instruction
// offset and use the spec's wording where it has one ("type mismatch",
// "unknown local", "unknown function", "alignment must not be larger than
// natural", "constant expression required", "duplicate export name", ...).
// `features`: see module.h (off: "multiple memories" is invalid).
// `bodies` false checks all but the function bodies (a module decoded
// without them).
Expected<void> validate_module(const Module& module, const Features& features = Features::process_default(),
                               bool bodies = true);

}  // namespace whirl::wasm
