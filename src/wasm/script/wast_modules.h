// The core modules a .wast script defines, as binaries: what the
// differential tests and the fuzzers' seed writer take from the spec suite.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace whirl::wasm::script {

struct WastCoreModule {
  size_t line = 0;  // of the module command
  std::vector<uint8_t> bytes;
};

// Module commands (binary or text, not quoted, not components; not the
// modules of assert_invalid and assert_malformed); an error when the
// script does not parse.
Expected<std::vector<WastCoreModule>> wast_core_modules(std::string_view script);

}  // namespace whirl::wasm::script
