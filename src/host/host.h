// The node host (`whirl host`): one process serving many Spin apps. A
// request goes to the app its Host header names (`<app>.<domain>`), then
// through that app's own routes. Apps come and go while it serves: from a
// directory of app directories (rescanned) and through the admin socket
// (admin.h); adding or removing one does not touch the others' traffic.
// docs/architecture.md, "The node host".
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/expected.h"
#include "host/hosted_app.h"
#include "host/snapshots.h"
#include "host/metrics.h"
#include "spin/http/server.h"

namespace whirl::host {

struct HostOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t port = 3000;
  // Requests go to the app named by the Host header's label before
  // ".<domain>"; empty: the Host header's first label, whatever follows.
  std::string domain;
  std::filesystem::path apps_dir;   // each subdirectory holding spin.toml is an app of its name; empty: none
  std::chrono::milliseconds rescan{500};  // how often apps_dir is looked at again (and idle apps unloaded)
  // An app not used for this long is unloaded (loaded again at its next
  // request); 0: never.
  std::chrono::milliseconds unload_idle{0};
  // Apps loaded at once: loading one more unloads the one used longest ago
  // (its requests running keep it until they end); 0: no cap.
  size_t max_loaded_apps = 0;
  std::filesystem::path scratch;    // per-app staging directories go below it
  // Component output as <log_dir>/<app>.<component>_<stream>.txt (one
  // writer thread for every app); empty: the console only.
  std::filesystem::path log_dir;
  spin::http::TriggerOptions trigger;
  AppLimits limits;                   // every app's, unless added with its own
  unsigned worker_threads = 0;
  // Requests of one app running at once; more wait queued without holding
  // a worker (0: 4 per core). One app flooding leaves the rest the cores.
  unsigned max_concurrent_per_app = 0;
  // Where apps' modules pre-initialized at registration are kept
  // (snapshots.h); empty: none are made.
  std::filesystem::path snapshot_dir;
};

// What an admin `add` may set for one app; unset: the host's.
struct AppSettings {
  std::optional<AppLimits> limits;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<uint64_t> max_memory;
  std::optional<uint64_t> max_app_memory;
};

// An app a containerd task hands over (docs/kubernetes.md, "Handing apps to the node host"): the
// task bound its listener in the pod's network namespace and keeps running
// until it is killed; the host serves the app's requests from that
// listener and writes its output to the task's stdio. The host owns the
// descriptors from attach() on.
struct TaskApp {
  std::string name;
  int dir_fd = -1;       // the image's root directory (spin.toml in it)
  int listener_fd = -1;  // a listening TCP socket
  int stdout_fd = -1, stderr_fd = -1;
  std::vector<std::string> env;  // the container's: what variables providers read
};

struct AppInfo {
  std::string name;
  std::filesystem::path dir;
  std::vector<std::string> routes;  // "/hello/..." per HTTP trigger
  uint64_t requests = 0;
  bool from_apps_dir = false;
  bool task = false;  // a containerd task's (attach())
  bool loaded = false;
  AppLimits limits;
};

class Host {
 public:
  explicit Host(HostOptions options);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Binds the listener, registers the apps directory's apps (an app that
  // is refused is reported through `log` and left out) and starts watching
  // it.
  Expected<void> start();
  uint16_t port() const { return server_->port(); }
  // Serves until request_stop() (thread-safe) and the drain finish.
  void run();
  void request_stop();

  // Adds or replaces app `name` from `dir` (spin.toml in it); requests in
  // flight on a replaced app finish on it. Errors name the app.
  Expected<void> add(const std::string& name, const std::filesystem::path& dir, const AppSettings& settings = {}) {
    return add(name, dir, settings, false);
  }
  // False if there is no such app.
  bool remove(const std::string& name);

  // Registers a task's app (checked as add() checks one) without serving
  // it yet; reached only through its own listener, never by Host header.
  // An app of that name already here is an error, not replaced.
  Expected<void> attach(TaskApp task);
  // Starts accepting from the task's listener.
  Expected<void> serve_attached(const std::string& name);
  // Stops accepting from it, waits up to `grace` for its requests in
  // flight, and removes it; false if it has gone meanwhile.
  bool detach(const std::string& name, std::chrono::milliseconds grace);
  std::vector<AppInfo> list() const;
  uint64_t total_requests() const { return requests_.load(); }
  // The host's own counts (metrics.h).
  HostCounts counts() const;
  // Every app's metrics in the Prometheus text format (metrics.h).
  std::string metrics_text() const;

  // The app name a Host header value selects ("" if it names none of ours).
  std::string app_name_for(std::string_view host_header) const;

  // Where problems and app changes are told (default: stderr).
  std::function<void(const std::string&)> log;

 private:
  Expected<void> add(const std::string& name, const std::filesystem::path& dir, const AppSettings& settings,
                     bool from_apps_dir);
  struct Found {
    std::shared_ptr<HostedApp> app;
    std::shared_ptr<AppMetrics> metrics;
    bool task = false;
  };
  Found find(const std::string& name) const;
  HostedAppOptions app_options(const std::string& name, const AppSettings& settings);
  void handle(const spin::http::Request& r, spin::http::ResponseWriter& w);
  // The app a request is for: its listener's task app, else by Host header.
  std::string app_name_of(const spin::http::Request& r) const;
  void scan_apps_dir();
  void unload_idle_apps();
  void unload_least_recently_used(const HostedApp* keep);
  void stop_watcher();  // wakes the watcher to end
  void say(const std::string& line) const;

  HostOptions options_;
  std::shared_ptr<spin::http::Watchdog> watchdog_;  // one deadline thread for every app
  std::shared_ptr<spin::http::LogSink> logs_;       // one writer thread for every app
  std::unique_ptr<spin::http::HttpServer> server_;
  mutable std::shared_mutex mu_;
  struct Entry {
    std::shared_ptr<HostedApp> app;
    std::shared_ptr<AppMetrics> metrics;  // kept across reloads
    bool from_apps_dir = false;
    std::filesystem::file_time_type manifest_time{};
    // A task's app (attach()): its listener, before and after it is adopted.
    bool task = false;
    int listener_fd = -1;
    std::optional<uint64_t> listener_id;
  };
  std::map<std::string, Entry> apps_;
  // Apps of apps_dir that failed to load, by their manifest's time then:
  // not tried (nor reported) again until it changes.
  std::map<std::string, std::filesystem::file_time_type> failed_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> loads_{0};
  std::shared_ptr<CodeShare> code_ = std::make_shared<CodeShare>();
  std::shared_ptr<LoadedApps> loaded_ = std::make_shared<LoadedApps>();
  std::atomic<uint64_t> evictions_{0};
  std::mutex evict_mu_;  // one eviction pass at a time
  std::atomic<uint64_t> generation_{0};  // distinct staging directories per load
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;
  // Apps evicted on a request's thread, freed on the watcher's (freeing
  // stops a background compile): guarded by watch_mu_.
  std::vector<std::shared_ptr<LoadedHostedApp>> retired_;
  std::thread watcher_;
  std::shared_ptr<Snapshots> snapshots_;  // last: its worker logs through the rest
};

}  // namespace whirl::host
