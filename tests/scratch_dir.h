// A test process's scratch directory under the system temp directory, named
// for the process, created on first use and removed when the process exits.
// One per process: the first call's prefix names it.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace whirl::testing {

inline const std::filesystem::path& scratch_dir(const std::string& prefix) {
  static const struct Dir {
    std::filesystem::path path;
    explicit Dir(const std::string& p)
        : path(std::filesystem::temp_directory_path() / (p + "-" + std::to_string(getpid()))) {
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } dir(prefix);
  return dir.path;
}

}  // namespace whirl::testing
