// Sends an outbound request over HTTP/1.1, plain or TLS (Boost.Beast over
// OpenSSL with the system CA store), on the exchange's own thread: each
// step is one asynchronous operation run to completion on a private
// io_context under its timeout (connect, first byte, between bytes), and
// cancelling the exchange closes the socket from any thread. Failures are
// the error-code cases wasmtime gives them.
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <map>

#include "wasi/http/exchange.h"
#include "wasi/p2/ctx.h"

namespace whirl::wasi::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using component::abi::Value;
using std::chrono::nanoseconds;

Value code(std::string label) { return Value::variant(std::move(label)); }
Value dns_error() {
  return Value::variant("DNS-error", Value::record({{"rcode", Value::some(Value::string("address not available"))},
                                                     {"info-code", Value::some(p2::u16(0))}}));
}
Value internal_error(std::string why) { return Value::variant("internal-error", Value::some(Value::string(std::move(why)))); }
// The guest's request body broke: a length that does not match its content-length, or dropped unfinished.
Value body_failure(const std::string& why) {
  if (why.find("content-length") != std::string::npos) return Value::variant("HTTP-request-body-size", Value::none());
  return internal_error(why);
}

// One client context per CA configuration, shared by all requests: loading
// the system store costs milliseconds.
Expected<std::shared_ptr<ssl::context>> tls_context(const std::string& extra_ca) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<ssl::context>> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(extra_ca); it != cache.end()) return it->second;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (!extra_ca.empty() && ctx->load_verify_file(extra_ca, ec))
    return make_error("cannot load the extra CA file " + extra_ca + ": " + ec.message());
  ctx->set_verify_mode(ssl::verify_peer);
  cache[extra_ca] = ctx;
  return ctx;
}

bool is_ip(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// "host:port", "[v6]:port" or "host" into host and port.
bool split_authority(const std::string& a, bool tls, std::string& host, std::string& port) {
  std::string_view s = a;
  if (auto at = s.rfind('@'); at != std::string_view::npos) s = s.substr(at + 1);
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(s.substr(1, close - 1));
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? "" : std::string(rest.substr(1));
  } else if (auto c = s.rfind(':'); c != std::string_view::npos) {
    host = std::string(s.substr(0, c));
    port = std::string(s.substr(c + 1));
  } else {
    host = std::string(s);
    port.clear();
  }
  if (port.empty()) port = tls ? "443" : "80";
  return !host.empty() && port.find_first_not_of("0123456789") == std::string::npos && port.size() <= 5;
}

class Transport {
 public:
  Transport(Exchange& ex, std::shared_ptr<ssl::context> tls) : ex_(ex), tls_ctx_(std::move(tls)) {}

