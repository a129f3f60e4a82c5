// `whirl up` serving a wasi:http component end to end: a real server
// process on a free loopback port, a real HTTP client, and the guest of
// tests/wasi/http/guest.h (component text, compiled here) beside the WAGI
// probe in one app. Expected values follow the wasi:http interface text
// and Spin's documented HTTP trigger behaviour (routes, `spin-*` headers,
// 500 for a failed handler).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <filesystem>
#include <fstream>

#include "../../wasi/http/guest.h"
#include "../http/http_client.h"
#include "../up/process.h"
#include "wasm/text/component_text.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;

// The header value of a line "name: value" in the echoed text ("" if none).
std::string echoed(const std::string& body, const std::string& name) {
  auto at = body.find("\n" + name + ": ");
  if (at == std::string::npos) return "<none>";
  at += name.size() + 3;
  return body.substr(at, body.find('\n', at) - at);
}

class UpWasiHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("whirl-up-wasi-http-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto bytes = wasm::text::component_to_binary(wasi::http::testing::guest_component("0.2.3"));
    ASSERT_TRUE(bytes) << bytes.error().message;
    std::ofstream(dir_ / "guest.wasm", std::ios::binary).write(reinterpret_cast<const char*>(bytes->data()),
                                                              std::streamsize(bytes->size()));
    fs::copy_file(WHIRL_SPIN_PROBE, dir_ / "probe.wasm");
    std::ofstream(dir_ / "spin.toml") << R"(spin_manifest_version = 2
[application]
name = "wasi-http-app"

[[trigger.http]]
route = "/users/:id"
component = "guest"

[[trigger.http]]
route = "/..."
component = "guest"

[[trigger.http]]
route = "/probe/..."
component = "probe"
executor = { type = "wagi" }

[component.guest]
source = "guest.wasm"
environment = { GREETING = "hi" }

[component.probe]
source = "probe.wasm"
)";
    up_ = new UpProcess({WHIRL_BINARY, "up", "-f", dir_.string(), "--listen", "127.0.0.1:0", "--timeout", "2"},
                        (dir_ / "stderr.txt").string());
    port_ = up_->wait_serving();
  }
  static void TearDownTestSuite() {
    delete up_;
    up_ = nullptr;
    fs::remove_all(dir_);
  }
  void SetUp() override { ASSERT_NE(port_, 0) << up_->stderr_text(); }

  static bhttp::request<bhttp::string_body> request(bhttp::verb v, const std::string& target, std::string body = "") {
    bhttp::request<bhttp::string_body> req{v, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = std::move(body);
    return req;
  }

  static fs::path dir_;
  static UpProcess* up_;
  static uint16_t port_;
};
fs::path UpWasiHttp::dir_;
UpProcess* UpWasiHttp::up_ = nullptr;
uint16_t UpWasiHttp::port_ = 0;

