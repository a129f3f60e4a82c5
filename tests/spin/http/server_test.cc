// The Beast server with a fake handler: keep-alive, chunked and large
// bodies, concurrency, graceful stop with a request in flight.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "http_client.h"
#include "spin/http/server.h"

namespace whirl::spin::http {
namespace {

using test::Client;

class ServerTest : public ::testing::Test {
 protected:
  void start(HttpServer::Handler h, ServerOptions o = {}) {
    o.host = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<HttpServer>(o, std::move(h));
    auto ok = server_->listen();
    ASSERT_TRUE(ok) << ok.error().message;
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    if (server_) server_->request_stop();
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return server_->port(); }

  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

Response echo(const Request& r) {
  Response res = Response::text(200, r.method + " " + r.path + " ? " + r.query + " [" + std::to_string(r.body.size()) +
                                         "] " + r.body.substr(0, 32));
  res.headers.push_back({"x-client", r.client_addr()});
  if (auto h = r.header("x-test")) res.headers.push_back({"x-test-echo", std::string(*h)});
  return res;
}

TEST_F(ServerTest, RoundTripAndKeepAlive) {
  start(echo);
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
  start(echo);
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
  start(echo);
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

TEST_F(ServerTest, BodyOverTheLimitIs413) {
  ServerOptions o;
  o.body_limit = 1000;
  start(echo, o);
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
  start([&](const Request& r) {
    std::unique_lock lock(mu);
    ++arrived;
    cv.notify_all();
    bool both = cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived >= 2; });
    return Response::text(200, both ? "together" : "alone");
  });
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
  start([&](const Request& r) {
    if (r.path == "/hold")
      for (int i = 0; i < 2000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Response::text(200, r.path);
  }, o);
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
  start([&](const Request&) {
    entered.set_value();
    for (int i = 0; i < 1000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Response::text(200, "finished");
  });
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
  server_ = std::make_unique<HttpServer>(o, [&](const Request&) {
    entered.set_value();
    for (int i = 0; i < 2000 && !interrupted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Response::text(200, "late");
  });
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
  HttpServer s(ServerOptions{"256.1.1.1", 80}, echo);
  auto r = s.listen();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot listen on 256.1.1.1:80"), std::string::npos);
}

}  // namespace
}  // namespace whirl::spin::http
