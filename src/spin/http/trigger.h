// The HTTP trigger: Spin's reserved routes, routing, the per-request limits
// (memory, wall-clock timeout through the watchdog) and dispatch to the
// executor of the component's kind. Independent of the server library.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spin/app/app.h"
#include "spin/http/executor.h"
#include "spin/http/log_sink.h"
#include "spin/http/router.h"
#include "spin/http/watchdog.h"

namespace whirl::spin::http {

struct TriggerOptions {
  std::chrono::milliseconds timeout{30000};  // wall clock per request
  uint64_t max_memory = 128ull << 20;        // bytes of linear memory and tables per request
  // Bytes of linear memory and tables of all the app's requests running at
  // once (the node host's cap per app); 0: none beyond max_memory each.
  uint64_t max_app_memory = 0;
  // The budget those requests share, if the caller keeps one across loads
  // (the node host, which also reports it); null: made from max_app_memory.
  std::shared_ptr<wasm::SharedMemoryBudget> app_memory;
  // The deadline thread; the node host shares one among all its apps'
  // triggers (null: the trigger makes its own).
  std::shared_ptr<Watchdog> watchdog;
};

class HttpTrigger {
 public:
  HttpTrigger(std::shared_ptr<const LoadedApp> app, TriggerOptions options, std::shared_ptr<LogSink> logs);

  void set_executor(HttpExecutorConfig::Kind kind, std::shared_ptr<Executor> executor);
  // Every routed component has an executor for its kind; else an error naming it.
  Expected<void> check_executors() const;

  // Answers through `out`; never throws.
  void handle(const Request& req, ResponseWriter& out);
  // The fairness group of a request for the server's worker pool: the
  // component it routes to (empty for reserved routes and 404s).
  std::string fairness_key(const Request& req) const;

  const Router& router() const { return router_; }
  // "  hello: http://127.0.0.1:3000/hello", one per route, as `spin up` lists them.
  std::vector<std::string> route_lines(const std::string& base_url) const;
  // Stops every running guest now (the end of the shutdown grace period).
  // (A shared watchdog's every request: the host's shutdown.)
  void interrupt_all() { watchdog_->fire_all(InterruptSlot::Reason::Shutdown); }

 private:
  Response app_info() const;
  void run_component(const Request& req, const RouteMatch& match, ResponseWriter& out);

  std::shared_ptr<const LoadedApp> app_;
  TriggerOptions options_;
  std::shared_ptr<wasm::SharedMemoryBudget> app_memory_;  // from max_app_memory; null: none
  std::shared_ptr<LogSink> logs_;
  Router router_;
  std::map<HttpExecutorConfig::Kind, std::shared_ptr<Executor>> executors_;
  std::shared_ptr<Watchdog> watchdog_;
};

}  // namespace whirl::spin::http
