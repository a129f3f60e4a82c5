// A guest component (guest.h, component text) exporting
// wasi:http/incoming-handler, called the way a server calls it: one
// instance per request, the response captured by a ResponseSink.
// Expected values follow the wasi:http 0.2 interface text and wasmtime's
// documented behaviour.
#include <gtest/gtest.h>

#include <thread>

#include "component/runtime/component.h"
#include "guest.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/ctx.h"
#include "wasi/p2/wasi_p2.h"
#include "wasm/text/component_text.h"

namespace whirl::wasi::http::testing {
namespace {

namespace rt = component::runtime;
using component::abi::Value;

struct Captured : ResponseSink {
  bool started = false, finished = false;
  uint16_t status = 0;
  FieldList headers, trailers;
  std::string body;
  size_t writes = 0;
  bool start(uint16_t s, const FieldList& h) override {
    started = true;
    status = s;
    headers = h;
    return true;
  }
  bool write(std::string_view b) override {
    body.append(b);
    ++writes;
    return true;
  }
  void finish(const FieldList& t) override {
    finished = true;
    trailers = t;
  }
  std::string header(const std::string& n) const {
    for (const auto& [k, v] : headers)
      if (k == n) return v;
    return "<none>";
  }
};

std::shared_ptr<const rt::LoadedComponent> load_guest(const std::string& version = "0.2.0") {
  auto bytes = wasm::text::component_to_binary(guest_component(version));
  EXPECT_TRUE(bytes) << bytes.error().message;
  if (!bytes) return nullptr;
  auto c = rt::load_component(*bytes);
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : nullptr;
}

struct Exchange {
  std::shared_ptr<Captured> sink = std::make_shared<Captured>();
  Outcome outcome;
  std::string call_error;  // a trap, if any
};

class WasiHttpHandler : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { guest_ = load_guest(); }
  static void TearDownTestSuite() { guest_.reset(); }
  WasiHttpHandler() {
    p2::add_to_linker(linker_);
    add_to_linker(linker_);
  }

  Exchange run(IncomingRequest req, std::shared_ptr<const rt::LoadedComponent> c = nullptr) {
    Exchange r;
    if (!c) c = guest_;
    if (!c) {
      ADD_FAILURE() << "no guest";
      return r;
    }
    auto ctx = p2::create_wasi_p2(WasiConfig{});
    EXPECT_TRUE(ctx);
    auto state = attach_http(**ctx, r.sink);
    auto inst = rt::instantiate(c, wasm::Store::create(), linker_, std::any(*ctx));
    EXPECT_TRUE(inst) << (inst ? "" : inst.error().message);
    if (!inst) return r;
    auto f = (*inst)->find_func("wasi:http/incoming-handler@0.2.6#handle");
    EXPECT_TRUE(f);
    auto [rq, out] = new_incoming_call(*state, std::move(req));
    auto res = (*inst)->call(f, {Value::own(rq), Value::own(out)});
    if (!res) r.call_error = res.error().message;
    r.outcome = outcome(*state);
    return r;
  }
  static IncomingRequest get(std::string path, std::string body = "") {
    IncomingRequest q;
    q.path_with_query = std::move(path);
    q.authority = "example.com:8080";
    q.body = body_from_string(std::move(body));
    return q;
  }

