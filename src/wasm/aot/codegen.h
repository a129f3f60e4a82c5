// LLVM's half of the aot tier: a validated module to an ELF object (one
// per module, position-independent, for this CPU), optimized.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/expected.h"
#include "wasm/module.h"

namespace whirl::wasm::aot {

// The module's code: one ELF relocatable object per part (parts compile
// on threads of their own), each part's size then its bytes.
struct ObjectCode {
  std::vector<uint8_t> bytes;
};

// Fails for what the tier does not compile (uncompiled_feature), when LLVM
// has no target for this machine, or when `progress` (after each part:
// parts done, parts in all) returns false.
Expected<ObjectCode> compile_object(const Module& m,
                                    const std::function<bool(size_t done, size_t total)>& progress = {});
// The parts of `code` (views into it); an error for a damaged one.
Expected<std::vector<std::span<const uint8_t>>> object_parts(std::span<const uint8_t> code);

// The CPU the code is for ("<cpu>;<features>"): part of an artifact's key.
const std::string& host_cpu_key();

}  // namespace whirl::wasm::aot
