// Connections and requests: sessions, the worker hand-off, stopping.
// Boost.Beast and Asio stay in these files (and server_listen.cc);
// exceptions from them stop here.
#include "spin/http/server.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "spin/http/body_channel.h"
#include "spin/http/server_impl.h"
#include "spin/http/streamed_response.h"

namespace whirl::spin::http {

namespace bhttp = boost::beast::http;

namespace {

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

// A NUL smuggled into the path as "%00" would cut file names and CGI
// variables short on the guest's side.
bool has_encoded_nul(std::string_view target) {
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  for (size_t i = 0; i + 2 < path.size(); ++i)
    if (path[i] == '%' && path[i + 1] == '0' && path[i + 2] == '0') return true;
  return false;
}

// Parse errors that mean "this is not valid HTTP" (400), as opposed to the
// connection ending or timing out (closed without a reply).
bool is_bad_request(const beast::error_code& ec) {
  if (ec.category() != bhttp::make_error_code(bhttp::error::bad_target).category()) return false;
  switch (static_cast<bhttp::error>(ec.value())) {
    case bhttp::error::end_of_stream:
    case bhttp::error::partial_message:
    case bhttp::error::need_more:
    case bhttp::error::need_buffer:
    case bhttp::error::end_of_chunk:
    case bhttp::error::stale_parser:
    case bhttp::error::short_read:
      return false;
    default:
      return true;
  }
}

}  // namespace

// Bytes of the server-wide body budget held by one request.
class BodyReservation {
 public:
  BodyReservation(std::atomic<uint64_t>& pool, uint64_t bytes) : pool_(pool), bytes_(bytes) {}
  ~BodyReservation() { pool_ -= bytes_; }
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;

 private:
  std::atomic<uint64_t>& pool_;
  uint64_t bytes_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // The read buffer is bounded: Beast limits the header to header_limit
  // but not a chunked body's trailers, which would otherwise pile up in it.
  Session(tcp::socket socket, HttpServer::Impl& srv, std::shared_ptr<Listener> from)
      : stream_(std::move(socket)),
        srv_(srv),
        from_(std::move(from)),
        buffer_(size_t(srv.opts.header_limit) + kReadSlack) {}

  const Listener* from() const { return from_.get(); }

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

  void schedule_pump(std::shared_ptr<StreamedResponse> r) {
    net::post(stream_.get_executor(), [self = shared_from_this(), r = std::move(r)] { self->pump(r); });
  }

 private:
  // The server stops, or the listener this connection came from closed.
  bool ending() const { return srv_.stopping || !from_->open; }

  void do_read() {
    if (ending()) return close();
    reservation_.reset();
    abandon_body_ = false;
    parser_.emplace();
    parser_->body_limit(srv_.opts.body_limit);
    parser_->header_limit(srv_.opts.header_limit);
    stream_.expires_after(srv_.opts.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  bool reply_to_read_error(const beast::error_code& ec) {
    if (ec == bhttp::error::body_limit) return reply_error(bhttp::status::payload_too_large), true;
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
      return reply_error(bhttp::status::request_header_fields_too_large), true;
    if (is_bad_request(ec)) return reply_error(bhttp::status::bad_request), true;
    return false;
  }

  // Answers `Expect: 100-continue` before reading the body (curl waits for it).
  void on_header(beast::error_code ec) {
    if (ec) {
      if (!reply_to_read_error(ec)) close();
      return;
    }
    const auto& h = parser_->get();
    version_ = h.version();
    if (has_encoded_nul(std::string_view(h.target().data(), h.target().size())))
      return reply_error(bhttp::status::bad_request);
    if (parser_->content_length() && *parser_->content_length() > srv_.opts.body_limit)
      return reply_error(bhttp::status::payload_too_large);
    if (!reserve_body()) return reply_error(bhttp::status::service_unavailable);
    if (parser_->is_done()) {  // no body
      dispatch();
      return watch_peer();
    }
    channel_ = std::make_shared<BodyChannel>(srv_.opts.request_body_buffer);
    auto expect = h[bhttp::field::expect];
    if (h.version() >= 11 && iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
      // Written before the handler starts: its response must not cross it.
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->dispatch();
        self->read_body();
      });
      return;
    }
    dispatch();
    read_body();
  }

