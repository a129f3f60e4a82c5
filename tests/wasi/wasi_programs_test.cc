// C programs built twice from one source — natively and for wasm32-wasi —
// must print the same and exit the same; escape attempts must all fail.
// Each wasm program runs twice: as the core module (WASI preview1) and as
// the component jco makes of it with the preview1 adapter (WASI 0.2).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "../scratch_dir.h"

namespace fs = std::filesystem;

namespace {

struct Result {
  std::string out;
  int code = -1;
};

// Runs `cmd` in `dir` with stdin from `input`; stdout captured, stderr to `err` file.
Result run_in(const fs::path& dir, const std::string& cmd, const std::string& input = "") {
  fs::path in = dir / ".stdin", err = dir.parent_path() / (dir.filename().string() + ".stderr");
  std::ofstream(in) << input;
  std::string full = "cd '" + dir.string() + "' && " + cmd + " < .stdin 2> '" + err.string() + "'";
  Result r;
  FILE* p = popen(full.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  fs::remove(in);
  return r;
}

fs::path fresh_dir(const std::string& name) {
  fs::path d = whirl::testing::scratch_dir("whirl-wasi") / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// The form under test: ".wasm" (core module) or ".component.wasm".
std::string g_form = ".wasm";
std::string wasm(const char* name) { return std::string(WHIRL_WASI_DIR) + "/" + name + g_form; }
std::string native(const char* name) { return std::string(WHIRL_WASI_DIR) + "/" + name + ".native"; }
std::string whirl() { return WHIRL_BINARY; }

class WasiPrograms : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    g_form = GetParam();
    ASSERT_TRUE(fs::exists(wasm("fileio"))) << "no " << g_form << " programs were built (they need npm for jco)";
  }
  void TearDown() override { g_form = ".wasm"; }
};

INSTANTIATE_TEST_SUITE_P(Forms, WasiPrograms, ::testing::Values(".wasm", ".component.wasm"),
                         [](const auto& info) { return info.param == ".wasm" ? "CoreModule" : "Component"; });

void compare(const char* name, const std::string& args, const std::string& env, const std::string& input) {
  Result n = run_in(fresh_dir(std::string(name) + "-native"), "env " + env + " " + native(name) + " " + args, input);
  std::string wenv;
  if (!env.empty()) wenv = "--env " + env;
  Result w = run_in(fresh_dir(std::string(name) + "-wasm"),
                    whirl() + " run --dir .::. " + wenv + " " + wasm(name) + " " + args, input);
  EXPECT_EQ(w.out, n.out) << name;
  // WASI 0.2's wasi:cli/exit takes a result, not a code: the preview1
  // adapter exits nonzero statuses as `err`, which is exit status 1
  // (wasmtime's too).
  int want = g_form == ".wasm" || n.code == 0 ? n.code : 1;
  EXPECT_EQ(w.code, want) << name;
  EXPECT_FALSE(n.out.empty());
}

TEST_P(WasiPrograms, FileIoMatchesNative) { compare("fileio", "", "", ""); }

TEST_P(WasiPrograms, ArgsEnvStdinExitCodeMatchNative) {
  compare("args_env", "first 42 third", "GREETING=hello", "one\ntwo\nthree\n");
  compare("args_env", "", "", "");
}

TEST_P(WasiPrograms, TrapExitsWith134AndBacktrace) {
  fs::path d = fresh_dir("trap");
  Result w = run_in(d, whirl() + " run " + wasm("trap"));
  EXPECT_EQ(w.code, 134);
  EXPECT_EQ(w.out, "before\n");
  std::ifstream err(d.parent_path() / "trap.stderr");
  std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("unreachable"), std::string::npos) << text;
  EXPECT_NE(text.find("crash_here"), std::string::npos) << text;
}