TEST_F(UpWasiHttp, EchoesTheRequestWithSpinHeaders) {
  Client c(port_);
  auto req = request(bhttp::verb::post, "/echo/a?x=1&y=%20", "the body");
  req.set("X-Custom", "custom value");
  Reply r = c.send(std::move(req));
  ASSERT_EQ(r.status, 200u) << r.error << up_->stderr_text();
  EXPECT_EQ(r.headers["x-echo"], "1");
  EXPECT_EQ(r.body.substr(0, r.body.find('\n')), "POST /echo/a?x=1&y=%20");
  EXPECT_EQ(echoed(r.body, "authority"), "127.0.0.1");
  EXPECT_EQ(echoed(r.body, "scheme"), "HTTP");
  EXPECT_EQ(echoed(r.body, "X-Custom"), "custom value");
  EXPECT_EQ(echoed(r.body, "Host"), "<none>");  // forbidden: the authority carries it
  EXPECT_EQ(echoed(r.body, "spin-full-url"), "http://127.0.0.1/echo/a?x=1&y=%20");
  EXPECT_EQ(echoed(r.body, "spin-path-info"), "/echo/a");
  EXPECT_EQ(echoed(r.body, "spin-matched-route"), "/...");
  EXPECT_EQ(echoed(r.body, "spin-raw-component-route"), "/...");
  EXPECT_EQ(echoed(r.body, "spin-component-route"), "");
  EXPECT_EQ(echoed(r.body, "spin-base-path"), "/");
  EXPECT_EQ(echoed(r.body, "spin-client-addr").rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(r.body.substr(r.body.size() - 10), "\n\nthe body");
}

TEST_F(UpWasiHttp, RouteParametersAsSpinHeaders) {
  Reply r = get_once(port_, "/users/42");
  ASSERT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(echoed(r.body, "spin-matched-route"), "/users/:id");
  EXPECT_EQ(echoed(r.body, "spin-path-match-id"), "42");
  EXPECT_EQ(echoed(r.body, "spin-path-info"), "");
}

TEST_F(UpWasiHttp, MethodsStatusesAndBothExecutorsInOneApp) {
  Client c(port_);
  for (auto v : {bhttp::verb::put, bhttp::verb::delete_, bhttp::verb::patch, bhttp::verb::options}) {
    Reply r = c.send(request(v, "/e"));
    ASSERT_EQ(r.status, 200u) << r.error;
    EXPECT_EQ(r.body.substr(0, r.body.find(' ')), std::string(bhttp::to_string(v)));
  }
  Reply other = c.raw("PURGE /e HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(other.body.substr(0, 8), "PURGE /e");
  EXPECT_EQ(c.send(request(bhttp::verb::get, "/c201")).status, 201u);
  EXPECT_EQ(c.send(request(bhttp::verb::get, "/c404")).status, 404u);
  Reply wagi = c.send(request(bhttp::verb::get, "/probe/hello"));
  EXPECT_EQ(wagi.status, 200u) << wagi.error;
}

TEST_F(UpWasiHttp, MebibyteBodiesBothWays) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char('A' + (i * 13) % 26);
  Client c(port_);
  Reply echo = c.send(request(bhttp::verb::post, "/e", big));
  ASSERT_EQ(echo.status, 200u) << echo.error;
  ASSERT_GE(echo.body.size(), big.size());
  EXPECT_TRUE(echo.body.compare(echo.body.size() - big.size(), big.size(), big) == 0);

  // A chunked request body, echoed.
  Reply chunked = c.raw("POST /e HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_EQ(chunked.status, 200u) << chunked.error;
  EXPECT_EQ(chunked.body.substr(chunked.body.size() - 13), "\n\nhello world");

  // 1 MiB streamed by the guest without a content-length: chunked.
  Reply streamed = c.send(request(bhttp::verb::get, "/b"));
  ASSERT_EQ(streamed.status, 200u) << streamed.error;
  EXPECT_EQ(streamed.body.size(), 1u << 20);
  EXPECT_EQ(streamed.headers["Transfer-Encoding"], "chunked");
  EXPECT_EQ(streamed.body.substr(0, 3), "aaa");
  EXPECT_EQ(streamed.body.substr((1 << 20) - 3), "vvv");  // write 255: 'a' + 255 % 26
}

// The guest's own content-length frames its body (bench/http's hello).
TEST_F(UpWasiHttp, HelloWithTheGuestsContentLength) {
  Client c(port_);
  Reply r = c.send(request(bhttp::verb::get, "/k"));
  ASSERT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, "Hello, whirl\n");
  EXPECT_EQ(r.headers["content-length"], "13");
  EXPECT_EQ(r.headers["Transfer-Encoding"], "");
}

// The guest's outgoing-body.finish trailers follow its body (chunked).
TEST_F(UpWasiHttp, ResponseTrailersReachTheClient) {
  Client c(port_);
  Reply r = c.send(request(bhttp::verb::get, "/r"));
  ASSERT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, "partial");
  EXPECT_EQ(r.headers["Transfer-Encoding"], "chunked");
  EXPECT_EQ(r.headers["x-echo"], "1");  // Beast files trailer fields with the header's
}

TEST_F(UpWasiHttp, FailedHandlersAre500AndTheServerKeepsServing) {
  struct Case {
    const char* path;
    const char* logged;
  } cases[] = {
      {"/trap", "trapped"},
      {"/none", "returned without setting a response"},
      {"/x", "responded with error-code HTTP-request-denied"},
      {"/length", "content-length says 10"},
      {"/wait-forever", "time limit"},
  };
  for (const auto& k : cases) {
    Reply r = get_once(port_, k.path);
    if (std::string(k.path) == "/length") {
      // The head went out before the body fell short: the connection is cut.
      EXPECT_TRUE(r.status == 500u || !r.error.empty()) << k.path;
    } else {
      EXPECT_EQ(r.status, 500u) << k.path << " " << r.error;
    }
    Reply ok = get_once(port_, "/e");
    EXPECT_EQ(ok.status, 200u) << "after " << k.path;
  }
  // A request past its time limit is answered at the limit; its log line
  // follows once the guest has stopped: wait for it (bounded).
  std::string err;
  auto all_logged = [&] {
    err = up_->stderr_text();
    for (const auto& k : cases)
      if (err.find(k.logged) == std::string::npos) return false;
    return true;
  };
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       !all_logged() && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (const auto& k : cases) EXPECT_NE(err.find(k.logged), std::string::npos) << k.logged << "\n" << err;
}

