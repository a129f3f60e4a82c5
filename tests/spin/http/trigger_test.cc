// The trigger with a fake executor: reserved routes, 404, errors as 500,
// the wall-clock limit, and what is passed to the executor.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "spin/http/trigger.h"

namespace whirl::spin::http {
namespace {

class FakeModule : public wasm::CompiledModule {
 public:
  FakeModule() : m_(std::make_shared<wasm::Module>()) {}
  const wasm::Module& module() const override { return *m_; }
  std::shared_ptr<const wasm::Module> module_ptr() const override { return m_; }
  std::string_view tier_name() const override { return "fake"; }

 private:
  std::shared_ptr<wasm::Module> m_;
};

class MemoryLogs : public LogSink {
 public:
  void component_output(std::string_view c, std::string_view s, std::string_view b) override {
    std::lock_guard lock(mu);
    out += std::string(c) + "/" + std::string(s) + ": " + std::string(b);
  }
  void error(std::string_view m) override {
    std::lock_guard lock(mu);
    errors += std::string(m) + "\n";
  }
  std::mutex mu;
  std::string out, errors;
};

// Answers with what it was given; "/loop" spins until interrupted (bounded);
// "/throw" throws with a store attached to the request's interrupt slot.
class FakeExecutor : public Executor {
 public:
  Expected<void> execute(const ExecRequest& r) override {
    if (r.request.path == "/fail") return make_error("guest trapped: unreachable");
    if (r.request.path == "/loop") {
      for (int i = 0; i < 2000 && !r.interrupt.fired(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return make_error(r.interrupt.fired() ? std::string(describe(r.interrupt.reason())) : "not stopped");
    }
    if (r.request.path == "/throw") {
      auto store = wasm::Store::create();
      InterruptSlot::Attached attached(r.interrupt, store.get());
      throw std::bad_alloc();
    }
    r.logs.component_output(r.component.id, "stderr", "log line\n");
    r.response.send(Response::text(200, r.component.id + " " + r.match.pattern().based + " " + r.match.trailing +
                                            " mem=" + std::to_string(r.max_memory)));
    return {};
  }
};

std::shared_ptr<const LoadedApp> make_app(const std::string& toml) {
  auto m = parse_manifest(toml, "spin.toml");
  EXPECT_TRUE(m) << m.error().message;
  AppLoadOptions o;
  auto app = std::make_shared<LoadedApp>();
  app->manifest = *m;
  for (const auto& c : app->manifest.components) {
    LoadedComponent lc;
    lc.id = c.id;
    lc.config = &c;
    lc.module = std::make_shared<FakeModule>();
    app->components.push_back(lc);
  }
  return app;
}

constexpr const char* kApp = R"(spin_manifest_version = 2
[application]
name = "demo"
version = "0.3.0"
[[trigger.http]]
route = "/..."
component = "all"
executor = { type = "wagi" }
[[trigger.http]]
route = "/hello/:name"
component = "hello"
executor = { type = "wagi" }
[component.all]
source = "a.wasm"
[component.hello]
source = "h.wasm"
description = "Says hello"
)";

Request get(std::string target) {
  Request r;
  r.set_target(target);
  return r;
}

Response run(HttpTrigger& t, const Request& req) {
  CollectedResponse out;
  t.handle(req, out);
  EXPECT_TRUE(out.finished());
  return out.response();
}

TEST(Trigger, RoutesToTheExecutor) {
  auto logs = std::make_shared<MemoryLogs>();
  HttpTrigger t(make_app(kApp), TriggerOptions{}, logs);
  t.set_executor(HttpExecutorConfig::Kind::Wagi, std::make_shared<FakeExecutor>());
  ASSERT_TRUE(t.check_executors());
  auto r = run(t, get("/hello/ann"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(t.fairness_key(get("/hello/ann")), "hello");
  EXPECT_EQ(t.fairness_key(get("/.well-known/spin/health")), "");
  EXPECT_EQ(r.body, "hello /hello/:name  mem=134217728");
  r = run(t, get("/x/y"));
  EXPECT_EQ(r.body, "all /... /x/y mem=134217728");
  EXPECT_EQ(logs->out, "hello/stderr: log line\nall/stderr: log line\n");
}

TEST(Trigger, ReservedRoutes) {
  HttpTrigger t(make_app(kApp), TriggerOptions{}, std::make_shared<MemoryLogs>());
  t.set_executor(HttpExecutorConfig::Kind::Wagi, std::make_shared<FakeExecutor>());
  auto h = run(t, get("/.well-known/spin/health"));
  EXPECT_EQ(h.status, 200u);
  EXPECT_EQ(h.body, "OK");
  auto i = run(t, get("/.well-known/spin/info"));
  EXPECT_EQ(i.status, 200u);
  EXPECT_EQ(i.header("content-type").value_or(""), "application/json");
  auto j = nlohmann::json::parse(i.body);
  EXPECT_EQ(j["name"], "demo");
  EXPECT_EQ(j["version"], "0.3.0");
  EXPECT_EQ(run(t, get("/.well-known/spin/other")).status, 404u);  // even with a catch-all route
}

TEST(Trigger, NoMatchIs404) {
  auto app = make_app(R"(spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/only"
component = "c"
executor = { type = "wagi" }
[component.c]
source = "c.wasm"
)");
  HttpTrigger t(app, TriggerOptions{}, std::make_shared<MemoryLogs>());
  t.set_executor(HttpExecutorConfig::Kind::Wagi, std::make_shared<FakeExecutor>());
  EXPECT_EQ(run(t, get("/other")).status, 404u);
  EXPECT_EQ(run(t, get("/only")).status, 200u);
}

TEST(Trigger, ExecutorErrorIs500AndLogged) {
  auto logs = std::make_shared<MemoryLogs>();
  HttpTrigger t(make_app(kApp), TriggerOptions{}, logs);
  t.set_executor(HttpExecutorConfig::Kind::Wagi, std::make_shared<FakeExecutor>());
  auto r = run(t, get("/fail"));
  EXPECT_EQ(r.status, 500u);
  EXPECT_TRUE(r.body.empty());
  EXPECT_NE(logs->errors.find("GET /fail: guest trapped: unreachable"), std::string::npos) << logs->errors;
}

TEST(Trigger, TimeLimitInterrupts) {
  auto logs = std::make_shared<MemoryLogs>();
  TriggerOptions o;
  o.timeout = std::chrono::milliseconds(50);
  HttpTrigger t(make_app(kApp), o, logs);
  t.set_executor(HttpExecutorConfig::Kind::Wagi, std::make_shared<FakeExecutor>());
  EXPECT_EQ(run(t, get("/loop")).status, 500u);
  EXPECT_NE(logs->errors.find("ran past its time limit"), std::string::npos) << logs->errors;
  EXPECT_EQ(run(t, get("/hello/x")).status, 200u);  // still serving
}

TEST(Trigger, ClientGoneInterrupts) {
  auto logs = std::make_shared<MemoryLogs>();
  HttpTrigger t(make_app(kApp), TriggerOptions{}, logs);
  t.set_executor(HttpExecutorConfig::Kind::Wagi, std::make_shared<FakeExecutor>());
  CollectedResponse out;
  std::thread leaver([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    out.cancel();
  });
  auto began = std::chrono::steady_clock::now();
  t.handle(get("/loop"), out);
  leaver.join();
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
  EXPECT_NE(logs->errors.find("the client went away"), std::string::npos) << logs->errors;
}

// An exception out of an executor is a 500, and nothing armed for the
// request (time limit, interrupt slot) outlives it: the watchdog firing
// later must not touch the destroyed store.
TEST(Trigger, ExceptionIs500AndReleasesTheRequest) {
  auto logs = std::make_shared<MemoryLogs>();
  TriggerOptions o;
  o.timeout = std::chrono::milliseconds(20);
  HttpTrigger t(make_app(kApp), o, logs);
  t.set_executor(HttpExecutorConfig::Kind::Wagi, std::make_shared<FakeExecutor>());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(run(t, get("/throw")).status, 500u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past every deadline the requests had
  EXPECT_NE(logs->errors.find("out of memory"), std::string::npos) << logs->errors;
  EXPECT_EQ(run(t, get("/hello/x")).status, 200u);
}

// The HTTP executor (the manifest's default) runs components; a core module needs WAGI.
TEST(Trigger, HttpExecutorNeedsAComponent) {
  auto app = make_app(R"(spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
)");
  HttpTrigger t(app, TriggerOptions{}, std::make_shared<MemoryLogs>());
  t.set_executor(HttpExecutorConfig::Kind::Wagi, std::make_shared<FakeExecutor>());
  auto ok = t.check_executors();
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("spin.toml:4:1: component `c` is a core module; the HTTP executor runs components"),
            std::string::npos)
      << ok.error().message;
}

TEST(Trigger, RouteLines) {
  HttpTrigger t(make_app(kApp), TriggerOptions{}, std::make_shared<MemoryLogs>());
  auto lines = t.route_lines("http://127.0.0.1:3000");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "  all: http://127.0.0.1:3000 (wildcard)");
  EXPECT_EQ(lines[1], "  hello: http://127.0.0.1:3000/hello/:name");
  EXPECT_EQ(lines[2], "    Says hello");
}

}  // namespace
}  // namespace whirl::spin::http
