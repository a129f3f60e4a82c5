#include "host/host.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "platform/digest.h"
#include "platform/guard.h"
#include "spin/http/watchdog.h"

namespace whirl::host {
namespace fs = std::filesystem;

Host::Host(HostOptions options)
    : options_(std::move(options)),
      watchdog_(std::make_shared<spin::http::Watchdog>()),
      logs_(std::make_shared<spin::http::FileLogSink>(options_.log_dir, stderr)) {
  spin::http::ServerOptions so;
  so.host = options_.listen_host;
  so.port = options_.port;
  so.worker_threads = options_.worker_threads;
  so.max_concurrent_per_key = options_.max_concurrent_per_app;
  so.body_limit = 64ull << 20;
  // Fairness between apps: the per-key cap is a cap per app.
  so.classify = [this](const spin::http::Request& r) { return app_name_of(r); };
  server_ = std::make_unique<spin::http::HttpServer>(
      so, [this](const spin::http::Request& r, spin::http::ResponseWriter& w) { handle(r, w); });
  if (!options_.snapshot_dir.empty())
    snapshots_ = std::make_shared<Snapshots>(
        options_.snapshot_dir, [this](const std::string& line) { say(line); }, options_.trigger.timeout,
        options_.trigger.max_memory);
}

Host::~Host() {
  stop_watcher();
  if (watcher_.joinable()) watcher_.join();
}

void Host::stop_watcher() {
  {
    std::lock_guard lock(watch_mu_);
    stopping_ = true;
  }
  watch_cv_.notify_all();
}

void Host::say(const std::string& line) const {
  if (log) log(line);
  else std::fprintf(stderr, "%s\n", line.c_str());
}

namespace {

// Process set-up done once, on first use, that would otherwise fall on the
// first app's first request: OpenSSL reads its config file (the code share
// digests each app's bytes), glibc its time zone (log lines), and the
// runtime installs its fault handler.
void prepare_process() {
  (void)platform::digest({});
  tzset();
  platform::guard_install();
}

}  // namespace

Expected<void> Host::start() {
  prepare_process();
  if (auto ok = server_->listen(); !ok) return ok;
  std::error_code ec;
  if (!options_.apps_dir.empty() && !fs::is_directory(options_.apps_dir, ec))
    return make_error(options_.apps_dir.string() + ": the apps directory does not exist");
  if (!options_.apps_dir.empty()) scan_apps_dir();
  if (options_.apps_dir.empty() && options_.unload_idle.count() == 0 && options_.max_loaded_apps == 0) return {};
  watcher_ = std::thread([this] {
    std::unique_lock lock(watch_mu_);
    auto next_scan = std::chrono::steady_clock::now() + options_.rescan;
    while (!stopping_) {
      watch_cv_.wait_until(lock, next_scan, [this] { return stopping_ || !retired_.empty(); });
      if (stopping_) break;
      std::vector<std::shared_ptr<LoadedHostedApp>> freed;
      freed.swap(retired_);
      lock.unlock();
      freed.clear();
      if (std::chrono::steady_clock::now() >= next_scan) {
        if (!options_.apps_dir.empty()) scan_apps_dir();
        if (options_.unload_idle.count() > 0) unload_idle_apps();
        next_scan = std::chrono::steady_clock::now() + options_.rescan;
      }
      lock.lock();
    }
  });
  return {};
}

void Host::run() {
  server_->run([this] { watchdog_->fire_all(spin::http::InterruptSlot::Reason::Shutdown); });
}

void Host::request_stop() {
  stop_watcher();
  server_->request_stop();
}

Host::Found Host::find(const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = apps_.find(name);
  return it == apps_.end() ? Found{} : Found{it->second.app, it->second.metrics, it->second.task};
}

HostedAppOptions Host::app_options(const std::string& name, const AppSettings& settings) {
  HostedAppOptions ho;
  ho.scratch = options_.scratch / (name + "-" + std::to_string(++generation_));
  ho.trigger = options_.trigger;
  ho.trigger.watchdog = watchdog_;
  ho.logs = logs_;
  if (settings.timeout) ho.trigger.timeout = *settings.timeout;
  if (settings.max_memory) ho.trigger.max_memory = *settings.max_memory;
  if (settings.max_app_memory) ho.trigger.max_app_memory = *settings.max_app_memory;
  ho.limits = settings.limits.value_or(options_.limits);
  ho.code = code_;
  ho.snapshots = snapshots_;
  ho.loaded = loaded_;
  return ho;
}

Expected<void> Host::add(const std::string& name, const fs::path& dir, const AppSettings& settings,
                         bool from_apps_dir) {
  HostedAppOptions ho = app_options(name, settings);
  std::error_code ec;
  fs::path abs = fs::absolute(dir, ec);
  auto manifest_time = fs::last_write_time(abs / "spin.toml", ec);
  // Registered outside the lock: the other apps keep serving meanwhile.
  auto app = HostedApp::register_app(name, abs, ho);
  if (!app) return unexpected(app.error());
  if (snapshots_) snapshots_->want(name, (*app)->manifest());
  if ((*app)->subscribes()) {  // subscribed now, and kept loaded (its messages come unasked)
    auto loaded = (*app)->acquire();
    if (!loaded) return unexpected(loaded.error());
    for (const auto& line : (*loaded)->redis->channel_lines()) say("app `" + name + "`: " + line);
  }
  std::shared_ptr<HostedApp> old;
  {
    std::unique_lock lock(mu_);
    if (auto it = apps_.find(name); it != apps_.end() && it->second.task)
      return make_error("app `" + name + "` is a containerd task's; it goes when the task stops");
    Entry& e = apps_[name];
    old = std::move(e.app);
    e.app = std::move(*app);
    if (!e.metrics) e.metrics = std::make_shared<AppMetrics>();
    e.from_apps_dir = from_apps_dir;
    e.manifest_time = manifest_time;
    failed_.erase(name);
  }
  ++loads_;
  say("app `" + name + "` " + (old ? "reloaded" : "added") + " from " + abs.string());
  return {};  // `old` goes with its last request
}

bool Host::remove(const std::string& name) {
  std::shared_ptr<HostedApp> old;
  {
    std::unique_lock lock(mu_);
    auto it = apps_.find(name);
    if (it == apps_.end() || it->second.task) return false;
    old = std::move(it->second.app);
    apps_.erase(it);
  }
  say("app `" + name + "` removed");
  return true;
}

std::vector<AppInfo> Host::list() const {
  std::vector<AppInfo> out;
  std::shared_lock lock(mu_);
  for (const auto& [name, e] : apps_) {
    AppInfo i;
    i.name = name;
    i.dir = e.app->dir();
    i.routes = e.app->routes();
    i.loaded = e.app->loaded();
    i.requests = e.metrics->requests();
    i.limits = e.app->limits();
    i.from_apps_dir = e.from_apps_dir;
    i.task = e.task;
    out.push_back(std::move(i));
  }
  return out;
}

std::string Host::app_name_for(std::string_view h) const {
  // The port (and an IPv6 literal's brackets) are not part of the name.
  if (!h.empty() && h.front() == '[') return {};
  if (auto colon = h.rfind(':'); colon != std::string_view::npos) h = h.substr(0, colon);
  std::string host(h);
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!host.empty() && host.back() == '.') host.pop_back();  // a fully qualified name
  if (!options_.domain.empty()) {
    const std::string suffix = "." + options_.domain;
    if (host.size() <= suffix.size() || host.compare(host.size() - suffix.size(), suffix.size(), suffix) != 0)
      return {};
    host.resize(host.size() - suffix.size());
    return host.find('.') == std::string::npos ? host : std::string();
  }
  return host.substr(0, host.find('.'));
}

