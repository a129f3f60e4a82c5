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

std::string HttpTrigger::fairness_key(const Request& req) const {
  if (req.path.compare(0, kWellKnown.size(), kWellKnown) == 0) return {};
  auto match = router_.route(req.path);
  return match ? match->component() : std::string();
}

void HttpTrigger::handle(const Request& req, ResponseWriter& out) {
  if (req.path.compare(0, kWellKnown.size(), kWellKnown) == 0) {
    std::string_view what = std::string_view(req.path).substr(kWellKnown.size());
    if (what == "health") {
      Response r;
      r.body = "OK";
      out.send(std::move(r));
    } else if (what == "info") {
      out.send(app_info());
    } else {
      out.send(Response::empty(404));
    }
    return;
  }
  auto match = router_.route(req.path);
  if (!match) {
    out.send(Response::empty(404));
    return;
  }
  run_component(req, *match, out);
}

void HttpTrigger::run_component(const Request& req, const RouteMatch& match, ResponseWriter& out) {
  const HttpTriggerConfig& trig = app_->manifest.http_triggers[match.entry->trigger_index];
  const LoadedComponent* comp = app_->find(match.component());
  auto ex = executors_.find(trig.executor.kind);
  if (!comp || !comp->module || ex == executors_.end()) {
    logs_->error("Error processing request: component `" + match.component() + "` cannot be run");
    out.send(Response::empty(500));
    return;
  }
  // Everything armed or attached for this request is released on every
  // path out (RAII): a late timer or interrupt never reaches a freed store.
  auto slot = std::make_shared<InterruptSlot>();
  out.on_cancel([slot] { slot->fire(InterruptSlot::Reason::ClientGone); });
  Expected<void> result;
  {
    Watchdog::Armed armed(watchdog_, Watchdog::Clock::now() + options_.timeout, slot);
    ExecRequest er{*comp, trig, match, req, app_->manifest.http_base, options_.max_memory, *slot, *logs_, out};
    try {
      result = ex->second->execute(er);
    } catch (const std::bad_alloc&) {
      result = make_error("component `" + comp->id + "`: out of memory");
    } catch (const std::exception& e) {
      result = make_error("component `" + comp->id + "`: " + e.what());
    }
  }
  out.on_cancel({});
  if (!result) {
    logs_->error("Error processing request " + req.method + " " + req.target + ": " + result.error().message);
    out.abort();
  }
}

}  // namespace whirl::spin::http
