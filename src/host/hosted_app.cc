#include "host/hosted_app.h"

#include <algorithm>
#include <limits>

#include "spin/http/executors.h"
#include "spin/manifest/manifest.h"

namespace whirl::host {

namespace {

// One app's view of the host's log sink.
class AppLogSink final : public spin::http::LogSink {
 public:
  AppLogSink(std::shared_ptr<spin::http::LogSink> inner, std::string app) : inner_(std::move(inner)), app_(std::move(app)) {}
  void component_output(std::string_view component, std::string_view stream, std::string_view bytes) override {
    inner_->component_output(app_ + "." + std::string(component), stream, bytes);
  }
  void error(std::string_view message) override { inner_->error("app `" + app_ + "`: " + std::string(message)); }

 private:
  std::shared_ptr<spin::http::LogSink> inner_;
  std::string app_;
};

}  // namespace

void LoadedApps::add(const std::shared_ptr<HostedApp>& app) {
  std::lock_guard lock(mu_);
  if (apps_.emplace(app.get(), app).second) count_.fetch_add(1, std::memory_order_relaxed);
}

void LoadedApps::remove(const HostedApp* app) {
  std::lock_guard lock(mu_);
  if (apps_.erase(app)) count_.fetch_sub(1, std::memory_order_relaxed);
}

std::vector<std::shared_ptr<HostedApp>> LoadedApps::list() const {
  std::vector<std::shared_ptr<HostedApp>> out;
  std::lock_guard lock(mu_);
  out.reserve(apps_.size());
  for (const auto& [p, weak] : apps_)
    if (auto app = weak.lock()) out.push_back(std::move(app));
  return out;
}

bool valid_app_name(std::string_view n) {
  if (n.empty() || n.size() > 63 || n.front() == '-' || n.back() == '-') return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

RateLimiter::RateLimiter(double rate, double burst)
    : rate_(rate), burst_(burst > 0 ? burst : std::max(1.0, rate)), tokens_(burst_),
      last_(std::chrono::steady_clock::now()) {}

bool RateLimiter::admit() {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
  last_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

Expected<std::shared_ptr<HostedApp>> HostedApp::register_app(std::string name, const std::filesystem::path& dir,
                                                             const HostedAppOptions& options) {
  const std::string who = "app `" + name + "`";
  if (!valid_app_name(name))
    return make_error(who + ": not a valid app name (a DNS label: lowercase letters, digits and '-')");
  auto manifest = spin::load_manifest(dir.string());
  if (!manifest) return make_error(who + ": " + manifest.error().message);
  for (const auto& t : manifest->other_triggers)
    return make_error(who + ": " + t.pos.str() + ": trigger type `" + t.type + "` is not supported (only `http` and `redis`)");
  if (options.confined && !manifest->redis_triggers.empty())  // the shim keeps these apps (docs/kubernetes.md)
    return make_error(who + ": " + manifest->redis_triggers.front().pos.str() +
                      ": Redis triggers of a containerd task's app run in the task's own process");
  if (manifest->http_triggers.empty() && manifest->redis_triggers.empty())
    return make_error(who + ": " + manifest->path.string() + ": no HTTP or Redis triggers");
  // What loading would find missing, said now (the rest at the first request).
  std::vector<std::pair<const std::string*, const spin::SourcePos*>> uses;  // each trigger's component
  for (const auto& t : manifest->http_triggers) uses.emplace_back(&t.component, &t.pos);
  for (const auto& t : manifest->redis_triggers) uses.emplace_back(&t.component, &t.pos);
  for (const auto& [id, pos] : uses) {
    const spin::Component* c = manifest->find_component(*id);
    if (!c) return make_error(who + ": " + pos->str() + ": component `" + *id + "` is not defined");
    std::error_code ec;
    if (c->source.kind == spin::ComponentSource::Kind::Local &&
        !std::filesystem::is_regular_file(manifest->dir / c->source.path, ec))
      return make_error(who + ": " + c->source.pos.str() + ": component `" + *id + "`: " +
                        (manifest->dir / c->source.path).string() + " not found");
    if (options.confined && c->source.kind == spin::ComponentSource::Kind::Local &&
        !spin::resolves_within(manifest->dir, manifest->dir / c->source.path))
      return make_error(who + ": " + c->source.pos.str() + ": component `" + *id + "`: " + c->source.path +
                        " leaves the image");
  }
  std::shared_ptr<HostedApp> h(new HostedApp());
  h->name_ = std::move(name);
  h->dir_ = dir;
  h->manifest_ = std::move(*manifest);
  h->options_ = options;
  h->memory_ = std::make_shared<wasm::SharedMemoryBudget>(
      options.trigger.max_app_memory ? options.trigger.max_app_memory : std::numeric_limits<uint64_t>::max());
  if (options.limits.rate > 0) h->limiter_ = std::make_unique<RateLimiter>(options.limits.rate, options.limits.burst);
  return h;
}

std::vector<std::string> HostedApp::routes() const {
  std::vector<std::string> out;
  for (const auto& t : manifest_.http_triggers) out.push_back(t.route);
  return out;
}

bool HostedApp::loaded() const { return is_loaded_.load(std::memory_order_relaxed); }

Expected<std::shared_ptr<LoadedHostedApp>> HostedApp::acquire(bool* cold) {
  last_used_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  std::lock_guard lock(load_mu_);
  if (cold) *cold = !loaded_;
  if (loaded_) return loaded_;
  const auto now = std::chrono::steady_clock::now();
  if (!failure_.empty() && now - failed_at_ < options_.retry_failed_load) {
    if (cold) *cold = false;
    return make_error(failure_);
  }
  auto l = load();
  if (!l) {
    failure_ = l.error().message;
    failed_at_ = now;
    return l;
  }
  failure_.clear();
  loaded_ = *l;
  is_loaded_ = true;
  if (options_.loaded) options_.loaded->add(shared_from_this());
  return loaded_;
}

Expected<std::shared_ptr<LoadedHostedApp>> HostedApp::load() {
  const std::string who = "app `" + name_ + "`";
  auto l = std::make_shared<LoadedHostedApp>();
  l->scratch = options_.scratch.string() + "-" + std::to_string(++loads_);
  spin::AppLoadOptions lo;
  spin::http::set_app_loaders(lo);
  if (options_.snapshots) options_.snapshots->wrap(lo);  // inside the sharing: code is shared by the file's digest
  if (options_.code) options_.code->wrap(lo);
  lo.staging = l->scratch;
  auto app = spin::load_app(manifest_, lo);
  if (!app) return make_error(who + ": " + app.error().message);
  l->app = *app;
  auto runtime = spin::AppRuntime::create(l->app, options_.runtime);
  if (!runtime) return make_error(who + ": " + runtime.error().message);
  l->runtime = *runtime;
  std::shared_ptr<spin::http::LogSink> logs = options_.own_logs;
  if (!logs && options_.logs) logs = std::make_shared<AppLogSink>(options_.logs, name_);
  if (!logs) logs = std::make_shared<spin::http::FileLogSink>(l->app->manifest.dir / ".spin" / "logs", stderr);
  spin::http::TriggerOptions topts = options_.trigger;
  topts.app_memory = memory_;
  // The app's runtime config may lower its memory cap (as under whirl up),
  // never raise it above the host's.
  if (uint64_t m = l->runtime->max_instance_memory(); m && m < topts.max_memory) topts.max_memory = m;
  l->trigger = std::make_unique<spin::http::HttpTrigger>(l->app, topts, logs);
  spin::http::install_executors(*l->trigger, l->runtime);
  if (auto ok = l->trigger->check_executors(); !ok) return make_error(who + ": " + ok.error().message);
  if (subscribes()) {
    spin::redis::RedisTriggerOptions ro;
    ro.max_memory = topts.max_memory;
    auto redis = spin::redis::RedisTrigger::create(l->app, l->runtime, logs, ro);
    if (!redis) return make_error(who + ": " + redis.error().message);
    l->redis = std::move(*redis);
    if (auto ok = l->redis->start(); !ok) return make_error(who + ": " + ok.error().message);
  }
  if (options_.compile_in_background) l->upgrade = spin::NativeUpgrade::start(l->app, {});
  return l;
}

bool HostedApp::unload_if_idle(std::chrono::steady_clock::duration idle, std::shared_ptr<LoadedHostedApp>* out) {
  std::shared_ptr<LoadedHostedApp> old;  // freed outside the lock (or by its last request)
  {
    std::lock_guard lock(load_mu_);
    if (!loaded_ || subscribes() || std::chrono::steady_clock::now() - last_used() < idle) return false;
    old = std::move(loaded_);
    is_loaded_ = false;
  }
  if (options_.loaded) options_.loaded->remove(this);
  if (out) *out = std::move(old);
  return true;
}

HostedApp::~HostedApp() {
  if (loaded_ && options_.loaded) options_.loaded->remove(this);
}

LoadedHostedApp::~LoadedHostedApp() {
  // No more messages; a handler running gets a moment, then is interrupted.
  if (redis) redis->shutdown(std::chrono::seconds(2));
  upgrade.reset();  // stops a compile before the app it reads goes
  trigger.reset();
  if (!scratch.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
  }
}

}  // namespace whirl::host
