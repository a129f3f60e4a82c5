// Redis triggers in `whirl host`: an app with [[trigger.redis]] is
// subscribed when it is registered and stays subscribed (never unloaded as
// idle), each message published on its channel runs its component once
// (the guest of tests/spin/redis/trigger_guest.h records each payload back
// into the same real redis-server), and removing the app ends its
// subscription. An app whose Redis server cannot be reached is not added,
// and the log says why, as `spin up` fails to start.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "../spin/redis/trigger_guest.h"
#include "../spin/redis/trigger_guest_record.h"
#include "../spin/support/free_port.h"
#include "../spin/support/redis_server.h"
#include "../spin/up/process.h"
#include "wasm/text/component_text.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string redis_manifest(const std::string& name, const std::string& address) {
  return "spin_manifest_version = 2\n[application]\nname = \"" + name + "\"\n[application.trigger.redis]\naddress = \"" +
         address + "\"\n[[trigger.redis]]\nchannel = \"jobs\"\ncomponent = \"handler\"\n[component.handler]\n"
         "source = \"handler.wasm\"\nallowed_outbound_hosts = [\"" + address + "\"]\n";
}

class HostRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_redis_server()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh)";
    ASSERT_TRUE(server_.start());
    root_ = fs::temp_directory_path() / ("whirl-host-redis-" + std::to_string(getpid()));
    fs::remove_all(root_);
    make_app("worker", server_.url());
    host_ = std::make_unique<UpProcess>(
        std::vector<std::string>{WHIRL_BINARY, "host", "--apps", (root_ / "apps").string(), "--listen",
                                 "127.0.0.1:0", "--rescan-ms", "100", "--unload-idle-ms", "200"},
        (root_ / "stderr.txt").string());
    ASSERT_NE(host_->wait_serving(), 0) << host_->stderr_text();
  }
  void TearDown() override {
    host_.reset();
    fs::remove_all(root_);
  }
  void make_app(const std::string& name, const std::string& address) {
    fs::path dir = root_ / "apps" / name;
    fs::create_directories(dir);
    auto bytes = wasm::text::component_to_binary(spin::redis::testing::trigger_guest(server_.url()));
    ASSERT_TRUE(bytes) << bytes.error().message;
    std::ofstream(dir / "handler.wasm", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes->data()), std::streamsize(bytes->size()));
    std::ofstream(dir / "spin.toml") << redis_manifest(name, address);
  }
  // PUBLISH until `subscribers` receive it (bounded): the app subscribes
  // once the host has registered it.
  void publish(const std::string& payload, long long subscribers = 1) {
    RedisClient c(server_.port());
    ASSERT_TRUE(c.ok());
    auto end = Clock::now() + std::chrono::seconds(20);
    while (c.command({"PUBLISH", "jobs", payload}).integer != subscribers) {
      ASSERT_LT(Clock::now(), end) << "not " << subscribers << " subscriber(s)\n" << host_->stderr_text();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  bool wait_count(long long n) { return wait_guest_count(server_.port(), n); }
  std::set<std::string> handled() { return guest_handled(server_.port()); }

  RedisServer server_;
  fs::path root_;
  std::unique_ptr<UpProcess> host_;
};

TEST_F(HostRedisTest, SubscribedAtRegistrationAndWhileRegistered) {
  const std::string active = "app `worker`: Active Channels on 127.0.0.1:" + std::to_string(server_.port()) + ":";
  std::string log = host_->stderr_with(active, std::chrono::seconds(20));
  ASSERT_NE(log.find(active), std::string::npos) << log;
  EXPECT_NE(log.find("/jobs: [handler]"), std::string::npos) << log;

  publish("alpha");
  EXPECT_TRUE(wait_count(1)) << host_->stderr_text();
  // Idle far past --unload-idle-ms: still loaded, still subscribed.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(host_->stderr_text().find("app `worker` unloaded"), std::string::npos) << host_->stderr_text();
  publish("beta");
  EXPECT_TRUE(wait_count(2)) << host_->stderr_text();
  EXPECT_EQ(handled(), (std::set<std::string>{"alpha", "beta"}));

  // Removed: its subscription ends.
  fs::remove_all(root_ / "apps" / "worker");
  host_->stderr_with("app `worker` removed", std::chrono::seconds(10));
  publish("gone", 0);  // nobody receives it
  EXPECT_TRUE(wait_count(2)) << host_->stderr_text();
}

TEST_F(HostRedisTest, AnUnreachableServerKeepsTheAppOutAndSaysWhy) {
  const std::string nowhere = "redis://127.0.0.1:" + std::to_string(free_port());
  make_app("stranded", nowhere);
  std::string log = host_->stderr_with("app `stranded`", std::chrono::seconds(20));
  EXPECT_NE(log.find(nowhere.substr(8)), std::string::npos) << log;  // the address it could not reach
  EXPECT_EQ(log.find("app `stranded` added"), std::string::npos) << log;
  // The other app is unaffected.
  publish("still");
  EXPECT_TRUE(wait_count(1)) << host_->stderr_text();
}

}  // namespace
}  // namespace whirl::test
