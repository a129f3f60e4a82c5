#include "spin/http/trigger.h"

#include <nlohmann/json.hpp>

namespace whirl::spin::http {
namespace {
constexpr std::string_view kWellKnown = "/.well-known/spin/";

// `wasi:http/incoming-handler@0.2.x` (any patch, pre-release included) among the exports.
bool exports_incoming_handler(const component::runtime::LoadedComponent& c) {
  constexpr std::string_view kName = "wasi:http/incoming-handler@0.2";
  for (const auto& e : component::runtime::component_type(c).exports) {
    std::string_view n = e.name;
    if (n.substr(0, kName.size()) == kName && (n.size() == kName.size() || n[kName.size()] == '.')) return true;
  }
  return false;
}

std::string export_names(const component::runtime::LoadedComponent& c) {
  std::string out;
  for (const auto& e : component::runtime::component_type(c).exports) out += (out.empty() ? "" : ", ") + e.name;
  return out.empty() ? "none" : out;
}
}

HttpTrigger::HttpTrigger(std::shared_ptr<const LoadedApp> app, TriggerOptions options, std::shared_ptr<LogSink> logs)
    : app_(std::move(app)),
      options_(options),
      logs_(std::move(logs)),
      router_(Router::from_manifest(app_->manifest)),
      watchdog_(options_.watchdog ? options_.watchdog : std::make_shared<Watchdog>()) {
  app_memory_ = options_.app_memory;
  if (!app_memory_ && options_.max_app_memory)
    app_memory_ = std::make_shared<wasm::SharedMemoryBudget>(options_.max_app_memory);
}

void HttpTrigger::set_executor(HttpExecutorConfig::Kind kind, std::shared_ptr<Executor> executor) {
  executors_[kind] = std::move(executor);
}

Expected<void> HttpTrigger::check_executors() const {
  for (const auto& t : app_->manifest.http_triggers) {
    // What the file is (told by its binary header) must suit the executor.
    const LoadedComponent* c = app_->find(t.component);
    bool wagi = t.executor.kind == HttpExecutorConfig::Kind::Wagi;
    if (c && wagi && c->component)
      return make_error(t.pos.str() + ": component `" + t.component +
                        "` is a component (wasi:http), but its trigger asks for the WAGI executor, which runs core "
                        "modules; remove `executor = { type = \"wagi\" }`");
    if (c && !wagi && c->module)
      return make_error(t.pos.str() + ": component `" + t.component +
                        "` is a core module; the HTTP executor runs components (wasi:http, as the Spin SDKs build "
                        "them). For a WAGI module set `executor = { type = \"wagi\" }`");
    if (auto code = c ? c->component.load() : nullptr; code && !exports_incoming_handler(*code))
      return make_error(t.pos.str() + ": component `" + t.component +
                        "` exports no `wasi:http/incoming-handler` 0.2.x, which the HTTP trigger calls (exports: " +
                        export_names(*code) + ")");
    auto ex = executors_.find(t.executor.kind);
    if (ex == executors_.end())
      return make_error(t.pos.str() + ": component `" + t.component + "` uses an executor that is not available");
    if (c)
      if (auto ok = ex->second->check(*c); !ok) return make_error(t.pos.str() + ": " + ok.error().message);
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
  if (!comp || (!comp->module && !comp->component) || ex == executors_.end()) {
    logs_->error("Error processing request: component `" + match.component() + "` cannot be run");
    out.send(Response::empty(500));
    return;
  }
  if (req.body_stream && ex->second->wants_whole_body()) {
    auto whole = with_whole_body(req);
    if (!whole) {
      logs_->error("Error processing request " + req.method + " " + req.target + ": " + whole.error().message);
      out.send(Response::text(whole.error().status, whole.error().message + "\n"));
      return;
    }
    return run_component(*whole, match, out);
  }
  // Everything armed or attached for this request is released on every
  // path out (RAII): a late timer or interrupt never reaches a freed store.
  auto slot = std::make_shared<InterruptSlot>();
  out.on_cancel([slot] { slot->fire(InterruptSlot::Reason::ClientGone); });
  Expected<void> result;
  {
    Watchdog::Armed armed(*watchdog_, Watchdog::Clock::now() + options_.timeout, slot);
    ExecRequest er{*comp, trig, match, req, app_->manifest.http_base, options_.max_memory, *slot, *logs_, out};
    er.router = this;
    er.app = &app_->manifest;
    er.app_memory = app_memory_;
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