  void run() {
    const OutboundRequest& r = ex_.request();
    bool tls = r.scheme == "https";
    std::string host, port;
    if (!r.authority || !split_authority(*r.authority, tls, host, port)) return ex_.fail(code("HTTP-request-URI-invalid"));
    // Cancelling closes whatever is open, on this thread's io_context.
    ex_.on_cancel([this] { net::post(ioc_, [this] { close(); }); });
    Finish guard{ex_};

    // Resolve and connect within the connect timeout.
    tcp::resolver resolver(ioc_);
    resolver_ = &resolver;
    tcp::resolver::results_type endpoints;
    auto ec = step(r.connect_timeout, [&](auto done) {
      resolver.async_resolve(host, port, [&, done](beast::error_code e, tcp::resolver::results_type res) {
        endpoints = std::move(res);
        done(e);
      });
    });
    resolver_ = nullptr;
    if (ex_.cancelled()) return;
    if (ec == net::error::timed_out) return ex_.fail(code("connection-timeout"));
    if (ec) return ex_.fail(dns_error());

    tcp_.emplace(ioc_);
    tcp_->expires_after(r.connect_timeout);
    ec = step(nanoseconds(0), [&](auto done) {
      tcp_->async_connect(endpoints, [done](beast::error_code e, const tcp::endpoint&) { done(e); });
    });
    if (ex_.cancelled()) return;
    if (ec == beast::error::timeout) return ex_.fail(code("connection-timeout"));
    if (ec) return ex_.fail(code("connection-refused"));

    if (tls) {
      tls_.emplace(std::move(*tcp_), *tls_ctx_);
      tcp_.reset();
      SSL* ssl = tls_->native_handle();
      if (is_ip(host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
      } else {
        SSL_set_tlsext_host_name(ssl, host.c_str());
        SSL_set1_host(ssl, host.c_str());
      }
      beast::get_lowest_layer(*tls_).expires_after(r.connect_timeout);
      ec = step(nanoseconds(0), [&](auto done) { tls_->async_handshake(ssl::stream_base::client, done); });
      if (ex_.cancelled()) return;
      if (ec == beast::error::timeout) return ex_.fail(code("connection-timeout"));
      if (ec) {
        long verify = SSL_get_verify_result(ssl);
        return ex_.fail(code(verify != X509_V_OK ? "TLS-certificate-error" : "TLS-protocol-error"));
      }
    }
    if (tls_) exchange(*tls_);
    else exchange(*tcp_);
  }

 private:
  // Ends the exchange's hook before this object goes: the hook points here.
  struct Finish {
    Exchange& ex;
    ~Finish() { ex.on_cancel({}); }
  };

  // Runs one asynchronous operation to completion; `timeout` > 0 bounds it
  // here (the stream's own timer bounds the others).
  template <class Start>
  beast::error_code step(nanoseconds timeout, Start start) {
    bool finished = false;
    beast::error_code result;
    start([&](beast::error_code e, auto&&...) {
      result = e;
      finished = true;
    });
    ioc_.restart();
    if (timeout.count() > 0) {
      ioc_.run_for(timeout);
      if (!finished) {
        if (resolver_) resolver_->cancel();
        close();
        ioc_.run();  // the aborted operation completes
        return net::error::timed_out;
      }
    } else {
      ioc_.run();
    }
    if (!finished) return net::error::operation_aborted;
    return result;
  }

  void close() {
    if (resolver_) resolver_->cancel();
    beast::error_code ignored;
    if (tcp_) tcp_->socket().close(ignored);
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
  }

  template <class Stream>
  beast::tcp_stream& lowest(Stream& s) {
    return beast::get_lowest_layer(s);
  }

  template <class Stream>
  void exchange(Stream& s) {
    const OutboundRequest& r = ex_.request();
    bhttp::request<bhttp::buffer_body> req;
    req.method_string(r.method);
    req.target(r.path_with_query.empty() ? "/" : r.path_with_query);
    req.version(11);
    req.set(bhttp::field::host, *r.authority);
    bool has_length = false;
    for (const auto& [n, v] : r.headers) {
      if (beast::iequals(n, "content-length")) has_length = true;
      req.insert(n, v);
    }
    // A body complete before anything was sent goes with its length; one
    // still being written goes chunked as it comes.
    std::string whole;
    bool complete = ex_.body_complete(whole);
    if (ex_.cancelled()) return;
    if (!complete) {
      std::string why;
      if (ex_.next_body(why) == Exchange::BodyEvent::Failed) return ex_.fail(body_failure(why));
      if (ex_.cancelled()) return;
      // next_body took bytes: they go first
      whole = std::move(why);
    }
    if (complete && !has_length) {
      if (!whole.empty() || (r.method != "GET" && r.method != "HEAD" && r.method != "DELETE" &&
                             r.method != "OPTIONS" && r.method != "TRACE" && r.method != "CONNECT"))
        req.content_length(whole.size());
    } else if (!complete && !has_length) {
      req.chunked(true);
    }
    bhttp::request_serializer<bhttp::buffer_body> sr{req};
    lowest(s).expires_after(r.between_bytes_timeout);
    auto ec = step(nanoseconds(0), [&](auto done) { bhttp::async_write_header(s, sr, done); });
    // A failed write may still leave a response to read (a server answering early).
    bool write_ok = !ec;
    auto send = [&](std::string_view bytes, bool more) {
      req.body().data = bytes.empty() ? nullptr : const_cast<char*>(bytes.data());
      req.body().size = bytes.size();
      req.body().more = more;
      lowest(s).expires_after(r.between_bytes_timeout);
      auto e = step(nanoseconds(0), [&](auto done) { bhttp::async_write(s, sr, done); });
      if (e == bhttp::error::need_buffer) e = {};
      return !e;
    };
    if (write_ok && !whole.empty()) write_ok = send(whole, !complete);
    if (write_ok && complete && whole.empty()) write_ok = send({}, false);
    if (!complete) {
      while (write_ok) {
        std::string chunk;
        auto ev = ex_.next_body(chunk);
        if (ev == Exchange::BodyEvent::Cancelled) return;
        if (ev == Exchange::BodyEvent::Failed) return ex_.fail(body_failure(chunk));
        if (ev == Exchange::BodyEvent::End) {
          write_ok = send({}, false);
          break;
        }
        write_ok = send(chunk, true);
      }
    }
    if (ex_.cancelled()) return;

    // The response head within the first-byte timeout.
    beast::flat_buffer buf;
    bhttp::response_parser<bhttp::buffer_body> p;
    p.body_limit(std::numeric_limits<std::uint64_t>::max());
    p.header_limit(64 * 1024);
    if (r.method == "HEAD") p.skip(true);
    lowest(s).expires_after(r.first_byte_timeout);
    ec = step(nanoseconds(0), [&](auto done) { bhttp::async_read_header(s, buf, p, done); });
    if (ex_.cancelled()) return;
    if (ec) return ex_.fail(read_error(ec, write_ok));
    FieldList headers;
    for (const auto& f : p.get()) {
      std::string name(f.name_string());
      if (is_forbidden_header(name)) continue;  // hop-by-hop: the guest could not pass them on
      headers.emplace_back(std::move(name), std::string(f.value()));
    }
    ex_.respond(uint16_t(p.get().result_int()), std::move(headers));

    // The body as it arrives, each read within the between-bytes timeout;
    // a full buffer (slow guest) pauses reading, so the server waits too.
    char tmp[16 * 1024];
    while (!p.is_done()) {
      p.get().body().data = tmp;
      p.get().body().size = sizeof tmp;
      lowest(s).expires_after(r.between_bytes_timeout);
      ec = step(nanoseconds(0), [&](auto done) { bhttp::async_read_some(s, buf, p, done); });
      if (ec == bhttp::error::need_buffer) ec = {};
      size_t n = sizeof tmp - p.get().body().size;
      if (n && !ex_.push_response(std::string_view(tmp, n))) return;
      if (ex_.cancelled()) return;
      if (ec) return ex_.fail(read_error(ec, true));
    }
    ex_.end_response();
  }

  static Value read_error(const beast::error_code& ec, bool write_ok) {
    if (ec == beast::error::timeout) return code("connection-read-timeout");
    if (ec == bhttp::error::header_limit) return Value::variant("HTTP-response-header-section-size", Value::none());
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == net::error::eof)
      return code(write_ok ? "HTTP-response-incomplete" : "connection-terminated");
    if (ec == net::error::connection_reset || ec == net::error::broken_pipe) return code("connection-terminated");
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())
      return code("HTTP-protocol-error");
    return code("connection-terminated");
  }

  Exchange& ex_;
  std::shared_ptr<ssl::context> tls_ctx_;
  net::io_context ioc_;
  tcp::resolver* resolver_ = nullptr;
  std::optional<beast::tcp_stream> tcp_;
  std::optional<ssl::stream<beast::tcp_stream>> tls_;
};

}  // namespace

void send_over_network(Exchange& ex, const std::string& extra_ca_file) {
  std::shared_ptr<ssl::context> ctx;
  if (ex.request().scheme == "https") {
    auto c = tls_context(extra_ca_file);
    if (!c) return ex.fail(internal_error(c.error().message));
    ctx = *c;
  }
  try {
    Transport(ex, std::move(ctx)).run();
  } catch (const std::exception& e) {
    ex.fail(internal_error(e.what()));
  }
}

}  // namespace whirl::wasi::http
