#include "host/hosted_app.h"

#include <algorithm>

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

Expected<std::shared_ptr<HostedApp>> HostedApp::load(std::string name, const std::filesystem::path& dir,
                                                     const HostedAppOptions& options) {
  const std::string who = "app `" + name + "`";
  if (!valid_app_name(name))
    return make_error(who + ": not a valid app name (a DNS label: lowercase letters, digits and '-')");
  auto manifest = spin::load_manifest(dir.string());
  if (!manifest) return make_error(who + ": " + manifest.error().message);
  for (const auto& t : manifest->other_triggers)
    return make_error(who + ": " + t.pos.str() + ": trigger type `" + t.type + "` is not supported (only `http`)");
  if (!manifest->redis_triggers.empty())
    return make_error(who + ": " + manifest->redis_triggers.front().pos.str() +
                      ": Redis triggers are not run by whirl host yet (use whirl up)");
  if (manifest->http_triggers.empty()) return make_error(who + ": " + manifest->path.string() + ": no HTTP triggers");

  std::shared_ptr<HostedApp> h(new HostedApp());
  h->name_ = std::move(name);
  h->dir_ = dir;
  h->scratch_ = options.scratch;
  spin::AppLoadOptions lo;
  spin::http::set_app_loaders(lo);
  lo.staging = options.scratch;
  auto app = spin::load_app(std::move(*manifest), lo);
  if (!app) return make_error(who + ": " + app.error().message);
  h->app_ = *app;
  auto runtime = spin::AppRuntime::create(h->app_, {});
  if (!runtime) return make_error(who + ": " + runtime.error().message);
  h->runtime_ = *runtime;
  std::shared_ptr<spin::http::LogSink> logs =
      options.logs ? std::make_shared<AppLogSink>(options.logs, h->name_) : nullptr;
  if (!logs) logs = std::make_shared<spin::http::FileLogSink>(h->app_->manifest.dir / ".spin" / "logs", stderr);
  h->trigger_ = std::make_unique<spin::http::HttpTrigger>(h->app_, options.trigger, logs);
  spin::http::install_executors(*h->trigger_, h->runtime_);
  if (auto ok = h->trigger_->check_executors(); !ok) return make_error(who + ": " + ok.error().message);
  if (options.compile_in_background) h->upgrade_ = spin::NativeUpgrade::start(h->app_, {});
  h->loaded_at_ = std::chrono::system_clock::now();
  h->limits_ = options.limits;
  if (options.limits.rate > 0) h->limiter_ = std::make_unique<RateLimiter>(options.limits.rate, options.limits.burst);
  return h;
}

HostedApp::~HostedApp() {
  upgrade_.reset();  // stops a compile before the app it reads goes
  if (!scratch_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(scratch_, ec);
  }
}

}  // namespace whirl::host
