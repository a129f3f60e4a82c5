// Boost.Beast and Asio stay in this file; exceptions from them stop here.
#include "spin/http/server.h"
#include "spin/http/worker_pool.h"

#include <atomic>
#include <ctime>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace whirl::spin::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class Session;

// The Date header value, formatted once per second per thread.
const std::string& http_date() {
  thread_local time_t cached_at = 0;
  thread_local std::string cached;
  time_t now = time(nullptr);
  if (now != cached_at) {
    struct tm tm;
    gmtime_r(&now, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = buf;
    cached_at = now;
  }
  return cached;
}

struct HttpServer::Impl {
  ServerOptions opts;
  Handler handler;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<WorkerPool> workers;
  net::strand<net::io_context::executor_type> ctl{ioc.get_executor()};  // stop and grace timer
  net::steady_timer grace_timer{ctl};
  std::atomic<bool> stopping{false};
  bool grace_started = false;  // on the io_context only
  std::mutex mu;
  std::set<std::shared_ptr<Session>> sessions;
  std::function<void()> on_grace_expired;
  uint16_t bound_port = 0;

  void do_accept();
  void begin_stop();
  void session_closed(const std::shared_ptr<Session>& s);
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& srv) : stream_(std::move(socket)), srv_(srv) {}

  void start() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      client_ip_ = ep.address().to_string();
      client_port_ = ep.port();
    }
    stream_.socket().set_option(tcp::no_delay(true), ec);
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  // On the session's strand: close if no request is being handled.
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->close();
    });
  }

  void force_close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  void do_read() {
    if (srv_.stopping) return close();
    parser_.emplace();
    parser_->body_limit(srv_.opts.body_limit);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(srv_.opts.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  // Answers `Expect: 100-continue` before reading the body (curl waits for it).
  void on_header(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) return reply_error(bhttp::status::payload_too_large);
    if (ec) return close();
    const auto& h = parser_->get();
    auto expect = h[bhttp::field::expect];
    if (h.version() >= 11 && iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
      if (parser_->content_length() && *parser_->content_length() > srv_.opts.body_limit)
        return reply_error(bhttp::status::payload_too_large);
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) return reply_error(bhttp::status::payload_too_large);
    if (ec) return close();
    auto msg = parser_->release();
    Request req;
    req.method = std::string(msg.method_string());
    req.set_target(std::string_view(msg.target().data(), msg.target().size()));
    req.version = msg.version();
    req.headers.reserve(8);
    for (const auto& f : msg)
      req.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    req.body = std::move(msg.body());
    req.client_ip = client_ip_;
    req.client_port = client_port_;
    keep_alive_ = msg.keep_alive();
    head_ = msg.method() == bhttp::verb::head;
    version_ = msg.version();
    busy_ = true;
    stream_.expires_never();
    // The guard keeps the io_context running while a worker handles the request.
    struct Job {
      std::shared_ptr<Session> self;
      Request req;
      net::executor_work_guard<net::io_context::executor_type> guard;
    };
    auto job = std::make_shared<Job>(Job{shared_from_this(), std::move(req), net::make_work_guard(srv_.ioc)});
    srv_.workers->submit([job] {
      Response res;
      try {
        res = job->self->srv_.handler(job->req);
      } catch (const std::exception&) {
        res = Response::empty(500);
      }
      auto self = job->self;
      net::post(self->stream_.get_executor(), [job, res = std::move(res)]() mutable {
        job->self->write(std::move(res));
        job->guard.reset();
      });
    });
  }

  void reply_error(bhttp::status status) {
    keep_alive_ = false;
    head_ = false;
    busy_ = true;
    Response r = Response::empty(static_cast<unsigned>(status));
    write(std::move(r));
  }

  void write(Response res) {
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->version(version_);
    out->result(static_cast<unsigned>(res.status));
    for (auto& h : res.headers) {
      if (iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding") || iequals(h.name, "connection"))
        continue;
      out->insert(beast::string_view(h.name.data(), h.name.size()), beast::string_view(h.value.data(), h.value.size()));
    }
    if (out->find(bhttp::field::date) == out->end()) out->set(bhttp::field::date, http_date());
    bool keep = keep_alive_ && !srv_.stopping;
    out->keep_alive(keep);
    if (head_) {
      out->content_length(res.body.size());  // HEAD: the length of the body not sent
    } else {
      out->body() = std::move(res.body);
      out->prepare_payload();
    }
    stream_.expires_after(srv_.opts.idle_timeout);
    bhttp::async_write(stream_, *out, [self = shared_from_this(), out, keep](beast::error_code ec, size_t) {
      self->busy_ = false;
      if (ec || !keep || self->srv_.stopping) return self->close();
      self->do_read();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
    srv_.session_closed(shared_from_this());
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& srv_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string client_ip_ = "0.0.0.0";
  uint16_t client_port_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool busy_ = false;
  bool closed_ = false;
};

void HttpServer::Impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopping && acceptor.is_open()) do_accept();
      return;
    }
    if (stopping) return;
    auto s = std::make_shared<Session>(std::move(socket), *this);
    {
      std::lock_guard lock(mu);
      sessions.insert(s);
    }
    s->start();
    do_accept();
  });
}

