// Outbound Redis from a JavaScript component served by `whirl up`: the
// guest of js/redis.js (componentize-js, built at build time against our
// WIT) opens fermyon:spin/redis@2.0.0 connections to a real redis-server
// on loopback and runs every operation; the test checks the guest's answers
// against Spin's interface and reads what it wrote with its own hiredis
// client. A host missing from allowed_outbound_hosts is `invalid-address`
// with no connection made, as in Spin.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "../http/http_client.h"
#include "../up/process.h"
#include "../support/listener.h"
#include "../support/redis_server.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;

class UpOutboundRedis : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(WHIRL_REDIS_JS_GUEST) || !have_redis_server()) return;
    server_ = new RedisServer();
    if (!server_->start()) return;
    denied_ = new Listener();
    dir_ = fs::temp_directory_path() / ("whirl-up-outbound-redis-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy_file(WHIRL_REDIS_JS_GUEST, dir_ / "redis.wasm");
    std::ofstream(dir_ / "spin.toml") << R"(spin_manifest_version = 2
[application]
name = "outbound-redis"
[[trigger.http]]
route = "/..."
component = "js"
[component.js]
source = "redis.wasm"
allowed_outbound_hosts = ["redis://127.0.0.1:)" + std::to_string(server_->port()) + R"("]
)";
    up_ = new UpProcess({WHIRL_BINARY, "up", "-f", dir_.string(), "--listen", "127.0.0.1:0", "--timeout", "60"},
                        (dir_ / "stderr.txt").string());
    port_ = up_->wait_serving();
  }
  static void TearDownTestSuite() {
    delete up_;
    delete denied_;
    delete server_;
    up_ = nullptr;
    denied_ = nullptr;
    server_ = nullptr;
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (!fs::exists(WHIRL_REDIS_JS_GUEST))
      GTEST_SKIP() << "the JS guest was not built (npm unavailable when building): " << WHIRL_REDIS_JS_GUEST;
    if (!have_redis_server()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh)";
    ASSERT_NE(port_, 0) << (up_ ? up_->stderr_text() : "redis-server did not start");
  }
  static std::string get(const std::string& target) {
    Client c(port_);
    auto r = c.get(target);
    EXPECT_EQ(r.status, 200u) << r.error << "\n" << up_->stderr_text();
    return r.body;
  }

  static RedisServer* server_;
  static Listener* denied_;
  static UpProcess* up_;
  static uint16_t port_;
  static fs::path dir_;
};
RedisServer* UpOutboundRedis::server_ = nullptr;
Listener* UpOutboundRedis::denied_ = nullptr;
UpProcess* UpOutboundRedis::up_ = nullptr;
uint16_t UpOutboundRedis::port_ = 0;
fs::path UpOutboundRedis::dir_;

TEST_F(UpOutboundRedis, EveryOperation) {
  RedisClient mine(server_->port());
  ASSERT_TRUE(mine.ok());
  mine.command({"SET", "js:pre", "preset"});
  RedisClient sub(server_->port());
  auto confirm = sub.command({"SUBSCRIBE", "js:chan"});
  ASSERT_EQ(confirm.elements.size(), 3u);

  std::string body = get("/ops?addr=" + server_->url());
  EXPECT_EQ(body,
            "get-pre [112,114,101,115,101,116]\n"  // "preset"
            "get-missing none\n"
            "incr 1 2\n"
            "sadd 3\n"
            "srem 1\n"
            "smembers a,c\n"
            "del 2\n"
            "execute int64(40)\n"
            "execute binary(from js),nil\n"
            "execute status(PONG)\n"
            "execute int64(2)\n"
            "execute binary(x),binary(y)\n"
            "incr-text err other An error was signalled by the server - ResponseError: value is not an integer or "
            "out of range\n"
            "sadd-text err other WRONGTYPE: Operation against a key holding the wrong kind of value\n"
            "unknown err other An error was signalled by the server - ResponseError: unknown command "
            "'NOSUCHCOMMAND', with args beginning with: \n");

  // What the server holds, read independently.
  EXPECT_EQ(mine.command({"GET", "js:text"}).str, "from js");
  EXPECT_EQ(mine.command({"GET", "js:bin"}).str, std::string("\0\xff\x01", 3));
  EXPECT_EQ(mine.command({"GET", "js:counter"}).str, "2");
  EXPECT_EQ(mine.command({"GET", "js:n"}).str, "40");
  auto members = mine.command({"SMEMBERS", "js:set"}).elements;
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(mine.command({"EXISTS", "js:gone1", "js:gone2"}).integer, 0);
  auto message = sub.next();
  ASSERT_TRUE(message);
  EXPECT_EQ(message->elements, (std::vector<std::string>{"message", "js:chan", "published by js"}));
}

TEST_F(UpOutboundRedis, DeniedAddressesAreInvalidAddress) {
  // An address allowed_outbound_hosts does not grant: no connection at all.
  std::string other = "redis://127.0.0.1:" + std::to_string(denied_->port());
  EXPECT_EQ(get("/open?addr=" + other), "err invalid-address");
  EXPECT_EQ(denied_->accepted(), 0);
  EXPECT_NE(up_->stderr_text().find("outbound Redis connection to " + other + " is denied"), std::string::npos);
  // The allowed host under another scheme, and an address that is no URL.
  EXPECT_EQ(get("/open?addr=rediss://127.0.0.1:" + std::to_string(server_->port())), "err invalid-address");
  EXPECT_EQ(get("/open?addr=not%20an%20address"), "err invalid-address");
  // The allowed one opens.
  EXPECT_EQ(get("/open?addr=" + server_->url()), "ok");
}

}  // namespace
}  // namespace whirl::test
