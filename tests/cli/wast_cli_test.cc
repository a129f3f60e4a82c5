// End-to-end checks of `whirl wast` (summary lines, failure details, exit
// codes) and of the files `whirl run` cannot read.
#include <gtest/gtest.h>


#include <cstdio>
#include <filesystem>
#include <string>

#include "cli_process.h"

namespace {

using whirl::testing::CliOutput;

CliOutput run(const std::string& args) { return whirl::testing::run_whirl(args); }

std::string write_temp(const std::string& name, const std::string& content) {
  return whirl::testing::write_scratch_file("whirl-cli-test", name, content);
}

TEST(WastCli, PassingScriptExitsZero) {
  auto f = write_temp("pass.wast", R"wast((module (func (export "add") (param i32 i32) (result i32)
                                          (i32.add (local.get 0) (local.get 1))))
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(assert_trap (module (func $u unreachable) (start $u)) "unreachable")
)wast");
  auto out = run("wast " + f);
  EXPECT_EQ(out.exit_code, 0) << out.text;
  EXPECT_NE(out.text.find("ok   " + f), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("3 passed, 0 failed"), std::string::npos) << out.text;
}

TEST(WastCli, WrongExpectationIsReportedWithLine) {
  auto f = write_temp("fail.wast", R"wast((module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 2))
(assert_trap (invoke "one") "unreachable")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_malformed (module quote "(func (i32.bogus))") "unknown operator")
)wast");
  auto out = run("wast " + f);
  EXPECT_EQ(out.exit_code, 1) << out.text;
  EXPECT_NE(out.text.find("FAIL " + f), std::string::npos) << out.text;
  EXPECT_NE(out.text.find(f + ":2: assert_return invoke \"one\": expected (i32.const 2), got (i32.const 1)"),
            std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find(f + ":3: assert_trap"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("3 passed, 2 failed"), std::string::npos) << out.text;
}

TEST(WastCli, SimdIsReportedAsUnsupported) {
  auto f = write_temp("simd.wast", R"wast((module (func (export "f") (result v128) (v128.const i32x4 0 0 0 0)))
(assert_return (invoke "f") (v128.const i32x4 0 0 0 0))
)wast");
  auto out = run("wast " + f);
  EXPECT_NE(out.text.find("unsupported " + f), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("SIMD"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("0 passed, 0 failed, 2 skipped"), std::string::npos) << out.text;
}

TEST(WastCli, MissingFileIsOneClearLine) {
  auto out = run("wast /nonexistent/x.wast");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(out.text.find("/nonexistent/x.wast"), std::string::npos) << out.text;
}

// A missing file or a directory: one line naming it, exit 1 (a directory
// once made `whirl run` allocate 2^63 bytes and abort).
TEST(RunCli, UnreadableModuleIsOneClearLine) {
  auto missing = run("run /nonexistent/x.wasm");
  EXPECT_EQ(missing.exit_code, 1) << missing.text;
  EXPECT_EQ(missing.text, "whirl run: /nonexistent/x.wasm: cannot read file\n");
  const std::string dir = whirl::testing::scratch_dir("whirl-cli-test").string();
  auto directory = run("run " + dir);
  EXPECT_EQ(directory.exit_code, 1) << directory.text;
  EXPECT_EQ(directory.text, "whirl run: " + dir + ": cannot read file (it is a directory)\n");
}

TEST(WastCli, UnknownFlagExitsOne) {
  auto out = run("wast --bogus-flag");
  EXPECT_EQ(out.exit_code, 1) << out.text;
}

}  // namespace