  static std::shared_ptr<const rt::LoadedComponent> guest_;
  rt::Linker linker_;
};
std::shared_ptr<const rt::LoadedComponent> WasiHttpHandler::guest_;

TEST_F(WasiHttpHandler, EchoesMethodPathAuthoritySchemeHeadersAndBody) {
  IncomingRequest q = get("/echo/a%20b?x=1&y=2", "hello body");
  q.method = "POST";
  q.headers = {{"Content-Type", "text/plain"}, {"x-multi", "1"}, {"X-Multi", "2"}};
  Exchange r = run(std::move(q));
  EXPECT_EQ(r.call_error, "");
  EXPECT_EQ(r.outcome.kind, Outcome::Kind::Response);
  EXPECT_TRUE(r.outcome.body_finished) << r.outcome.error;
  EXPECT_TRUE(r.sink->started);
  EXPECT_TRUE(r.sink->finished);
  EXPECT_EQ(r.sink->status, 200);
  EXPECT_EQ(r.sink->header("x-echo"), "1");
  EXPECT_EQ(r.sink->body,
            "POST /echo/a%20b?x=1&y=2\n"
            "authority: example.com:8080\n"
            "scheme: HTTP\n"
            "Content-Type: text/plain\n"
            "x-multi: 1\n"
            "X-Multi: 2\n"
            "\n"
            "hello body");
}

TEST_F(WasiHttpHandler, EveryMethodIncludingOther) {
  const char* methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PURGE", "get"};
  for (const char* m : methods) {
    IncomingRequest q = get("/e");
    q.method = m;
    Exchange r = run(std::move(q));
    // Method names are case-sensitive: "get" is `other("get")`, printed as given.
    EXPECT_EQ(r.sink->body.substr(0, r.sink->body.find(' ')), m);
  }
}

TEST_F(WasiHttpHandler, HttpsSchemeAndNoAuthority) {
  IncomingRequest q = get("/e");
  q.scheme = "https";
  q.authority.reset();
  Exchange r = run(std::move(q));
  EXPECT_EQ(r.sink->body, "GET /e\nscheme: HTTPS\n\n");
}

TEST_F(WasiHttpHandler, ForbiddenRequestHeadersAreNotShownToTheGuest) {
  IncomingRequest q = get("/e");
  q.headers = {{"Host", "example.com"}, {"Connection", "keep-alive"}, {"Transfer-Encoding", "chunked"},
               {"x-kept", "yes"}, {"Upgrade", "h2c"}, {"Keep-Alive", "5"}};
  Exchange r = run(std::move(q));
  EXPECT_EQ(r.sink->body, "GET /e\nauthority: example.com:8080\nscheme: HTTP\nx-kept: yes\n\n");
}

TEST_F(WasiHttpHandler, StatusCodeSetByTheGuest) {
  for (int status : {201, 404, 503, 299}) {
    Exchange r = run(get("/c" + std::to_string(status)));
    EXPECT_EQ(r.sink->status, status);
    EXPECT_TRUE(r.outcome.body_finished);
  }
}

TEST_F(WasiHttpHandler, LargeRequestBodyIsReadInChunksAndEchoed) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char('a' + (i * 7) % 26);
  Exchange r = run(get("/e", big));
  ASSERT_TRUE(r.outcome.body_finished) << r.outcome.error << r.call_error;
  std::string head = "GET /e\nauthority: example.com:8080\nscheme: HTTP\n\n";
  EXPECT_EQ(r.sink->body.size(), head.size() + big.size());
  EXPECT_TRUE(r.sink->body == head + big);
}

TEST_F(WasiHttpHandler, NonBlockingReadWithPollables) {
  Exchange r = run(get("/p", "polled body"));
  EXPECT_TRUE(r.outcome.body_finished) << r.outcome.error << r.call_error;
  EXPECT_EQ(r.sink->body, "GET /p\nauthority: example.com:8080\nscheme: HTTP\n\npolled body");
}

// A body source that delivers its bytes slowly from another thread: reads
// must wait for real readiness (blocking-read and subscribe + block).
class SlowBody : public BodySource {
 public:
  explicit SlowBody(std::vector<std::string> parts) {
    feeder_ = std::thread([this, parts = std::move(parts)] {
      for (const auto& p : parts) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::lock_guard lock(mu_);
        buf_ += p;
        cv_.notify_all();
      }
      std::lock_guard lock(mu_);
      done_ = true;
      cv_.notify_all();
    });
  }
  ~SlowBody() override { feeder_.join(); }
  Chunk read(size_t max) override {
    std::lock_guard lock(mu_);
    Chunk c;
    c.bytes = buf_.substr(0, max);
    buf_.erase(0, c.bytes.size());
    c.end = done_ && buf_.empty();
    return c;
  }
  bool ready() override {
    std::lock_guard lock(mu_);
    return !buf_.empty() || done_;
  }
  bool wait_for(std::chrono::nanoseconds t) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, t, [&] { return !buf_.empty() || done_; });
    return !buf_.empty() || done_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buf_;
  bool done_ = false;
  std::thread feeder_;
};

