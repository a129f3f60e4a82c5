// The shim's hand-off to the node host, without containerd: the task side
// (shim/host_handoff.h, as a task process runs it) against a real
// `whirl host`. The app is served from the listener the task bound, its
// output reaches the task's stdio, it is reachable by no Host header, and
// it drains and goes at SIGTERM, or at once when the task's connection
// ends. The runtime options that turn it on are parsed here too.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "../spin/http/http_client.h"
#include "../spin/up/process.h"
#include "shim/host_handoff.h"
#include "shim/runtime_options.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// What a pipe holds after waiting (bounded) for `needle` to appear.
std::string read_until(int fd, const std::string& needle, std::chrono::seconds limit = std::chrono::seconds(10)) {
  std::string got;
  auto end = std::chrono::steady_clock::now() + limit;
  while (got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) != 1) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  return got;
}

class HostHandoffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("whirl-handoff-" + std::to_string(getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "image");
    fs::copy_file(WHIRL_SPIN_PROBE, root_ / "image" / "probe.wasm");
    std::ofstream(root_ / "image" / "spin.toml")
        << "spin_manifest_version = 2\n[application]\nname = \"probe-app\"\n[[trigger.http]]\nroute = \"/...\"\n"
           "component = \"probe\"\nexecutor = { type = \"wagi\" }\n[component.probe]\nsource = \"probe.wasm\"\n";
    socket_ = (root_ / "host.sock").string();
    host_ = std::make_unique<UpProcess>(
        std::vector<std::string>{WHIRL_BINARY, "host", "--listen", "127.0.0.1:0", "--domain", "apps.test",
                                 "--admin-socket", socket_, "--timeout", "10"},
        (root_ / "host-stderr.txt").string());
    host_port_ = host_->wait_serving();
    ASSERT_NE(host_port_, 0) << host_->stderr_text();
    for (int i = 0; i < 400 && !fs::exists(socket_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ASSERT_TRUE(fs::exists(socket_)) << host_->stderr_text();
    ASSERT_EQ(::pipe2(out_, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(err_, O_CLOEXEC), 0);
    port_ = free_port();
    spec_.rootfs = root_ / "image";
    spec_.env = {"SPIN_HTTP_LISTEN_ADDR=127.0.0.1:" + std::to_string(port_)};
  }
  void TearDown() override {
    host_.reset();
    for (int fd : {out_[0], out_[1], err_[0], err_[1]}) ::close(fd);
    fs::remove_all(root_);
  }

  Expected<std::unique_ptr<shim::Workload>> attach(const std::string& task_id) {
    auto conn = shim::connect_node_host(socket_);
    if (!conn) return unexpected(conn.error());
    auto w = shim::attach_to_node_host(*conn, task_id, spec_, out_[1], err_[1]);
    if (!w) ::close(*conn);
    return w;
  }

  json admin(const json& req) {
    auto fd = shim::connect_node_host(socket_);
    if (!fd) return nullptr;
    std::string line = req.dump() + "\n";
    EXPECT_EQ(::write(*fd, line.data(), line.size()), ssize_t(line.size()));
    std::string reply = read_until(*fd, "\n");
    ::close(*fd);
    return json::parse(reply, nullptr, false);
  }
  // Whether the host lists app `name` as a task's.
  bool listed(const std::string& name) {
    const json list = admin({{"op", "list"}});
    for (const auto& a : list["apps"])
      if (a["name"] == name) return a["source"] == "task";
    return false;
  }

  fs::path root_;
  std::string socket_;
  std::unique_ptr<UpProcess> host_;
  uint16_t host_port_ = 0, port_ = 0;
  int out_[2] = {-1, -1}, err_[2] = {-1, -1};
  shim::WorkloadSpec spec_;
};

TEST_F(HostHandoffTest, TheHostServesTheTasksListenerUntilSigtermDrainsIt) {
  auto w = attach("My_Task.1");
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_TRUE(listed("my-task-1"));  // the task id as a DNS label

  // Run as a task process runs it: SIGTERM (to its thread) stops it.
  std::promise<pthread_t> who;
  std::future<int> status = std::async(std::launch::async, [&] {
    who.set_value(pthread_self());
    return (*w)->run();
  });
  pthread_t runner = who.get_future().get();
  Reply r;
  for (int i = 0; i < 200 && r.status != 200; ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    r = Client(port_).get("/status/201");
    if (r.status == 201) break;
  }
  EXPECT_EQ(r.status, 201u) << r.error;
  EXPECT_EQ(Client(port_).get("/file").status, 200u);
  // The component's stderr reaches the task's stderr.
  EXPECT_EQ(Client(port_).get("/stderr").status, 200u);
  EXPECT_NE(read_until(err_[0], "probe says hello on stderr").find("probe says hello on stderr"), std::string::npos);

  // Not reachable by Host header on the host's own listener.
  {
    Client c(host_port_);
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/status/201", 11};
    req.set(bhttp::field::host, "my-task-1.apps.test");
    EXPECT_EQ(c.send(std::move(req)).status, 404u);
  }
  // Nor removed or replaced through the admin API.
  EXPECT_EQ(admin({{"op", "remove"}, {"name", "my-task-1"}})["ok"], false);
  EXPECT_EQ(admin({{"op", "add"}, {"name", "my-task-1"}, {"dir", (root_ / "image").string()}})["ok"], false);
  // A second task of the same name is refused, naming it.
  spec_.env = {"SPIN_HTTP_LISTEN_ADDR=127.0.0.1:" + std::to_string(free_port())};
  auto twin = attach("my-task-1");
  ASSERT_FALSE(twin);
  EXPECT_NE(twin.error().message.find("my-task-1"), std::string::npos) << twin.error().message;

  // SIGTERM with a request in flight: it completes, then the task ends 143.
  auto inflight = std::async(std::launch::async, [&] { return Client(port_).get("/sleep"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  pthread_kill(runner, SIGTERM);
  Reply slept = inflight.get();
  EXPECT_EQ(slept.status, 200u);
  EXPECT_NE(slept.body.find("slept"), std::string::npos);
  ASSERT_EQ(status.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(status.get(), 128 + SIGTERM);
  EXPECT_FALSE(listed("my-task-1"));
  EXPECT_FALSE(Client(port_).connected());  // the listener is closed
}

TEST_F(HostHandoffTest, ATaskThatGoesWithoutDetachingTakesItsAppAlong) {
  auto w = attach("gone");
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_TRUE(listed("gone"));
  w->reset();  // the task process's end closes its connection
  bool left = false;
  for (int i = 0; i < 200 && !(left = !listed("gone")); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_TRUE(left);
  EXPECT_FALSE(Client(port_).connected());
}

TEST_F(HostHandoffTest, AttachRefusalsNameWhatIsWrong) {
  // A component file missing from the image: the host's check, at Create.
  std::ofstream(root_ / "image" / "spin.toml", std::ios::app) << "";
  fs::rename(root_ / "image" / "probe.wasm", root_ / "image" / "elsewhere.wasm");
  auto w = attach("missing");
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("probe.wasm"), std::string::npos) << w.error().message;
  EXPECT_FALSE(listed("missing"));
  // A component outside the image (a symlink out of it).
  fs::create_symlink(root_ / "image" / "elsewhere.wasm", root_ / "outside.wasm");
  fs::create_symlink(root_ / "outside.wasm", root_ / "image" / "probe.wasm");
  fs::create_directories(root_ / "real");
  fs::rename(root_ / "image" / "elsewhere.wasm", root_ / "real" / "x.wasm");
  fs::remove(root_ / "outside.wasm");
  fs::create_symlink(root_ / "real" / "x.wasm", root_ / "outside.wasm");
  w = attach("escape");
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("leaves the image"), std::string::npos) << w.error().message;
  // A listen address that is not one.
  spec_.env = {"SPIN_HTTP_LISTEN_ADDR=nowhere"};
  w = attach("badaddr");
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("SPIN_HTTP_LISTEN_ADDR"), std::string::npos) << w.error().message;
  // No host at the socket.
  auto c = shim::connect_node_host((root_ / "nohost.sock").string());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("nohost.sock"), std::string::npos);
}

TEST(HostHandoff, WhatRunsInItsOwnProcessAndWhy) {
  auto root = fs::temp_directory_path() / ("whirl-handoff-refusal-" + std::to_string(getpid()));
  fs::create_directories(root);
  shim::WorkloadSpec s;
  s.rootfs = root;
  s.args = {"/app.wasm"};
  EXPECT_EQ(shim::handoff_refusal(s), "a WASI command");
  s.args = {"/"};
  std::ofstream(root / "spin.toml") << "spin_manifest_version = 2\n[application]\nname = \"r\"\n"
                                       "[application.trigger.redis]\naddress = \"redis://127.0.0.1:6379\"\n"
                                       "[[trigger.redis]]\nchannel = \"c\"\ncomponent = \"x\"\n"
                                       "[component.x]\nsource = \"x.wasm\"\n";
  std::ofstream(root / "x.wasm") << "";
  EXPECT_EQ(shim::handoff_refusal(s), "the app has Redis triggers");
  std::ofstream(root / "runtime-config.toml") << "";
  EXPECT_EQ(shim::handoff_refusal(s), "the image has a runtime-config.toml");
  fs::remove_all(root);
  EXPECT_EQ(shim::app_name_for_task("0123abcdef"), "0123abcdef");
  EXPECT_EQ(shim::app_name_for_task("-Web_App-"), "web-app");
  EXPECT_EQ(shim::app_name_for_task(std::string(70, 'a')), std::string(63, 'a'));
  EXPECT_EQ(shim::app_name_for_task("__"), "task");
}

// runtimeoptions.v1.Options as containerd sends it: field 2 config_path,
// field 3 config_body (length-delimited strings).
std::string options_message(int field, const std::string& text) {
  std::string m(1, char((field << 3) | 2));
  size_t n = text.size();
  while (n >= 0x80) {
    m += char((n & 0x7f) | 0x80);
    n >>= 7;
  }
  m += char(n);
  return m + text;
}

TEST(ShimRuntimeOptions, NodeHostFromAConfigFileOrBody) {
  auto none = shim::parse_shim_options("", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->node_host, "");
  auto body = shim::parse_shim_options("runtimeoptions.v1.Options",
                                       options_message(3, "node_host = \"/run/whirl/host.sock\"\n"));
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(body->node_host, "/run/whirl/host.sock");
  auto file = fs::temp_directory_path() / ("whirl-shim-options-" + std::to_string(getpid()) + ".toml");
  std::ofstream(file) << "node_host = \"/tmp/h.sock\"\n";
  auto path = shim::parse_shim_options("type.googleapis.com/runtimeoptions.v1.Options", options_message(2, file.string()));
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(path->node_host, "/tmp/h.sock");
  std::ofstream(file) << "node_hots = \"/tmp/h.sock\"\n";
  auto typo = shim::parse_shim_options("runtimeoptions.v1.Options", options_message(2, file.string()));
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("node_hots"), std::string::npos);
  EXPECT_NE(typo.error().message.find(file.string()), std::string::npos);
  fs::remove(file);
  auto relative = shim::parse_shim_options("runtimeoptions.v1.Options", options_message(3, "node_host = \"h.sock\""));
  EXPECT_FALSE(relative);
  auto missing = shim::parse_shim_options("runtimeoptions.v1.Options", options_message(2, "/nonexistent/x.toml"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent/x.toml"), std::string::npos);
  EXPECT_FALSE(shim::parse_shim_options("runc.v1.Options", "x"));
}

}  // namespace
}  // namespace whirl::test