  // Request bodies may be buffered whole (WAGI, buffered handlers), so their
  // bytes in flight count against one server-wide budget: many large
  // uploads at once get 503 instead of taking the host's memory. A body of
  // unknown length (chunked) may use what is left of the budget, up to the
  // per-request limit.
  bool reserve_body() {
    uint64_t want = 0;
    if (auto len = parser_->content_length()) {
      want = *len;
    } else if (parser_->chunked()) {
      uint64_t used = srv_.body_bytes.load();
      uint64_t left = srv_.opts.max_buffered_bodies > used ? srv_.opts.max_buffered_bodies - used : 0;
      want = std::min<uint64_t>(srv_.opts.body_limit, left);
      if (want == 0) return false;
      parser_->body_limit(want);
    }
    if (want == 0) return true;
    uint64_t used = srv_.body_bytes.load();
    do {
      if (used + want > srv_.opts.max_buffered_bodies) return false;
    } while (!srv_.body_bytes.compare_exchange_weak(used, used + want));
    reservation_ = std::make_shared<BodyReservation>(srv_.body_bytes, want);
    return true;
  }

  // The body streams to the handler through channel_: one buffer of the
  // socket at a time, paused while the channel is full.
  void read_body() {
    if (closed_) return;
    if (abandon_body_) return linger_close();
    if (!channel_) return;
    auto& body = parser_->get().body();
    body.data = scratch_.data();
    body.size = scratch_.size();
    body.more = true;
    body_reading_ = true;
    stream_.expires_after(srv_.opts.idle_timeout);
    // read_some: what has arrived goes to the handler now, not once the
    // buffer is full.
    bhttp::async_read_some(stream_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    body_reading_ = false;
    if (closed_) return;
    if (abandon_body_) return linger_close();  // the response is done; channel_ is gone
    if (ec == bhttp::error::need_buffer) ec = {};
    const size_t got = scratch_.size() - parser_->get().body().size;
    if (ec) {
      const bool overflow = ec == bhttp::error::buffer_overflow || ec == bhttp::error::header_limit;
      const unsigned status = ec == bhttp::error::body_limit ? 413 : overflow ? 431 : is_bad_request(ec) ? 400 : 0;
      channel_->fail(status == 431   ? std::string("the request trailers are too large")
                     : status       ? "the request body is " + std::string(status == 413 ? "too large" : "malformed")
                                    : "the client closed the connection",
                     status);
      if (!status) return close();
      keep_alive_ = false;  // the handler answers (413, 400); the connection ends after
      stream_.expires_never();
      return;
    }
    const bool room = got == 0 || channel_->push(std::string_view(scratch_.data(), got));
    if (parser_->is_done()) {
      channel_->finish(trailers());
      stream_.expires_never();
      return watch_peer();
    }
    if (room) return read_body();
    stream_.expires_never();  // waiting for the handler, not for the client
    channel_->on_space([self = shared_from_this()] {
      net::post(self->stream_.get_executor(), [self] { self->read_body(); });
    });
  }

  // Fields the parser added after the header: a chunked body's trailers.
  std::vector<Header> trailers() const {
    std::vector<Header> out;
    size_t i = 0;
    for (const auto& f : parser_->get()) {
      if (i++ < header_fields_) continue;
      out.push_back({std::string(f.name_string()), std::string(f.value())});
    }
    return out;
  }

  // Hands the request to a worker as soon as its header is read; its body
  // (if any) follows through channel_.
  void dispatch() {
    const auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.set_target(std::string_view(msg.target().data(), msg.target().size()));
    req.version = msg.version();
    req.headers.reserve(8);
    header_fields_ = 0;
    for (const auto& f : msg) {
      req.headers.push_back({std::string(f.name_string()), std::string(f.value())});
      ++header_fields_;
    }
    req.body_stream = channel_;
    req.client_ip = client_ip_;
    req.client_port = client_port_;
    req.listener = from_->tag;
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    busy_ = true;
    stream_.expires_never();
    auto w = std::make_shared<StreamedResponse>(shared_from_this(), srv_.opts.response_buffer,
                                                msg.method() == bhttp::verb::head);
    current_ = w;
    if (srv_.stopping) {
      w->send(Response::empty(503));
      return;
    }
    std::string key;
    if (srv_.opts.classify) {
      try {
        key = srv_.opts.classify(req);
      } catch (const std::exception&) {
      }
    }
    // The guard keeps the io_context running while a worker handles the request.
    struct Job {
      Request req;
      net::executor_work_guard<net::io_context::executor_type> guard;
      std::shared_ptr<BodyReservation> body;  // released with the request's body
    };
    auto job = std::make_shared<Job>(Job{std::move(req), net::make_work_guard(srv_.ioc), std::move(reservation_)});
    HttpServer::Impl& srv = srv_;
    srv_.workers->submit(
        std::move(key),
        [job, w, &srv] {
          try {
            srv.handler(job->req, *w);
          } catch (const std::exception&) {
            // answered below: 500, or a cut-off body
          }
          // The body's budget goes back once the handler is done with it,
          // not when the pool lets go of this task.
          job->req.body = std::string();
          job->req.body_stream.reset();
          job->body.reset();
          w->complete_if_unanswered();
          job->guard.reset();
        },
        [job, w] {
          Response r = Response::text(503, "the server is busy or shutting down\n");
          w->send(std::move(r));
          job->guard.reset();
        });
  }

  // While a request runs, notice the client leaving (EOF or reset) so its
  // guest is stopped instead of running to its time limit.
  void watch_peer() {
    if (watching_ || closed_) return;
    watching_ = true;
    stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      self->watching_ = false;
      if (ec || !self->busy_ || self->closed_) return;
      char c;
      ssize_t n = ::recv(self->stream_.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0) return;  // a pipelined request: read once this response is done
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return self->watch_peer();
      self->close();
    });
  }

