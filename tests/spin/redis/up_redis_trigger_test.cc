// The Redis trigger served by `whirl up` end to end: a real redis-server
// on a loopback port, the guest of trigger_guest.h (component text,
// compiled here) recording each payload it handles back into Redis through
// Spin 1's outbound interface, and the test's own hiredis client publishing
// and reading. Expected behaviour is Spin's: every message published on a
// channel runs the component once; a handler's failure is logged and the
// next message is handled; plus whirl's reconnection after a Redis restart.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "../../wasi/http/guest.h"
#include "../support/redis_server.h"
#include "../support/up_app.h"
#include "trigger_guest.h"
#include "trigger_guest_record.h"
#include "wasm/text/component_text.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void write_component(const fs::path& path, const std::string& text) {
  auto bytes = wasm::text::component_to_binary(text);
  ASSERT_TRUE(bytes) << bytes.error().message;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes->data()),
                                              std::streamsize(bytes->size()));
}

class UpRedisTrigger : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_redis_server()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh)";
    ASSERT_TRUE(server_.start());
    app_ = std::make_unique<UpApp>("redis");
    dir_ = app_->dir();
    write_component(dir_ / "handler.wasm", spin::redis::testing::trigger_guest(server_.url()));
  }
  void TearDown() override { up_.reset(); }

  void write_manifest(const std::string& text) { app_->write("spin.toml", text); }
  std::string allowed() const { return "allowed_outbound_hosts = [\"" + server_.url() + "\"]\n"; }

  void start_up() { up_ = app_->start({}, {"-f", dir_.string(), "--listen", "127.0.0.1:0"}); }
  // The component `handler` on channel `jobs` of the app's Redis address
  // (granted that address when `allow`), served and subscribed.
  void serve_handler(bool allow = true) {
    write_manifest(R"(spin_manifest_version = 2
[application]
name = "redis-app"
[application.trigger.redis]
address = ")" + server_.url() + R"("
[[trigger.redis]]
channel = "jobs"
component = "handler"
[component.handler]
source = "handler.wasm"
)" + (allow ? allowed() : ""));
    start_up();
    ASSERT_TRUE(wait_active()) << up_->stderr_text();
  }
  // The subscriber's lines: true once "Active Channels on ..." came.
  bool wait_active() {
    return up_->wait_line("Active Channels on 127.0.0.1:" + std::to_string(server_.port()) + ":",
                          startup_limit())
        .has_value();
  }

  // PUBLISH, retried (bounded) until `subscribers` receive it: after a
  // restart the subscriber comes back within its backoff.
  void publish(const std::string& channel, const std::string& payload, long long subscribers = 1) {
    RedisClient c(server_.port());
    ASSERT_TRUE(c.ok());
    auto end = Clock::now() + std::chrono::seconds(20);
    while (c.command({"PUBLISH", channel, payload}).integer != subscribers) {
      ASSERT_LT(Clock::now(), end) << "nobody subscribed to " << channel << "\n" << up_->stderr_text();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  bool wait_count(long long n) { return wait_guest_count(server_.port(), n); }
  std::set<std::string> handled() { return guest_handled(server_.port()); }
  // Waits (bounded) for `text` in whirl up's stderr.
  bool stderr_has(const std::string& text) {
    auto end = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < end) {
      if (up_->stderr_text().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  RedisServer server_;
  std::unique_ptr<UpApp> app_;
  fs::path dir_;  // the app's
  std::unique_ptr<UpProcess> up_;
};

TEST_F(UpRedisTrigger, EveryMessageRunsTheComponent) {
  ASSERT_NO_FATAL_FAILURE(serve_handler());
  auto line = up_->wait_line("\t", std::chrono::seconds(5));
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "\t127.0.0.1:" + std::to_string(server_.port()) + "/jobs: [handler]");

  constexpr int kMessages = 25;
  std::set<std::string> sent;
  for (int i = 1; i <= kMessages; ++i) {
    sent.insert("message " + std::to_string(i));
    publish("jobs", "message " + std::to_string(i));
  }
  ASSERT_TRUE(wait_count(kMessages)) << up_->stderr_text();
  EXPECT_EQ(handled(), sent);
  publish("other", "not ours", 0);  // a channel nobody subscribed to

  // SIGTERM: a clean exit, as spin up.
  up_->signal(SIGTERM);
  EXPECT_EQ(up_->wait_exit(std::chrono::seconds(15)), 0);
}

TEST_F(UpRedisTrigger, EveryComponentOnTheChannelRuns) {
  // Two components on one channel: each message runs both (each counts it once).
  write_manifest(R"(spin_manifest_version = 2
[application]
name = "redis-app"
[application.trigger.redis]
address = ")" + server_.url() + R"("
[[trigger.redis]]
channel = "jobs"
component = "first"
[[trigger.redis]]
channel = "jobs"
component = "second"
[component.first]
source = "handler.wasm"
)" + allowed() + R"([component.second]
source = "handler.wasm"
)" + allowed());
  start_up();
  ASSERT_TRUE(wait_active()) << up_->stderr_text();
  auto line = up_->wait_line("\t", std::chrono::seconds(5));
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "\t127.0.0.1:" + std::to_string(server_.port()) + "/jobs: [first,second]");
  for (int i = 1; i <= 5; ++i) publish("jobs", "m" + std::to_string(i));
  ASSERT_TRUE(wait_count(10)) << up_->stderr_text();
  EXPECT_EQ(handled(), (std::set<std::string>{"m1", "m2", "m3", "m4", "m5"}));
}

TEST_F(UpRedisTrigger, FailuresAreLoggedAndTheNextMessageIsHandled) {
  write_manifest(R"(spin_manifest_version = 2
[application]
name = "redis-app"
[[trigger.redis]]
address = ")" + server_.url() + R"("
channel = "jobs"
component = "handler"
[component.handler]
source = "handler.wasm"
)" + allowed());
  start_up();
  ASSERT_TRUE(wait_active()) << up_->stderr_text();
  publish("jobs", "trap now");
  publish("jobs", "fail after recording");
  publish("jobs", "fine");
  ASSERT_TRUE(wait_count(2)) << up_->stderr_text();
  EXPECT_EQ(handled(), (std::set<std::string>{"fail after recording", "fine"}));
  EXPECT_TRUE(stderr_has("Component handler handler failed: trapped")) << up_->stderr_text();
  EXPECT_TRUE(stderr_has("Component handler handler failed: Redis handler returned an error")) << up_->stderr_text();
}

TEST_F(UpRedisTrigger, OutboundRedisIsDeniedWithoutAllowedHosts) {
  // The handler's SADD through fermyon:spin/redis is refused (Spin 1's
  // error case) before any connection: nothing is recorded.
  ASSERT_NO_FATAL_FAILURE(serve_handler(/*allow=*/false));
  RedisClient c(server_.port());
  auto connections = [&] {
    std::string info = c.command({"INFO", "stats"}).str;
    auto at = info.find("total_connections_received:");
    return at == std::string::npos ? -1 : std::stoll(info.substr(at + 27));
  };
  long long before = connections();
  publish("jobs", "denied");
  EXPECT_TRUE(stderr_has("Component handler handler failed: Redis handler returned an error")) << up_->stderr_text();
  EXPECT_TRUE(stderr_has("outbound Redis connection to redis://127.0.0.1:" + std::to_string(server_.port()) +
                         " is denied"));
  EXPECT_EQ(connections(), before + 1);  // the test's own publish connection only
  EXPECT_TRUE(handled().empty());
}

TEST_F(UpRedisTrigger, ReconnectsAfterRedisRestarts) {
  ASSERT_NO_FATAL_FAILURE(serve_handler());
  publish("jobs", "before 1");
  publish("jobs", "before 2");
  ASSERT_TRUE(wait_count(2)) << up_->stderr_text();

  server_.stop();
  EXPECT_TRUE(stderr_has("Redis trigger: lost the connection to 127.0.0.1:" + std::to_string(server_.port())))
      << up_->stderr_text();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a failed reconnection attempt or two
  ASSERT_TRUE(server_.start());  // same port, empty (no persistence)
  for (int i = 1; i <= 5; ++i) publish("jobs", "after " + std::to_string(i));
  ASSERT_TRUE(wait_count(5)) << up_->stderr_text();
  EXPECT_EQ(handled(), (std::set<std::string>{"after 1", "after 2", "after 3", "after 4", "after 5"}));
  EXPECT_TRUE(stderr_has("Redis trigger: reconnected to 127.0.0.1:" + std::to_string(server_.port())));
}

TEST_F(UpRedisTrigger, BesideTheHttpTriggerWithTemplates) {
  write_component(dir_ / "http.wasm", wasi::http::testing::guest_component());
  // Address and channel from application variables: the port from the
  // environment provider, the channel from a default.
  setenv("SPIN_VARIABLE_REDIS_PORT", std::to_string(server_.port()).c_str(), 1);
  write_manifest(R"(spin_manifest_version = 2
[application]
name = "both"
[application.trigger.redis]
address = "redis://127.0.0.1:{{ redis_port }}"
[variables]
redis_port = { required = true }
channel = { default = "from-a-variable" }
[[trigger.http]]
route = "/..."
component = "web"
[[trigger.redis]]
channel = "{{ channel }}"
component = "handler"
[component.web]
source = "http.wasm"
[component.handler]
source = "handler.wasm"
)" + allowed());
  start_up();
  unsetenv("SPIN_VARIABLE_REDIS_PORT");
  ASSERT_TRUE(wait_active()) << up_->stderr_text();
  auto line = up_->wait_line("\t", std::chrono::seconds(5));
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "\t127.0.0.1:" + std::to_string(server_.port()) + "/from-a-variable: [handler]");
  uint16_t port = up_->wait_serving();
  ASSERT_NE(port, 0) << up_->stderr_text();

  publish("from-a-variable", "via template");
  Client http(port);
  auto r = http.get("/k");
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, "Hello, whirl\n");
  ASSERT_TRUE(wait_count(1)) << up_->stderr_text();
  EXPECT_EQ(handled(), (std::set<std::string>{"via template"}));

  up_->signal(SIGTERM);
  EXPECT_EQ(up_->wait_exit(std::chrono::seconds(15)), 0);
}

