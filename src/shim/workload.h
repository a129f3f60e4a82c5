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

namespace whirl::wasm {
class CompiledModule;
}

namespace whirl::shim {

struct WorkloadSpec {
  std::filesystem::path rootfs;   // the mounted root filesystem
  std::filesystem::path scratch;  // a private directory for staging files (in the bundle)
  std::vector<std::string> args;  // process.args
  std::vector<std::string> env;   // process.env
  std::string cwd = "/";
  // A WASI command's module, already compiled by the shim (module_cache.h):
  // used instead of reading and compiling args[0]. Null: compile it here.
  std::shared_ptr<const wasm::CompiledModule> module;
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

// Whether the spec is a WASI command (args[0] names a `.wasm` file).
bool is_wasi_command(const WorkloadSpec& spec);
// A WASI command's module bytes, read beneath spec.rootfs (symlinks may not leave it).
Expected<std::vector<uint8_t>> read_wasi_module(const WorkloadSpec& spec);

}  // namespace whirl::shim