std::string Host::app_name_of(const spin::http::Request& r) const {
  if (!r.listener.empty()) return r.listener;
  auto host = r.header("host");
  return host ? app_name_for(*host) : std::string();
}

void Host::handle(const spin::http::Request& r, spin::http::ResponseWriter& w) {
  auto host = r.header("host");
  if (!host && r.listener.empty()) {
    w.send(spin::http::Response::text(400, "Bad Request: no Host header\n"));
    return;
  }
  const std::string name = app_name_of(r);
  auto found = name.empty() ? Found{} : find(name);
  // A task's app is reached only through its own listener.
  if (found.app && found.task != !r.listener.empty()) found = Found{};
  if (!found.app) {
    w.send(spin::http::Response::text(
        404, r.listener.empty() ? "Not Found: no app for host " + std::string(*host) + "\n" : "Not Found\n"));
    return;
  }
  ++requests_;
  AppMetrics& m = *found.metrics;
  if (!found.app->admit()) {
    m.record(429, std::chrono::steady_clock::duration::zero());
    auto resp = spin::http::Response::text(429, "Too Many Requests: app `" + name + "` is over its rate\n");
    resp.set_header("retry-after", "1");
    w.send(std::move(resp));
    return;
  }
  StatusRecorder recorder(w, m);
  bool cold = false;
  auto loaded = found.app->acquire(&cold);
  if (!loaded) {
    // Told once per load tried (the bounded sink: a request never waits on
    // the console); requests meanwhile get the same answer.
    if (cold) logs_->error(loaded.error().message);
    recorder.send(spin::http::Response::text(500, "Internal Server Error: app `" + name + "` cannot be loaded\n"));
    return;
  }
  if (cold) {
    m.cold_starts.fetch_add(1, std::memory_order_relaxed);
    if (options_.max_loaded_apps && loaded_->count() > options_.max_loaded_apps)
      unload_least_recently_used(found.app.get());
  }
  (*loaded)->trigger->handle(r, recorder);
}