TEST_F(WasiHttpHandler, StreamedRequestBodyWaitsForEachChunk) {
  for (const char* path : {"/e", "/p"}) {
    IncomingRequest q = get(path);
    q.body = std::make_shared<SlowBody>(std::vector<std::string>{"one ", "two ", "three"});
    Exchange r = run(std::move(q));
    EXPECT_TRUE(r.outcome.body_finished) << path << r.outcome.error << r.call_error;
    EXPECT_EQ(r.sink->body, std::string("GET ") + path + "\nauthority: example.com:8080\nscheme: HTTP\n\none two three");
  }
}

TEST_F(WasiHttpHandler, StreamedResponseOfOneMebibyte) {
  Exchange r = run(get("/b"));
  EXPECT_EQ(r.call_error, "");
  ASSERT_TRUE(r.outcome.body_finished) << r.outcome.error;
  ASSERT_EQ(r.sink->body.size(), 1u << 20);
  EXPECT_EQ(r.sink->writes, 256u);  // each write reached the sink as the guest made it
  EXPECT_EQ(r.sink->body[0], 'a');
  EXPECT_EQ(r.sink->body[4096 * 27], 'b');
  EXPECT_EQ(r.sink->header("content-length"), "<none>");
}

TEST_F(WasiHttpHandler, HeaderRulesInsideTheGuest) {
  Exchange r = run(get("/h"));
  EXPECT_TRUE(r.outcome.body_finished) << r.outcome.error << r.call_error;
  // bad name: invalid-syntax; Connection: forbidden; "bad\nvalue": invalid-syntax; ok;
  // the request's headers: immutable; Host: forbidden; a response's headers: immutable.
  EXPECT_EQ(r.sink->body, "1210323");
  EXPECT_EQ(r.sink->header("x-ok"), "fine");
}

TEST_F(WasiHttpHandler, OutboundRequestsAreDenied) {
  Exchange r = run(get("/o"));
  EXPECT_EQ(r.sink->body, "err 15");  // error-code case 15: HTTP-request-denied
}

TEST_F(WasiHttpHandler, TrapNoResponseAndErrorCode) {
  Exchange t = run(get("/trap"));
  EXPECT_NE(t.call_error.find("unreachable"), std::string::npos) << t.call_error;
  EXPECT_EQ(t.outcome.kind, Outcome::Kind::None);
  EXPECT_FALSE(t.sink->started);

  Exchange n = run(get("/none"));
  EXPECT_EQ(n.call_error, "");
  EXPECT_EQ(n.outcome.kind, Outcome::Kind::None);

  Exchange x = run(get("/x"));
  EXPECT_EQ(x.outcome.kind, Outcome::Kind::Error);
  EXPECT_EQ(x.outcome.error, "HTTP-request-denied");
  EXPECT_FALSE(x.sink->started);
}

TEST_F(WasiHttpHandler, UnfinishedOrWrongLengthBodyIsAFailure) {
  Exchange d = run(get("/drop"));
  EXPECT_EQ(d.outcome.kind, Outcome::Kind::Response);
  EXPECT_FALSE(d.outcome.body_finished);
  EXPECT_NE(d.outcome.error.find("dropped without finish"), std::string::npos) << d.outcome.error;
  EXPECT_EQ(d.sink->body, "partial");
  EXPECT_FALSE(d.sink->finished);

  Exchange l = run(get("/length"));
  EXPECT_FALSE(l.outcome.body_finished);
  EXPECT_NE(l.outcome.error.find("content-length says 10"), std::string::npos) << l.outcome.error;
  EXPECT_FALSE(l.sink->finished);
}

TEST_F(WasiHttpHandler, AnyZeroTwoVersionLinks) {
  for (const char* v : {"0.2.0", "0.2.3", "0.2.6", "0.2.12"}) {
    auto c = load_guest(v);
    ASSERT_TRUE(c) << v;
    Exchange r = run(get("/e"), c);
    EXPECT_TRUE(r.outcome.body_finished) << v;
  }
}

}  // namespace
}  // namespace whirl::wasi::http::testing
