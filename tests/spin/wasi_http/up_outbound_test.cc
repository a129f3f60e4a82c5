// `whirl up` serving a wasi:http component that makes outbound requests
// (the guest's /f?URL route of tests/wasi/http/guest.h: a GET by
// wasi:http/outgoing-handler, answered with the upstream status and body,
// or "err NN" with the error-code case index). Upstream servers are started
// here on 127.0.0.1: plain HTTP, HTTPS with a CA made at test time by the
// openssl command (given to `whirl up` by $WHIRL_OUTBOUND_EXTRA_CA), and one
// the manifest does not name. Expected values follow Spin's documented
// allowed_outbound_hosts (scheme, host and port must match; "http://self"
// lets a component reach its own app by a relative URL) and the wasi:http
// error-code variant (HTTP-request-denied is case 15).
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "../../wasi/http/guest.h"
#include "../http/http_client.h"
#include "../up/process.h"
#include "../../support/loopback_server.h"
#include "wasm/text/component_text.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

// An upstream server on 127.0.0.1 (HTTPS when given a context): counts the
// connections it accepts and answers each request with status 203 and
// "<name>: METHOD target".
struct UpstreamServe {
  struct Load {
    std::atomic<int> delay_ms{0}, active{0}, max_active{0};
  };
  std::string name;
  std::shared_ptr<Load> load = std::make_shared<Load>();

  template <class Stream>
  void operator()(Stream& s) {
    beast::flat_buffer buf;
    bhttp::request<bhttp::string_body> req;
    beast::error_code ec;
    bhttp::read(s, buf, req, ec);
    if (ec) return;
    int now = ++load->active;
    for (int m = load->max_active; now > m && !load->max_active.compare_exchange_weak(m, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(load->delay_ms.load()));
    --load->active;
    bhttp::response<bhttp::string_body> res{bhttp::status::non_authoritative_information, 11};
    res.body() = name + ": " + std::string(req.method_string()) + " " + std::string(req.target());
    res.keep_alive(false);
    res.prepare_payload();
    bhttp::write(s, res, ec);
  }
};

class Upstream : public LoopbackServer<UpstreamServe> {
 public:
  explicit Upstream(std::string name, ssl::context* tls = nullptr)
      : LoopbackServer(UpstreamServe{std::move(name)}, tls) {}
  // Each answer waits this long first; max_active: most requests answered at once.
  void set_delay(std::chrono::milliseconds d) { serve().load->delay_ms = int(d.count()); }
  int max_active() { return serve().load->max_active; }
  void reset_max_active() { serve().load->max_active = 0; }
};

class UpOutbound : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("whirl-up-outbound-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    certs_ = make_test_certs(dir_ / "certs");
    if (!certs_.empty()) {
      tls_ = new ssl::context(ssl::context::tls_server);
      tls_->use_certificate_chain_file(certs_ + "/server.pem");
      tls_->use_private_key_file(certs_ + "/server.key", ssl::context::pem);
      https_ = new Upstream("https", tls_);
    }
    http_ = new Upstream("http");
    denied_ = new Upstream("denied");

    auto bytes = wasm::text::component_to_binary(wasi::http::testing::guest_component("0.2.0"));
    ASSERT_TRUE(bytes) << bytes.error().message;
    std::ofstream(dir_ / "guest.wasm", std::ios::binary).write(reinterpret_cast<const char*>(bytes->data()),
                                                              std::streamsize(bytes->size()));
    std::string http_host = "http://127.0.0.1:" + std::to_string(http_->port());
    std::string https_host = https_ ? "https://127.0.0.1:" + std::to_string(https_->port()) : "https://127.0.0.1:1";
    std::ofstream(dir_ / "spin.toml") << R"(spin_manifest_version = 2
[application]
name = "outbound-app"

[[trigger.http]]
route = "/..."
component = "guest"

[[trigger.http]]
route = "/fx/..."
component = "noself"

[component.guest]
source = "guest.wasm"
allowed_outbound_hosts = [")" + http_host + R"(", ")" + https_host + R"(", "http://self"]

[component.noself]
source = "guest.wasm"
allowed_outbound_hosts = [")" + http_host + R"("]
)";
    if (!certs_.empty()) setenv("WHIRL_OUTBOUND_EXTRA_CA", (certs_ + "/ca.pem").c_str(), 1);
    up_ = new UpProcess({WHIRL_BINARY, "up", "-f", dir_.string(), "--listen", "127.0.0.1:0", "--timeout", "10"},
                        (dir_ / "stderr.txt").string());
    unsetenv("WHIRL_OUTBOUND_EXTRA_CA");
    port_ = up_->wait_serving();
  }
  static void TearDownTestSuite() {
    delete up_;  // stops `whirl up` by its PID
    up_ = nullptr;
    delete http_;
    delete https_;
    delete denied_;
    delete tls_;
    http_ = https_ = denied_ = nullptr;
    tls_ = nullptr;
    fs::remove_all(dir_);
  }
  void SetUp() override { ASSERT_NE(port_, 0) << up_->stderr_text(); }

  static Reply fetch(const std::string& url, const std::string& prefix = "/f") {
    return get_once(port_, prefix + "?" + url);
  }
  static std::string url(const Upstream& u, const std::string& scheme, const std::string& path) {
    return scheme + "://127.0.0.1:" + std::to_string(u.port()) + path;
  }

  static fs::path dir_;
  static std::string certs_;
  static ssl::context* tls_;
  static Upstream* http_;
  static Upstream* https_;
  static Upstream* denied_;
  static UpProcess* up_;
  static uint16_t port_;
};
fs::path UpOutbound::dir_;
std::string UpOutbound::certs_;
ssl::context* UpOutbound::tls_ = nullptr;
Upstream* UpOutbound::http_ = nullptr;
Upstream* UpOutbound::https_ = nullptr;
Upstream* UpOutbound::denied_ = nullptr;
UpProcess* UpOutbound::up_ = nullptr;
uint16_t UpOutbound::port_ = 0;