TEST_F(UpRedisTrigger, StartupErrors) {
  auto run = [&](const std::string& manifest) {
    write_manifest(manifest);
    start_up();
    int code = up_->wait_exit(std::chrono::seconds(30));
    std::string err = up_->stderr_text();
    up_.reset();
    return std::make_pair(code, err);
  };
  std::string handler = "[component.handler]\nsource = \"handler.wasm\"\n";
  // Nothing listens there: an error, as Spin's "failed to connect".
  uint16_t closed = free_port();
  auto [code, err] = run("spin_manifest_version = 2\n[application]\nname = \"a\"\n[[trigger.redis]]\naddress = "
                         "\"redis://127.0.0.1:" + std::to_string(closed) + "\"\nchannel = \"c\"\ncomponent = "
                         "\"handler\"\n" + handler);
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("Redis trigger failed to connect to 127.0.0.1:" + std::to_string(closed)), std::string::npos)
      << err;

  std::tie(code, err) =
      run("spin_manifest_version = 2\n[application]\nname = \"a\"\n[[trigger.redis]]\nchannel = \"c\"\n"
          "component = \"handler\"\n" + handler);
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("has no address"), std::string::npos) << err;

  // A wasi:http component under a Redis trigger: it exports no handler.
  write_component(dir_ / "http.wasm", wasi::http::testing::guest_component());
  std::tie(code, err) = run("spin_manifest_version = 2\n[application]\nname = \"a\"\n[application.trigger.redis]\n"
                            "address = \"" + server_.url() + "\"\n[[trigger.redis]]\nchannel = \"c\"\n"
                            "component = \"web\"\n[component.web]\nsource = \"http.wasm\"\n");
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("exports no `fermyon:spin/inbound-redis`"), std::string::npos) << err;

  // A template naming no variable is a manifest error with its position.
  std::tie(code, err) = run("spin_manifest_version = 2\n[application]\nname = \"a\"\n[application.trigger.redis]\n"
                            "address = \"" + server_.url() + "\"\n[[trigger.redis]]\nchannel = \"{{ nope }}\"\n"
                            "component = \"handler\"\n" + handler);
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("spin.toml:7:11: Redis trigger channel \"{{ nope }}\" refers to `nope`"), std::string::npos)
      << err;
}

}  // namespace
}  // namespace whirl::test
