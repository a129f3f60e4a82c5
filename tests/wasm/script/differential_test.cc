// Every module of the spec suite (../shared/wasm-testsuite, top-level
// scripts), compiled with and without superinstructions, run side by side
// (wasm/script/differential.h): results, traps, memories and globals must
// agree. The spec assertions check the fused code against the spec; this
// checks it against the plain code on inputs the assertions do not use.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wasm/binary/decoder.h"
#include "wasm/script/differential.h"
#include "wasm/script/wast_modules.h"
#include "wasm/text/wat.h"
#include "wasm/validate/validator.h"

namespace whirl::wasm {
namespace {

namespace fs = std::filesystem;

// Checks every module of the scripts in `dir` (those `take` accepts);
// counts files and modules.
void check_scripts(const fs::path& dir, bool (*take)(const std::string& name), size_t* files, size_t* modules) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".wast" || !take(entry.path().filename().string())) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto mods = script::wast_core_modules(text.str());
    if (!mods) continue;
    ++*files;
    for (const auto& c : *mods) {
      auto m = decode_module(c.bytes);
      if (!m) continue;  // SIMD and other proposals the interpreter does not take
      auto module = std::make_shared<const Module>(std::move(*m));
      if (!validate_module(*module)) continue;
      ++*modules;
      auto diff = script::compare_superinstructions(module);
      EXPECT_FALSE(diff) << entry.path().filename().string() << ":" << c.line << ": " << *diff;
    }
  }
}

TEST(Differential, SpecModulesAgreeWithAndWithoutSuperinstructions) {
  if (!fs::is_directory(WHIRL_SPEC_DIR)) GTEST_SKIP() << "no spec suite at " << WHIRL_SPEC_DIR;
  size_t modules = 0, files = 0;
  check_scripts(WHIRL_SPEC_DIR, [](const std::string&) { return true; }, &files, &modules);
  EXPECT_GT(files, 80u);
  EXPECT_GT(modules, 1000u);
  RecordProperty("modules", int(modules));
}

// The 3.0 suite's multi-memory scripts: accesses to memories other than 0
// must not be fused as memory 0's.
TEST(Differential, MultiMemoryModulesAgreeWithAndWithoutSuperinstructions) {
  const fs::path dir = fs::path(WHIRL_SPEC_DIR) / "proposals" / "wasm-3.0";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no 3.0 suite at " << dir;
  size_t modules = 0, files = 0;
  auto multi = [](const std::string& name) {
    for (const char* prefix : {"address", "align0", "data", "exports0", "float_", "imports", "linking", "load",
                               "memory", "start0", "store", "traps0"})
      if (name.starts_with(prefix) && name.find("64") == std::string::npos) return true;
    return false;
  };
  check_scripts(dir, multi, &files, &modules);
  EXPECT_GT(files, 30u);
  EXPECT_GT(modules, 100u);
}

}  // namespace
}  // namespace whirl::wasm