TEST_F(UpOutbound, AllowedHttpHostAnswers) {
  Reply r = fetch(url(*http_, "http", "/data?q=1"));
  ASSERT_EQ(r.status, 203u) << r.error << r.body << up_->stderr_text();
  EXPECT_EQ(r.body, "http: GET /data?q=1");
  EXPECT_GE(http_->connections(), 1);
  // No path: "/" (a request-target is never empty).
  Reply root = fetch(url(*http_, "http", ""));
  EXPECT_EQ(root.body, "http: GET /");
}

TEST_F(UpOutbound, HttpsWithTheTestsOwnCa) {
  if (!https_) GTEST_SKIP() << "the openssl command is not available";
  Reply r = fetch(url(*https_, "https", "/secure"));
  ASSERT_EQ(r.status, 203u) << r.error << r.body << up_->stderr_text();
  EXPECT_EQ(r.body, "https: GET /secure");
}

TEST_F(UpOutbound, HostNotAllowedIsDeniedWithoutAConnection) {
  Reply r = fetch(url(*denied_, "http", "/nope"));
  ASSERT_EQ(r.status, 200u) << r.error << up_->stderr_text();
  EXPECT_EQ(r.body, "err 15");  // HTTP-request-denied
  // The allowed host under another scheme is another origin: denied too.
  int before = http_->connections();
  Reply tls = fetch(url(*http_, "https", "/nope"));
  EXPECT_EQ(tls.body, "err 15");
  // A component whose list lacks the HTTPS host.
  if (https_) {
    int https_before = https_->connections();
    EXPECT_EQ(fetch(url(*https_, "https", "/nope"), "/fx/a").body, "err 15");
    EXPECT_EQ(https_->connections(), https_before);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(denied_->connections(), 0);
  EXPECT_EQ(http_->connections(), before);
  EXPECT_NE(up_->stderr_text().find("is denied"), std::string::npos) << up_->stderr_text();
}

TEST_F(UpOutbound, SelfReachesTheAppsOwnRoutes) {
  // A relative URL: the guest's own /c201 route (echo with status 201) answers.
  Reply r = fetch("/c201/inner?z=2");
  ASSERT_EQ(r.status, 201u) << r.error << r.body << up_->stderr_text();
  EXPECT_EQ(r.body.substr(0, r.body.find('\n')), "GET /c201/inner?z=2");
  Reply hello = fetch("/k");
  EXPECT_EQ(hello.status, 200u);
  EXPECT_EQ(hello.body, "Hello, whirl\n");
  // Without "http://self" in the list, a relative URL is denied.
  Reply denied = fetch("/k", "/fx/a");
  EXPECT_EQ(denied.status, 200u);
  EXPECT_EQ(denied.body, "err 15");
}

// Spin's [outbound_http] max_concurrent_requests: the app's outbound
// requests beyond it wait for one to finish.
TEST_F(UpOutbound, MaxConcurrentRequestsFromTheRuntimeConfig) {
  auto three_at_once = [&](uint16_t port) {
    std::vector<std::future<Reply>> replies;
    for (int i = 0; i < 3; ++i)
      replies.push_back(std::async(std::launch::async, [&, port] {
        return get_once(port, "/f?" + url(*http_, "http", "/slow"));
      }));
    for (auto& r : replies) {
      Reply got = r.get();
      EXPECT_EQ(got.status, 203u) << got.error << got.body;
    }
  };
  http_->set_delay(std::chrono::milliseconds(300));
  // Without the section (this fixture's server): the upstream sees them together.
  http_->reset_max_active();
  three_at_once(port_);
  EXPECT_GE(http_->max_active(), 2);

  std::ofstream(dir_ / "rc.toml") << "[outbound_http]\nconnection_pooling = true\nmax_concurrent_requests = 1\n";
  UpProcess limited({WHIRL_BINARY, "up", "-f", dir_.string(), "--listen", "127.0.0.1:0", "--runtime-config-file",
                     (dir_ / "rc.toml").string()},
                    (dir_ / "limited.txt").string());
  uint16_t port = limited.wait_serving();
  ASSERT_NE(port, 0) << limited.stderr_text();
  http_->reset_max_active();
  three_at_once(port);
  EXPECT_EQ(http_->max_active(), 1);
  http_->set_delay(std::chrono::milliseconds(0));

  // A bad value stops startup with its position.
  std::ofstream(dir_ / "bad.toml") << "[outbound_http]\nmax_concurrent_requests = 0\n";
  UpProcess bad({WHIRL_BINARY, "up", "-f", dir_.string(), "--listen", "127.0.0.1:0", "--runtime-config-file",
                 (dir_ / "bad.toml").string()},
                (dir_ / "bad.txt").string());
  EXPECT_EQ(bad.wait_exit(std::chrono::seconds(20)), 1);
  EXPECT_NE(bad.stderr_text().find("bad.toml:2:27: [outbound_http] max_concurrent_requests must be a positive integer"),
            std::string::npos)
      << bad.stderr_text();
}

TEST_F(UpOutbound, SelfRequestsNestOnlySoDeep) {
  // Each /f? level fetches the rest of the URL from the app itself.
  auto nested = [](int levels) {
    std::string u;
    for (int i = 0; i < levels; ++i) u += "/f?";
    return u + "/k";
  };
  Reply ok = fetch(nested(7));  // 8 levels of self requests below the client's
  EXPECT_EQ(ok.status, 200u) << ok.error;
  EXPECT_EQ(ok.body, "Hello, whirl\n");
  // One more cannot start: wasi:http's loop-detected (case 36), passed up.
  Reply loop = fetch(nested(8));
  EXPECT_EQ(loop.status, 200u) << loop.error;
  EXPECT_EQ(loop.body, "err 36");
  EXPECT_EQ(fetch("/k").body, "Hello, whirl\n");  // the server goes on
}

}  // namespace
}  // namespace whirl::test
