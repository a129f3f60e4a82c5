// What a whirl task runs, inside the task's own process (forked from the
// shim): a WASI command module or a Spin application from the rootfs.
// Preparing (reading, validating, compiling) happens at Create so a bad
// image fails there; running happens at Start.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/expected.h"

namespace whirl::shim {

struct WorkloadSpec {
  std::filesystem::path rootfs;   // the mounted root filesystem
  std::filesystem::path scratch;  // a private directory for staging files (in the bundle)
  std::vector<std::string> args;  // process.args
  std::vector<std::string> env;   // process.env
  std::string cwd = "/";
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Runs to completion; the result is the process's exit status.
  // `stop_signals` (SIGTERM, SIGINT) are blocked in the calling thread.
  virtual int run() = 0;
};

// A WASI command when args[0] names a `.wasm` file in the rootfs; otherwise
// a Spin app from spin.toml at the rootfs root. Errors say which and why.
Expected<std::unique_ptr<Workload>> prepare_workload(const WorkloadSpec& spec);

}  // namespace whirl::shim