TEST_P(WasiPrograms, EscapeAttemptsAreRefused) {
  fs::path root = fresh_dir("escape");
  fs::path box = root / "box";
  fs::create_directories(box);
  std::ofstream(root / "outside.txt") << "secret";
  std::ofstream(box / "inside.txt") << "mine";
  fs::create_symlink("../outside.txt", box / "host-link");
  Result w = run_in(box, whirl() + " run --dir .::. " + wasm("escape"));
  EXPECT_EQ(w.code, 0);
  EXPECT_EQ(w.out.find("ESCAPED"), std::string::npos) << w.out;
  EXPECT_NE(w.out.find("host symlink: refused"), std::string::npos) << w.out;
  EXPECT_TRUE(fs::exists(box / "inside.txt"));
  EXPECT_FALSE(fs::exists(root / "moved.txt"));
  EXPECT_FALSE(fs::exists(root / "newdir"));
}

TEST(WasiCli, BadInputsAreOneClearLine) {
  fs::path d = fresh_dir("cli");
  std::ofstream(d / "bad.wasm") << std::string("\0asm\x01\0\0\0\x05", 9);
  Result missing = run_in(d, whirl() + " run nothere.wasm");
  EXPECT_EQ(missing.code, 1);
  Result bad = run_in(d, whirl() + " run bad.wasm");
  EXPECT_EQ(bad.code, 1);
  std::ofstream(d / "imp.wat") << "(module (import \"env\" \"f\" (func)) (func (export \"_start\")))";
  Result imp = run_in(d, whirl() + " run imp.wat");
  EXPECT_EQ(imp.code, 1);
  std::ofstream(d / "add.wat") << "(module (func (export \"add\") (param i32 i64) (result i64)"
                                  " (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))))";
  Result inv = run_in(d, whirl() + " run --invoke add add.wat -5 7");
  EXPECT_EQ(inv.code, 0);
  EXPECT_EQ(inv.out, "2\n");
  // A module read from a pipe (no size to read it by) and an empty file.
  Result piped = run_in(d, "(cat add.wat | " + whirl() + " run --invoke add /dev/stdin 40 2)");
  EXPECT_EQ(piped.code, 0);
  EXPECT_EQ(piped.out, "42\n");
  std::ofstream(d / "empty.wasm").flush();
  Result empty = run_in(d, whirl() + " run empty.wasm");
  EXPECT_EQ(empty.code, 1);
  std::ifstream err_file(d.parent_path() / (d.filename().string() + ".stderr"));
  std::string err((std::istreambuf_iterator<char>(err_file)), {});
  EXPECT_NE(err.find("empty.wasm"), std::string::npos) << err;
}

TEST(WasiCli, TimeoutAndMemoryLimits) {
  fs::path d = fresh_dir("limits");
  std::ofstream(d / "loop.wat") << "(module (func (export \"_start\") (loop $l (br $l))))";
  Result loop = run_in(d, whirl() + " run --timeout 0.2 loop.wat");
  EXPECT_EQ(loop.code, 134);
  std::ofstream(d / "grow.wat") << "(module (memory 1) (func (export \"grow\") (param i32) (result i32)"
                                   " (memory.grow (local.get 0))))";
  // 4 pages allowed: growing by 3 works (old size 1), by 4 more fails (-1).
  EXPECT_EQ(run_in(d, whirl() + " run --max-memory 262144 --invoke grow grow.wat 3").out, "1\n");
  EXPECT_EQ(run_in(d, whirl() + " run --max-memory 262144 --invoke grow grow.wat 4").out, "-1\n");
}


// The guest's own descriptor limit (WasiConfig::max_open_files, 1024): the
// same outcome as a native process under a limit of 1024 descriptors. Core
// modules only: through the preview1 adapter a component meets the
// adapter's own, smaller descriptor table first (the host's limit for
// WASI 0.2 is tested in tests/wasi/p2).
TEST(WasiProgramsCore, DescriptorLimit) {
  Result n = run_in(fresh_dir("fdlimit-native"), "ulimit -n 1024 && " + native("fdlimit"));
  Result w = run_in(fresh_dir("fdlimit-wasm"), whirl() + " run --dir .::. " + wasm("fdlimit"));
  EXPECT_EQ(n.out, "opened more than 500: yes\nerror: EMFILE\n");
  EXPECT_EQ(w.out, n.out);
  EXPECT_EQ(w.code, 0);
}

}  // namespace
