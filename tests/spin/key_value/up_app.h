// `whirl up` serving the JS key-value guest (js_guest.h) for the end to
// end tests: an app directory with a spin.toml, an optional runtime
// config, the server on a free 127.0.0.1 port, and helpers that send the
// guest its JSON steps.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "../http/http_client.h"
#include "../up/process.h"
#include "js_guest.h"

namespace whirl::test {

namespace fs = std::filesystem;
using nlohmann::json;

// Two components: `web` (routes /...) with `stores` granted, and `admin`
// (route /admin/...) with `admin_stores`.
inline std::string kv_manifest(const std::string& stores, const std::string& admin_stores = "[]") {
  return R"(spin_manifest_version = 2
[application]
name = "kv-test"

[[trigger.http]]
route = "/admin/..."
component = "admin"

[[trigger.http]]
route = "/..."
component = "web"

[component.web]
source = "kv.wasm"
key_value_stores = )" + stores + R"(

[component.admin]
source = "kv.wasm"
key_value_stores = )" + admin_stores + "\n";
}

class KvApp {
 public:
  // Makes `dir` (emptied) with the guest, `manifest` and, if not empty, rc.toml.
  KvApp(fs::path dir, const std::string& guest, const std::string& manifest, const std::string& runtime_config = "")
      : dir_(std::move(dir)) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::create_symlink(guest, dir_ / "kv.wasm");
    std::ofstream(dir_ / "spin.toml") << manifest;
    if (!runtime_config.empty()) std::ofstream(dir_ / "rc.toml") << runtime_config;
  }
  ~KvApp() {
    up_.reset();
    fs::remove_all(dir_);
  }

  // Starts whirl up (with `extra` arguments); its port (0: it did not start).
  uint16_t start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{WHIRL_BINARY, "up", "-f", dir_.string(), "--listen", "127.0.0.1:0", "--timeout", "60"};
    if (fs::exists(dir_ / "rc.toml")) args.insert(args.end(), {"--runtime-config-file", (dir_ / "rc.toml").string()});
    args.insert(args.end(), extra.begin(), extra.end());
    up_ = std::make_unique<UpProcess>(args, (dir_ / ("stderr" + std::to_string(++starts_) + ".txt")).string());
    port_ = up_->wait_serving();
    return port_;
  }
  // Stops it as a user does (Ctrl-C); its exit code.
  int stop() {
    up_->signal(SIGINT);
    int code = up_->wait_exit(std::chrono::seconds(30));
    return code;
  }
  UpProcess& process() { return *up_; }
  uint16_t port() const { return port_; }
  const fs::path& dir() const { return dir_; }
  std::string stderr_text() const { return up_ ? up_->stderr_text() : ""; }

  // POST /run (or PREFIX/run) with the steps; the guest's answers (one per
  // step), or null when the request failed.
  json run(const json& steps, const std::string& prefix = "") {
    Client c(port_);
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, prefix + "/run", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = steps.dump();
    Reply r = c.send(std::move(req));
    EXPECT_EQ(r.status, 200u) << r.error << r.body << stderr_text();
    if (r.status != 200) return nullptr;
    return json::parse(r.body, nullptr, false);
  }
  Reply get(const std::string& target) { return get_once(port_, target); }

 private:
  fs::path dir_;
  std::unique_ptr<UpProcess> up_;
  uint16_t port_ = 0;
  int starts_ = 0;
};

inline fs::path test_dir(const std::string& what) {
  return fs::temp_directory_path() / ("whirl-kv-up-" + what + "-" + std::to_string(getpid()) + "-" +
                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

// Builds (or finds) the guest; skips or fails the test when it cannot.
#define KV_REQUIRE_GUEST(var)                                  \
  auto var##_g = kv_js_guest();                                \
  if (!var##_g.skipped.empty()) GTEST_SKIP() << var##_g.skipped; \
  ASSERT_TRUE(var##_g.failed.empty()) << var##_g.failed;      \
  const std::string var = var##_g.path

// {"ok": v} and {"err": {"tag": t, ...}} answers.
inline json ok(json v) { return json{{"ok", std::move(v)}}; }
inline json err_tag(const json& answer) { return answer.contains("err") ? answer["err"].value("tag", "?") : "<ok>"; }

}  // namespace whirl::test
