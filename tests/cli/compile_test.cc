// `whirl compile` and the compiled-code cache through the CLI: a .cwasm
// runs like its module (the interpreter's output is the reference); a
// damaged .cwasm is one error line; a damaged or stale cache entry is
// compiled again (and replaced), never run; a component's core modules go
// into the cache.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli_process.h"

namespace {

namespace fs = std::filesystem;
using whirl::testing::CliOutput;
using whirl::testing::run_whirl;

const char* kModule = R"((module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (memory 1)
  (func $inner (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load") (param i32) (result i32) (call $inner (local.get 0))))
)";

std::string dir() { return whirl::testing::scratch_dir("whirl-compile-test").string(); }
std::string write(const std::string& name, const std::string& content) {
  return whirl::testing::write_scratch_file("whirl-compile-test", name, content);
}
std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
// Runs whirl with a private cache.
CliOutput whirl(const std::string& args) {
  setenv("XDG_CACHE_HOME", (dir() + "/cache").c_str(), 1);  // the child's
  return run_whirl(args);
}
std::vector<fs::path> cache_entries() {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(dir() + "/cache", ec))
    if (e.path().extension() == ".cwasm") out.push_back(e.path());
  return out;
}

// The module as a binary, through `whirl compile` of its text, so the
// test needs no other tool: compile writes the .cwasm, run --tier interp of
// the .cwasm runs the module it carries.
TEST(Compile, CwasmRunsLikeItsModule) {
  auto wat = write("fib.wat", kModule);
  auto cw = dir() + "/fib.cwasm";
  auto c = whirl("compile " + wat + " -o " + cw);
  ASSERT_EQ(c.exit_code, 0) << c.text;
  for (std::string tier : {"interp", "aot", "auto"}) {
    auto r = whirl("run --tier " + tier + " --invoke fib " + cw + " 20");
    EXPECT_EQ(r.exit_code, 0) << r.text;
    EXPECT_EQ(r.text, "6765\n") << tier;
  }
  // The same trap and backtrace from the compiled code as from the interpreter.
  auto i = whirl("run --tier interp --invoke load " + cw + " 70000");
  auto a = whirl("run --tier aot --invoke load " + cw + " 70000");
  EXPECT_EQ(i.exit_code, 134);
  EXPECT_EQ(a.exit_code, 134);
  EXPECT_EQ(a.text, i.text);
  EXPECT_NE(a.text.find("out of bounds memory access"), std::string::npos) << a.text;
}

TEST(Compile, DamagedCwasmIsOneErrorLine) {
  auto wat = write("fib2.wat", kModule);
  auto cw = dir() + "/fib2.cwasm";
  ASSERT_EQ(whirl("compile " + wat + " -o " + cw).exit_code, 0);
  std::string bytes = read(cw);
  ASSERT_GT(bytes.size(), 200u);
  for (size_t at : {size_t(8), size_t(40), bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] ^= 0x5a;
    auto f = write("bad.cwasm", bad);
    auto r = whirl("run --tier aot --invoke fib " + f + " 10");
    EXPECT_EQ(r.exit_code, 1) << "byte " << at << ": " << r.text;
    EXPECT_EQ(r.text.rfind("whirl run: " + f + ": ", 0), 0u) << r.text;
  }
  auto t = write("trunc.cwasm", bytes.substr(0, bytes.size() / 3));
  auto r = whirl("run --invoke fib " + t + " 10");
  EXPECT_EQ(r.exit_code, 1) << r.text;
  EXPECT_NE(r.text.find("truncated or damaged"), std::string::npos) << r.text;
}

TEST(Compile, DamagedCacheEntryIsCompiledAgain) {
  std::error_code ec;
  fs::remove_all(dir() + "/cache", ec);
  auto wat = write("fib3.wat", kModule);
  auto cw = dir() + "/fib3.cwasm";
  ASSERT_EQ(whirl("compile " + wat + " -o " + cw).exit_code, 0);
  auto entries = cache_entries();
  ASSERT_EQ(entries.size(), 1u);
  const std::string good = read(entries[0].string());
  // Damage the entry and the .cwasm's own code's key (another build): the
  // code comes from a fresh compile, the entry is written anew.
  std::string bad = good;
  bad[bad.size() - 100] ^= 0xff;
  std::ofstream(entries[0], std::ios::binary) << bad;
  std::string cwasm = read(cw);
  cwasm[16] ^= 1;  // the header's environment key
  auto stale = write("stale.cwasm", cwasm);
  auto r = whirl("run --tier aot --invoke fib " + stale + " 15");
  EXPECT_EQ(r.exit_code, 0) << r.text;
  EXPECT_EQ(r.text, "610\n");
  EXPECT_EQ(read(entries[0].string()), good);
}

TEST(Compile, ComponentCoreModulesGoToTheCache) {
  const char* component = R"((component
    (core module $a (func (export "f") (result i32) (i32.const 7)))
    (core module $b (func (export "g") (result i32) (i32.const 8)))
  ))";
  std::error_code ec;
  fs::remove_all(dir() + "/cache", ec);
  auto f = write("two.wat", component);
  auto c = whirl("compile " + f);
  EXPECT_EQ(c.exit_code, 0) << c.text;
  EXPECT_NE(c.text.find("2 core module(s)"), std::string::npos) << c.text;
  EXPECT_EQ(cache_entries().size(), 2u);
  auto o = whirl("compile " + f + " -o " + dir() + "/x.cwasm");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.text.find("-o is for core modules"), std::string::npos) << o.text;
}

}  // namespace
