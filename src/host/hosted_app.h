// One app of the node host (`whirl host`): a Spin app directory loaded
// the way `whirl up` loads one — manifest, components, factors, the HTTP
// trigger with its executors — under a name that routes requests to it.
// Immutable once made: replacing an app makes a new one, and requests in
// flight keep the one they started with (they hold a reference).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/expected.h"
#include "spin/app/app.h"
#include "spin/app/native_upgrade.h"
#include "spin/http/log_sink.h"
#include "spin/http/trigger.h"
#include "spin/runtime/app_runtime.h"

namespace whirl::host {

struct HostedAppOptions {
  std::filesystem::path scratch;  // where the app's `files` are staged (a directory of its own)
  spin::http::TriggerOptions trigger;
  std::filesystem::path log_dir;  // empty: the app's .spin/logs
  bool compile_in_background = true;  // with the `auto` tier (native_upgrade.h)
};

class HostedApp {
 public:
  // `dir` holds spin.toml. Errors name the app and what is wrong; an app
  // with triggers the host does not run (Redis) is refused.
  static Expected<std::shared_ptr<HostedApp>> load(std::string name, const std::filesystem::path& dir,
                                                   const HostedAppOptions& options);
  ~HostedApp();

  const std::string& name() const { return name_; }
  const std::filesystem::path& dir() const { return dir_; }
  spin::http::HttpTrigger& trigger() { return *trigger_; }
  const spin::LoadedApp& app() const { return *app_; }
  std::chrono::system_clock::time_point loaded_at() const { return loaded_at_; }

 private:
  HostedApp() = default;
  std::string name_;
  std::filesystem::path dir_, scratch_;
  std::shared_ptr<const spin::LoadedApp> app_;
  std::shared_ptr<const spin::AppRuntime> runtime_;
  std::unique_ptr<spin::http::HttpTrigger> trigger_;
  std::unique_ptr<spin::NativeUpgrade> upgrade_;
  std::chrono::system_clock::time_point loaded_at_;
};

// App names are DNS labels (they lead a Host header): 1-63 of [a-z0-9-],
// not starting or ending with '-'.
bool valid_app_name(std::string_view name);

}  // namespace whirl::host
