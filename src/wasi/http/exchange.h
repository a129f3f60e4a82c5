// One outbound request in flight (wasi:http/outgoing-handler.handle): the
// meeting point of the guest's thread and the thread that sends the
// request. The request body flows guest -> transport and the response body
// transport -> guest through bounded buffers, so neither side holds a
// large body whole: a full buffer makes the writer wait (backpressure).
// Thread-safe; either side may end it (cancel) at any time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "component/abi/value.h"
#include "wasi/http/wasi_http.h"

namespace whirl::wasi::http {

class Exchange {
 public:
  static constexpr size_t kWindow = 256 * 1024;  // bytes buffered each way before the producer waits

  explicit Exchange(OutboundRequest r) : request_(std::move(r)) {}
  const OutboundRequest& request() const { return request_; }

  // ---- request body: the guest writes, the transport sends ----
  uint64_t body_room();
  bool wait_body_room(std::chrono::nanoseconds t);
  bool push_body(std::string_view bytes);  // false: the exchange is over
  void end_body();
  void fail_body(std::string why);         // the guest's body broke (dropped unfinished, wrong length)
  enum class BodyEvent { Data, End, Failed, Cancelled };
  // Transport: waits for bytes, the end or a failure (`out` gets the bytes,
  // or the failure's message).
  BodyEvent next_body(std::string& out);
  // Transport: waits until the body has bytes or ended; true and the whole
  // body in `whole` when it ended already (so it can go with a Content-Length).
  bool body_complete(std::string& whole);

  // ---- response head ----
  void respond(uint16_t status, FieldList headers);
  // Before the head: the future resolves to this error-code; after: the body fails with it.
  void fail(component::abi::Value error_code);
  bool head_ready();
  bool wait_head(std::chrono::nanoseconds t);
  struct Head {
    uint16_t status = 0;
    FieldList headers;
    std::optional<component::abi::Value> error;
  };
  Head head();  // once head_ready()

  // ---- response body: the transport writes, the guest reads ----
  bool push_response(std::string_view bytes);  // waits while the buffer is full; false: the guest is gone
  void end_response();
  p2::HostInputStream::Chunk read_response(size_t max);
  bool response_ready();
  bool wait_response(std::chrono::nanoseconds t);

  // The guest is gone (or the instance ends): everything waiting wakes,
  // the hook runs (it stops the transport's I/O).
  void cancel();
  bool cancelled();
  // Runs `hook` on cancel (at once if cancelled already); an empty one clears it.
  void on_cancel(std::function<void()> hook);

 private:
  OutboundRequest request_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  // request body
  std::string body_;
  bool body_ended_ = false;
  std::string body_failed_;
  // head
  bool head_ready_ = false;
  Head head_;
  // response body
  std::string resp_;
  bool resp_ended_ = false;
  std::string resp_error_, resp_error_code_;
  std::mutex hook_mu_;  // held while the hook runs, and while it is replaced
  std::function<void()> hook_;
};

// The transports: each runs on its own thread until the exchange is over.
void send_over_network(Exchange& ex, const std::string& extra_ca_file);

}  // namespace whirl::wasi::http
