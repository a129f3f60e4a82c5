// HTTP requests and responses as the trigger and executors see them:
// plain values, independent of the server library.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace whirl::spin::http {

struct Header {
  std::string name;
  std::string value;
};

bool iequals(std::string_view a, std::string_view b);

// A request body as it arrives from the client, read by the handler while
// the server still receives it (bounded buffering: a slow reader makes the
// server stop reading the socket, so the client waits). Thread-safe.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  struct Chunk {
    std::string bytes;   // what was there now (empty: nothing yet, unless end or error)
    bool end = false;    // the body is complete: no more bytes
    std::string error;   // non-empty: the body failed (client gone, malformed, too large)
    unsigned status = 0; // with an error the client caused: the answer that fits (400, 413)
  };
  // Never waits: up to `max` bytes of what has arrived.
  virtual Chunk read(size_t max) = 0;
  // Waits at most `timeout` until read() would return something; true if so.
  virtual bool wait_for(std::chrono::nanoseconds timeout) = 0;
  // The chunked body's trailers, once the end was read (else none).
  virtual std::vector<Header> trailers() = 0;
};

struct Request {
  std::string method = "GET";
  std::string target = "/";  // as received: path and query ("/a/b?x=1")
  std::string path = "/";    // raw (percent-encoded) path
  std::string query;         // after '?', without it
  unsigned version = 11;     // 10 or 11
  std::vector<Header> headers;
  std::string body;                         // the whole body, unless body_stream is set
  std::shared_ptr<BodyStream> body_stream;  // set: the body arrives through it (`body` is empty)
  std::string client_ip = "127.0.0.1";
  uint16_t client_port = 0;
  // The tag of the adopted listener it came in on ("": the server's own;
  // see HttpServer::adopt_listener).
  std::string listener;
  // How many requests of the app to itself this one is nested in (0: it
  // came from a client): bounds a component that calls itself in a loop.
  uint32_t self_depth = 0;

  // The first header of that name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  // "ip:port" ("[ip]:port" for IPv6), as Spin prints a SocketAddr.
  std::string client_addr() const;
  // Splits `target` into `path` and `query` (accepts absolute-form targets).
  void set_target(std::string_view t);
};

// The whole body of `req`: `req.body`, or all its stream delivers (waiting
// for it; the server ends a stalled upload at its idle timeout). An error
// says why, with the status that fits when the client caused it.
struct BodyError {
  unsigned status = 400;
  std::string message;
};
Expected<std::string, BodyError> read_whole_body(const Request& req);
// `req` with its whole body in `body` (no stream), for handlers that need it
// whole (WAGI's stdin, HttpServer::buffered).
Expected<Request, BodyError> with_whole_body(const Request& req);

struct Response {
  unsigned status = 200;
  std::vector<Header> headers;
  std::string body;
  std::vector<Header> trailers;

  std::optional<std::string_view> header(std::string_view name) const;
  void set_header(std::string name, std::string value);  // replaces any of that name

  static Response text(unsigned status, std::string body, std::string content_type = "text/plain");
  static Response empty(unsigned status) { Response r; r.status = status; return r; }
};

// The cancellation half of a ResponseWriter: a flag and a hook.
class Cancellation {
 public:
  // Sets the flag and runs the hook (outside the lock); false if it was set already.
  bool cancel() {
    std::function<void()> hook;
    {
      std::lock_guard lock(mu_);
      if (cancelled_) return false;
      cancelled_ = true;
      hook = hook_;
    }
    if (hook) hook();
    return true;
  }
  bool cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }
  // Replaces the hook (an empty one clears it); runs it at once if already cancelled.
  void on_cancel(std::function<void()> hook) {
    std::unique_lock lock(mu_);
    hook_ = std::move(hook);
    if (!cancelled_ || !hook_) return;
    auto h = hook_;
    lock.unlock();
    h();
  }

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::function<void()> hook_;
};

// Where a handler sends its response: at once (`send`), or the head first
// and the body in pieces while it is produced (`start`, `write`...,
// `finish`), so a large or endless body never sits whole in memory. Calls
// come from one thread (the request's); `cancel` and `cancelled` from any.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // Status and headers; false if already started or cancelled.
  virtual bool start(unsigned status, std::vector<Header> headers) = 0;
  // Body bytes after start. Blocks while the client lags (a bounded
  // buffer: backpressure); false once the client is gone or the response
  // is cancelled: the producer should stop.
  virtual bool write(std::string_view bytes) = 0;
  // The body is complete.
  virtual void finish() = 0;
  // Trailer fields, sent after the body (before finish). HTTP/1.1 carries
  // them only in a chunked body: a response that has them is chunked
  // unless the handler declared a Content-Length; HTTP/1.0 drops them, as
  // does a writer with no wire behind it that keeps only the body.
  virtual void set_trailers(std::vector<Header> trailers) { (void)trailers; }
  // The response failed: a 500 if nothing has been sent yet (what was
  // written is dropped), else the client gets a cut-off response (the
  // connection closes), never a complete-looking one.
  virtual void abort() = 0;
  virtual bool started() const = 0;

  // The client went away, or the server stops the request: wakes a blocked
  // write and runs the cancel hook (once, on the cancelling thread).
  virtual void cancel() = 0;
  virtual bool cancelled() const = 0;
  // Runs `hook` on cancellation (at once if already cancelled); replaces
  // any earlier hook, an empty one clears it. It must be cheap and
  // thread-safe (e.g. interrupt the guest).
  virtual void on_cancel(std::function<void()> hook) = 0;

  // start + write + finish.
  bool send(Response r) {
    if (!start(r.status, std::move(r.headers))) return false;
    bool ok = r.body.empty() || write(r.body);
    if (!r.trailers.empty()) set_trailers(std::move(r.trailers));
    finish();
    return ok;
  }
};

// A ResponseWriter that keeps the response in memory, up to `body_limit`
// bytes of body (a write past it fails): for tests and in-process requests.
class CollectedResponse final : public ResponseWriter {
 public:
  explicit CollectedResponse(size_t body_limit = size_t(64) << 20) : limit_(body_limit) {}
  bool start(unsigned status, std::vector<Header> headers) override;
  bool write(std::string_view bytes) override;
  void finish() override;
  void set_trailers(std::vector<Header> trailers) override;
  void abort() override;
  bool started() const override;
  void cancel() override { cancel_.cancel(); }
  bool cancelled() const override { return cancel_.cancelled(); }
  void on_cancel(std::function<void()> hook) override { cancel_.on_cancel(std::move(hook)); }

  bool finished() const;
  bool aborted() const;
  // The response so far (a 500 once aborted).
  Response response() const;

 private:
  mutable std::mutex mu_;
  size_t limit_;
  Response r_;
  bool started_ = false, finished_ = false, aborted_ = false;
  Cancellation cancel_;
};

}  // namespace whirl::spin::http
