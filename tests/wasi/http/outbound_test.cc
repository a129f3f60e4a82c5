// wasi:http/outgoing-handler.handle against servers this test starts on
// 127.0.0.1 (plain HTTP, and HTTPS with a CA made at test time by the
// openssl command): responses with status, headers and bodies streamed
// both ways, request options' timeouts, refused connections, certificate
// errors, and the policy: a denied request never connects.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "../p2/harness.h"
#include "../../support/loopback_server.h"
#include "wasi/http/exchange.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/ctx.h"

namespace whirl::wasi::http::testing {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using p2::testing::borrow;
using p2::testing::bytes;
using p2::testing::ok;
using p2::testing::str;
using p2::testing::text;
using p2::testing::u64;
using component::abi::Value;
using namespace std::chrono_literals;

// A test server on 127.0.0.1: one thread per connection, one request each.
struct Replies {
  template <class Stream>
  void operator()(Stream& s) {
    beast::flat_buffer buf;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code ec;
    bhttp::read(s, buf, parser, ec);
    if (ec) return;
    auto& req = parser.get();
    std::string target(req.target());
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
    res.set("x-reply", "yes");
    if (target == "/slow") std::this_thread::sleep_for(1500ms);
    if (target == "/big") {
      res.body() = std::string(4 << 20, 'b');
    } else if (target == "/stall") {
      // A head and part of the body, then silence.
      std::string head = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc";
      net::write(s, net::buffer(head), ec);
      std::this_thread::sleep_for(1500ms);
      return;
    } else {
      res.body() = std::string(req.method_string()) + " " + target + " x-test=" + std::string(req["x-test"]) +
                   " chunked=" + (req.chunked() ? "1" : "0") + " body=" + std::to_string(req.body().size()) + ":" +
                   req.body().substr(0, 16);
    }
    res.prepare_payload();
    bhttp::write(s, res, ec);
  }
};

class TestServer : public whirl::test::LoopbackServer<Replies> {
 public:
  explicit TestServer(ssl::context* tls = nullptr) : LoopbackServer(Replies{}, tls) {}
};

class Outbound : public p2::testing::P2Test {
 protected:
  Outbound() {
    add_to_linker(linker_);
    start(WasiConfig{});
  }
  void attach(OutboundConfig c) { state_ = attach_http(*ctx_, nullptr, std::move(c)); }
  static OutboundConfig allow_all(std::string ca = "") {
    OutboundConfig c;
    c.route = [](const OutboundRequest& r) {
      return r.authority ? OutboundConfig::Route::Network : OutboundConfig::Route::Self;
    };
    c.extra_ca_file = std::move(ca);
    return c;
  }
  Value t(const std::string& f, std::vector<Value> args = {}) { return call1("wasi:http/types", f, std::move(args)); }
  Value request(const std::string& scheme, const std::string& authority, const std::string& path,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    Value f = t("[constructor]fields");
    for (auto& [n, v] : headers) t("[method]fields.append", {borrow(f), str(n), bytes(v)});
    Value req = t("[constructor]outgoing-request", {f});
    t("[method]outgoing-request.set-scheme", {borrow(req), Value::some(Value::variant(scheme))});
    t("[method]outgoing-request.set-authority", {borrow(req), Value::some(str(authority))});
    t("[method]outgoing-request.set-path-with-query", {borrow(req), Value::some(str(path))});
    return req;
  }
  Value handle(Value req, std::optional<Value> opts = std::nullopt) {
    return call1("wasi:http/outgoing-handler", "handle", {req, opts ? Value::some(*opts) : Value::none()});
  }
  // The future's result (ok(response) or err(error-code)), waiting at most 10 s.
  Value await(const Value& future) {
    for (int i = 0; i < 1000; ++i) {
      Value r = t("[method]future-incoming-response.get", {borrow(future)});
      if (r.payload()) return *r.payload()->payload();
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "no response within 10 s";
    return Value::err(Value::variant("timeout"));
  }
  // The body as far as it goes (and the error-code label of a failure, if any).
  std::string read_body(const Value& response, std::string* failure = nullptr, int pause_ms = 0) {
    Value body = ok(t("[method]incoming-response.consume", {borrow(response)}));
    Value s = ok(t("[method]incoming-body.stream", {borrow(body)}));
    std::string out;
    for (int i = 0; i < 100000; ++i) {
      Value r = in("read", {borrow(s), u64(65536)});
      if (r.is_err) {
        const Value* e = r.payload();
        if (e->label == "last-operation-failed" && failure) {
          Value code = t("http-error-code", {borrow(*e->payload())});
          *failure = code.payload() ? code.payload()->label : "?";
        }
        break;
      }
      std::string b = text(*r.payload());
      out += b;
      if (b.empty()) std::this_thread::sleep_for(5ms);
      else if (pause_ms) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    }
    return out;
  }
  std::string authority(const TestServer& s) { return "127.0.0.1:" + std::to_string(s.port()); }

  std::shared_ptr<HttpState> state_;
};

TEST_F(Outbound, GetWithStatusHeadersAndBody) {
  TestServer server;
  attach(allow_all());
  Value future = ok(handle(request("HTTP", authority(server), "/echo?q=1", {{"x-test", "hello"}})));
  Value resp = ok(await(future));
  EXPECT_EQ(t("[method]incoming-response.status", {borrow(resp)}).u, 200u);
  Value h = t("[method]incoming-response.headers", {borrow(resp)});
  EXPECT_EQ(text(t("[method]fields.get", {borrow(h), str("x-reply")}).items.at(0)), "yes");
  // Response headers are immutable.
  EXPECT_TRUE(t("[method]fields.set", {borrow(h), str("x"), Value::list({bytes("y")})}).is_err);
  EXPECT_EQ(read_body(resp), "GET /echo?q=1 x-test=hello chunked=0 body=0:");
  EXPECT_TRUE(t("[method]future-incoming-response.get", {borrow(future)}).payload()->is_err);  // once
}

TEST_F(Outbound, DeniedRequestsNeverConnect) {
  TestServer server;
  attach(OutboundConfig{});  // no route: everything denied
  Value r = handle(request("HTTP", authority(server), "/echo"));
  ASSERT_TRUE(r.is_err);
  EXPECT_EQ(r.payload()->label, "HTTP-request-denied");
  OutboundConfig c;
  c.route = [](const OutboundRequest&) { return OutboundConfig::Route::Deny; };
  attach(c);
  r = handle(request("HTTP", authority(server), "/echo"));
  EXPECT_EQ(r.payload()->label, "HTTP-request-denied");
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(Outbound, StreamedRequestBodyIsChunkedAndLengthIsHeldTo) {
  TestServer server;
  attach(allow_all());
  Value req = request("HTTP", authority(server), "/echo");
  t("[method]outgoing-request.set-method", {borrow(req), Value::variant("post")});
  Value body = ok(t("[method]outgoing-request.body", {borrow(req)}));
  Value future = ok(handle(req));
  Value os = ok(t("[method]outgoing-body.write", {borrow(body)}));
  // 2 MiB through a 256 KiB window: writes wait for room (check-write 0) while the transport sends.
  size_t sent = 0;
  for (int i = 0; i < 100000 && sent < (2u << 20); ++i) {
    uint64_t n = ok(out("check-write", {borrow(os)})).u;
    if (n == 0) {
      std::this_thread::sleep_for(1ms);
      continue;
    }
    n = std::min<uint64_t>(n, (2u << 20) - sent);
    ASSERT_FALSE(out("write", {borrow(os), bytes(std::string(n, 'x'))}).is_err);
    sent += n;
  }
  EXPECT_EQ(sent, 2u << 20);
  drop("wasi:io/streams", "output-stream", os);
  EXPECT_FALSE(t("[static]outgoing-body.finish", {body, Value::none()}).is_err);
  Value resp = ok(await(future));
  EXPECT_EQ(read_body(resp), "POST /echo x-test= chunked=1 body=2097152:xxxxxxxxxxxxxxxx");

  // A content-length the body does not reach: finish fails, so does the request.
  Value req2 = request("HTTP", authority(server), "/echo", {{"content-length", "10"}});
  t("[method]outgoing-request.set-method", {borrow(req2), Value::variant("put")});
  Value body2 = ok(t("[method]outgoing-request.body", {borrow(req2)}));
  Value future2 = ok(handle(req2));
  Value os2 = ok(t("[method]outgoing-body.write", {borrow(body2)}));
  out("write", {borrow(os2), bytes("abc")});
  drop("wasi:io/streams", "output-stream", os2);
  Value fin = t("[static]outgoing-body.finish", {body2, Value::none()});
  ASSERT_TRUE(fin.is_err);
  EXPECT_EQ(fin.payload()->label, "HTTP-request-body-size");
  Value r2 = await(future2);
  ASSERT_TRUE(r2.is_err);
  EXPECT_EQ(r2.payload()->label, "HTTP-request-body-size");
}

TEST_F(Outbound, LargeResponseStreamsToASlowReader) {
  TestServer server;
  attach(allow_all());
  Value resp = ok(await(ok(handle(request("HTTP", authority(server), "/big")))));
  std::string b = read_body(resp, nullptr, 1);
  EXPECT_EQ(b.size(), 4u << 20);
  EXPECT_EQ(b.find_first_not_of('b'), std::string::npos);
}

TEST_F(Outbound, TimeoutsAndRefusedConnections) {
  TestServer server;
  attach(allow_all());
  Value opts = t("[constructor]request-options");
  t("[method]request-options.set-first-byte-timeout", {borrow(opts), Value::some(u64(200'000'000))});
  Value r = await(ok(handle(request("HTTP", authority(server), "/slow"), opts)));
  ASSERT_TRUE(r.is_err);
  EXPECT_EQ(r.payload()->label, "connection-read-timeout");

  Value opts2 = t("[constructor]request-options");
  t("[method]request-options.set-between-bytes-timeout", {borrow(opts2), Value::some(u64(200'000'000))});
  Value resp = ok(await(ok(handle(request("HTTP", authority(server), "/stall"), opts2))));
  std::string failure;
  EXPECT_EQ(read_body(resp, &failure), "abc");
  EXPECT_EQ(failure, "connection-read-timeout");

  // A port nobody listens on.
  uint16_t closed;
  {
    net::io_context ioc;
    tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
    closed = a.local_endpoint().port();
  }
  r = await(ok(handle(request("HTTP", "127.0.0.1:" + std::to_string(closed), "/"))));
  ASSERT_TRUE(r.is_err);
  EXPECT_EQ(r.payload()->label, "connection-refused");
  r = await(ok(handle(request("HTTP", "no-such-host.invalid", "/"))));
  ASSERT_TRUE(r.is_err);
  EXPECT_EQ(r.payload()->label, "DNS-error");
}

TEST_F(Outbound, HttpsWithTheTestsOwnCa) {
  auto dir = std::filesystem::temp_directory_path() / ("whirl-outbound-tls-" + std::to_string(::getpid()));
  std::string d = whirl::test::make_test_certs(dir);
  if (d.empty()) GTEST_SKIP() << "the openssl command is not available";
  ssl::context ctx(ssl::context::tls_server);
  ctx.use_certificate_chain_file(d + "/server.pem");
  ctx.use_private_key_file(d + "/server.key", ssl::context::pem);
  TestServer server(&ctx);

  attach(allow_all(d + "/ca.pem"));
  Value resp = ok(await(ok(handle(request("HTTPS", authority(server), "/echo", {{"x-test", "tls"}})))));
  EXPECT_EQ(t("[method]incoming-response.status", {borrow(resp)}).u, 200u);
  EXPECT_EQ(read_body(resp), "GET /echo x-test=tls chunked=0 body=0:");

  attach(allow_all());  // the system store alone does not know the test's CA
  Value r = await(ok(handle(request("HTTPS", authority(server), "/echo"))));
  ASSERT_TRUE(r.is_err);
  EXPECT_EQ(r.payload()->label, "TLS-certificate-error");
  std::filesystem::remove_all(dir);
}

TEST_F(Outbound, SelfRequestsGoToTheConfiguredHandler) {
  OutboundConfig c = allow_all();
  c.send_to_self = [](Exchange& ex) {
    ex.respond(201, {{"x-self", ex.request().path_with_query}});
    ex.end_response();
  };
  attach(c);
  Value f = t("[constructor]fields");
  Value req = t("[constructor]outgoing-request", {f});
  t("[method]outgoing-request.set-path-with-query", {borrow(req), Value::some(str("/inner?x=1"))});
  Value resp = ok(await(ok(handle(req))));
  EXPECT_EQ(t("[method]incoming-response.status", {borrow(resp)}).u, 201u);
  Value h = t("[method]incoming-response.headers", {borrow(resp)});
  EXPECT_EQ(text(t("[method]fields.get", {borrow(h), str("x-self")}).items.at(0)), "/inner?x=1");
  EXPECT_EQ(read_body(resp), "");
}

}  // namespace
}  // namespace whirl::wasi::http::testing