TEST(UpWasiHttpErrors, ExecutorMustSuitTheBinary) {
  auto dir = fs::temp_directory_path() / ("whirl-up-wasi-http-mismatch-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto bytes = wasm::text::component_to_binary(wasi::http::testing::guest_component());
  ASSERT_TRUE(bytes);
  // A component under a .wasm name with the WAGI executor, and a core module named like a component.
  std::ofstream(dir / "guest.wasm", std::ios::binary).write(reinterpret_cast<const char*>(bytes->data()),
                                                           std::streamsize(bytes->size()));
  std::ofstream(dir / "spin.toml") << R"(spin_manifest_version = 2
[application]
name = "mismatch"
[[trigger.http]]
route = "/..."
component = "guest"
executor = { type = "wagi" }
[component.guest]
source = "guest.wasm"
)";
  UpProcess p({WHIRL_BINARY, "up", "-f", dir.string(), "--listen", "127.0.0.1:0"}, (dir / "stderr.txt").string());
  EXPECT_EQ(p.wait_exit(std::chrono::seconds(30)), 1);
  EXPECT_NE(p.stderr_text().find("is a component (wasi:http), but its trigger asks for the WAGI executor"),
            std::string::npos)
      << p.stderr_text();

  fs::copy_file(WHIRL_SPIN_PROBE, dir / "probe.component.wasm");
  std::ofstream(dir / "spin.toml") << R"(spin_manifest_version = 2
[application]
name = "mismatch"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "probe.component.wasm"
)";
  UpProcess q({WHIRL_BINARY, "up", "-f", dir.string(), "--listen", "127.0.0.1:0"}, (dir / "stderr2.txt").string());
  EXPECT_EQ(q.wait_exit(std::chrono::seconds(30)), 1);
  EXPECT_NE(q.stderr_text().find("is a core module; the HTTP executor runs components"), std::string::npos)
      << q.stderr_text();

  // A component that is no HTTP handler.
  auto other = wasm::text::component_to_binary(R"((component
    (core module $M (func (export "f") (result i32) (i32.const 1)))
    (core instance $m (instantiate $M))
    (func (export "f") (result u32) (canon lift (core func $m "f")))))");
  ASSERT_TRUE(other);
  std::ofstream(dir / "guest.wasm", std::ios::binary).write(reinterpret_cast<const char*>(other->data()),
                                                           std::streamsize(other->size()));
  std::ofstream(dir / "spin.toml") << R"(spin_manifest_version = 2
[application]
name = "mismatch"
[[trigger.http]]
route = "/..."
component = "guest"
[component.guest]
source = "guest.wasm"
)";
  UpProcess u({WHIRL_BINARY, "up", "-f", dir.string(), "--listen", "127.0.0.1:0"}, (dir / "stderr3.txt").string());
  EXPECT_EQ(u.wait_exit(std::chrono::seconds(30)), 1);
  EXPECT_NE(u.stderr_text().find("exports no `wasi:http/incoming-handler` 0.2.x, which the HTTP trigger calls "
                                 "(exports: f)"),
            std::string::npos)
      << u.stderr_text();

  // A handler importing an interface nothing provides (Spin's LLM API):
  // a startup error naming it, not a 500 per request.
  std::string text = wasi::http::testing::guest_component();
  text.replace(text.find("(component"), 10, "(component (import \"fermyon:spin/llm@2.0.0\" (instance))");
  auto kv = wasm::text::component_to_binary(text);
  ASSERT_TRUE(kv) << kv.error().message;
  std::ofstream(dir / "guest.wasm", std::ios::binary).write(reinterpret_cast<const char*>(kv->data()),
                                                           std::streamsize(kv->size()));
  UpProcess k({WHIRL_BINARY, "up", "-f", dir.string(), "--listen", "127.0.0.1:0"}, (dir / "stderr4.txt").string());
  EXPECT_EQ(k.wait_exit(std::chrono::seconds(30)), 1);
  EXPECT_NE(k.stderr_text().find("component `guest` imports `fermyon:spin/llm@2.0.0`, which whirl does not "
                                 "provide"),
            std::string::npos)
      << k.stderr_text();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace whirl::test
