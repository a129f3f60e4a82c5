// The spec suite's modules for the differential tests (superinstructions,
// tiers): every core module of the scripts in a directory that decodes and
// validates, with where it came from.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "wasm/binary/decoder.h"
#include "wasm/script/wast_modules.h"
#include "wasm/validate/validator.h"

namespace whirl::wasm::testing {

// Calls check(module, "file:line") for each module of the scripts in `dir`
// that `take` accepts, in file-name order; counts files and modules.
template <class Check>
void for_each_spec_module(const std::filesystem::path& dir, bool (*take)(const std::string& name), size_t* files,
                          size_t* modules, Check&& check) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".wast" && take(entry.path().filename().string())) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    auto mods = script::wast_core_modules(text.str());
    if (!mods) continue;
    ++*files;
    for (const auto& c : *mods) {
      auto m = decode_module(c.bytes);
      if (!m) continue;  // SIMD and other proposals the runtime does not take
      auto module = std::make_shared<const Module>(std::move(*m));
      if (!validate_module(*module)) continue;
      ++*modules;
      check(module, path.filename().string() + ":" + std::to_string(c.line));
    }
  }
}

// The 3.0 suite's scripts that use several memories (not memory64's).
inline bool is_multi_memory_script(const std::string& name) {
  for (const char* prefix : {"address", "align0", "data", "exports0", "float_", "imports", "linking", "load", "memory",
                             "start0", "store", "traps0"})
    if (name.starts_with(prefix) && name.find("64") == std::string::npos) return true;
  return false;
}

}  // namespace whirl::wasm::testing
