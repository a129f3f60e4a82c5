// wasi:cli, wasi:clocks, wasi:random; and that the linker defines every
// function of wit/wasi-0.2/ under every 0.2.x version.
#include <time.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

namespace whirl::wasi::p2::testing {
namespace {

class WasiP2Cli : public P2Test {
 protected:
  void SetUp() override { start(WasiConfig{}); }
};

TEST_F(WasiP2Cli, EnvironmentAndArguments) {
  WasiConfig c;
  c.args = {"prog", "--flag", "x y"};
  c.env = {"A=1", "B=two=2", "EMPTY="};
  start(c);
  Value env = call1("wasi:cli/environment", "get-environment");
  ASSERT_EQ(env.items.size(), 3u);
  EXPECT_EQ(env.items[1], Value::tuple({str("B"), str("two=2")}));
  EXPECT_EQ(env.items[2], Value::tuple({str("EMPTY"), str("")}));
  EXPECT_EQ(call1("wasi:cli/environment", "get-arguments"), Value::list({str("prog"), str("--flag"), str("x y")}));
  EXPECT_EQ(call1("wasi:cli/environment", "initial-cwd"), Value::none());
}

TEST_F(WasiP2Cli, ExitCodes) {
  auto code = [&](const std::string& f, Value arg) -> std::optional<int32_t> {
    auto r = call("wasi:cli/exit", f, {arg});
    EXPECT_FALSE(r);
    if (r) return std::nullopt;
    EXPECT_EQ(r.error().message, "exit");
    return r.error().exit_code;
  };
  EXPECT_EQ(code("exit", Value::ok()), 0);
  EXPECT_EQ(code("exit", Value::err()), 1);
  EXPECT_EQ(code("exit-with-code", u8(42)), 42);
  EXPECT_EQ(code("exit-with-code", u8(255)), 255);
}

TEST_F(WasiP2Cli, PipesAndSinksAreNoTerminals) {
  WasiConfig c;
  c.stdout_sink = [](std::string_view) { return true; };
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  c.stdin_fd = p[0];
  c.stderr_fd = p[1];
  start(c);
  EXPECT_EQ(call1("wasi:cli/terminal-stdin", "get-terminal-stdin"), Value::none());
  EXPECT_EQ(call1("wasi:cli/terminal-stdout", "get-terminal-stdout"), Value::none());
  EXPECT_EQ(call1("wasi:cli/terminal-stderr", "get-terminal-stderr"), Value::none());
  close(p[0]);
  close(p[1]);
}

TEST_F(WasiP2Cli, MonotonicClockAdvances) {
  uint64_t a = call1("wasi:clocks/monotonic-clock", "now").u;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  uint64_t b = call1("wasi:clocks/monotonic-clock", "now").u;
  EXPECT_GE(b - a, 20'000'000u);
  EXPECT_LT(b - a, 10'000'000'000u);
  uint64_t res = call1("wasi:clocks/monotonic-clock", "resolution").u;
  EXPECT_GT(res, 0u);
  EXPECT_LE(res, 1'000'000u);
  // subscribe-duration waits that long (block through the store).
  Value p = call1("wasi:clocks/monotonic-clock", "subscribe-duration", {u64(30'000'000)});
  auto t0 = std::chrono::steady_clock::now();
  call1("wasi:io/poll", "[method]pollable.block", {borrow(p)});
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(29));
  Value q = call1("wasi:clocks/monotonic-clock", "subscribe-instant", {u64(b + 3600'000'000'000)});
  EXPECT_FALSE(call1("wasi:io/poll", "[method]pollable.ready", {borrow(q)}).b);
}

TEST_F(WasiP2Cli, WallClockIsTheSystemTime) {
  Value now = call1("wasi:clocks/wall-clock", "now");
  ASSERT_EQ(now.labels, (std::vector<std::string>{"seconds", "nanoseconds"}));
  int64_t host = int64_t(::time(nullptr));
  EXPECT_LE(std::llabs(int64_t(now.items[0].u) - host), 2);
  EXPECT_LT(now.items[1].u, 1'000'000'000u);
  Value res = call1("wasi:clocks/wall-clock", "resolution");
  EXPECT_EQ(res.items[0].u, 0u);
  EXPECT_GT(res.items[1].u, 0u);
}

TEST_F(WasiP2Cli, RandomBytes) {
  Value a = call1("wasi:random/random", "get-random-bytes", {u64(32)});
  Value b = call1("wasi:random/random", "get-random-bytes", {u64(32)});
  ASSERT_EQ(a.kind, TypeKind::List);
  ASSERT_EQ(a.list_size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(call1("wasi:random/random", "get-random-bytes", {u64(0)}).list_size(), 0u);
  EXPECT_NE(call1("wasi:random/random", "get-random-u64").u, call1("wasi:random/random", "get-random-u64").u);
  EXPECT_EQ(call1("wasi:random/insecure", "get-insecure-random-bytes", {u64(13)}).list_size(), 13u);
  EXPECT_NE(call1("wasi:random/insecure", "get-insecure-random-u64").u,
            call1("wasi:random/insecure", "get-insecure-random-u64").u);
  // The seed is one pair for the instance's life.
  Value s1 = call1("wasi:random/insecure-seed", "insecure-seed");
  EXPECT_EQ(s1, call1("wasi:random/insecure-seed", "insecure-seed"));
  EXPECT_EQ(s1.items.size(), 2u);
  // A request for gigabytes traps instead of exhausting the host.
  EXPECT_FALSE(trap_of("wasi:random/random", "get-random-bytes", {u64(1ull << 32)}).empty());
}

TEST_F(WasiP2Cli, AnyVersionZeroTwoLinks) {
  EXPECT_TRUE(linker_.find("wasi:io/streams@0.2.0").def);
  EXPECT_TRUE(linker_.find("wasi:cli/environment@0.2.12").def);
  EXPECT_EQ(*linker_.find("wasi:filesystem/types@0.2.3").name, "wasi:filesystem/types@0.2.6");
  EXPECT_FALSE(linker_.find("wasi:io/streams@0.3.0").def);
  EXPECT_FALSE(linker_.find("wasi:clocks/timezone@0.2.6").def);  // unstable, not implemented
}

// Every function and resource the WIT files of wit/wasi-0.2 declare (the
// command world's imports) is defined: a guest importing any of them links.
TEST_F(WasiP2Cli, EveryWitFunctionIsDefined) {
  std::string wit_dir = std::string(__FILE__).substr(0, std::string(__FILE__).rfind("/tests/")) + "/wit/wasi-0.2/";
  size_t funcs = 0, resources = 0;
  for (const char* file : {"cli.wit", "clocks.wit", "filesystem.wit", "io.wit", "random.wit", "sockets.wit"}) {
    std::ifstream in(wit_dir + file);
    ASSERT_TRUE(in) << wit_dir + file;
    std::string package, iface, resource, line;
    int depth = 0;
    static const std::regex pkg(R"(^package (\S+):(\S+)@)"), itf(R"(^interface ([a-z0-9-]+) \{)"),
        res(R"(^\s*resource ([a-z0-9-]+)\s*(\{|;))"), fn(R"(^\s*%?([a-z0-9-]+): func)"),
        ctor(R"(^\s*constructor\()"), stat(R"(^\s*%?([a-z0-9-]+): static func)");
    while (std::getline(in, line)) {
      std::smatch m;
      if (std::regex_search(line, m, pkg)) package = m[1].str() + ":" + m[2].str();
      if (depth == 0 && std::regex_search(line, m, itf)) iface = package + "/" + m[1].str();
      if (line.find("world ") == 0) iface.clear();
      if (!iface.empty() && std::regex_search(line, m, res)) {
        ++resources;
        auto found = linker_.find(iface + "@0.2.0");
        ASSERT_TRUE(found.def) << iface;
        EXPECT_TRUE(found.def->resources.count(m[1].str())) << iface << " resource " << m[1].str();
        if (m[2] == "{") resource = m[1].str();
      }
      std::string name;
      if (std::regex_search(line, m, stat)) name = "[static]" + resource + "." + m[1].str();
      else if (std::regex_search(line, m, fn)) name = resource.empty() ? m[1].str() : "[method]" + resource + "." + m[1].str();
      else if (std::regex_search(line, m, ctor)) name = "[constructor]" + resource;
      if (!iface.empty() && !name.empty() && iface != "wasi:cli/run") {
        ++funcs;
        auto found = linker_.find(iface + "@0.2.0");
        ASSERT_TRUE(found.def) << iface;
        EXPECT_TRUE(found.def->funcs.count(name)) << iface << "#" << name;
      }
      for (char ch : line) depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
      if (depth <= 1) resource.clear();
    }
  }
  EXPECT_GT(funcs, 100u);
  EXPECT_EQ(resources, 14u);
}

}  // namespace
}  // namespace whirl::wasi::p2::testing
