// wasi:http 0.2 for components: the host side of `wasi:http/types` and
// `wasi:http/outgoing-handler`, and what a server needs to call a guest's
// `wasi:http/incoming-handler#handle`. Bodies are wasi:io streams of the
// WASI 0.2 tables (src/wasi/p2), so a guest polls, reads and splices them
// like files or sockets. The interfaces are defined under their 0.2.6
// names (wit/wasi-http-0.2/); a guest importing any 0.2.x links with them.
// Outbound requests go where an OutboundConfig says (the network over
// HTTP/1.1 or HTTPS, the app itself, or denied: `HTTP-request-denied`).
// docs/component-model.md ("wasi:http") has each function's status.
#pragma once

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "component/runtime/linker.h"
#include "wasi/p2/host_stream.h"

namespace whirl::wasi::p2 {
class WasiP2;
}

namespace whirl::wasi::http {

inline constexpr const char* kVersion = "0.2.6";

// Header or trailer fields, in order, names as written.
using FieldList = std::vector<std::pair<std::string, std::string>>;

// Where a request body comes from: chunks as they arrive (read never
// waits; ready/wait_for say when it would return something), then the end
// or an error. A server may feed it from the socket while the guest reads.
class BodySource : public p2::HostInputStream {
 public:
  // The trailers, once the end was reached (none: empty).
  virtual FieldList trailers() { return {}; }
};

// A body that is already whole in memory.
std::shared_ptr<BodySource> body_from_string(std::string bytes);

struct IncomingRequest {
  std::string method = "GET";             // as received ("GET", "PURGE", ...)
  std::string path_with_query = "/";      // "/a/b?x=1"
  std::string scheme = "http";            // "http", "https" or another
  std::optional<std::string> authority;   // "host:port" (the Host header)
  FieldList headers;                      // forbidden headers are left out for the guest
  std::shared_ptr<BodySource> body;       // null: an empty body
};

// Where the guest's response goes, as the guest produces it.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // Status and headers (response-outparam.set); false: nobody listens any more.
  virtual bool start(uint16_t status, const FieldList& headers) = 0;
  // Body bytes; may block while the client lags (backpressure); false: gone.
  virtual bool write(std::string_view bytes) = 0;
  // The body is complete (outgoing-body.finish), with its trailers.
  virtual void finish(const FieldList& trailers) = 0;
  // Bytes `write` takes now without waiting (0: wait_room first); a sink
  // with its own bound (an outbound request body) says so.
  virtual uint64_t room() { return UINT64_MAX; }
  virtual bool wait_room(std::chrono::nanoseconds) { return true; }
  // The body broke (dropped unfinished, wrong length): `why`.
  virtual void abort(const std::string& why) {}
};

// An outbound request as the guest built it (outgoing-handler.handle).
struct OutboundRequest {
  std::string method = "GET";
  std::string scheme = "https";          // "http" or "https" (none given: https, as wasmtime)
  std::optional<std::string> authority;  // none: a request to the app itself (Spin's self requests)
  std::string path_with_query = "/";
  FieldList headers;
  // request-options, else wasmtime's defaults (600 s each).
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(600);
  std::chrono::nanoseconds first_byte_timeout = std::chrono::seconds(600);
  std::chrono::nanoseconds between_bytes_timeout = std::chrono::seconds(600);
};

class Exchange;  // exchange.h: one request in flight

class Exchange;

// At most `max` outbound requests at once; more wait (their exchange's
// cancellation ends the wait).
class RequestLimit {
 public:
  explicit RequestLimit(size_t max) : max_(max) {}
  // False: the exchange was cancelled while waiting.
  bool acquire(Exchange& ex);
  void release();
  size_t max() const { return max_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t max_, used_ = 0;
};

// Where an instance's outbound requests go.
struct OutboundConfig {
  enum class Route : uint8_t { Deny, Network, Self };
  // Null: every request is denied (`HTTP-request-denied`, no connection).
  std::function<Route(const OutboundRequest&)> route;
  // Route::Self: answers the exchange in-process (runs on the exchange's own thread).
  std::function<void(Exchange&)> send_to_self;
  // A PEM file of extra trusted CAs besides the system store (tests use
  // their own CA); empty: the system store only.
  std::string extra_ca_file;
  size_t max_in_flight = 32;  // requests of one instance at once; more: `connection-limit-reached`
  // Shared by every instance of an app (Spin's [outbound_http]
  // max_concurrent_requests): a network request waits for a place before
  // it connects. Null: no limit.
  std::shared_ptr<RequestLimit> limit;
};

// How the guest answered, looked at after `handle` returned.
struct Outcome {
  enum class Kind { None, Response, Error } kind = Kind::None;
  std::string error;        // Error: the error-code the guest set (WAVE); Response: why the body failed, if it did
  bool body_finished = false;  // Response: outgoing-body.finish succeeded (or there was no body)
};

// One instance's wasi:http state; attach it to the instance's WASI 0.2
// context before instantiating.
class HttpState;
std::shared_ptr<HttpState> attach_http(p2::WasiP2& wasi, std::shared_ptr<ResponseSink> sink,
                                       OutboundConfig outbound = {});

// The arguments of one `handle` call: the reps of a new incoming-request
// and response-outparam (pass them as `own` values).
std::pair<uint32_t, uint32_t> new_incoming_call(HttpState& state, IncomingRequest request);

Outcome outcome(const HttpState& state);

// Header names a guest may neither set nor see (wasmtime's default list).
bool is_forbidden_header(std::string_view name);

// Defines every function and resource of wasi:http/types and
// wasi:http/outgoing-handler (next to wasi::p2::add_to_linker).
void add_to_linker(component::runtime::Linker& linker);

}  // namespace whirl::wasi::http