  // Sends what the worker has produced; runs on the strand, one step at a time.
  void pump(const std::shared_ptr<StreamedResponse>& r) {
    std::unique_lock lock(r->mu_);
    if (closed_) {
      r->pumping_ = false;
      return;
    }
    if (r->aborted_ || r->cancel_.cancelled()) {
      r->pumping_ = false;
      lock.unlock();
      return close();
    }
    if (!r->head_sent_) {
      // Trailers need a chunked body (HTTP/1.1): such a response streams.
      const bool trailers = !r->trailers_.empty() && version_ >= 11 && !r->head_request_ && !r->no_body_;
      if (r->finished_ && !trailers) return send_whole(r, lock);
      if (r->streaming_ || r->finished_) return send_head(r, lock);
      r->pumping_ = false;
      return;
    }
    if (!r->pending_.empty()) {
      auto data = std::make_shared<std::string>(std::move(r->pending_));
      r->pending_.clear();
      lock.unlock();
      r->cv_.notify_all();
      auto done = [self = shared_from_this(), data, r](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->pump(r);
      };
      stream_.expires_after(srv_.opts.idle_timeout);
      if (declared_length_) {
        // Never more than the declared length: the rest would be read as
        // the next response. Cut off there (the connection closes).
        uint64_t left = *declared_length_ - std::min(*declared_length_, body_sent_);
        if (data->size() > left) data->resize(size_t(left)), overran_ = true;
      }
      body_sent_ += data->size();
      if (chunked_) net::async_write(stream_, bhttp::make_chunk(net::buffer(*data)), std::move(done));
      else net::async_write(stream_, net::buffer(*data), std::move(done));
      return;
    }
    if (!r->finished_) {
      r->pumping_ = false;
      return;
    }
    auto trailers = std::make_shared<bhttp::fields>();
    for (const auto& h : r->trailers_)
      trailers->insert(beast::string_view(h.name.data(), h.name.size()), beast::string_view(h.value.data(), h.value.size()));
    lock.unlock();
    if (!chunked_)  // a declared length must have been met exactly; else the close ends the body
      return response_done(r, declared_length_ && body_sent_ == *declared_length_ && !overran_ && keep_alive_);
    stream_.expires_after(srv_.opts.idle_timeout);
    auto last = std::make_shared<bhttp::chunk_last<bhttp::fields>>(*trailers);
    net::async_write(stream_, *last, [self = shared_from_this(), r, trailers, last](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->response_done(r, self->keep_alive_);
    });
  }

