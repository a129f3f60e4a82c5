// One app of the node host (`whirl host`): a Spin app directory under a
// name that routes requests to it. Registering reads and checks its
// manifest only; the app is loaded the way `whirl up` loads one
// (components, factors, the HTTP trigger with its executors) at its first
// request, and an idle app can be unloaded and loaded again later, so an
// app nobody calls costs little more than its manifest. Replacing an app
// makes a new one; requests in flight keep what they started with (they
// hold references).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/expected.h"
#include "host/code_share.h"
#include "host/snapshots.h"
#include "spin/redis_trigger/redis_trigger.h"
#include "spin/app/app.h"
#include "spin/app/native_upgrade.h"
#include "spin/manifest/manifest.h"
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

class HostedApp;

// The host's loaded apps: counted, and listed for eviction without a pass
// over every registered app. Thread-safe.
class LoadedApps {
 public:
  size_t count() const { return count_.load(std::memory_order_relaxed); }
  void add(const std::shared_ptr<HostedApp>& app);
  void remove(const HostedApp* app);
  // Those still alive.
  std::vector<std::shared_ptr<HostedApp>> list() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<const HostedApp*, std::weak_ptr<HostedApp>> apps_;
  std::atomic<size_t> count_{0};
};

struct HostedAppOptions {
  std::filesystem::path scratch;  // where the app's `files` are staged (a directory of its own per load)
  spin::http::TriggerOptions trigger;  // its watchdog shared by the host's apps
  // The host's one sink (a writer thread for all apps); the app's output
  // goes to it as component "<app>.<component>", its errors prefixed with
  // the app's name.
  std::shared_ptr<spin::http::LogSink> logs;
  // The app's own sink (a task's stdio, from the shim), used as it is
  // instead of `logs`.
  std::shared_ptr<spin::http::LogSink> own_logs;
  // Variables' environment and the image's runtime config (a task's).
  spin::AppRuntimeOptions runtime;
  // Component files must resolve beneath the app's directory (an image
  // from the shim: no `..` or symlink out of it).
  bool confined = false;
  // Held as long as the app (the open directory `dir` names).
  std::shared_ptr<const void> keep;
  bool compile_in_background = true;  // with the `auto` tier (native_upgrade.h)
  // A load that failed is not tried again for this long: its requests get
  // the same error at once (a broken app's traffic does not load it over
  // and over), and a cause that goes away (a file restored) heals after it.
  std::chrono::milliseconds retry_failed_load{1000};
  AppLimits limits;
  std::shared_ptr<CodeShare> code;  // the host's: code shared by content; null: none
  std::shared_ptr<Snapshots> snapshots;  // the host's pre-initialized modules; null: none
  // The host's loaded apps (in at a load, out at an unload or when a
  // loaded app goes); null: none.
  std::shared_ptr<LoadedApps> loaded;
};

// What a loaded app holds; a request keeps a reference while it runs.
struct LoadedHostedApp {
  std::shared_ptr<const spin::LoadedApp> app;
  std::shared_ptr<const spin::AppRuntime> runtime;
  std::unique_ptr<spin::http::HttpTrigger> trigger;
  std::unique_ptr<spin::redis::RedisTrigger> redis;  // subscribed while loaded; null: no Redis triggers
  std::unique_ptr<spin::NativeUpgrade> upgrade;
  std::filesystem::path scratch;  // its staged files, removed with it
  ~LoadedHostedApp();
};

class HostedApp : public std::enable_shared_from_this<HostedApp> {
 public:
  // `dir` holds spin.toml. Errors name the app and what is wrong: a
  // manifest that does not parse, a component file that is missing,
  // triggers the host does not run (Redis).
  static Expected<std::shared_ptr<HostedApp>> register_app(std::string name, const std::filesystem::path& dir,
                                                           const HostedAppOptions& options);

  const std::string& name() const { return name_; }
  const std::filesystem::path& dir() const { return dir_; }
  const spin::AppManifest& manifest() const { return manifest_; }
  // The HTTP routes as written, per trigger.
  std::vector<std::string> routes() const;
  // The loaded app, loading it first if it is not (concurrent callers wait
  // for one load); `cold` tells whether this call tried to load it (a
  // recent failure is returned again without trying).
  Expected<std::shared_ptr<LoadedHostedApp>> acquire(bool* cold = nullptr);
  // Drops the loaded app if it was last used `idle` or longer ago
  // (requests running keep theirs); true if it did. With `out`, what it
  // dropped is moved there for the caller to free (freeing stops a
  // background compile, which may take a while).
  bool unload_if_idle(std::chrono::steady_clock::duration idle, std::shared_ptr<LoadedHostedApp>* out = nullptr);
  bool loaded() const;
  // An app with Redis triggers is loaded at registration and stays loaded
  // (its subscriptions are its traffic): never unloaded as idle or evicted.
  bool subscribes() const { return !manifest_.redis_triggers.empty(); }
  // When a request last acquired it (steady_clock).
  std::chrono::steady_clock::time_point last_used() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_used_.load(std::memory_order_relaxed)));
  }
  ~HostedApp();
  // False: over its request-rate cap (the host answers 429).
  bool admit() { return !limiter_ || limiter_->admit(); }
  const AppLimits& limits() const { return options_.limits; }
  // Bytes of linear memory and tables its requests hold now.
  uint64_t memory_in_use() const { return memory_->used(); }

 private:
  HostedApp() = default;
  Expected<std::shared_ptr<LoadedHostedApp>> load();  // load_mu_ held
  std::string name_;
  std::filesystem::path dir_;
  // As registered: each load starts from it, so what a loaded app serves
  // is what registering checked (a changed spin.toml is registered again).
  spin::AppManifest manifest_;
  HostedAppOptions options_;
  std::unique_ptr<RateLimiter> limiter_;
  // Shared by its requests across loads: counted always, capped by
  // trigger.max_app_memory if set.
  std::shared_ptr<wasm::SharedMemoryBudget> memory_;
  mutable std::mutex load_mu_;  // held while loading: the other first requests wait
  std::shared_ptr<LoadedHostedApp> loaded_;
  std::atomic<bool> is_loaded_{false};  // loaded_ set (read without waiting for a load)
  std::atomic<int64_t> last_used_{0};  // steady_clock ticks
  uint64_t loads_ = 0;                 // distinct staging directories per load
  // The last load's failure (guarded by load_mu_): returned again until
  // options_.retry_failed_load has passed.
  std::string failure_;
  std::chrono::steady_clock::time_point failed_at_{};
};

// App names are DNS labels (they lead a Host header): 1-63 of [a-z0-9-],
// not starting or ending with '-'.
bool valid_app_name(std::string_view name);

}  // namespace whirl::host
