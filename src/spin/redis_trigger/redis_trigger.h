// Spin's Redis trigger: for each Redis server the app's [[trigger.redis]]
// tables name, one subscriber (its own connection and thread) SUBSCRIBEs
// to their channels; each message runs a fresh instance of every component
// on its channel, with the app's factors (AppRuntime, as the HTTP trigger
// does), calling `fermyon:spin/inbound-redis#handle-message` with the
// payload. A handler's error or trap is logged and the subscriber goes on.
// Messages of one server are handled one after another, as in Spin.
//
// Unlike Spin, which stops when its subscription ends, a subscriber that
// loses its server reconnects with backoff and subscribes again (messages
// published meanwhile are lost: that is Redis pub/sub). An unreachable
// server at startup is an error, as in Spin.
#pragma once

#include <signal.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/expected.h"
#include "spin/app/app.h"
#include "spin/http/log_sink.h"
#include "spin/http/server.h"
#include "spin/http/trigger.h"
#include "spin/runtime/app_runtime.h"

namespace whirl::spin::redis {

struct RedisTriggerOptions {
  uint64_t max_memory = 128ull << 20;  // bytes of linear memory and tables per message's instance
  // The value of an application variable for `{{ name }}` in addresses
  // and channels (none: no value); empty: the app's variables resolver
  // (the runtime's variables factor: every provider, then the default).
  std::function<std::optional<std::string>(std::string_view name)> variable;
  std::chrono::milliseconds backoff_min{100}, backoff_max{5000};  // between reconnection attempts
};

// The export a handler component has.
inline constexpr const char* kHandleMessage = "fermyon:spin/inbound-redis#handle-message";

class RedisTrigger {
 public:
  // Null when the app has no Redis triggers. Errors (naming the trigger's
  // position): a component that is a core module, exports no handler or
  // imports what the runtime lacks; no address; a template without a
  // value; an address that does not parse.
  static Expected<std::unique_ptr<RedisTrigger>> create(std::shared_ptr<const LoadedApp> app,
                                                        std::shared_ptr<const AppRuntime> runtime,
                                                        std::shared_ptr<http::LogSink> logs,
                                                        RedisTriggerOptions options = {});
  ~RedisTrigger();
  RedisTrigger(const RedisTrigger&) = delete;
  RedisTrigger& operator=(const RedisTrigger&) = delete;

  // Connects to every server and subscribes (an error if one cannot be
  // reached), then listens, one thread per server.
  Expected<void> start();
  // As `spin up` prints them: "Active Channels on HOST:PORT:", then
  // "\tHOST:PORT/CHANNEL: [component,...]" per channel.
  std::vector<std::string> channel_lines() const;

  // No more messages are taken (a handler running goes on). Any thread.
  void request_stop();
  // Blocks until request_stop() is called.
  void wait_stop_requested();
  // Stops running handlers now (their stores are interrupted).
  void interrupt_all();
  // request_stop(), then up to `grace` for running handlers, then
  // interrupt_all(); joins the subscribers.
  void shutdown(std::chrono::milliseconds grace);

 private:
  struct Impl;
  explicit RedisTrigger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An app with only Redis triggers (no HTTP listener, as in Spin): waits
// for one of `signals` (blocked by the caller in every thread), stops
// taking messages, gives running handlers `grace` (a second signal stops
// them at once) and returns the first signal's number.
int run_until_signal(RedisTrigger& trigger, const sigset_t& signals, std::chrono::milliseconds grace);

// An app with an HTTP listener (and its Redis triggers, if `redis`): serves
// until one of `signals` (blocked by the caller in every thread), then stops
// taking requests and messages and lets those running finish within the
// server's grace; a second signal, or the end of the grace, interrupts them.
// Returns the first signal's number (0: the server stopped by itself).
int serve_until_signal(http::HttpServer& server, http::HttpTrigger& trigger, RedisTrigger* redis,
                       const sigset_t& signals);

}  // namespace whirl::spin::redis