  template <class Message>
  void fill_head(Message& out, const StreamedResponse& r) {
    out.version(version_);
    out.result(r.status_);
    for (const auto& h : r.headers_) {
      if (iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding") || iequals(h.name, "connection"))
        continue;
      out.insert(beast::string_view(h.name.data(), h.name.size()), beast::string_view(h.value.data(), h.value.size()));
    }
    if (out.find(bhttp::field::date) == out.end()) out.set(bhttp::field::date, http_date());
  }

  static std::optional<uint64_t> declared_length(const StreamedResponse& r) {
    for (const auto& h : r.headers_) {
      if (!iequals(h.name, "content-length")) continue;
      if (h.value.empty() || h.value.size() > 19) return std::nullopt;
      uint64_t n = 0;
      for (char c : h.value) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + uint64_t(c - '0');
      }
      return n;
    }
    return std::nullopt;
  }

  // The whole response is known: one write with Content-Length.
  void send_whole(const std::shared_ptr<StreamedResponse>& r, std::unique_lock<std::mutex>& lock) {
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    fill_head(*out, *r);
    bool keep = keep_alive_ && !ending();
    out->keep_alive(keep);
    if (r->no_body_) {
      // Neither a body nor its length (204, 304, 1xx).
    } else if (r->head_request_) {
      out->content_length(r->body_bytes_);  // HEAD: the length of the body not sent
    } else {
      out->body() = std::move(r->pending_);
      r->pending_.clear();
      out->prepare_payload();
    }
    r->head_sent_ = true;
    lock.unlock();
    r->cv_.notify_all();
    stream_.expires_after(srv_.opts.idle_timeout);
    bhttp::async_write(stream_, *out, [self = shared_from_this(), out, r, keep](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->response_done(r, keep);
    });
  }

  // The body goes on: head now, then chunks (HTTP/1.1) or until close (1.0).
  void send_head(const std::shared_ptr<StreamedResponse>& r, std::unique_lock<std::mutex>& lock) {
    auto head = std::make_shared<bhttp::response<bhttp::empty_body>>();
    fill_head(*head, *r);
    // The handler's own Content-Length (a wasi:http guest may set one)
    // frames the body; without one, chunks (HTTP/1.1) or the close (1.0).
    declared_length_ = declared_length(*r);
    chunked_ = version_ >= 11 && !declared_length_;
    if (declared_length_) {
      head->content_length(*declared_length_);
      head->keep_alive(keep_alive_ && !ending());
      keep_alive_ = keep_alive_ && !ending();
    } else if (chunked_) {
      head->keep_alive(keep_alive_ && !ending());
      head->chunked(true);
    } else {
      keep_alive_ = false;
      head->keep_alive(false);
    }
    r->head_sent_ = true;
    lock.unlock();
    auto sr = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
    stream_.expires_after(srv_.opts.idle_timeout);
    bhttp::async_write_header(stream_, *sr, [self = shared_from_this(), head, sr, r](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->pump(r);
    });
  }

  void response_done(const std::shared_ptr<StreamedResponse>& r, bool keep) {
    {
      std::lock_guard lock(r->mu_);
      r->pumping_ = false;
      r->session_.reset();
    }
    current_.reset();
    busy_ = false;
    chunked_ = false;
    declared_length_.reset();
    body_sent_ = 0;
    overran_ = false;
    if (watching_) {
      beast::error_code ec;
      stream_.socket().cancel(ec);
    }
    if (channel_ && !channel_->done()) {
      // The handler answered without reading the whole body: the rest is
      // read and dropped (bounded) before closing, so the client gets the
      // response instead of a reset.
      channel_->fail("the response was sent before the body was read");
      channel_.reset();
      abandon_body_ = true;
      if (!body_reading_) linger_close();
      return;
    }
    channel_.reset();
    if (!keep || ending()) return close();
    do_read();
  }

  void reply_error(bhttp::status status) {
    keep_alive_ = false;
    busy_ = true;
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>(status, 11);
    out->set(bhttp::field::date, http_date());
    out->keep_alive(false);
    out->prepare_payload();
    stream_.expires_after(std::chrono::seconds(5));
    bhttp::async_write(stream_, *out, [self = shared_from_this(), out](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->linger_close();
    });
  }

