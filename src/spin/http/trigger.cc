#include "spin/http/trigger.h"

#include <nlohmann/json.hpp>

namespace whirl::spin::http {
namespace {
constexpr std::string_view kWellKnown = "/.well-known/spin/";
}

HttpTrigger::HttpTrigger(std::shared_ptr<const LoadedApp> app, TriggerOptions options, std::shared_ptr<LogSink> logs)
    : app_(std::move(app)), options_(options), logs_(std::move(logs)), router_(Router::from_manifest(app_->manifest)) {}

void HttpTrigger::set_executor(HttpExecutorConfig::Kind kind, std::shared_ptr<Executor> executor) {
  executors_[kind] = std::move(executor);
}

Expected<void> HttpTrigger::check_executors() const {
  for (const auto& t : app_->manifest.http_triggers) {
    if (executors_.count(t.executor.kind)) continue;
    const char* what = t.executor.kind == HttpExecutorConfig::Kind::Http
                           ? "uses the component model HTTP executor (wasi:http / Spin SDK), which is not supported "
                             "yet; only WAGI components (executor = { type = \"wagi\" }) run for now"
                           : "uses an executor that is not available";
    return make_error(t.pos.str() + ": component `" + t.component + "` " + what);
  }
  return {};
}

std::vector<std::string> HttpTrigger::route_lines(const std::string& base_url) const {
  std::vector<std::string> out;
  for (const auto& e : router_.entries()) {
    out.push_back("  " + e.component + ": " + base_url + e.pattern.display());
    const Component* c = app_->manifest.find_component(e.component);
    if (c && !c->description.empty()) out.push_back("    " + c->description);
  }
  return out;
}

Response HttpTrigger::app_info() const {
  nlohmann::ordered_json j;
  j["name"] = app_->manifest.name;
  if (!app_->manifest.version.empty()) j["version"] = app_->manifest.version;
  return Response::text(200, j.dump(2), "application/json");
}

Response HttpTrigger::handle(const Request& req) {
  if (req.path.compare(0, kWellKnown.size(), kWellKnown) == 0) {
    std::string_view what = std::string_view(req.path).substr(kWellKnown.size());
    if (what == "health") {
      Response r;
      r.body = "OK";
      return r;
    }
    if (what == "info") return app_info();
    return Response::empty(404);
  }

  auto match = router_.route(req.path);
  if (!match) return Response::empty(404);

  const HttpTriggerConfig& trig = app_->manifest.http_triggers[match->entry->trigger_index];
  const LoadedComponent* comp = app_->find(match->component());
  auto ex = executors_.find(trig.executor.kind);
  if (!comp || !comp->module || ex == executors_.end()) {
    logs_->error("Error processing request: component `" + match->component() + "` cannot be run");
    return Response::empty(500);
  }

  auto slot = std::make_shared<InterruptSlot>();
  uint64_t ticket = watchdog_.arm(Watchdog::Clock::now() + options_.timeout, slot);
  ExecRequest er{*comp, trig, *match, req, app_->manifest.http_base, options_.max_memory, *slot, *logs_};
  auto result = ex->second->execute(er);
  watchdog_.cancel(ticket);
  if (!result) {
    logs_->error("Error processing request " + req.method + " " + req.target + ": " + result.error().message);
    return Response::empty(500);
  }
  return std::move(*result);
}

}  // namespace whirl::spin::http
