// Differential checks: one module compiled two ways, run side by side with
// the same stand-in imports and inputs; any difference in results, traps,
// memory or globals is a compiler bug. The interpreter with and without its
// superinstructions (CompileOptions), and the aot tier against the
// interpreter. Used by tests (over the spec suite's modules) and by the
// fuzz_diff and fuzz_aot fuzzers.
#pragma once

#include <memory>
#include <optional>
#include <span>
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

// The same inputs under the interpreter (its plain code, without
// superinstructions) and the aot tier (nothing to compare where the aot
// tier is not available), and integer arguments at
// the last bytes of memory 0 besides. Stricter than the above:
// after every call the trap's backtrace and the fuel left must agree too
// (both tiers tick at function entry and at each backward branch taken),
// and every memory, global and table of the instance, imported ones
// included. NaN bit patterns are not compared (the spec lets them differ).
// A call that exhausts the stack on either side ends the comparison: the
// interpreter's limit is a call depth, the aot tier's native stack space.
// An aot compilation failing where the interpreter's succeeds is a
// difference.
std::optional<std::string> compare_tiers(const std::shared_ptr<const Module>& module, uint64_t fuel = 100000);

// A random module (WAT text) made from `bytes`, each choice a byte (the
// simplest once they run out): up to four functions of numeric types
// exported, calling each other and a stand-in import directly and through
// a table, with loops, branches, two memories, globals, loads and stores
// mostly near a memory's end, and constants at the edges of conversions
// and NaN payloads. It always validates. For fuzz_aot, whose mutations of
// binaries seldom make such code.
std::string random_module_text(std::span<const uint8_t> bytes);

}  // namespace whirl::wasm::script
