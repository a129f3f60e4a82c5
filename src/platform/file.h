// Whole files read for the loader: one buffer of the file's size, not
// zero-filled, its pages made present in one call (vm_prefault), read once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/expected.h"

namespace whirl::platform {

// A file's bytes and what keeps them alive (to lend to wasm::load_module,
// so a large module's data segments are not copied again).
struct FileBytes {
  std::shared_ptr<const void> owner;
  std::span<const uint8_t> bytes;
};

// Reads all of `path` (a regular file, or a pipe read as a stream); the
// error reads "<path>: cannot read file" (plus why, for a directory).
Expected<FileBytes> read_file(const std::string& path);

// A regular file mapped read-only (private, its pages read in up front):
// no copy of a large file that is only read. Errors as read_file's.
Expected<FileBytes> map_file(const std::string& path);

}  // namespace whirl::platform
