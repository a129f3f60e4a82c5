// `whirl run`'s options and the parts the core-module path
// (run_command.cc) and the component path (run_component.cc) share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/file.h"
#include "wasi/p1/wasi.h"
#include "wasm/runtime/runtime.h"

namespace whirl::cli {

struct RunOptions {
  std::string file;
  std::vector<std::string> args;
  std::vector<std::string> dirs;
  std::vector<std::string> env;
  std::string invoke;
  uint64_t max_memory = 0;
  double timeout = 0;
  std::string tier = "auto";
};

int run_fail(const std::string& what);  // "whirl run: WHAT" on stderr; returns 1
// A trap's exit status: the code for an exit, else 134 after printing the
// trap and its backtrace.
int report_trap(const wasm::Trap& t);
// The WASI configuration the options describe (args, env, preopens).
wasi::WasiConfig wasi_config(const RunOptions& o);
wasm::StoreConfig store_config(const RunOptions& o);

// Runs a component (`wasi:cli/run`, or the --invoke call).
int run_component(const RunOptions& o, const platform::FileBytes& bytes);

}  // namespace whirl::cli