  // After an error reply: stop sending, read and drop what the client still
  // sends (bounded), then close; closing with unread input would reset the
  // connection and could destroy the reply before the client reads it.
  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(1));
    auto scratch = std::make_shared<std::array<char, 4096>>();
    drain(scratch, 0);
  }

  void drain(std::shared_ptr<std::array<char, 4096>> scratch, size_t total) {
    stream_.async_read_some(net::buffer(*scratch), [self = shared_from_this(), scratch, total](beast::error_code ec,
                                                                                             size_t n) {
      if (ec || total + n > 256 * 1024) return self->close();
      self->drain(scratch, total + n);
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (current_) {
      // The producer's writes fail from now on; the response lets go of
      // the session (else the two would keep each other alive).
      current_->cancel();
      std::lock_guard lock(current_->mu_);
      current_->session_.reset();
    }
    current_.reset();
    reservation_.reset();
    if (channel_) channel_->fail("the client closed the connection");
    channel_.reset();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
    srv_.session_closed(shared_from_this());
  }

  static constexpr size_t kReadSlack = 64 * 1024;  // room for body bytes beyond a full header
  beast::tcp_stream stream_;
  HttpServer::Impl& srv_;
  std::shared_ptr<Listener> from_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> parser_;
  std::shared_ptr<BodyChannel> channel_;  // the body being read, if any
  std::array<char, 16384> scratch_;       // one socket read of it
  size_t header_fields_ = 0;              // fields before the body (after: trailers)
  bool body_reading_ = false;             // a body read is in flight
  bool abandon_body_ = false;             // the response is done: drop the rest, then close
  std::shared_ptr<StreamedResponse> current_;
  std::shared_ptr<BodyReservation> reservation_;  // the body being read
  std::string client_ip_ = "0.0.0.0";
  uint16_t client_port_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool chunked_ = false;
  std::optional<uint64_t> declared_length_;  // the streamed response's own Content-Length
  uint64_t body_sent_ = 0;                   // body bytes of the streamed response written
  bool overran_ = false;                     // the handler wrote more than it declared
  bool watching_ = false;
  bool closed_ = false;
};

void StreamedResponse::kick() {
  if (pumping_ || !session_) return;
  pumping_ = true;
  session_->schedule_pump(shared_from_this());
}

void HttpServer::Impl::start_session(tcp::socket socket, const std::shared_ptr<Listener>& from) {
  auto s = std::make_shared<Session>(std::move(socket), *this, from);
  {
    std::lock_guard lock(mu);
    sessions.insert(s);
  }
  s->start();
}

void HttpServer::Impl::end_sessions_of(const Listener* from) {
  std::vector<std::shared_ptr<Session>> of;
  {
    std::lock_guard lock(mu);
    for (const auto& s : sessions)
      if (s->from() == from) of.push_back(s);
  }
  for (auto& s : of) s->close_if_idle();
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
  close_listeners();
  workers->stop();  // requests still queued are answered 503 now
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
  WorkerPoolOptions wo;
  wo.core_threads = impl_->opts.worker_threads;
  wo.max_threads = std::max(impl_->opts.max_worker_threads, impl_->opts.worker_threads);
  wo.patience = impl_->opts.worker_patience;
  if (!impl_->opts.max_concurrent_per_key) impl_->opts.max_concurrent_per_key = 4 * cores;
  wo.per_key_running = impl_->opts.max_concurrent_per_key;
  wo.max_queued = impl_->opts.max_queued;
  wo.demote_after = impl_->opts.demote_after;
  impl_->workers = std::make_unique<WorkerPool>(wo);
}

HttpServer::~HttpServer() { impl_->workers->join(); }

HttpServer::Handler HttpServer::buffered(std::function<Response(const Request&)> fn) {
  return [fn = std::move(fn)](const Request& r, ResponseWriter& w) {
    if (!r.body_stream) return void(w.send(fn(r)));
    auto whole = with_whole_body(r);
    if (!whole) return void(w.send(Response::text(whole.error().status, whole.error().message + "\n")));
    w.send(fn(*whole));
  };
}

void HttpServer::run(std::function<void()> on_grace_expired) {
  impl_->on_grace_expired = std::move(on_grace_expired);
  net::dispatch(impl_->ctl, [this] { impl_->start_all(); });
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < impl_->opts.io_threads; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
  impl_->workers->join();
}

void HttpServer::request_stop() {
  if (impl_->stopping.exchange(true)) return;
  net::post(impl_->ctl, [this] { impl_->begin_stop(); });
}

}  // namespace whirl::spin::http
