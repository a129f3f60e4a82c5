// Differential fuzzing of the aot tier against the interpreter: every
// module that decodes and validates runs under both (see
// wasm/script/differential.h, compare_tiers); any difference aborts with
// its description. Seeds: the spec suite's modules (wast_seeds).
#include <cstdio>
#include <cstdlib>
#include <span>

#include "wasm/binary/decoder.h"
#include "wasm/script/differential.h"
#include "wasm/validate/validator.h"

using namespace whirl::wasm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = decode_module(std::span<const uint8_t>(data, size));
  if (!m) return 0;
  auto module = std::make_shared<const Module>(std::move(*m));
  if (!validate_module(*module)) return 0;
  if (auto diff = script::compare_tiers(module, 20000)) {
    std::fprintf(stderr, "the aot tier differs from the interpreter: %s\n", diff->c_str());
    std::abort();
  }
  return 0;
}
