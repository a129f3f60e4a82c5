// How the HTTP trigger runs a component for one request. One executor per
// kind of component: WAGI (core wasm32-wasi modules speaking CGI) today;
// wasi:http / Spin SDK components slot in beside it as another Executor.
#pragma once

#include <cstdint>
#include <mutex>
#include <string_view>

#include "common/expected.h"
#include "spin/app/app.h"
#include "spin/http/log_sink.h"
#include "spin/http/message.h"
#include "spin/http/router.h"
#include "wasm/runtime/runtime.h"

namespace whirl::spin::http {

// Lets a watchdog (another thread) stop the guest of one request: the
// executor attaches its Store while the guest runs. Firing before attach
// stops the guest as soon as it is attached.
class InterruptSlot {
 public:
  void attach(wasm::Store* store);
  void detach();
  void fire();
  bool fired() const;

 private:
  mutable std::mutex mu_;
  wasm::Store* store_ = nullptr;
  bool fired_ = false;
};

struct ExecRequest {
  const LoadedComponent& component;
  const HttpTriggerConfig& trigger;
  const RouteMatch& match;
  const Request& request;
  std::string_view base_path;
  uint64_t max_memory = 0;  // bytes per linear memory (0: the engine's default)
  InterruptSlot& interrupt;
  LogSink& logs;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // An error is answered 500 by the trigger, with the message logged.
  virtual Expected<Response> execute(const ExecRequest& req) = 0;
};

}  // namespace whirl::spin::http
