// Every module of the spec suite (top-level scripts, and the 3.0 suite's
// multi-memory ones) under the aot tier and the interpreter side by side
// (wasm/script/differential.h, compare_tiers): results, traps with their
// backtraces, fuel left, memories, globals and tables must agree after
// every call. The spec assertions check each tier against the spec; this
// checks the tiers against each other on inputs the assertions do not use,
// and the fuel each spends.
#include <gtest/gtest.h>

#include <filesystem>

#include "wasm/aot/tier.h"
#include "wasm/script/differential.h"
#include "../spec_modules.h"

namespace whirl::wasm {
namespace {

namespace fs = std::filesystem;

// Compares every module of the scripts in `dir` that `take` accepts;
// counts files and modules.
void check_scripts(const fs::path& dir, bool (*take)(const std::string& name), size_t* files, size_t* modules) {
  testing::for_each_spec_module(dir, take, files, modules, [](const auto& module, const std::string& where) {
    auto diff = script::compare_tiers(module);
    EXPECT_FALSE(diff) << where << ": " << *diff;
  });
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
  check_scripts(dir, testing::is_multi_memory_script, &files, &modules);
  EXPECT_GT(files, 30u);
  EXPECT_GT(modules, 100u);
}

}  // namespace
}  // namespace whirl::wasm
