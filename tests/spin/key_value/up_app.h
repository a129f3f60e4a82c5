// `whirl up` serving the JS key-value guest (js/kv.js, built by
// ../support/js_guest.h) for the end to end tests: an app (../support/
// up_app.h) with a spin.toml and an optional runtime config, and the
// guest's JSON steps.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "../support/js_guest.h"
#include "../support/up_app.h"

namespace whirl::test {

namespace fs = std::filesystem;
using nlohmann::json;

// The guest, built once per test process.
inline const Expected<fs::path>& kv_guest() {
  static const Expected<fs::path> built = build_js_guest(
      {"tests/spin/key_value/js",
       {"tests/spin/key_value/js/kv.js", "wit/spin-fermyon-2.0.0/key-value.wit",
        "wit/wasi-keyvalue-0.2.0-draft2/store.wit", "wit/wasi-keyvalue-0.2.0-draft2/atomics.wit",
        "wit/wasi-keyvalue-0.2.0-draft2/batch.wit"},
       WHIRL_KV_JS_DIR,
       fs::path(WHIRL_KV_JS_DIR) / "kv.wasm"});
  return built;
}

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

// The guest (kv_guest(): call WHIRL_REQUIRE_JS_GUEST(kv_guest()) first),
// `manifest` and, if not empty, rc.toml.
class KvApp : public UpApp {
 public:
  KvApp(const std::string& what, const std::string& manifest, const std::string& runtime_config = "")
      : UpApp("kv-" + what, manifest, *kv_guest(), "kv.wasm") {
    if (!runtime_config.empty()) write("rc.toml", runtime_config);
  }

  // Starts whirl up (with `extra` arguments); its port (0: it did not start).
  uint16_t start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"-f", dir().string(), "--listen", "127.0.0.1:0", "--timeout", "60"};
    if (fs::exists(dir() / "rc.toml")) args.insert(args.end(), {"--runtime-config-file", (dir() / "rc.toml").string()});
    args.insert(args.end(), extra.begin(), extra.end());
    return serve({}, args);
  }
  // Stops it as a user does (Ctrl-C); its exit code.
  int stop() { return UpApp::stop(SIGINT, std::chrono::seconds(30)); }

  // POST /run (or PREFIX/run) with the steps; the guest's answers (one per
  // step), or null when the request failed.
  json run(const json& steps, const std::string& prefix = "") { return post_json(prefix + "/run", steps); }
  Reply get(const std::string& target) { return get_once(port(), target); }
};

// {"ok": v} and {"err": {"tag": t, ...}} answers.
inline json ok(json v) { return json{{"ok", std::move(v)}}; }
inline json err_tag(const json& answer) { return answer.contains("err") ? answer["err"].value("tag", "?") : "<ok>"; }

}  // namespace whirl::test
