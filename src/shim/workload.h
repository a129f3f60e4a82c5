// What a whirl task runs, inside the task's own process (forked from the
// shim): a WASI command module or a Spin application from the rootfs.
// Preparing (reading, validating, compiling) happens at Create so a bad
// image fails there; running happens at Start.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
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
// A file mapped read-only (unmapped when destroyed).
class MappedFile {
 public:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  MappedFile(MappedFile&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr; o.size_ = 0; }
  MappedFile& operator=(MappedFile&&) = delete;
  ~MappedFile();
  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  const uint8_t* data_;
  size_t size_;
};
// A WASI command's module, mapped from beneath spec.rootfs (symlinks may
// not leave it): the shim looks it up without copying it.
Expected<MappedFile> map_wasi_module(const WorkloadSpec& spec);

}  // namespace whirl::shim
