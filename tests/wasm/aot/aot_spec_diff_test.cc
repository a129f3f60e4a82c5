// Every module of the spec suite (top-level scripts, and the 3.0 suite's
// multi-memory ones) under the aot tier and the interpreter side by side
// (wasm/script/differential.h, compare_tiers): results, traps with their
// backtraces, fuel left, memories, globals and tables must agree after
// every call. The spec assertions check each tier against the spec; this
// checks the tiers against each other on inputs the assertions do not use,
// and the fuel each spends.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wasm/aot/tier.h"
#include "wasm/binary/decoder.h"
#include "wasm/script/differential.h"
#include "wasm/script/wast_modules.h"
#include "wasm/text/wat.h"
#include "wasm/validate/validator.h"

namespace whirl::wasm {
namespace {

namespace fs = std::filesystem;

// Compares every module of the scripts in `dir` that `take` accepts;
// counts files and modules.
void check_scripts(const fs::path& dir, bool (*take)(const std::string& name), size_t* files, size_t* modules) {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".wast" && take(entry.path().filename().string())) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  for (const fs::path& path : paths) {
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
      auto diff = script::compare_tiers(module);
      EXPECT_FALSE(diff) << path.filename().string() << ":" << c.line << ": " << *diff;
    }
  }
}

TEST(AotSpecDiff, SpecModulesAgreeUnderBothTiers) {
  if (!fs::is_directory(WHIRL_SPEC_DIR)) GTEST_SKIP() << "no spec suite at " << WHIRL_SPEC_DIR;
  ASSERT_TRUE(aot::register_aot_tier());
  size_t modules = 0, files = 0;
  check_scripts(WHIRL_SPEC_DIR, [](const std::string&) { return true; }, &files, &modules);
  EXPECT_GT(files, 80u);
  EXPECT_GT(modules, 1000u);
  RecordProperty("modules", int(modules));
}

TEST(AotSpecDiff, MultiMemoryModulesAgreeUnderBothTiers) {
  const fs::path dir = fs::path(WHIRL_SPEC_DIR) / "proposals" / "wasm-3.0";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no 3.0 suite at " << dir;
  ASSERT_TRUE(aot::register_aot_tier());
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
