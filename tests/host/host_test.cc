// `whirl host` end to end: one process serving several Spin apps, routed
// by Host header (`<app>.<domain>`) then by each app's own routes; apps
// from a watched directory (added, changed, removed while it serves) and
// through the admin socket (add, remove, list, status), with the others'
// traffic undisturbed. A WAGI module built from C (the probe of
// tests/spin/up) and the wasi:http test guest (tests/wasi/http/guest.h)
// are the apps.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "../spin/http/http_client.h"
#include "../spin/up/process.h"
#include "../wasi/http/guest.h"
#include "platform/file.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/component_text.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kDomain = "apps.test";

std::string wagi_manifest(const std::string& name) {
  return "spin_manifest_version = 2\n[application]\nname = \"" + name +
         "\"\n[[trigger.http]]\nroute = \"/probe/...\"\ncomponent = \"probe\"\nexecutor = { type = \"wagi\" }\n"
         "[component.probe]\nsource = \"probe.wasm\"\n";
}

const char* kEchoManifest = R"(spin_manifest_version = 2
[application]
name = "echo"
[[trigger.http]]
route = "/..."
component = "guest"
[component.guest]
source = "guest.wasm"
)";

class HostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("whirl-host-" + std::to_string(getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "apps");
    make_wagi_app(root_ / "apps" / "wagi", "wagi");
    fs::create_directories(root_ / "apps" / "echo");
    auto bytes = wasm::text::component_to_binary(wasi::http::testing::guest_component("0.2.3"));
    ASSERT_TRUE(bytes) << bytes.error().message;
    std::ofstream(root_ / "apps" / "echo" / "guest.wasm", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes->data()), std::streamsize(bytes->size()));
    std::ofstream(root_ / "apps" / "echo" / "spin.toml") << kEchoManifest;
    std::vector<std::string> args{WHIRL_BINARY, "host", "--apps", (root_ / "apps").string(), "--domain", kDomain,
                                  "--listen", "127.0.0.1:0", "--admin-socket", (root_ / "admin.sock").string(),
                                  "--rescan-ms", "100", "--log-dir", (root_ / "logs").string(), "--timeout", "5",
                                  "--metrics-listen", "127.0.0.1:0", "--max-concurrent-per-app", "2"};
    for (auto& f : more_flags()) args.push_back(std::move(f));
    host_ = std::make_unique<UpProcess>(args, (root_ / "stderr.txt").string());
    port_ = host_->wait_serving();
    ASSERT_NE(port_, 0) << host_->stderr_text();
    auto line = host_->wait_line("Metrics http://", std::chrono::seconds(10));
    ASSERT_TRUE(line);
    auto colon = line->rfind(':');
    metrics_port_ = uint16_t(std::stoi(line->substr(colon + 1)));
  }
  // Flags a test's fixture adds.
  virtual std::vector<std::string> more_flags() const { return {"--unload-idle-ms", "400"}; }
  void TearDown() override {
    host_.reset();
    fs::remove_all(root_);
  }

  // `variant` > 0: the probe with a custom section of its own appended
  // (other bytes, the same behaviour).
  static void make_wagi_app(const fs::path& dir, const std::string& name, int variant = 0) {
    fs::create_directories(dir);
    fs::copy_file(WHIRL_SPIN_PROBE, dir / "probe.wasm", fs::copy_options::overwrite_existing);
    if (variant > 0) {
      const std::string payload = "\x07variant" + std::to_string(variant);  // name "variant", then the number
      std::ofstream(dir / "probe.wasm", std::ios::binary | std::ios::app)
          << '\0' << char(payload.size()) << payload;
    }
    std::ofstream(dir / "spin.toml") << wagi_manifest(name);
  }

  Reply get(const std::string& host, const std::string& target) {
    Client c(port_);
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, host);
    return c.send(std::move(req));
  }
  // GET until it answers `status` (apps come and go asynchronously), within 10 s.
  Reply get_until(const std::string& host, const std::string& target, unsigned status) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    Reply r = get(host, target);
    while (r.status != status && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      r = get(host, target);
    }
    return r;
  }

  // One admin request, its JSON answer.
  json admin(const json& req) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string p = (root_ / "admin.sock").string();
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      ADD_FAILURE() << "cannot connect to " << p;
      return nullptr;
    }
    std::string line = req.dump() + "\n";
    EXPECT_EQ(::write(fd, line.data(), line.size()), ssize_t(line.size()));
    std::string reply;
    char buf[4096];
    ssize_t n;
    while (reply.find('\n') == std::string::npos && (n = ::read(fd, buf, sizeof buf)) > 0) reply.append(buf, size_t(n));
    ::close(fd);
    json j = json::parse(reply, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << reply;
    return j;
  }

  fs::path root_;
  std::unique_ptr<UpProcess> host_;
  uint16_t port_ = 0;
  uint16_t metrics_port_ = 0;
};

