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
#include <mutex>
#include <string>
#include <vector>

#include "common/expected.h"
#include "spin/app/app.h"
#include "spin/app/native_upgrade.h"
#include "spin/http/log_sink.h"
#include "spin/http/trigger.h"
#include "spin/runtime/app_runtime.h"

namespace whirl::host {

// Per-app limits beyond the trigger's (time and memory per request).
struct AppLimits {
  double rate = 0;   // requests per second admitted (a token bucket); 0: no cap
  double burst = 0;  // the bucket's size; 0: one second's worth (at least 1)
};

// A token bucket: `rate` tokens a second, up to `burst`.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst);
  // Whether a request may go now (taking a token).
  bool admit();

 private:
  std::mutex mu_;
  double rate_, burst_, tokens_;
  std::chrono::steady_clock::time_point last_;
};

struct HostedAppOptions {
  std::filesystem::path scratch;  // where the app's `files` are staged (a directory of its own)
  spin::http::TriggerOptions trigger;  // its watchdog shared by the host's apps
  // The host's one sink (a writer thread for all apps); the app's output
  // goes to it as component "<app>.<component>", its errors prefixed with
  // the app's name.
  std::shared_ptr<spin::http::LogSink> logs;
  bool compile_in_background = true;  // with the `auto` tier (native_upgrade.h)
  AppLimits limits;
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
  // False: over its request-rate cap (the host answers 429).
  bool admit() { return !limiter_ || limiter_->admit(); }
  const AppLimits& limits() const { return limits_; }

 private:
  HostedApp() = default;
  std::string name_;
  std::filesystem::path dir_, scratch_;
  std::shared_ptr<const spin::LoadedApp> app_;
  std::shared_ptr<const spin::AppRuntime> runtime_;
  std::unique_ptr<spin::http::HttpTrigger> trigger_;
  std::unique_ptr<spin::NativeUpgrade> upgrade_;
  std::chrono::system_clock::time_point loaded_at_;
  AppLimits limits_;
  std::unique_ptr<RateLimiter> limiter_;
};

// App names are DNS labels (they lead a Host header): 1-63 of [a-z0-9-],
// not starting or ending with '-'.
bool valid_app_name(std::string_view name);

}  // namespace whirl::host
