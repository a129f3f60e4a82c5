// How the HTTP trigger runs a component for one request. One executor per
// kind of component: WAGI (core wasm32-wasi modules speaking CGI) today;
// wasi:http / Spin SDK components slot in beside it as another Executor.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "spin/app/app.h"
#include "spin/http/log_sink.h"
#include "spin/http/message.h"
#include "spin/http/router.h"
#include "wasm/runtime/runtime.h"

namespace whirl::spin::http {

// Lets another thread stop the guest of one request (the watchdog at the
// time limit, the server when the client leaves or at the end of the
// shutdown grace): the executor attaches its Store while the guest runs.
// Firing before attach stops the guest as soon as it is attached.
class InterruptSlot {
 public:
  enum class Reason : uint8_t { None, TimeLimit, ClientGone, Shutdown };
  void attach(wasm::Store* store);
  void detach();
  void fire(Reason why);
  bool fired() const;
  Reason reason() const;  // the first fire's

  // Attached for its lifetime: the store is detached on every path out
  // (an exception included), before the store itself is destroyed.
  class Attached {
   public:
    Attached(InterruptSlot& slot, wasm::Store* store) : slot_(slot) { slot_.attach(store); }
    ~Attached() { slot_.detach(); }
    Attached(const Attached&) = delete;
    Attached& operator=(const Attached&) = delete;

   private:
    InterruptSlot& slot_;
  };

 private:
  mutable std::mutex mu_;
  wasm::Store* store_ = nullptr;
  Reason reason_ = Reason::None;
};

// Why a stopped guest stopped, for the log line.
std::string_view describe(InterruptSlot::Reason why);

class HttpTrigger;

struct ExecRequest {
  const LoadedComponent& component;
  const HttpTriggerConfig& trigger;
  const RouteMatch& match;
  const Request& request;
  std::string_view base_path;
  uint64_t max_memory = 0;  // bytes of linear memory and tables per request (0: the engine's default)
  InterruptSlot& interrupt;
  LogSink& logs;
  ResponseWriter& response;  // where the executor answers
  HttpTrigger* router = nullptr;     // the trigger that routed it: requests a component sends its own app (self)
  const AppManifest* app = nullptr;  // the app (application variables of allowed_outbound_hosts)
  std::shared_ptr<wasm::SharedMemoryBudget> app_memory;  // shared by the app's requests; null: none
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Answers through `req.response`. An error is logged by the trigger and
  // answered 500 if no response has started, else the response is cut off.
  // Must not throw (the trigger treats an exception as an error too).
  virtual Expected<void> execute(const ExecRequest& req) = 0;
  // Whether the request body must be whole in `req.request.body` before
  // execute (the trigger reads it first); false: it may still be streaming
  // (`req.request.body_stream`).
  virtual bool wants_whole_body() const { return true; }
  // At startup: whether this executor can run `c` at all (e.g. every
  // import it needs is provided); an error names what is missing.
  virtual Expected<void> check(const LoadedComponent& c) const {
    (void)c;
    return {};
  }
};

}  // namespace whirl::spin::http