// The value of the metric line starting with `series` ("name{labels}").
double metric(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST_F(HostTest, RoutesByHostHeaderThenByTheAppsRoutes) {
  Reply w = get("wagi.apps.test", "/probe/status/201");
  EXPECT_EQ(w.status, 201u) << w.error << host_->stderr_text();
  EXPECT_EQ(w.body, "status body\n");
  // The port and letter case are not part of the name.
  EXPECT_EQ(get("WAGI.Apps.Test:8080", "/probe/status/202").status, 202u);
  Reply e = get("echo.apps.test", "/echo/path?q=1");
  EXPECT_EQ(e.status, 200u) << e.error;
  EXPECT_EQ(e.body.substr(0, e.body.find('\n')), "GET /echo/path?q=1");
  // The app's own routes: the WAGI app has nothing at /.
  EXPECT_EQ(get("wagi.apps.test", "/").status, 404u);
  // Hosts that name no app.
  EXPECT_EQ(get("nope.apps.test", "/").status, 404u);
  EXPECT_EQ(get("wagi.other.test", "/probe/status/201").status, 404u);
  EXPECT_EQ(get("a.wagi.apps.test", "/probe/status/201").status, 404u);
  EXPECT_EQ(get("127.0.0.1", "/").status, 404u);
  // Component output goes to the host's log directory as APP.COMPONENT.
  EXPECT_EQ(get("wagi.apps.test", "/probe/stderr").status, 200u);
  std::string logged;
  for (int i = 0; i < 200 && logged.find("probe says hello") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream in(root_ / "logs" / "wagi.probe_stderr.txt");
    logged.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(logged.find("probe says hello on stderr"), std::string::npos);
  // A trap is the app's 500, and the host keeps serving.
  EXPECT_EQ(get("wagi.apps.test", "/probe/trap").status, 500u);
  EXPECT_EQ(get("echo.apps.test", "/echo/x").status, 200u);
}

TEST_F(HostTest, AdminAddsListsAndRemovesApps) {
  make_wagi_app(root_ / "elsewhere", "third");
  json added = admin({{"op", "add"}, {"name", "third"}, {"dir", (root_ / "elsewhere").string()}});
  ASSERT_EQ(added["ok"], true) << added.dump();
  EXPECT_LT(added["load_ms"].get<double>(), 5000);
  EXPECT_EQ(get("third.apps.test", "/probe/status/203").status, 203u);

  json list = admin({{"op", "list"}});
  ASSERT_EQ(list["ok"], true);
  std::set<std::string> names;
  for (const auto& a : list["apps"]) names.insert(a["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"echo", "third", "wagi"}));
  for (const auto& a : list["apps"])
    if (a["name"] == "third") {
      EXPECT_EQ(a["source"], "admin");
      EXPECT_EQ(a["requests"], 1);
      EXPECT_EQ(a["routes"], json::array({"/probe/..."}));
    }
  json status = admin({{"op", "status"}});
  EXPECT_EQ(status["apps"], 3);
  EXPECT_GE(status["requests"].get<int>(), 1);

  ASSERT_EQ(admin({{"op", "remove"}, {"name", "third"}})["ok"], true);
  EXPECT_EQ(get("third.apps.test", "/probe/status/203").status, 404u);
  EXPECT_EQ(get("wagi.apps.test", "/probe/status/201").status, 201u);  // the others untouched

  // What it cannot do is said, naming why.
  json bad = admin({{"op", "add"}, {"name", "broken"}, {"dir", (root_ / "missing").string()}});
  EXPECT_EQ(bad["ok"], false);
  EXPECT_NE(bad["error"].get<std::string>().find("app `broken`"), std::string::npos) << bad.dump();
  EXPECT_EQ(admin({{"op", "add"}, {"name", "Bad_Name"}, {"dir", (root_ / "elsewhere").string()}})["ok"], false);
  EXPECT_EQ(admin({{"op", "remove"}, {"name", "nope"}})["ok"], false);
  EXPECT_EQ(admin({{"op", "frobnicate"}})["ok"], false);
  EXPECT_EQ(admin(json::array({1, 2}))["ok"], false);
}

TEST_F(HostTest, WatchedDirectoryAddsChangesAndRemovesApps) {
  make_wagi_app(root_ / "apps" / "late", "late");
  EXPECT_EQ(get_until("late.apps.test", "/probe/status/201", 201).status, 201u) << host_->stderr_text();

  // A changed manifest is loaded again: the route moves.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a later modification time
  std::ofstream(root_ / "apps" / "late" / "spin.toml")
      << "spin_manifest_version = 2\n[application]\nname = \"late\"\n[[trigger.http]]\nroute = \"/moved/...\"\n"
         "component = \"probe\"\nexecutor = { type = \"wagi\" }\n[component.probe]\nsource = \"probe.wasm\"\n";
  fs::last_write_time(root_ / "apps" / "late" / "spin.toml", fs::file_time_type::clock::now() + std::chrono::seconds(2));
  EXPECT_EQ(get_until("late.apps.test", "/moved/status/204", 204).status, 204u) << host_->stderr_text();

  // A broken app is reported once and left out; the others serve on.
  fs::create_directories(root_ / "apps" / "broken");
  std::ofstream(root_ / "apps" / "broken" / "spin.toml") << "this is not toml = = =";
  std::string log = host_->stderr_with("app `broken`", std::chrono::seconds(10));
  EXPECT_NE(log.find("app `broken`"), std::string::npos) << log;
  EXPECT_EQ(get("broken.apps.test", "/").status, 404u);
  EXPECT_EQ(get("echo.apps.test", "/echo/x").status, 200u);

  fs::remove_all(root_ / "apps" / "late");
  EXPECT_EQ(get_until("late.apps.test", "/moved/status/204", 404).status, 404u);
  EXPECT_EQ(get("wagi.apps.test", "/probe/status/201").status, 201u);
}

TEST_F(HostTest, PrometheusMetricsPerApp) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get("wagi.apps.test", "/probe/status/201").status, 201u);
  EXPECT_EQ(get("wagi.apps.test", "/probe/trap").status, 500u);
  EXPECT_EQ(get("wagi.apps.test", "/nothing-here").status, 404u);
  EXPECT_EQ(get("echo.apps.test", "/echo/x").status, 200u);
  Reply m = get_once(metrics_port_, "/metrics");
  ASSERT_EQ(m.status, 200u) << m.error;
  EXPECT_EQ(std::string(m.headers["content-type"]).rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& t = m.body;
  EXPECT_EQ(metric(t, "whirl_host_apps"), 2);
  EXPECT_EQ(metric(t, "whirl_host_app_loads_total"), 2);
  EXPECT_EQ(metric(t, "whirl_app_requests_total{app=\"wagi\",code=\"2xx\"}"), 3) << t;
  EXPECT_EQ(metric(t, "whirl_app_requests_total{app=\"wagi\",code=\"4xx\"}"), 1);
  EXPECT_EQ(metric(t, "whirl_app_requests_total{app=\"wagi\",code=\"5xx\"}"), 1);
  EXPECT_EQ(metric(t, "whirl_app_requests_total{app=\"echo\",code=\"2xx\"}"), 1);
  EXPECT_EQ(metric(t, "whirl_app_requests_in_flight{app=\"wagi\"}"), 0);
  EXPECT_EQ(metric(t, "whirl_app_request_duration_seconds_count{app=\"wagi\"}"), 5);
  EXPECT_EQ(metric(t, "whirl_app_request_duration_seconds_bucket{app=\"wagi\",le=\"+Inf\"}"), 5);
  EXPECT_GT(metric(t, "whirl_app_request_duration_seconds_sum{app=\"wagi\"}"), 0);
  // Requests for no app count for none.
  EXPECT_EQ(get("nope.apps.test", "/").status, 404u);
  EXPECT_EQ(get_once(metrics_port_, "/other").status, 404u);
}

TEST_F(HostTest, RateCapPerApp) {
  make_wagi_app(root_ / "limited", "limited");
  json added = admin({{"op", "add"},
                      {"name", "limited"},
                      {"dir", (root_ / "limited").string()},
                      {"limits", {{"rate", 2}, {"burst", 2}}}});
  ASSERT_EQ(added["ok"], true) << added.dump();
  int ok = 0, capped = 0;
  for (int i = 0; i < 6; ++i) {
    Reply r = get("limited.apps.test", "/probe/status/201");
    if (r.status == 201) ++ok;
    if (r.status == 429) {
      ++capped;
      EXPECT_EQ(std::string(r.headers["retry-after"]), "1");
    }
  }
  // The burst of 2 at once, maybe one more refilled meanwhile; the rest capped.
  EXPECT_GE(ok, 2);
  EXPECT_LE(ok, 3);
  EXPECT_EQ(ok + capped, 6);
  EXPECT_EQ(get("wagi.apps.test", "/probe/status/201").status, 201u);  // others uncapped
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // two tokens again
  EXPECT_EQ(get("limited.apps.test", "/probe/status/201").status, 201u);
  for (const auto& a : admin({{"op", "list"}})["apps"])
    if (a["name"] == "limited") EXPECT_EQ(a["limits"]["rate"], 2);
  // Limits that make no sense are refused.
  EXPECT_EQ(admin({{"op", "add"}, {"name", "x"}, {"dir", (root_ / "limited").string()}, {"limits", {{"rate", -1}}}})["ok"],
            false);
  EXPECT_EQ(admin({{"op", "add"}, {"name", "x"}, {"dir", (root_ / "limited").string()}, {"limits", {{"speed", 1}}}})["ok"],
            false);
}

// One app looping in every request it gets (more than its share of
// workers) while another is asked one request at a time: the other's
// answers stay fast. Bounded: the loops end at the app's 1 s timeout, and
// the flood stops after its requests.
TEST_F(HostTest, AFloodingAppDoesNotStarveTheOthers) {
  make_wagi_app(root_ / "hog", "hog");
  ASSERT_EQ(admin({{"op", "add"}, {"name", "hog"}, {"dir", (root_ / "hog").string()}, {"limits", {{"timeout_ms", 1000}}}})["ok"],
            true);
  std::atomic<bool> stop{false};
  std::atomic<int> hog_answers{0};
  std::vector<std::thread> flood;
  for (int i = 0; i < 6; ++i)
    flood.emplace_back([&] {
      for (int k = 0; k < 4 && !stop; ++k)
        if (get("hog.apps.test", "/probe/loop").status == 500) ++hog_answers;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the hog busy
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    Reply r = get("echo.apps.test", "/echo/quick");
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    EXPECT_EQ(r.status, 200u) << r.error;
  }
  stop = true;
  for (auto& t : flood) t.join();
  std::sort(ms.begin(), ms.end());
  std::printf("echo beside a flooding app: median %.1f ms, max %.1f ms; hog answered %d loops (500 at its timeout)\n",
              ms[ms.size() / 2], ms.back(), hog_answers.load());
  EXPECT_LT(ms[ms.size() / 2], 250.0);
  EXPECT_LT(ms.back(), 1000.0);  // never waited for a loop to end
  EXPECT_GT(hog_answers.load(), 0);
}

// A cap on the memory of an app's requests together (max_app_memory): room
// for one instance of the probe and a half. While one request holds its
// instance, a second cannot get one (500, the reason in the host's log);
// once the first ends, the memory is back.
TEST_F(HostTest, MemoryCapPerAppHoldsAcrossItsRequests) {
  auto bytes = platform::read_file(WHIRL_SPIN_PROBE);
  ASSERT_TRUE(bytes);
  auto probe = wasm::load_module(bytes->bytes);
  ASSERT_TRUE(probe) << probe.error().message;
  uint64_t need = 0;
  for (const auto& m : (*probe)->module().memories) need += uint64_t(m.limits.min) * wasm::kPageSize;
  for (const auto& t : (*probe)->module().tables) need += uint64_t(t.limits.min) * wasm::kTableElementBytes;
  make_wagi_app(root_ / "capped", "capped");
  ASSERT_EQ(admin({{"op", "add"},
                   {"name", "capped"},
                   {"dir", (root_ / "capped").string()},
                   {"limits", {{"max_app_memory", need + need / 2}}}})["ok"],
            true);
  // The client has its answer a moment before the request's store goes:
  // what the app's requests hold, once it is back to none (within 2 s).
  auto released = [&] {
    double held = -1;
    for (int i = 0; i < 100 && held != 0; ++i) {
      if (i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      held = metric(Client(metrics_port_).get("/metrics").body, "whirl_app_memory_bytes{app=\"capped\"}");
    }
    return held;
  };
  EXPECT_EQ(get("capped.apps.test", "/probe/status/201").status, 201u);  // one at a time fits
  EXPECT_EQ(released(), 0);
  auto holding = std::async(std::launch::async, [&] { return get("capped.apps.test", "/probe/sleep"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Reply refused = get("capped.apps.test", "/probe/status/201");
  EXPECT_EQ(refused.status, 500u);
  // The metrics show what the held request's instance takes.
  {
    Client c(metrics_port_);
    EXPECT_GE(metric(c.get("/metrics").body, "whirl_app_memory_bytes{app=\"capped\"}"), double(need));
  }
  // Another app is not held to it.
  EXPECT_EQ(get("wagi.apps.test", "/probe/status/201").status, 201u);
  EXPECT_EQ(holding.get().status, 200u);
  EXPECT_EQ(released(), 0);  // then a request fits again
  EXPECT_EQ(get("capped.apps.test", "/probe/status/201").status, 201u);
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    logged = host_->stderr_text().find("memory shared with other instances of the app") != std::string::npos;
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(logged) << host_->stderr_text();
  EXPECT_EQ(admin({{"op", "add"}, {"name", "x"}, {"dir", (root_ / "capped").string()}, {"limits", {{"max_app_memory", 1}}}})["ok"],
            false);
}

// Registering reads the manifest only: an app loads at its first request,
// and unloads when idle (then loads again at its next one).
TEST_F(HostTest, AppsLoadAtTheirFirstRequestAndUnloadWhenIdle) {
  json status = admin({{"op", "status"}});
  EXPECT_EQ(status["apps"], 2);
  EXPECT_EQ(status["loaded"], 0) << status.dump();
  EXPECT_EQ(get("wagi.apps.test", "/probe/status/201").status, 201u);
  EXPECT_EQ(admin({{"op", "status"}})["loaded"], 1);
  auto until_unloaded = [&] {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (admin({{"op", "status"}})["loaded"] != 0 && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return admin({{"op", "status"}})["loaded"] == 0;
  };
  EXPECT_TRUE(until_unloaded());
  EXPECT_NE(host_->stderr_with("app `wagi` unloaded (idle)").find("unloaded"), std::string::npos);
  EXPECT_EQ(get("wagi.apps.test", "/probe/status/202").status, 202u);  // loaded again
  Reply m = get_once(metrics_port_, "/metrics");
  EXPECT_EQ(metric(m.body, "whirl_app_cold_starts_total{app=\"wagi\"}"), 2) << m.body;
  EXPECT_EQ(metric(m.body, "whirl_app_cold_starts_total{app=\"echo\"}"), 0);
  EXPECT_EQ(metric(m.body, "whirl_host_apps_loaded"), 1);
  // A component file gone since registration: its first request is a 500
  // naming the app, and the host serves on.
  make_wagi_app(root_ / "fragile", "fragile");
  ASSERT_EQ(admin({{"op", "add"}, {"name", "fragile"}, {"dir", (root_ / "fragile").string()}})["ok"], true);
  fs::remove(root_ / "fragile" / "probe.wasm");
  EXPECT_EQ(get("fragile.apps.test", "/probe/status/201").status, 500u);
  EXPECT_NE(host_->stderr_with("app `fragile`").find("app `fragile`"), std::string::npos);
  EXPECT_EQ(get("wagi.apps.test", "/probe/status/201").status, 201u);
  // Its failure is kept for a while (1 s): the next requests get it at
  // once, without loading again (told once).
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get("fragile.apps.test", "/probe/status/201").status, 500u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(host_->stderr_text(), "app `fragile`: "), 1u) << host_->stderr_text();
  // Missing at registration: refused then.
  json refused = admin({{"op", "add"}, {"name", "fragile2"}, {"dir", (root_ / "fragile").string()}});
  EXPECT_EQ(refused["ok"], false);
  EXPECT_NE(refused["error"].get<std::string>().find("not found"), std::string::npos) << refused.dump();
  // The cause gone, the first app loads again once that while has passed.
  fs::copy_file(WHIRL_SPIN_PROBE, root_ / "fragile" / "probe.wasm");
  EXPECT_EQ(get_until("fragile.apps.test", "/probe/status/201", 201).status, 201u);
}

// Apps whose component files hold the same bytes run one compiled copy;
// other bytes get their own, and a copy goes with the last app using it.
// No idle unloading here: a compile on the aot tier takes longer than the
// fixture's idle time, and an unloaded app's copy would go early.
class HostCodeShareTest : public HostTest {
  std::vector<std::string> more_flags() const override { return {}; }
};

TEST_F(HostCodeShareTest, AppsWithTheSameBytesShareOneCompiledCopy) {
  make_wagi_app(root_ / "twin1", "twin1");
  make_wagi_app(root_ / "twin2", "twin2");
  make_wagi_app(root_ / "other", "other", 1);
  for (const char* name : {"twin1", "twin2", "other"})
    ASSERT_EQ(admin({{"op", "add"}, {"name", name}, {"dir", (root_ / name).string()}})["ok"], true);
  // twin1 and twin2 are the probe's bytes, as the directory's app `wagi` is.
  for (const char* host : {"twin1.apps.test", "twin2.apps.test", "other.apps.test", "wagi.apps.test"})
    EXPECT_EQ(get(host, "/probe/status/201").status, 201u) << host;
  json code = admin({{"op", "status"}})["code"];
  EXPECT_EQ(code["modules"], 2) << code.dump();
  EXPECT_EQ(code["shared"], 2) << code.dump();
  Reply m = get_once(metrics_port_, "/metrics");
  EXPECT_EQ(metric(m.body, "whirl_host_code{kind=\"module\"}"), 2) << m.body;
  EXPECT_EQ(metric(m.body, "whirl_host_code_shared_total"), 2) << m.body;
  // `other` removed: its copy goes; the probe's stays while one app has it.
  ASSERT_TRUE(admin({{"op", "remove"}, {"name", "other"}})["ok"]);
  ASSERT_TRUE(admin({{"op", "remove"}, {"name", "twin1"}})["ok"]);
  // A worker may still be dropping the last instance of `other` after its
  // reply went out: the copy goes with that, moments later.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    code = admin({{"op", "status"}})["code"];
    if (code["modules"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(code["modules"], 1) << code.dump();
  EXPECT_EQ(get("twin2.apps.test", "/probe/status/202").status, 202u);
}

// With --max-loaded-apps, loading one more app unloads the one used
// longest ago; its next request loads it again.
class HostLruTest : public HostTest {
  std::vector<std::string> more_flags() const override { return {"--max-loaded-apps", "2"}; }
};

TEST_F(HostLruTest, LoadingOneMoreUnloadsTheLeastRecentlyUsed) {
  for (int i = 1; i <= 3; ++i) {
    const std::string name = "lru" + std::to_string(i);
    make_wagi_app(root_ / name, name, i);
    ASSERT_EQ(admin({{"op", "add"}, {"name", name}, {"dir", (root_ / name).string()}})["ok"], true);
  }
  auto loaded = [&] {
    std::vector<std::string> out;
    const json list = admin({{"op", "list"}});
    for (const auto& a : list["apps"])
      if (a["loaded"] == true) out.push_back(a["name"]);
    return out;
  };
  EXPECT_EQ(get("lru1.apps.test", "/probe/status/201").status, 201u);
  EXPECT_EQ(get("lru2.apps.test", "/probe/status/201").status, 201u);
  EXPECT_EQ(get("lru1.apps.test", "/probe/status/201").status, 201u);  // lru2 is now the older
  EXPECT_EQ(loaded(), (std::vector<std::string>{"lru1", "lru2"}));
  EXPECT_EQ(get("lru3.apps.test", "/probe/status/201").status, 201u);
  EXPECT_EQ(loaded(), (std::vector<std::string>{"lru1", "lru3"}));
  EXPECT_EQ(get("lru2.apps.test", "/probe/status/202").status, 202u);  // loaded again; lru1 goes
  EXPECT_EQ(loaded(), (std::vector<std::string>{"lru2", "lru3"}));
  json status = admin({{"op", "status"}});
  EXPECT_EQ(status["loaded"], 2);
  EXPECT_EQ(status["evictions"], 2);
  Reply m = get_once(metrics_port_, "/metrics");
  EXPECT_EQ(metric(m.body, "whirl_app_cold_starts_total{app=\"lru2\"}"), 2) << m.body;
  EXPECT_EQ(metric(m.body, "whirl_host_app_evictions_total"), 2);
}

TEST_F(HostTest, StopsOnSigterm) {
  host_->signal(SIGTERM);
  EXPECT_EQ(host_->wait_exit(std::chrono::seconds(15)), 0);
  EXPECT_FALSE(fs::exists(root_ / "admin.sock"));
}

}  // namespace
}  // namespace whirl::test
