// LLVM's half of the aot tier: a validated module to an ELF object (one
// per module, position-independent, for this CPU), optimized.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/expected.h"
#include "wasm/module.h"

namespace whirl::wasm::aot {

struct ObjectCode {
  std::vector<uint8_t> bytes;  // the ELF relocatable object
};

// Fails for what the tier does not compile (naming it), or when LLVM has
// no target for this machine.
Expected<ObjectCode> compile_object(const Module& m);

// The CPU the code is for ("<cpu>;<features>"): part of an artifact's key.
const std::string& host_cpu_key();

}  // namespace whirl::wasm::aot
