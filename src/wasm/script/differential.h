// Differential check of the interpreter's superinstructions: one module
// compiled with and without them (CompileOptions), run side by side with the
// same stand-in imports and inputs; any difference in results, traps,
// memory or globals is a compiler bug. Used by tests (over the spec
// suite's modules) and by the fuzz_diff fuzzer.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "wasm/runtime/runtime.h"

namespace whirl::wasm::script {

// A host stand-in for an import: functions return zeros, tables/memories/
// globals are fresh and zeroed (memories capped at 16 pages).
ExternVal stand_in(Store& store, const Import& imp, const Module& m);

// Instantiates `module` with stand-ins and calls every exported function
// with all-zero, all-one-bit and small arguments, under `fuel` per store.
// Returns the first difference between the two compilations, described.
std::optional<std::string> compare_superinstructions(const std::shared_ptr<const Module>& module,
                                                     uint64_t fuel = 100000);

}  // namespace whirl::wasm::script
