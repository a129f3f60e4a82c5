// Every module of the spec suite (../shared/wasm-testsuite, top-level
// scripts), compiled with and without superinstructions, run side by side
// (wasm/script/differential.h): results, traps, memories and globals must
// agree. The spec assertions check the fused code against the spec; this
// checks it against the plain code on inputs the assertions do not use.
#include <gtest/gtest.h>

#include <filesystem>

#include "wasm/script/differential.h"
#include "../spec_modules.h"

namespace whirl::wasm {
namespace {

namespace fs = std::filesystem;

// Compares every module of the scripts in `dir` that `take` accepts;
// counts files and modules.
void check_scripts(const fs::path& dir, bool (*take)(const std::string& name), size_t* files, size_t* modules) {
  testing::for_each_spec_module(dir, take, files, modules, [](const auto& module, const std::string& where) {
    auto diff = script::compare_superinstructions(module);
    EXPECT_FALSE(diff) << where << ": " << *diff;
  });
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
  check_scripts(dir, testing::is_multi_memory_script, &files, &modules);
  EXPECT_GT(files, 30u);
  EXPECT_GT(modules, 100u);
}

}  // namespace
}  // namespace whirl::wasm
