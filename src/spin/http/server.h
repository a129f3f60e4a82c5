// The HTTP/1.1 server (Boost.Beast): keep-alive, chunked request bodies,
// requests handled concurrently on a worker pool while I/O threads keep
// serving. Graceful stop: stop accepting, close idle connections, let
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
  uint64_t body_limit = 64ull << 20;    // request bodies larger than this are refused (413)
  std::chrono::seconds idle_timeout{60};
  std::chrono::milliseconds grace{10000};  // for in-flight requests after stop
};

// "127.0.0.1:3000", "[::1]:3000", "localhost:3000", "0.0.0.0:80" into host
// and port; false if malformed. Shared by `whirl up --listen` and the shim's
// SPIN_HTTP_LISTEN_ADDR.
bool parse_listen_address(const std::string& s, std::string* host, uint16_t* port);

class HttpServer {
 public:
  using Handler = std::function<Response(const Request&)>;

  HttpServer(ServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; errors name the address.
  Expected<void> listen();
  uint16_t port() const;

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
