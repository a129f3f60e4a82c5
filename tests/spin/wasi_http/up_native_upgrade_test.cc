// `whirl up --tier auto` with no cached native code: it serves at once on
// the interpreter, compiles each component in the background, switches new
// requests to native code (same answers, traps still 500), and leaves the
// code in the cache, so the next start is native at once. With
// `--tier interp` nothing is compiled.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../../wasi/http/guest.h"
#include "../http/http_client.h"
#include "../up/process.h"
#include "wasm/text/component_text.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;

class UpNativeUpgrade : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("whirl-up-upgrade-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto bytes = wasm::text::component_to_binary(wasi::http::testing::guest_component("0.2.3"));
    ASSERT_TRUE(bytes) << bytes.error().message;
    std::ofstream(dir_ / "guest.wasm", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes->data()), std::streamsize(bytes->size()));
    fs::copy_file(WHIRL_SPIN_PROBE, dir_ / "probe.wasm");
    std::ofstream(dir_ / "spin.toml") << R"(spin_manifest_version = 2
[application]
name = "upgrade"
[[trigger.http]]
route = "/probe/..."
component = "probe"
executor = { type = "wagi" }
[[trigger.http]]
route = "/..."
component = "guest"
[component.probe]
source = "probe.wasm"
[component.guest]
source = "guest.wasm"
)";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<UpProcess> start(const std::string& tier, int n) {
    auto p = std::make_unique<UpProcess>(
        std::vector<std::string>{"/usr/bin/env", "XDG_CACHE_HOME=" + (dir_ / "cache").string(), WHIRL_BINARY, "up",
                                 "-f", dir_.string(), "--listen", "127.0.0.1:0", "--tier", tier},
        (dir_ / ("stderr" + std::to_string(n) + ".txt")).string());
    port_ = p->wait_serving();
    return p;
  }
  size_t cache_entries() const {
    size_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir_ / "cache", ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      n += it->path().extension() == ".cwasm";
    return n;
  }
  // The app's answers, the same whatever tier runs it.
  void expect_answers(const std::string& when) {
    Client c(port_);
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo/x", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = "payload";
    Reply echo = c.send(std::move(req));
    EXPECT_EQ(echo.status, 200u) << when << echo.error;
    EXPECT_EQ(echo.body.substr(0, echo.body.find('\n')), "POST /echo/x") << when;
    EXPECT_EQ(echo.body.substr(echo.body.size() - 9), "\n\npayload") << when;
    Reply status = get_once(port_, "/probe/status/201");
    EXPECT_EQ(status.status, 201u) << when << status.error;
    EXPECT_EQ(status.body, "status body\n") << when;
    EXPECT_EQ(get_once(port_, "/probe/trap").status, 500u) << when;
  }

  fs::path dir_;
  uint16_t port_ = 0;
};

TEST_F(UpNativeUpgrade, ServesAtOnceThenSwitchesToNativeCode) {
  auto up = start("auto", 1);
  ASSERT_NE(port_, 0) << up->stderr_text();
  expect_answers("at start");
  std::string log = up->stderr_with("component `probe` now runs native code", std::chrono::seconds(120));
  log = up->stderr_with("component `guest` now runs native code", std::chrono::seconds(120));
  EXPECT_NE(log.find("Compiling component `probe` to native code in the background"), std::string::npos) << log;
  ASSERT_NE(log.find("component `guest` now runs native code"), std::string::npos) << log;
  ASSERT_NE(log.find("component `probe` now runs native code"), std::string::npos) << log;
  expect_answers("on native code");
  EXPECT_GE(cache_entries(), 2u);  // the WAGI module and the component's core module(s)
  up.reset();

  // The next start finds the code: nothing to compile.
  auto again = start("auto", 2);
  ASSERT_NE(port_, 0) << again->stderr_text();
  expect_answers("restarted");
  EXPECT_EQ(again->stderr_text().find("Compiling"), std::string::npos) << again->stderr_text();
}

TEST_F(UpNativeUpgrade, InterpreterTierCompilesNothing) {
  auto up = start("interp", 1);
  ASSERT_NE(port_, 0) << up->stderr_text();
  expect_answers("interp");
  EXPECT_EQ(up->stderr_text().find("Compiling"), std::string::npos) << up->stderr_text();
  EXPECT_EQ(cache_entries(), 0u);
}

}  // namespace
}  // namespace whirl::test
