// The Beast server with a fake handler: keep-alive, chunked and large
// bodies, concurrency, graceful stop with a request in flight.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "http_client.h"
#include "raw_client.h"
#include "server_fixture.h"
#include "spin/http/server.h"

namespace whirl::spin::http {
namespace {

using test::Client;
using test::RawClient;

using ServerTest = test::ServerFixture;

Response echo(const Request& r) {
  Response res = Response::text(200, r.method + " " + r.path + " ? " + r.query + " [" + std::to_string(r.body.size()) +
                                         "] " + r.body.substr(0, 32));
  res.headers.push_back({"x-client", r.client_addr()});
  if (auto h = r.header("x-test")) res.headers.push_back({"x-test-echo", std::string(*h)});
  return res;
}

TEST_F(ServerTest, RoundTripAndKeepAlive) {
  start(HttpServer::buffered(echo));
  Client c(port());
  ASSERT_TRUE(c.connected());
  auto r = c.get("/a/b?x=1");
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, "GET /a/b ? x=1 [0] ");
  EXPECT_EQ(std::string(r.headers["content-type"]), "text/plain");
  EXPECT_EQ(std::string(r.headers["x-client"]).rfind("127.0.0.1:", 0), 0u);
  EXPECT_NE(std::string(r.headers["date"]).find(" GMT"), std::string::npos);
  auto r2 = c.get("/second");  // same connection
  EXPECT_EQ(r2.status, 200u) << r2.error;
  EXPECT_EQ(r2.body, "GET /second ?  [0] ");
}

TEST_F(ServerTest, ChunkedAndLargeBodies) {
  start(HttpServer::buffered(echo));
  Client c(port());
  auto r = c.raw(
      "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, "POST /up ?  [11] hello world");

  test::bhttp::request<test::bhttp::string_body> req{test::bhttp::verb::put, "/big", 11};
  req.set(test::bhttp::field::host, "x");
  req.body() = std::string(1 << 20, 'z');
  auto big = c.send(std::move(req));
  EXPECT_EQ(big.status, 200u) << big.error;
  EXPECT_EQ(big.body.substr(0, 23), "PUT /big ?  [1048576] z");
}

TEST_F(ServerTest, ExpectContinueAndHead) {
  start(HttpServer::buffered(echo));
  Client c(port());
  auto cont = c.raw("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(cont.status, 100u) << cont.error;
  auto r = c.raw("abc");
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, "POST /e ?  [3] abc");
  auto head = c.head("/h");
  EXPECT_EQ(head.status, 200u) << head.error;
  EXPECT_EQ(std::string(head.headers["content-length"]), "15");  // "HEAD /h ?  [0] "
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(c.get("/after").body, "GET /after ?  [0] ");  // the connection is still in step
}

// A handler writing a body for a status that has none (204, 304, 1xx; a
// WAGI guest can) gets its body dropped, not the server brought down;
// the connection stays in step. Trailers of such a response are dropped too.
TEST_F(ServerTest, StatusesWithoutABodySendNone) {
  start([](const Request& req, ResponseWriter& w) {
    unsigned status = unsigned(std::stoul(req.path.substr(1)));
    w.start(status, {{"content-type", "text/plain"}, {"content-length", "12"}});
    w.write("status body\n");
    if (req.query == "trailers") w.set_trailers({{"x-t", "1"}});
    w.finish();
  });
  Client c(port());
  for (std::string target : {"/204", "/304", "/204?trailers"}) {
    auto r = c.get(target);
    EXPECT_EQ(r.status, unsigned(std::stoul(target.substr(1, 3)))) << target << r.error;
    EXPECT_TRUE(r.body.empty()) << target;
    EXPECT_EQ(r.headers.count("content-length"), 0u) << target;
  }
  auto after = c.get("/200");  // the same connection, in step
  EXPECT_EQ(after.status, 200u) << after.error;
  EXPECT_EQ(after.body, "status body\n");
}

// A streamed response with its own Content-Length is framed by it (no
// chunks) and keeps the connection; one that writes less is cut off.
TEST_F(ServerTest, StreamedResponseKeepsItsDeclaredLength) {
  const size_t n = 300 * 1024;  // over the response buffer: it streams
  start([&](const Request& r, ResponseWriter& w) {
    const size_t declared = r.path == "/short" ? n + 10 : n;
    w.start(200, {{"Content-Length", std::to_string(declared)}});
    std::string piece(1000, 'p');
    for (size_t sent = 0; sent < n; sent += piece.size()) w.write(std::string_view(piece).substr(0, n - sent));
    w.finish();
  });
  Client c(port());
  auto r = c.get("/exact");
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(std::string(r.headers["content-length"]), std::to_string(n));
  EXPECT_EQ(std::string(r.headers["transfer-encoding"]), "");
  EXPECT_EQ(r.body.size(), n);
  auto again = c.get("/exact");  // the same connection
  EXPECT_EQ(again.body.size(), n) << again.error;
  RawClient raw(port());
  raw.send("GET /short HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = raw.read_all();  // ends when the server closes: not a complete response
  EXPECT_NE(got.find("Content-Length: " + std::to_string(n + 10)), std::string::npos);
  EXPECT_EQ(got.size() - got.find("\r\n\r\n") - 4, n);
}

// Trailers go after a chunked body (a short body too); HTTP/1.0 has no
// chunks to carry them.
TEST_F(ServerTest, TrailersFollowAChunkedBody) {
  start([&](const Request&, ResponseWriter& w) {
    Response r = Response::text(200, "body");
    r.trailers = {{"x-checksum", "abc"}};
    w.send(std::move(r));
  });
  RawClient c(port());
  c.send("GET /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string got = c.read_all();
  EXPECT_NE(got.find("Transfer-Encoding: chunked"), std::string::npos) << got;
  EXPECT_NE(got.find("\r\n4\r\nbody\r\n0\r\nx-checksum: abc\r\n\r\n"), std::string::npos) << got;
  RawClient old(port());
  old.send("GET /t HTTP/1.0\r\n\r\n");
  got = old.read_all();
  EXPECT_EQ(got.find("x-checksum"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.size() - 4), "body");
}

TEST_F(ServerTest, BodyOverTheLimitIs413) {
  ServerOptions o;
  o.body_limit = 1000;
  start(HttpServer::buffered(echo), o);
  Client c(port());
  test::bhttp::request<test::bhttp::string_body> req{test::bhttp::verb::post, "/", 11};
  req.set(test::bhttp::field::host, "x");
  req.body() = std::string(5000, 'a');
  EXPECT_EQ(c.send(std::move(req)).status, 413u);
}

TEST_F(ServerTest, RequestsRunConcurrently) {
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  start(HttpServer::buffered([&](const Request& r) {
    std::unique_lock lock(mu);
    ++arrived;
    cv.notify_all();
    bool both = cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived >= 2; });
    return Response::text(200, both ? "together" : "alone");
  }));
  auto a = std::async(std::launch::async, [&] { return test::get_once(port(), "/a"); });
  auto b = std::async(std::launch::async, [&] { return test::get_once(port(), "/b"); });
  EXPECT_EQ(a.get().body, "together");
  EXPECT_EQ(b.get().body, "together");
}

TEST_F(ServerTest, ExtraWorkerWhenAllAreHeld) {
  ServerOptions o;
  o.worker_threads = 1;
  o.worker_patience = std::chrono::milliseconds(20);
  std::atomic<bool> release{false};
  start(HttpServer::buffered([&](const Request& r) {
    if (r.path == "/hold")
      for (int i = 0; i < 2000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Response::text(200, r.path);
  }), o);
  auto held = std::async(std::launch::async, [&] { return test::get_once(port(), "/hold"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto quick = test::get_once(port(), "/quick");  // served by an extra worker while /hold runs
  EXPECT_EQ(quick.body, "/quick");
  EXPECT_FALSE(release.load());
  release = true;
  EXPECT_EQ(held.get().body, "/hold");
}

TEST_F(ServerTest, StopLetsInFlightRequestFinish) {
  std::promise<void> entered;
  std::atomic<bool> release{false};
  start(HttpServer::buffered([&](const Request&) {
    entered.set_value();
    for (int i = 0; i < 1000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Response::text(200, "finished");
  }));
  auto reply = std::async(std::launch::async, [&] { return test::get_once(port(), "/slow"); });
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Client idle(port());  // an idle keep-alive connection must not hold up the stop
  ASSERT_TRUE(idle.connected());
  server_->request_stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release = true;
  auto r = reply.get();
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, "finished");
  thread_.join();  // run() returned: the server drained
  EXPECT_FALSE(Client(port()).connected());
}

TEST_F(ServerTest, GraceExpiryCallsBack) {
  ServerOptions o;
  o.grace = std::chrono::milliseconds(100);
  std::atomic<bool> interrupted{false};
  std::promise<void> entered;
  o.host = "127.0.0.1";
  o.port = 0;
  server_ = std::make_unique<HttpServer>(o, HttpServer::buffered([&](const Request&) {
    entered.set_value();
    for (int i = 0; i < 2000 && !interrupted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Response::text(200, "late");
  }));
  ASSERT_TRUE(server_->listen());
  thread_ = std::thread([&] { server_->run([&] { interrupted = true; }); });
  auto reply = std::async(std::launch::async, [&] { return test::get_once(port(), "/stuck"); });
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  server_->request_stop();
  thread_.join();
  EXPECT_TRUE(interrupted);
  reply.get();
}

TEST(Server, ListenErrorNamesTheAddress) {
  HttpServer s(ServerOptions{"256.1.1.1", 80}, HttpServer::buffered(echo));
  auto r = s.listen();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot listen on 256.1.1.1:80"), std::string::npos);
}

}  // namespace
}  // namespace whirl::spin::http

namespace whirl::spin::http {
namespace {


std::string status_line(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }

TEST_F(ServerTest, MalformedRequestsGet400AndOversizedHeaders431) {
  std::atomic<int> handled{0};
  start(HttpServer::buffered([&](const Request& r) {
    ++handled;
    return Response::text(200, r.path);
  }));
  const char* bad[] = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost x\r\n\r\n",                                      // no colon
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  // bad chunk size
      "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const char* req : bad) {
    RawClient c(port());
    ASSERT_TRUE(c.connected());
    c.send(req);
    EXPECT_EQ(status_line(c.read_all()), "HTTP/1.1 400 Bad Request") << req;
  }
  RawClient big(port());
  big.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(status_line(big.read_all()), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(handled.load(), 0);
  EXPECT_EQ(test::get_once(port(), "/fine").body, "/fine");  // still serving
}

TEST_F(ServerTest, EncodedNulInThePathIs400) {
  std::atomic<int> handled{0};
  start(HttpServer::buffered([&](const Request& r) {
    ++handled;
    return Response::text(200, r.path);
  }));
  EXPECT_EQ(test::get_once(port(), "/files/a%00.txt").status, 400u);
  EXPECT_EQ(test::get_once(port(), "/%00").status, 400u);
  EXPECT_EQ(handled.load(), 0);
  EXPECT_EQ(test::get_once(port(), "/q?x=%00").status, 200u);  // the query is the guest's to judge
}

TEST_F(ServerTest, SmallBodiesHaveALengthLargeOnesStream) {
  start([](const Request& r, ResponseWriter& w) {
    w.start(200, {{"content-type", "text/plain"}});
    size_t n = r.path == "/big" ? 5000000 : 1000;
    std::string piece(1000, 'x');
    for (size_t done = 0; done < n; done += piece.size())
      if (!w.write(piece)) return;
    w.finish();
  });
  test::Client c(port());
  auto small = c.get("/small");
  EXPECT_EQ(small.status, 200u) << small.error;
  EXPECT_EQ(std::string(small.headers["content-length"]), "1000");
  auto big = c.get("/big");
  EXPECT_EQ(big.status, 200u) << big.error;
  EXPECT_EQ(big.body.size(), 5000000u);
  EXPECT_EQ(std::string(big.headers["transfer-encoding"]), "chunked");
  EXPECT_EQ(c.get("/small").body.size(), 1000u);  // the connection is still in step
}

// A producer without end meets a client that does not read: its writes
// block (bounded memory) and fail once the client leaves.
TEST_F(ServerTest, StreamingHasBackpressureAndStopsWhenTheClientLeaves) {
  std::atomic<uint64_t> written{0};
  std::promise<void> stopped;
  start([&](const Request&, ResponseWriter& w) {
    w.start(200, {{"content-type", "application/octet-stream"}});
    std::string piece(64 * 1024, 'x');
    for (int i = 0; i < 16384 && w.write(piece); ++i) written += piece.size();  // at most 1 GiB
    stopped.set_value();
  });
  RawClient c(port());
  c.shrink_receive_buffer();
  c.send("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  uint64_t first = written.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(written.load(), first);           // blocked, not buffering on
  EXPECT_LT(first, uint64_t(32) << 20);       // socket buffers plus one bounded buffer
  c.close();
  EXPECT_EQ(stopped.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_LT(written.load(), uint64_t(64) << 20);
}

TEST_F(ServerTest, ClientLeavingCancelsTheRequest) {
  std::promise<void> entered, cancelled;
  start([&](const Request&, ResponseWriter& w) {
    std::atomic<bool> gone{false};
    w.on_cancel([&] { gone = true; });
    entered.set_value();
    for (int i = 0; i < 2000 && !gone; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    w.on_cancel({});
    if (gone) cancelled.set_value();
    w.send(Response::text(200, "too late"));
  });
  RawClient c(port());
  c.send("GET /work HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  c.close();
  EXPECT_EQ(cancelled.get_future().wait_for(std::chrono::seconds(3)), std::future_status::ready);
}

TEST_F(ServerTest, FailureBeforeTheHeadIs500AfterItCutsTheBodyOff) {
  start([](const Request& r, ResponseWriter& w) {
    if (r.path == "/throw") throw std::runtime_error("boom");
    w.start(200, {{"content-type", "text/plain"}});
    if (r.path == "/early") {
      w.write("partial");
      w.abort();  // nothing sent yet: still a clean 500
      return;
    }
    std::string piece(64 * 1024, 'y');
    for (int i = 0; i < 8; ++i) w.write(piece);  // past the buffer: the head is out
    w.abort();
  });
  EXPECT_EQ(test::get_once(port(), "/throw").status, 500u);
  auto early = test::get_once(port(), "/early");
  EXPECT_EQ(early.status, 500u);
  EXPECT_TRUE(early.body.empty());
  auto late = test::get_once(port(), "/late");
  EXPECT_FALSE(late.error.empty());  // a cut-off chunked body, not a complete response
}

// Stop: a request still queued is answered 503 at once, the running one finishes.
TEST_F(ServerTest, StopAnswersQueuedRequests503) {
  ServerOptions o;
  o.worker_threads = 1;
  o.max_concurrent_per_key = 1;
  o.classify = [](const Request&) { return std::string("one"); };
  std::promise<void> entered;
  std::atomic<bool> release{false};
  start(HttpServer::buffered([&](const Request& r) {
    if (r.path == "/first") {
      entered.set_value();
      for (int i = 0; i < 2000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return Response::text(200, r.path);
  }), o);
  auto first = std::async(std::launch::async, [&] { return test::get_once(port(), "/first"); });
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto queued = std::async(std::launch::async, [&] { return test::get_once(port(), "/queued"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto began = std::chrono::steady_clock::now();
  server_->request_stop();
  auto q = queued.get();
  EXPECT_EQ(q.status, 503u) << q.error;
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(2));
  EXPECT_FALSE(release.load());
  release = true;
  EXPECT_EQ(first.get().body, "/first");
}

// Buffered request bodies share one budget: an upload that would go over
// it is 503 (before its body is read), and the budget comes back when a
// request is done.
TEST_F(ServerTest, RequestBodiesInFlightShareABudget) {
  ServerOptions o;
  o.max_buffered_bodies = 1 << 20;
  std::promise<void> entered;
  std::atomic<bool> release{false};
  start(HttpServer::buffered([&](const Request& r) {
    if (r.path == "/hold") {
      entered.set_value();
      for (int i = 0; i < 2000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return Response::text(200, std::to_string(r.body.size()));
  }), o);
  auto upload = [&](const std::string& path, size_t n) {
    test::Client c(port());
    test::bhttp::request<test::bhttp::string_body> req{test::bhttp::verb::post, path, 11};
    req.set(test::bhttp::field::host, "x");
    req.body() = std::string(n, 'u');
    return c.send(std::move(req));
  };
  auto held = std::async(std::launch::async, [&] { return upload("/hold", 700 * 1024); });
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(upload("/second", 700 * 1024).status, 503u);
  EXPECT_EQ(upload("/small", 100 * 1024).body, "102400");  // what is left of the budget still serves
  RawClient chunked(port());
  chunked.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n80000\r\n" +
               std::string(0x80000, 'c') + "\r\n0\r\n\r\n");
  EXPECT_EQ(status_line(chunked.read_all()), "HTTP/1.1 413 Payload Too Large");  // more than the budget left
  release = true;
  EXPECT_EQ(held.get().body, "716800");
  // The held body's budget is released as its handler returns, which the
  // client may see its response just before: allow a moment.
  std::string after;
  for (int i = 0; i < 100 && after != "716800"; ++i) {
    after = upload("/after", 700 * 1024).body;
    if (after != "716800") std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(after, "716800");
}

// One key flooding the pool does not hold up another key's request.
TEST_F(ServerTest, AFloodedComponentDoesNotStarveAnother) {
  ServerOptions o;
  o.worker_threads = 2;
  o.max_worker_threads = 4;
  o.max_concurrent_per_key = 2;
  o.classify = [](const Request& r) { return r.path; };
  std::atomic<bool> release{false};
  start(HttpServer::buffered([&](const Request& r) {
    if (r.path == "/slow")
      for (int i = 0; i < 2000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Response::text(200, r.path);
  }), o);
  std::vector<std::future<test::Reply>> flood;
  for (int i = 0; i < 20; ++i)
    flood.push_back(std::async(std::launch::async, [&] { return test::get_once(port(), "/slow"); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(test::get_once(port(), "/healthy").body, "/healthy");
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(500));
  release = true;
  for (auto& f : flood) EXPECT_EQ(f.get().status, 200u);
}

}  // namespace
}  // namespace whirl::spin::http
