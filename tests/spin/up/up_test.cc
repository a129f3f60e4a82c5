// `whirl up` end to end: a real server process on a free loopback port, a
// real HTTP client, and a WAGI probe module (data/probe.c).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>


#include "../http/http_client.h"
#include "../http/raw_client.h"
#include "process.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("whirl-up-test-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string probe_manifest() {
  std::string src = WHIRL_SPIN_PROBE;
  return R"(spin_manifest_version = 2
[application]
name = "probe-app"
version = "1.0.0"

[[trigger.http]]
route = "/exact"
component = "probe"
executor = { type = "wagi" }

[[trigger.http]]
route = "/users/:id"
component = "probe"
executor = { type = "wagi" }

[[trigger.http]]
route = "/probe/..."
component = "probe"
executor = { type = "wagi" }

[[trigger.http]]
route = "/probe/special"
component = "other"
executor = { type = "wagi", argv = "custom ${SCRIPT_NAME} --args ${ARGS}" }

[[trigger.http]]
route = { private = true }
component = "hidden"
executor = { type = "wagi" }

[component.probe]
source = ")" + src + R"("
environment = { COMPONENT_VAR = "from-manifest" }
files = [{ source = "assets", destination = "/data" }]

[component.other]
source = ")" + src + R"("
environment = { WHO = "other" }

[component.hidden]
source = ")" + src + R"("

[[trigger.http]]
route = "/table"
component = "table"
executor = { type = "wagi" }

[component.table]
source = "table.wasm"
)";
}

// A module whose table asks for 2^32 - 1 elements (32 GiB of references).
std::string huge_table_module() {
  const unsigned char bytes[] = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                    // magic, version
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                                // type: () -> ()
      0x03, 0x02, 0x01, 0x00,                                            // func 0: type 0
      0x04, 0x08, 0x01, 0x70, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f,        // table funcref, min 2^32-1
      0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00,  // export "_start"
      0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,                                // body: end
  };
  return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

// Logs are written by a background thread: wait (bounded) for a text to show up.
bool eventually_contains(const std::function<std::string()>& read, const std::string& needle) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end) {
    if (read().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> lines_to_map(const std::string& body) {
  std::map<std::string, std::string> m;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) m.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return m;
}

void write_app(const fs::path& dir) {
  write(dir / "spin.toml", probe_manifest());
  write(dir / "assets" / "hello.txt", "file contents\n");
  write(dir / "table.wasm", huge_table_module());
}

class UpServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = temp_dir("shared");
    write_app(dir_);
    proc_ = new UpProcess({WHIRL_BINARY, "up", "-f", dir_.string(), "--listen", "127.0.0.1:0", "--timeout", "2",
                           "--env", "CLI_VAR=from-cli"},
                          (dir_ / "stderr.txt").string());
    port_ = proc_->wait_serving();
  }
  static void TearDownTestSuite() {
    proc_->signal(SIGTERM);
    proc_->wait_exit(std::chrono::seconds(20));
    delete proc_;
    fs::remove_all(dir_);
  }
  void SetUp() override { ASSERT_NE(port_, 0) << proc_->stderr_text(); }

  Reply get(const std::string& target) { return get_once(port_, target); }

  static fs::path dir_;
  static UpProcess* proc_;
  static uint16_t port_;
};
fs::path UpServer::dir_;
UpProcess* UpServer::proc_ = nullptr;
uint16_t UpServer::port_ = 0;

TEST_F(UpServer, ListsRoutesAtStartup) {
  auto line = proc_->wait_line("  other:", std::chrono::seconds(5));
  ASSERT_TRUE(line);
  std::string base = "http://127.0.0.1:" + std::to_string(port_);
  EXPECT_EQ(*line, "  other: " + base + "/probe/special");
}

