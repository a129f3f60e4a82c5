// Request bodies stream from the socket to the handler: the handler starts
// before the body is complete, a handler that does not read makes the
// server stop reading (the client's send stalls, nothing piles up), a
// chunked body's trailers arrive after its end, and the channel between
// the two sides keeps its bound.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <future>
#include <thread>

#include "raw_client.h"
#include "spin/http/body_channel.h"
#include "server_fixture.h"
#include "spin/http/server.h"

namespace whirl::spin::http {
namespace {

using test::RawClient;

using RequestBodyTest = test::ServerFixture;

// Reads the body until `want` bytes or its end (bounded wait).
std::string read_some(BodyStream& s, size_t want, bool* end = nullptr) {
  std::string out;
  for (int i = 0; i < 500 && out.size() < want; ++i) {
    auto c = s.read(want - out.size());
    out += c.bytes;
    if (c.end || !c.error.empty()) {
      if (end) *end = c.end;
      break;
    }
    if (c.bytes.empty()) s.wait_for(std::chrono::milliseconds(10));
  }
  return out;
}

std::string body_of(const std::string& response) {
  auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

TEST_F(RequestBodyTest, HandlerReadsTheBodyWhileTheClientStillSendsIt) {
  std::promise<std::string> first;
  start([&](const Request& r, ResponseWriter& w) {
    ASSERT_NE(r.body_stream, nullptr);
    first.set_value(read_some(*r.body_stream, 5));  // before the client sent the rest
    bool end = false;
    std::string rest = read_some(*r.body_stream, 1 << 20, &end);
    w.send(Response::text(200, rest + (end ? " [end]" : " [no end]")));
  });
  RawClient c(port());
  c.send("POST /s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
  auto f = first.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready) << "the handler waited for the whole body";
  EXPECT_EQ(f.get(), "first");
  c.send("6\r\n-then-\r\n4\r\nlast\r\n0\r\n\r\n");
  EXPECT_EQ(body_of(c.read_all()), "-then-last [end]");
}

TEST_F(RequestBodyTest, ChunkedTrailersArriveAfterTheEnd) {
  start([&](const Request& r, ResponseWriter& w) {
    bool end = false;
    std::string body = read_some(*r.body_stream, 1 << 20, &end);
    std::string t;
    for (const auto& h : r.body_stream->trailers()) t += h.name + "=" + h.value + ";";
    w.send(Response::text(200, body + "|" + t));
  });
  RawClient c(port());
  c.send("POST /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nTrailer: x-sum\r\n\r\n"
         "3\r\nabc\r\n0\r\nx-sum: 42\r\n\r\n");
  EXPECT_EQ(body_of(c.read_all()), "abc|x-sum=42;");
}

// Beast bounds the header but not a chunked body's trailers: the server's
// read buffer does, and the body fails instead of the trailers piling up.
TEST_F(RequestBodyTest, EndlessTrailersFailTheBody) {
  start([&](const Request& r, ResponseWriter& w) {
    bool end = false;
    std::string body = read_some(*r.body_stream, 1 << 20, &end);
    auto c = r.body_stream->read(1);
    w.send(Response::text(200, body + (end ? " [end]" : " [error: " + c.error + "]")));
  });
  RawClient c(port());
  c.send("POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nx-big: ");
  c.send(std::string(200 * 1024, 'a'));  // never ends: no CRLF
  std::string body = body_of(c.read_all());
  EXPECT_EQ(body.substr(0, 3), "abc") << body;
  EXPECT_NE(body.find("[error: the request trailers are too large"), std::string::npos) << body;
}

// A handler that never reads: the server reads at most its buffer (plus
// the kernel's socket buffers) and then stops; the client cannot send 64
// MiB. Once the handler answers, the connection closes.
TEST_F(RequestBodyTest, AnUnreadBodyStallsTheClientNotTheServer) {
  std::promise<void> entered;
  std::atomic<bool> release{false};
  ServerOptions o;
  o.body_limit = 256ull << 20;
  o.max_buffered_bodies = 1ull << 30;
  o.request_body_buffer = 64 * 1024;
  start([&](const Request&, ResponseWriter& w) {
    entered.set_value();
    for (int i = 0; i < 1000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    w.send(Response::text(200, "done"));
  }, o);
  RawClient c(port());
  const size_t total = 64ull << 20;
  c.send("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n");
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  std::string chunk(1 << 16, 'x');
  size_t sent = 0;
  for (int i = 0; i < 1024 && sent < total; ++i) {
    ssize_t n = ::send(c.fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (i > 200) break;  // stalled for a while: the server stopped reading
      continue;
    }
    sent += size_t(n);
  }
  EXPECT_LT(sent, total / 4) << "the server kept reading a body nobody reads";
  release = true;
  std::string response = c.read_all();
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response.substr(0, 64);
  EXPECT_EQ(body_of(response), "done");
}

TEST(BodyChannel, BoundedWithResumeOnceHalfIsRead) {
  BodyChannel ch(100);
  EXPECT_TRUE(ch.push(std::string(60, 'a')));
  EXPECT_FALSE(ch.push(std::string(60, 'b')));  // 120 >= 100: full
  int resumed = 0;
  ch.on_space([&] { ++resumed; });
  EXPECT_EQ(ch.read(30).bytes, std::string(30, 'a'));  // 90 left: not yet half
  EXPECT_EQ(resumed, 0);
  EXPECT_EQ(ch.read(50).bytes.size(), 50u);  // 40 left: room
  EXPECT_EQ(resumed, 1);
  ch.finish({{"k", "v"}});
  auto rest = ch.read(1000);
  EXPECT_EQ(rest.bytes, std::string(40, 'b'));
  EXPECT_TRUE(rest.end);
  EXPECT_EQ(ch.trailers().size(), 1u);
}

TEST(BodyChannel, ResumeAskedAfterTheReaderMadeRoomRunsAtOnce) {
  BodyChannel ch(10);
  EXPECT_FALSE(ch.push(std::string(10, 'a')));
  EXPECT_EQ(ch.read(10).bytes.size(), 10u);  // room before the server asks
  bool resumed = false;
  ch.on_space([&] { resumed = true; });
  EXPECT_TRUE(resumed);
}

TEST(BodyChannel, FailureReachesTheReaderAfterTheBytes) {
  BodyChannel ch(100);
  ch.push("abc");
  ch.fail("too large", 413);
  auto c = ch.read(2);
  EXPECT_EQ(c.bytes, "ab");
  EXPECT_TRUE(c.error.empty());  // bytes first
  c = ch.read(10);
  EXPECT_EQ(c.bytes, "c");
  EXPECT_EQ(c.error, "too large");
  EXPECT_EQ(c.status, 413u);
  EXPECT_TRUE(ch.wait_for(std::chrono::nanoseconds(0)));
}

}  // namespace
}  // namespace whirl::spin::http
