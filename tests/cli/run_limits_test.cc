// `whirl run` on hostile modules: resource and implementation limits are one
// error line naming the file (exit 1), never an abort; --timeout covers the
// start function; a deep stack's backtrace stays short.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_process.h"

namespace {

using whirl::testing::CliOutput;
using whirl::testing::run_whirl;

CliOutput run(const std::string& args) { return run_whirl(args); }

std::string write_file(const std::string& name, const std::string& content) {
  return whirl::testing::write_scratch_file("whirl-cli-test", name, content);
}

long lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

TEST(RunLimits, HugeTableIsOneErrorLine) {
  // 18 bytes: a table whose minimum is 2^32 - 1 elements (32 GiB).
  const std::string bytes("\0asm\1\0\0\0\4\x08\1\x70\0\xff\xff\xff\xff\x0f", 18);
  auto f = write_file("huge-table.wasm", bytes);
  auto out = run("run " + f);
  EXPECT_EQ(out.exit_code, 1) << out.text;
  EXPECT_EQ(out.text, "whirl run: " + f +
                          ": table of 4294967295 elements exceeds the implementation limit of 10000000 elements\n");
}

TEST(RunLimits, MaxMemoryBoundsMemoriesAndTablesTogether) {
  auto f = write_file("mem-table.wat", "(module (memory 1) (table 10000 funcref) (func (export \"_start\")))");
  auto ok = run("run " + f);
  EXPECT_EQ(ok.exit_code, 0) << ok.text;
  // 128 KiB: the table (78 KiB) would fit, the page with it does not.
  auto out = run("run --max-memory 131072 " + f);
  EXPECT_EQ(out.exit_code, 1) << out.text;
  EXPECT_EQ(lines(out.text), 1) << out.text;
  EXPECT_NE(out.text.find("whirl run: " + f + ": the initial size of the module's tables and memories (142.1 KiB) "
                                               "exceeds the instance memory limit of 128 KiB"),
            std::string::npos)
      << out.text;
}

TEST(RunLimits, TooManyFunctionsIsADecodeError) {
  // 1,000,001 empty functions.
  const uint32_t n = 1000001;
  auto leb = [](std::string& s, uint64_t v) {
    do {
      uint8_t x = v & 0x7f;
      v >>= 7;
      s.push_back(char(v ? x | 0x80 : x));
    } while (v);
  };
  std::string b("\0asm\1\0\0\0\1\4\1\x60\0\0", 14);
  std::string funcs;
  leb(funcs, n);
  funcs.append(n, '\0');
  b.push_back(3), leb(b, funcs.size()), b += funcs;
  auto f = write_file("many-funcs.wasm", b);
  auto out = run("run " + f);
  EXPECT_EQ(out.exit_code, 1) << out.text;
  EXPECT_EQ(out.text, "whirl run: " + f +
                          ": section 3 (function) at offset 0x12: too many functions: 1000001 (implementation limit: "
                          "1000000)\n");
}

TEST(RunLimits, DeepRecursionBacktraceIsBounded) {
  auto f = write_file("recurse.wat", R"((module
    (func $down (call $down))
    (func (export "_start") (call $down))))");
  auto out = run("run " + f);
  EXPECT_EQ(out.exit_code, 134) << out.text.substr(0, 2000);
  EXPECT_NE(out.text.find("wasm trap: call stack exhausted"), std::string::npos) << out.text.substr(0, 2000);
  EXPECT_NE(out.text.find("frames omitted ..."), std::string::npos) << out.text.substr(0, 2000);
  // The trap line, "wasm backtrace:", 40 frames and the omitted line.
  EXPECT_EQ(lines(out.text), 43) << out.text.substr(0, 2000);
}

TEST(RunLimits, TimeoutCoversTheStartFunction) {
  auto f = write_file("start-loop.wat", "(module (func $spin (loop $l (br $l))) (start $spin))");
  auto t0 = std::chrono::steady_clock::now();
  auto out = run("run --timeout 0.2 " + f);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(out.exit_code, 134) << out.text;
  EXPECT_NE(out.text.find("wasm trap: interrupted"), std::string::npos) << out.text;
  EXPECT_LT(secs, 10.0);
}

// A guest blocked reading a pipe that never delivers is still stopped by
// --timeout (the read waits interruptibly).
TEST(RunLimits, TimeoutEndsABlockedRead) {
  auto f = write_file("read-stdin.wat", R"((module
    (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "_start")
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (i32.const 64))
      (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))))))");
  // A FIFO this test holds open for writing and never writes to.
  auto fifo = (whirl::testing::scratch_dir("whirl-cli-test") / "silent.fifo").string();
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int writer = ::open(fifo.c_str(), O_RDWR);
  ASSERT_GE(writer, 0);
  auto t0 = std::chrono::steady_clock::now();
  auto out = run("run --timeout 0.3 " + f + " < " + fifo);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(writer);
  EXPECT_EQ(out.exit_code, 134) << out.text;
  EXPECT_NE(out.text.find("wasm trap: interrupted"), std::string::npos) << out.text;
  EXPECT_LT(secs, 5.0);  // timeout(1) would end it only at 20 s
}

// A component is told from a core module by its header: a broken one gets
// the decoder's message, a valid one a plain "cannot run components yet".
TEST(RunLimits, ComponentsAreRecognised) {
  auto empty = write_file("empty.component.wasm", std::string("\0asm\x0d\0\1\0", 8));
  // Valid, but it exports nothing to run: the message says so and names the exports.
  auto out = run("run " + empty);
  EXPECT_EQ(out.exit_code, 1) << out.text;
  EXPECT_EQ(out.text, "whirl run: " + empty +
                          ": the component exports no `wasi:cli/run` (exports: none); use --invoke to call one of them\n");
  // A type section that claims 3 bytes and has 2.
  auto cut = write_file("cut.component.wasm", std::string("\0asm\x0d\0\1\0\x07\x03\x01\x00", 12));
  out = run("run " + cut);
  EXPECT_EQ(out.exit_code, 1) << out.text;
  EXPECT_EQ(lines(out.text), 1) << out.text;
  EXPECT_NE(out.text.find("whirl run: " + cut + ": at offset 0xc: unexpected end-of-file"), std::string::npos) << out.text;
}

}  // namespace