TEST_F(UpServer, Routing) {
  auto exact = lines_to_map(get("/exact?x").body);
  EXPECT_EQ(exact["X_MATCHED_ROUTE"], "/exact");
  auto param = lines_to_map(get("/users/42").body);
  EXPECT_EQ(param["X_MATCHED_ROUTE"], "/users/:id");
  EXPECT_EQ(param["X_PATH_MATCH_ID"], "42");
  auto wild = lines_to_map(get("/probe/a/b").body);
  EXPECT_EQ(wild["X_MATCHED_ROUTE"], "/probe/...");
  EXPECT_EQ(wild["PATH_INFO"], "/a/b");
  auto special = lines_to_map(get("/probe/special").body);  // exact beats the wildcard
  EXPECT_EQ(special["WHO"], "other");
  EXPECT_EQ(get("/users/42/more").status, 404u);
  EXPECT_EQ(get("/nothing/here").status, 404u);
  EXPECT_EQ(get("/").status, 404u);
}

TEST_F(UpServer, SpinRoutingVariables) {
  Client c(port_);
  auto r = c.get("/probe/x%20y/z?a=1&b=2");
  ASSERT_EQ(r.status, 200u) << r.error;
  auto env = lines_to_map(r.body);
  EXPECT_EQ(env["X_FULL_URL"], "http://127.0.0.1/probe/x%20y/z?a=1&b=2");
  EXPECT_EQ(env["PATH_INFO"], "/x%20y/z");
  EXPECT_EQ(env["X_RAW_PATH_INFO"], "/x%20y/z");
  EXPECT_EQ(env["PATH_TRANSLATED"], "/x y/z");
  EXPECT_EQ(env["X_MATCHED_ROUTE"], "/probe/...");
  EXPECT_EQ(env["X_BASE_PATH"], "/");
  EXPECT_EQ(env["X_RAW_COMPONENT_ROUTE"], "/probe/...");
  EXPECT_EQ(env["X_COMPONENT_ROUTE"], "/probe");
  EXPECT_EQ(env["X_CLIENT_ADDR"].rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(env["SCRIPT_NAME"], "/probe");
}

TEST_F(UpServer, CgiEnvironmentAndArgv) {
  Client c(port_);
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/probe/env?one=1&two=2", 11};
  req.set(bhttp::field::host, "example.test:8080");
  req.set(bhttp::field::content_type, "text/plain");
  req.set("X-Custom-Header", "custom value");
  req.set(bhttp::field::authorization, "Bearer secret");
  req.body() = "abc";
  auto r = c.send(std::move(req));
  ASSERT_EQ(r.status, 200u) << r.error;
  auto env = lines_to_map(r.body);
  EXPECT_EQ(env["REQUEST_METHOD"], "POST");
  EXPECT_EQ(env["QUERY_STRING"], "one=1&two=2");
  EXPECT_EQ(env["CONTENT_TYPE"], "text/plain");
  EXPECT_EQ(env["CONTENT_LENGTH"], "3");
  EXPECT_EQ(env["SERVER_NAME"], "example.test");
  EXPECT_EQ(env["SERVER_PORT"], "8080");
  EXPECT_EQ(env["SERVER_PROTOCOL"], "HTTP/1.1");
  EXPECT_EQ(env["SERVER_SOFTWARE"], "WAGI/1");
  EXPECT_EQ(env["GATEWAY_INTERFACE"], "CGI/1.1");
  EXPECT_EQ(env["REMOTE_ADDR"], "127.0.0.1");
  EXPECT_EQ(env["REMOTE_HOST"], "127.0.0.1");
  EXPECT_EQ(env.count("AUTH_TYPE"), 1u);
  EXPECT_EQ(env["HTTP_X_CUSTOM_HEADER"], "custom value");
  EXPECT_EQ(env["HTTP_HOST"], "example.test:8080");
  EXPECT_EQ(env.count("HTTP_AUTHORIZATION"), 0u);
  EXPECT_EQ(env["X_FULL_URL"], "http://example.test:8080/probe/env?one=1&two=2");
  EXPECT_EQ(env["COMPONENT_VAR"], "from-manifest");
  EXPECT_EQ(env["CLI_VAR"], "from-cli");
  EXPECT_EQ(env["ARG0"], "/probe/env");
  EXPECT_EQ(env["ARG1"], "one=1");
  EXPECT_EQ(env["ARG2"], "two=2");

  auto custom = lines_to_map(get("/probe/special?q=1").body);
  EXPECT_EQ(custom["ARG0"], "custom");
  EXPECT_EQ(custom["ARG1"], "/probe/special");
  EXPECT_EQ(custom["ARG2"], "--args");
  EXPECT_EQ(custom["ARG3"], "q=1");
}

TEST_F(UpServer, RequestBodies) {
  Client c(port_);
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/probe/echo", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.body() = big;
  auto r = c.send(std::move(req));
  ASSERT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body.size(), big.size());
  EXPECT_TRUE(r.body == big);

  auto chunked = c.raw("POST /probe/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.status, 200u) << chunked.error;
  EXPECT_EQ(chunked.body, "Wikipedia");
  auto env = lines_to_map(c.raw("POST /probe/env HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nabc\r\n0\r\n\r\n").body);
  EXPECT_EQ(env["CONTENT_LENGTH"], "3");
}

TEST_F(UpServer, StatusAndLocation) {
  auto r = get("/probe/status/418");
  EXPECT_EQ(r.status, 418u);
  EXPECT_EQ(r.body, "status body\n");
  EXPECT_EQ(std::string(r.headers["x-probe"]), "yes");
  EXPECT_EQ(std::string(r.headers["content-type"]), "text/plain");
  auto bad = get("/probe/status/xyz");
  EXPECT_EQ(bad.status, 502u);
  auto loc = get("/probe/redirect");
  EXPECT_EQ(loc.status, 302u);
  EXPECT_EQ(std::string(loc.headers["location"]), "/elsewhere");
}

TEST_F(UpServer, HealthAndInfo) {
  auto h = get("/.well-known/spin/health");
  EXPECT_EQ(h.status, 200u);
  EXPECT_EQ(h.body, "OK");
  auto i = get("/.well-known/spin/info");
  EXPECT_EQ(i.status, 200u);
  EXPECT_NE(i.body.find("\"name\": \"probe-app\""), std::string::npos) << i.body;
  EXPECT_NE(i.body.find("\"version\": \"1.0.0\""), std::string::npos) << i.body;
  EXPECT_EQ(get("/.well-known/spin/nope").status, 404u);
}

TEST_F(UpServer, FailingGuestsAre500AndTheServerStaysUp) {
  for (const char* what : {"/probe/trap", "/probe/exit", "/probe/nocgi", "/probe/silent"}) {
    auto r = get(what);
    EXPECT_EQ(r.status, 500u) << what << " " << r.error;
  }
  EXPECT_EQ(get("/.well-known/spin/health").status, 200u);
  EXPECT_EQ(get("/exact").status, 200u);
  // The log lines come from the log sink's writer thread: wait for them.
  auto err = [&] { return proc_->stderr_text(); };
  EXPECT_TRUE(eventually_contains(err, "/probe/trap")) << err();
  EXPECT_TRUE(eventually_contains(err, "trapped")) << err();
  EXPECT_TRUE(eventually_contains(err, "exited with code 3")) << err();
}

TEST_F(UpServer, InfiniteLoopStopsAtTheTimeout) {
  auto slow = std::async(std::launch::async, [&] { return get("/probe/loop"); });
  EXPECT_EQ(get("/exact").status, 200u);  // served while the loop runs
  auto r = slow.get();
  EXPECT_EQ(r.status, 500u) << r.error;
  EXPECT_TRUE(eventually_contains([&] { return proc_->stderr_text(); }, "time limit"));
  EXPECT_EQ(get("/exact").status, 200u);
}

// A guest blocked in poll_oneoff (sleep) is woken by the time limit too.
TEST_F(UpServer, SleepingGuestStopsAtTheTimeout) {
  auto began = std::chrono::steady_clock::now();
  auto r = get("/probe/sleepforever");
  EXPECT_EQ(r.status, 500u) << r.error;
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
  EXPECT_TRUE(eventually_contains([&] { return proc_->stderr_text(); }, "GET /probe/sleepforever: component `probe` stopped: the request ran past its time limit"));
}

TEST_F(UpServer, StderrIsLogged) {
  EXPECT_EQ(get("/probe/stderr").status, 200u);
  auto log = dir_ / ".spin" / "logs" / "probe_stderr.txt";
  EXPECT_TRUE(eventually_contains([&] { return read_text(log); }, "probe says hello on stderr"));
  EXPECT_TRUE(eventually_contains([&] { return proc_->stderr_text(); }, "probe says hello on stderr"));
}

TEST_F(UpServer, FilesAreMounted) {
  auto r = get("/probe/file");
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("file contents"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("write refused"), std::string::npos) << r.body;  // mounted read-only
  EXPECT_FALSE(fs::exists(dir_ / "assets" / "new.txt"));
}

// Bad manifests: a message with FILE:LINE:COLUMN on stderr and exit code 1.
struct BadCase {
  const char* name;
  std::string toml;
  std::string expect;
};

// Before: each request's guest filled a memfd at ~1 GB/s until its time
// limit. Now the body streams with backpressure: a client that does not
// read holds the guest, not the host's memory.
TEST_F(UpServer, EndlessOutputDoesNotGrowTheHost) {
  uint64_t before = proc_->rss_kib();
  std::vector<std::unique_ptr<RawClient>> readers;
  for (int i = 0; i < 4; ++i) {
    readers.push_back(std::make_unique<RawClient>(port_));
    readers.back()->shrink_receive_buffer();
    readers.back()->send("GET /probe/endless HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  uint64_t during = proc_->rss_kib();
  EXPECT_LT(during, before + 64 * 1024) << "RSS " << before << " KiB -> " << during << " KiB";
  readers.clear();
  EXPECT_EQ(get("/exact").status, 200u);
  auto big = get("/probe/big");  // a streamed body arrives whole
  EXPECT_EQ(big.status, 200u) << big.error;
  EXPECT_EQ(big.body, std::string(5000000, 'b'));
}

TEST_F(UpServer, StderrIsCappedPerRequest) {
  auto r = get("/probe/stderrflood");
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, "flooded\n");
  auto log = dir_ / ".spin" / "logs" / "probe_stderr.txt";
  EXPECT_TRUE(eventually_contains([&] { return read_text(log); }, "bytes of stderr dropped"));
  EXPECT_LT(fs::file_size(log), uint64_t(2) << 20);  // 1 MiB kept of 3 MiB written
}

TEST_F(UpServer, StackExhaustionLogsABoundedBacktrace) {
  auto before = proc_->stderr_text().size();
  EXPECT_EQ(get("/probe/recurse").status, 500u);
  EXPECT_TRUE(eventually_contains([&] { return proc_->stderr_text(); }, "frames omitted"));
  EXPECT_LT(proc_->stderr_text().size() - before, 8000u);
}

TEST_F(UpServer, ClientLeavingStopsItsGuest) {
  {
    RawClient c(port_);
    ASSERT_TRUE(c.connected());
    c.send("GET /probe/loop?left HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Well before the 2 s time limit.
  auto began = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually_contains([&] { return proc_->stderr_text(); }, "the client went away"));
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(1500));
}

TEST_F(UpServer, HugeTableIsAnErrorNotAnAllocation) {
  uint64_t before = proc_->rss_kib();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(get("/table").status, 500u);
  EXPECT_TRUE(eventually_contains([&] { return proc_->stderr_text(); }, "table of 4294967295 elements exceeds"));
  EXPECT_LT(proc_->rss_kib(), before + 64 * 1024);
  EXPECT_EQ(get("/exact").status, 200u);
}

TEST_F(UpServer, EncodedNulInThePathIs400) {
  EXPECT_EQ(get("/probe/a%00b").status, 400u);
  EXPECT_EQ(get("/exact").status, 200u);
}

// 100 CPU-bound requests on one component; another component still answers
// quickly (per-component cap, the rest queued without a thread).
TEST_F(UpServer, CpuFloodDoesNotStarveOtherRoutes) {
  std::vector<std::unique_ptr<RawClient>> flood;
  for (int i = 0; i < 100; ++i) {
    flood.push_back(std::make_unique<RawClient>(port_));
    flood.back()->send("GET /probe/loop?flood HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto began = std::chrono::steady_clock::now();
  auto r = get("/probe/special");
  auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_LT(took, std::chrono::milliseconds(800));
  flood.clear();  // the clients leave: their guests are stopped
}

TEST(UpErrors, BadManifests) {
  std::string src = WHIRL_SPIN_PROBE;
  std::string head = "spin_manifest_version = 2\n[application]\nname = \"bad\"\n";
  std::vector<BadCase> cases = {
      {"unknown", head + "[[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\nexecutor = { type = \"wagi\" }\n"
                         "[component.c]\nsource = \"" + src + "\"\nfoo = 1\n",
       "spin.toml:10:1: unknown field `foo` in [component.c]"},
      {"missing", head + "[[trigger.http]]\nroute = \"/\"\ncomponent = \"nope\"\n",
       "spin.toml:6:13: the HTTP trigger for route `/` uses component `nope`, which is not defined"},
      {"duplicate", head + "[[trigger.http]]\nroute = \"/a\"\ncomponent = \"c\"\n[[trigger.http]]\nroute = \"/a\"\n"
                           "component = \"c\"\n[component.c]\nsource = \"" + src + "\"\n",
       "spin.toml:8:9: duplicate route `/a`"},
      {"route", head + "[[trigger.http]]\nroute = \"/a/.../b\"\ncomponent = \"c\"\n[component.c]\nsource = \"" + src +
                       "\"\n",
       "spin.toml:5:9: bad route `/a/.../b`"},
      {"source", head + "[[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\n[component.c]\nsource = \"gone.wasm\"\n",
       "spin.toml:8:10: component `c`: source file `gone.wasm` not found"},
  };
  for (const auto& bc : cases) {
    auto dir = temp_dir(std::string("bad-") + bc.name);
    write(dir / "spin.toml", bc.toml);
    UpProcess p({WHIRL_BINARY, "up", "-f", (dir / "spin.toml").string(), "--listen", "127.0.0.1:0"},
                (dir / "stderr.txt").string());
    EXPECT_EQ(p.wait_exit(std::chrono::seconds(20)), 1) << bc.name;
    std::string err = p.stderr_text();
    EXPECT_NE(err.find(bc.expect), std::string::npos) << bc.name << ": " << err;
    fs::remove_all(dir);
  }
}

TEST(UpErrors, NoManifest) {
  auto dir = temp_dir("none");
  UpProcess p({WHIRL_BINARY, "up", "-f", dir.string(), "--listen", "127.0.0.1:0"}, (dir / "stderr.txt").string());
  EXPECT_EQ(p.wait_exit(std::chrono::seconds(20)), 1);
  EXPECT_NE(p.stderr_text().find("cannot read the manifest"), std::string::npos) << p.stderr_text();
  fs::remove_all(dir);
}

TEST(UpShutdown, SigtermLetsTheRequestInFlightComplete) {
  auto dir = temp_dir("sigterm");
  write_app(dir);
  UpProcess p({WHIRL_BINARY, "up", "-f", dir.string(), "--listen", "127.0.0.1:0"}, (dir / "stderr.txt").string());
  uint16_t port = p.wait_serving();
  ASSERT_NE(port, 0) << p.stderr_text();
  Client c(port);
  ASSERT_TRUE(c.connected());
  auto reply = std::async(std::launch::async, [&] { return c.get("/probe/sleep", false); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // the request is in the guest now (it sleeps 2 s)
  p.signal(SIGTERM);
  auto r = reply.get();
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, "slept\n");
  EXPECT_EQ(p.wait_exit(std::chrono::seconds(20)), 0);
  EXPECT_FALSE(Client(port).connected());
  fs::remove_all(dir);
}

// SIGTERM with requests queued behind a busy component: the queued ones
// are answered 503 at once, the running one completes.
TEST(UpShutdown, QueuedRequestsGet503AtOnce) {
  auto dir = temp_dir("queued");
  write_app(dir);
  UpProcess p({WHIRL_BINARY, "up", "-f", dir.string(), "--listen", "127.0.0.1:0", "--max-concurrent-per-component", "1"},
              (dir / "stderr.txt").string());
  uint16_t port = p.wait_serving();
  ASSERT_NE(port, 0) << p.stderr_text();
  auto running = std::async(std::launch::async, [&] { return get_once(port, "/probe/sleep"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<std::future<Reply>> queued;
  for (int i = 0; i < 3; ++i)
    queued.push_back(std::async(std::launch::async, [&] { return get_once(port, "/probe/sleep?queued"); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto began = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  for (auto& q : queued) EXPECT_EQ(q.get().status, 503u);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(1000));
  auto r = running.get();
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, "slept\n");
  EXPECT_EQ(p.wait_exit(std::chrono::seconds(20)), 0);
  fs::remove_all(dir);
}

// Out of descriptors, accept fails at once again and again: the server
// backs off (no spinning core), says so once, and serves again when
// descriptors are free.
TEST(UpLimits, OutOfDescriptorsBacksOffAndRecovers) {
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizers' own reporting needs descriptors (pipes to check memory,
  // the symbolizer): out of them, a sanitized whirl ends in the runtime.
  GTEST_SKIP() << "needs descriptors the sanitizer runtime cannot do without";
#endif
  auto dir = temp_dir("emfile");
  write_app(dir);
  UpProcess p({WHIRL_BINARY, "up", "-f", dir.string(), "--listen", "127.0.0.1:0"}, (dir / "stderr.txt").string(), 64);
  uint16_t port = p.wait_serving();
  ASSERT_NE(port, 0) << p.stderr_text();
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 100; ++i) idle.push_back(std::make_unique<RawClient>(port));
  ASSERT_TRUE(eventually_contains([&] { return p.stderr_text(); }, "cannot accept connections"));
  double cpu_before = p.cpu_seconds();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_LT(p.cpu_seconds() - cpu_before, 0.3);  // a spinning accept loop burns the whole second
  std::string err = p.stderr_text();
  size_t first = err.find("cannot accept connections");
  EXPECT_EQ(err.find("cannot accept connections", first + 1), std::string::npos) << err;
  idle.clear();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    served = get_once(port, "/exact").status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(served) << p.stderr_text();
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait_exit(std::chrono::seconds(20)), 0);
  fs::remove_all(dir);
}

// The runtime config's own keys, and the flags that win over them.
TEST(UpRuntimeConfig, LogDirAndMaxInstanceMemory) {
  auto dir = temp_dir("rtconfig");
  write_app(dir);
  write(dir / "rc.toml", "log_dir = \"mylogs\"\nmax_instance_memory = 65536\n");
  auto run = [&](std::vector<std::string> extra, auto check) {
    std::vector<std::string> args = {WHIRL_BINARY, "up", "-f", dir.string(), "--listen", "127.0.0.1:0",
                                     "--runtime-config-file", (dir / "rc.toml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    UpProcess p(args, (dir / "stderr.txt").string());
    uint16_t port = p.wait_serving();
    ASSERT_NE(port, 0) << p.stderr_text();
    check(p, port);
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait_exit(std::chrono::seconds(20)), 0);
  };
  // 64 KiB per instance: the probe's memory does not fit.
  run({}, [](UpProcess& p, uint16_t port) {
    EXPECT_EQ(get_once(port, "/probe/stderr").status, 500u);
    EXPECT_TRUE(eventually_contains([&] { return p.stderr_text(); }, "exceeds the instance memory limit of 64 KiB"));
  });
  // --max-memory wins; the log goes to log_dir (relative to the file).
  run({"--max-memory", std::to_string(64ull << 20)}, [&](UpProcess& p, uint16_t port) {
    EXPECT_EQ(get_once(port, "/probe/stderr").status, 200u) << p.stderr_text();
    EXPECT_TRUE(eventually_contains([&] { return read_text(dir / "mylogs" / "probe_stderr.txt"); },
                                    "probe says hello on stderr"));
  });
  // --log-dir wins over log_dir.
  run({"--max-memory", std::to_string(64ull << 20), "--log-dir", (dir / "flaglogs").string()},
      [&](UpProcess& p, uint16_t port) {
        EXPECT_EQ(get_once(port, "/probe/stderr").status, 200u) << p.stderr_text();
        EXPECT_TRUE(eventually_contains([&] { return read_text(dir / "flaglogs" / "probe_stderr.txt"); },
                                        "probe says hello on stderr"));
      });
  fs::remove_all(dir);
}

}  // namespace
}  // namespace whirl::test
