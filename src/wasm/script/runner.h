// The spec-script runner behind `whirl wast`: runs .wast command scripts
// against the one loader and runtime, whatever tier executes the code.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/runtime/runtime.h"

namespace whirl::wasm::script {

struct FileResult {
  std::string file;
  uint32_t passed = 0;
  uint32_t failed = 0;
  uint32_t skipped = 0;              // commands not run because of an unsupported feature
  std::string unsupported;           // why the rest of the file was skipped, if it was
  std::vector<std::string> failures; // "file:line: what was expected, what happened"
};

struct RunnerOptions {
  StoreConfig store;
};

// Runs one script given its text; `file` names it in messages.
FileResult run_script(std::string_view file, std::string_view source, const RunnerOptions& options = {});

// Reads and runs a script file; an unreadable file is one failure.
FileResult run_script_file(const std::string& path, const RunnerOptions& options = {});

}  // namespace whirl::wasm::script
