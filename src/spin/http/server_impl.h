// The server's state, shared by server.cc (connections, requests, stop)
// and server_listen.cc (listeners and accepting). Internal to those two:
// Boost.Beast and Asio stay behind server.h.
#pragma once

#include <utility>  // before Asio, which uses std::exchange without it

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "spin/http/server.h"
#include "spin/http/worker_pool.h"

namespace whirl::spin::http {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class Session;
using ControlStrand = net::strand<net::io_context::executor_type>;

// One listening socket and its accept loop (on the control strand).
struct Listener {
  explicit Listener(ControlStrand& ctl) : acceptor(ctl), accept_timer(ctl) {}
  tcp::acceptor acceptor;
  net::steady_timer accept_timer;
  std::chrono::milliseconds accept_backoff{10};
  bool accept_paused = false;  // logged once per episode
  std::string tag;             // copied into Request::listener ("" for the server's own)
  // Cleared when it closes: its connections end after their current response.
  std::atomic<bool> open{true};
  bool accepting = false;  // on ctl only: the loop is started
};

struct HttpServer::Impl {
  ServerOptions opts;
  Handler handler;
  net::io_context ioc;
  ControlStrand ctl{ioc.get_executor()};  // accept, stop, grace timer
  std::shared_ptr<Listener> own = std::make_shared<Listener>(ctl);  // bound by listen()
  std::map<uint64_t, std::shared_ptr<Listener>> adopted;            // guarded by mu
  uint64_t next_listener = 1;                                       // guarded by mu
  bool running = false;                                             // on ctl only: run() began
  std::unique_ptr<WorkerPool> workers;
  net::steady_timer grace_timer{ctl};
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> body_bytes{0};  // request body bytes reserved (see Session::reserve_body)
  bool grace_started = false;  // on ctl only
  std::mutex mu;  // sessions, adopted
  std::set<std::shared_ptr<Session>> sessions;
  std::function<void()> on_grace_expired;
  uint16_t bound_port = 0;

  void start_all();  // on ctl, from run()
  void start_accepting(const std::shared_ptr<Listener>& l);
  void do_accept(const std::shared_ptr<Listener>& l);
  void on_accept_error(const std::shared_ptr<Listener>& l, const beast::error_code& ec);
  void close_listeners();  // on ctl: every acceptor, at stop
  void begin_stop();
  // A connection accepted from `from` (server.cc).
  void start_session(tcp::socket socket, const std::shared_ptr<Listener>& from);
  // Idle connections from `from` close now, busy ones after their response.
  void end_sessions_of(const Listener* from);
  void session_closed(const std::shared_ptr<Session>& s);
  void log(const std::string& line) {
    if (opts.log) return opts.log(line);
    std::fprintf(stderr, "whirl: %s\n", line.c_str());
    std::fflush(stderr);
  }
};

}  // namespace whirl::spin::http