void Host::unload_least_recently_used(const HostedApp* keep) {
  std::lock_guard evicting(evict_mu_);
  const size_t loaded = loaded_->count();
  if (loaded <= options_.max_loaded_apps) return;  // another pass did it
  // Only the loaded apps are looked at, however many are registered.
  std::vector<std::shared_ptr<HostedApp>> candidates = loaded_->list();
  std::erase_if(candidates, [keep](const auto& a) { return a.get() == keep || a->subscribes(); });
  const size_t over = std::min(candidates.size(), loaded - options_.max_loaded_apps);
  std::partial_sort(candidates.begin(), candidates.begin() + over, candidates.end(),
                    [](const auto& a, const auto& b) { return a->last_used() < b->last_used(); });
  std::vector<std::shared_ptr<LoadedHostedApp>> dropped(over);
  for (size_t i = 0; i < over; ++i)
    if (candidates[i]->unload_if_idle(std::chrono::steady_clock::duration::zero(), &dropped[i]))
      evictions_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(watch_mu_);
    for (auto& d : dropped)
      if (d) retired_.push_back(std::move(d));
  }
  watch_cv_.notify_all();  // freed on the watcher's thread, not this request's
}

HostCounts Host::counts() const {
  HostCounts c;
  {
    std::shared_lock lock(mu_);
    c.apps = apps_.size();
  }
  c.app_loads = loads_.load();
  c.loaded = loaded_->count();
  c.evictions = evictions_.load();
  auto code = code_->counts();
  c.code_modules = code.modules;
  c.code_components = code.components;
  c.code_shared = code.shared;
  if (snapshots_) {
    auto s = snapshots_->counts();
    c.snapshots_ready = s.ready, c.snapshots_failed = s.failed, c.snapshots_queued = s.queued;
  }
  return c;
}

void Host::unload_idle_apps() {
  std::vector<std::pair<std::string, std::shared_ptr<HostedApp>>> apps;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, e] : apps_) apps.emplace_back(name, e.app);
  }
  for (auto& [name, app] : apps)
    if (app->unload_if_idle(options_.unload_idle)) say("app `" + name + "` unloaded (idle)");
}

std::string Host::metrics_text() const {
  // References held: an app removed during the scrape is still readable.
  std::vector<std::shared_ptr<AppMetrics>> keep;
  std::vector<AppMetricsView> views;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, e] : apps_) {
      keep.push_back(e.metrics);
      views.push_back({name, e.metrics.get(), e.app->memory_in_use()});
    }
  }
  return prometheus_text(views, counts());
}

void Host::scan_apps_dir() {
  std::error_code ec;
  std::map<std::string, fs::path> found;
  for (fs::directory_iterator it(options_.apps_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e2;
    if (!it->is_directory(e2) || !fs::is_regular_file(it->path() / "spin.toml", e2)) continue;
    found[it->path().filename().string()] = it->path();
  }
  // Gone from the directory: removed (apps added through the admin socket stay).
  std::vector<std::string> gone;
  std::vector<std::pair<std::string, fs::path>> changed;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, e] : apps_)
      if (e.from_apps_dir && !found.count(name)) gone.push_back(name);
    for (const auto& [name, dir] : found) {
      auto it = apps_.find(name);
      if (it != apps_.end() && !it->second.from_apps_dir) continue;  // the admin's
      std::error_code e2;
      auto t = fs::last_write_time(dir / "spin.toml", e2);
      if (auto f = failed_.find(name); f != failed_.end() && f->second == t) continue;  // told already
      if (it == apps_.end() || it->second.manifest_time != t) changed.emplace_back(name, dir);
    }
  }
  for (const auto& name : gone) remove(name);
  {
    std::unique_lock lock(mu_);
    std::erase_if(failed_, [&](const auto& f) { return !found.count(f.first); });
  }
  for (const auto& [name, dir] : changed) {
    if (auto ok = add(name, dir, {}, true); !ok) {
      say(ok.error().message);
      // Not retried until its manifest changes again.
      std::unique_lock lock(mu_);
      std::error_code e2;
      failed_[name] = fs::last_write_time(dir / "spin.toml", e2);
    }
  }
}

}  // namespace whirl::host