void HttpServer::Impl::session_closed(const std::shared_ptr<Session>& s) {
  bool last = false;
  {
    std::lock_guard lock(mu);
    sessions.erase(s);
    last = sessions.empty();
  }
  if (last && stopping) net::post(ctl, [this] { grace_timer.cancel(); });
}

void HttpServer::Impl::begin_stop() {
  if (grace_started) return;
  grace_started = true;
  beast::error_code ec;
  acceptor.close(ec);
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard lock(mu);
    all.assign(sessions.begin(), sessions.end());
  }
  if (all.empty()) return;
  grace_timer.expires_after(opts.grace);
  grace_timer.async_wait([this](beast::error_code ec) {
    if (ec) return;  // cancelled: every connection closed in time
    if (on_grace_expired) on_grace_expired();
    std::vector<std::shared_ptr<Session>> left;
    {
      std::lock_guard lock(mu);
      left.assign(sessions.begin(), sessions.end());
    }
    for (auto& s : left) s->force_close();
  });
  for (auto& s : all) s->close_if_idle();
}

HttpServer::HttpServer(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(options);
  impl_->handler = std::move(handler);
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (!impl_->opts.io_threads) impl_->opts.io_threads = std::min(2u, cores);
  if (!impl_->opts.worker_threads) impl_->opts.worker_threads = 2 * cores;
  impl_->workers = std::make_unique<WorkerPool>(impl_->opts.worker_threads, impl_->opts.max_worker_threads,
                                                impl_->opts.worker_patience);
}

HttpServer::~HttpServer() {
  impl_->workers->join();
}

Expected<void> HttpServer::listen() {
  auto& a = impl_->acceptor;
  std::string where = impl_->opts.host + ":" + std::to_string(impl_->opts.port);
  try {
    auto addr = net::ip::make_address(impl_->opts.host);
    tcp::endpoint ep(addr, impl_->opts.port);
    a.open(ep.protocol());
    a.set_option(net::socket_base::reuse_address(true));
    a.bind(ep);
    a.listen(net::socket_base::max_listen_connections);
    impl_->bound_port = a.local_endpoint().port();
  } catch (const std::exception& e) {
    return make_error("cannot listen on " + where + ": " + e.what());
  }
  return {};
}

uint16_t HttpServer::port() const { return impl_->bound_port; }

void HttpServer::run(std::function<void()> on_grace_expired) {
  impl_->on_grace_expired = std::move(on_grace_expired);
  impl_->do_accept();
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < impl_->opts.io_threads; ++i)
    threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
  impl_->workers->join();
}

void HttpServer::request_stop() {
  if (impl_->stopping.exchange(true)) return;
  net::post(impl_->ctl, [this] { impl_->begin_stop(); });
}

bool parse_listen_address(const std::string& s, std::string* host, uint16_t* port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 == s.size()) return false;
  std::string h = s.substr(0, colon), p = s.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost") h = "127.0.0.1";
  if (h.empty() || p.size() > 5) return false;
  for (char c : p)
    if (c < '0' || c > '9') return false;
  unsigned long v = std::stoul(p);
  if (v > 65535) return false;
  *host = h;
  *port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace whirl::spin::http
