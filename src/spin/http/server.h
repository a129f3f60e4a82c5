// The HTTP/1.1 server (Boost.Beast): keep-alive, chunked request bodies,
// requests handled concurrently on a worker pool while I/O threads keep
// serving, response bodies streamed with backpressure. Graceful stop: stop
// accepting, answer queued requests 503, close idle connections, let
// in-flight requests finish within a grace period.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/expected.h"
#include "spin/http/message.h"

namespace whirl::spin::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 3000;                 // 0: any free port (see HttpServer::port())
  unsigned io_threads = 0;              // 0: min(2, cores)
  unsigned worker_threads = 0;          // 0: 2 * cores (more are added while guests hold them all)
  unsigned max_worker_threads = 64;
  std::chrono::milliseconds worker_patience{100};  // queue wait before an extra worker is added
  // Requests of one key (see `classify`) running at once; more wait in the
  // queue without holding a worker. 0: 4 per core, so a flood of CPU-bound
  // guests on one component leaves the cores to share with other routes.
  unsigned max_concurrent_per_key = 0;
  size_t max_queued = 4096;             // requests waiting for a worker beyond this get 503
  // A request running longer than this continues at a lower CPU priority,
  // so short requests of other routes are not slowed by long CPU-bound
  // guests (0: never).
  std::chrono::milliseconds demote_after{100};
  uint64_t body_limit = 64ull << 20;    // request bodies larger than this are refused (413)
  // Request bodies stream to the handler, which may buffer them whole
  // (WAGI); all those in flight together are held under this (a request
  // that would go over it gets 503).
  uint64_t max_buffered_bodies = 512ull << 20;
  uint32_t header_limit = 64 * 1024;    // request line + headers larger than this are refused (431)
  // Response bytes buffered per request before the producer blocks; a body
  // that fits is sent with Content-Length, a longer one streams (chunked).
  size_t response_buffer = 128 * 1024;
  // Request body bytes read ahead of the handler before the server stops
  // reading the socket (the body streams: the client waits, not our memory).
  size_t request_body_buffer = 256 * 1024;
  std::chrono::seconds idle_timeout{60};   // keep-alive idle, and a stalled client read or write
  std::chrono::milliseconds grace{10000};  // for in-flight requests after stop
  // Which fairness group a request belongs to (the component it routes
  // to); empty function: one group.
  std::function<std::string(const Request&)> classify;
  // Server-level problems (accept failing, ...); default: stderr.
  std::function<void(const std::string&)> log;
};

// "127.0.0.1:3000", "[::1]:3000", "localhost:3000", "0.0.0.0:80" into host
// and port; false if malformed. Shared by `whirl up --listen` and the shim's
// SPIN_HTTP_LISTEN_ADDR.
bool parse_listen_address(const std::string& s, std::string* host, uint16_t* port);

class HttpServer {
 public:
  // Runs on a worker thread; answers through the writer (an exception or
  // no answer at all is a 500).
  using Handler = std::function<void(const Request&, ResponseWriter&)>;

  HttpServer(ServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // A handler that computes the whole response at once.
  static Handler buffered(std::function<Response(const Request&)> fn);

  // Binds and listens; errors name the address.
  Expected<void> listen();
  uint16_t port() const;

  // Also serves connections accepted from `fd`, a listening TCP socket bound
  // elsewhere (in another process's network namespace, say); the server
  // owns it from now on. Requests from it carry `tag` in Request::listener.
  // Thread-safe, before or during run(); the id is for close_listener().
  Expected<uint64_t> adopt_listener(int fd, std::string tag);
  // Stops accepting from it: its idle connections close now, busy ones
  // after their current response. Thread-safe.
  void close_listener(uint64_t id);

  // Serves until request_stop() and the drain finish. `on_grace_expired`
  // runs once if in-flight requests outlive the grace period (to interrupt them).
  void run(std::function<void()> on_grace_expired = {});

  // Thread-safe; not async-signal-safe (call it from a signal-waiting thread).
  void request_stop();

  struct Impl;  // server.cc only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace whirl::spin::http
