// `whirl up` with the JS key-value guest: data kept across a restart and a
// `kill -9` in the middle of writes, 50 concurrent requests updating one
// key on both backends (SQLite and a redis-server started here, checked
// with redis-cli), and startup errors (a bad runtime config with
// file:line:column, a granted store nobody defines) that stop whirl up.
#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "../support/redis_server.h"
#include "up_app.h"

namespace whirl::test {
namespace {

// `n` requests to `target` at once, one connection each: the bodies of
// the 200 answers (a failed request adds its error instead).
std::vector<std::string> concurrently(uint16_t port, const std::string& target, int n) {
  std::vector<std::string> bodies(static_cast<size_t>(n));
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i)
    ts.emplace_back([&, i] {
      Reply r = get_once(port, target);
      bodies[size_t(i)] = r.status == 200 ? r.body : "failed: " + std::to_string(r.status) + " " + r.error + r.body;
    });
  for (auto& t : ts) t.join();
  return bodies;
}

// The answers are the numbers 1..n, each once (every update counted and
// seen by exactly one request).
void expect_one_to_n(const std::vector<std::string>& bodies, int n) {
  std::set<long> seen;
  for (const auto& b : bodies) {
    char* end = nullptr;
    long v = std::strtol(b.c_str(), &end, 10);
    EXPECT_TRUE(end != b.c_str()) << b;
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), size_t(n));
  if (!seen.empty()) {
    EXPECT_EQ(*seen.begin(), 1);
    EXPECT_EQ(*seen.rbegin(), n);
  }
}

TEST(UpKeyValueState, DataSurvivesRestart) {
  WHIRL_REQUIRE_JS_GUEST(kv_guest());
  KvApp app("restart", kv_manifest(R"(["default"])"));
  ASSERT_NE(app.start(), 0) << app.stderr_text();
  json r = app.run(json::parse(R"([
    {"api":"v2","op":"open","store":"default"},
    {"api":"v2","op":"set","h":0,"key":"kept","value":"across restarts"},
    {"api":"wasi","op":"open","store":"default"},
    {"api":"wasi","op":"incr","h":1,"key":"n","delta":7}
  ])"));
  ASSERT_EQ(r.size(), 4u) << r;
  EXPECT_EQ(app.stop(), 0);
  ASSERT_NE(app.start(), 0) << app.stderr_text();
  r = app.run(json::parse(R"([
    {"api":"v2","op":"open","store":"default"},
    {"api":"v2","op":"get","h":0,"key":"kept"},
    {"api":"wasi","op":"open","store":"default"},
    {"api":"wasi","op":"incr","h":1,"key":"n","delta":1}
  ])"));
  ASSERT_EQ(r.size(), 4u) << r;
  EXPECT_EQ(r[1], ok("across restarts"));
  EXPECT_EQ(r[3], ok("8"));
}

// Writers keep setting keys while whirl up is killed (SIGKILL): after a
// restart every write that was answered is there, and the file is sound.
TEST(UpKeyValueState, WritesAnsweredBeforeKill9AreKept) {
  WHIRL_REQUIRE_JS_GUEST(kv_guest());
  KvApp app("kill9", kv_manifest(R"(["default"])"));
  uint16_t port = app.start();
  ASSERT_NE(port, 0) << app.stderr_text();
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < 2000 && !stop; ++i) {
        std::string key = "w" + std::to_string(w) + "-" + std::to_string(i);
        Reply r = get_once(port, "/set?store=default&key=" + key + "&value=v" + key);
        if (r.status != 200) break;  // the server is gone
        std::lock_guard lock(mu);
        acked.push_back(key);
      }
    });
  // Kill it mid-stream, once a good number of writes went through (bounded: 60 s).
  for (int i = 0; i < 600; ++i) {
    {
      std::lock_guard lock(mu);
      if (acked.size() >= 60) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  app.process().signal(SIGKILL);
  EXPECT_EQ(app.process().wait_exit(std::chrono::seconds(10)), 128 + SIGKILL);
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_GE(acked.size(), 60u);

  fs::path db = app.dir() / ".spin" / "sqlite_key_value.db";
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
  sqlite3_finalize(st);
  sqlite3_close(h);

  ASSERT_NE(app.start(), 0) << app.stderr_text();
  json keys = json::array();
  for (const auto& k : acked) keys.push_back(k);
  json r = app.run(json::array({json{{"api", "wasi"}, {"op", "open"}, {"store", "default"}},
                                json{{"api", "wasi"}, {"op", "get-many"}, {"h", 0}, {"keys", keys}}}));
  ASSERT_EQ(r.size(), 2u) << r;
  ASSERT_TRUE(r[1].contains("ok")) << r[1];
  std::set<std::string> found;
  for (const auto& pair : r[1]["ok"]) {
    EXPECT_EQ(pair[1], "v" + pair[0].get<std::string>());
    found.insert(pair[0].get<std::string>());
  }
  for (const auto& k : acked) EXPECT_TRUE(found.count(k)) << "answered write of " << k << " lost";
}

// 50 requests at once incrementing one key (atomics.increment), then 50
// doing cas/swap loops on another: none lost, each sees its own value.
TEST(UpKeyValueState, FiftyConcurrentUpdatesSqlite) {
  WHIRL_REQUIRE_JS_GUEST(kv_guest());
  KvApp app("concurrent", kv_manifest(R"(["default"])"));
  uint16_t port = app.start();
  ASSERT_NE(port, 0) << app.stderr_text();
  expect_one_to_n(concurrently(port, "/incr?store=default&key=hits", 50), 50);
  std::vector<std::string> cas = concurrently(port, "/cas-incr?store=default&key=casval", 50);
  for (auto& b : cas) b = b.substr(0, b.find(' '));  // "VALUE TRIES"
  expect_one_to_n(cas, 50);
  json r = app.run(json::parse(R"([{"api":"wasi","op":"open","store":"default"},
                                   {"api":"wasi","op":"incr","h":0,"key":"hits","delta":0},
                                   {"api":"wasi","op":"get","h":0,"key":"casval"}])"));
  ASSERT_EQ(r.size(), 3u) << r;
  EXPECT_EQ(r[1], ok("50"));
  EXPECT_EQ(r[2], ok("50"));
}

// A Redis store from the runtime config: what the guest writes is what
// redis-cli reads, and 50 concurrent increments and cas loops are exact.
TEST(UpKeyValueState, RedisStore) {
  WHIRL_REQUIRE_JS_GUEST(kv_guest());
  RedisServer redis;
  ASSERT_TRUE(redis.start()) << "redis-server did not start";
  KvApp app("redis", kv_manifest(R"(["cache"])"),
            "[key_value_store.cache]\ntype = \"redis\"\nurl = \"" + redis.url() + "\"\n");
  uint16_t port = app.start();
  ASSERT_NE(port, 0) << app.stderr_text();
  json r = app.run(json::parse(R"([
    {"api":"v2","op":"open","store":"cache"},
    {"api":"v2","op":"set","h":0,"key":"greeting","value":"hello redis"},
    {"api":"wasi","op":"open","store":"cache"},
    {"api":"wasi","op":"get","h":1,"key":"fromcli"},
    {"api":"wasi","op":"set-many","h":1,"pairs":[["m1","a"],["m2","b"]]},
    {"api":"wasi","op":"get-many","h":1,"keys":["m2","none","m1"]},
    {"api":"v2","op":"open","store":"default"}
  ])"));
  ASSERT_EQ(r.size(), 7u) << r;
  EXPECT_EQ(redis.cli("GET greeting"), "hello redis");
  EXPECT_EQ(r[3], ok(nullptr));
  EXPECT_EQ(r[5], ok(json::array({json::array({"m2", "b"}), json::array({"m1", "a"})})));
  EXPECT_EQ(err_tag(r[6]), "access-denied");

  expect_one_to_n(concurrently(port, "/incr?store=cache&key=hits", 50), 50);
  EXPECT_EQ(redis.cli("GET hits"), "50");  // INCRBY: decimal text
  std::vector<std::string> cas = concurrently(port, "/cas-incr?store=cache&key=casval", 50);
  for (auto& b : cas) b = b.substr(0, b.find(' '));
  expect_one_to_n(cas, 50);
  EXPECT_EQ(redis.cli("GET casval"), "50");

  // The server stops: operations fail with `other`, whirl up serves on.
  redis.stop();
  r = app.run(json::parse(R"([{"api":"wasi","op":"open","store":"cache"},
                              {"api":"wasi","op":"get","h":0,"key":"greeting"}])"));
  ASSERT_EQ(r.size(), 2u) << r;
  EXPECT_EQ(err_tag(r[1]), "other") << r;
}

// --key-value KEY=VALUE sets the default store before serving (split at
// the first `=`, overwriting), and whirl up says where the default store
// is, as spin up does.
TEST(UpKeyValueState, KeyValueOptionSeedsTheDefaultStore) {
  WHIRL_REQUIRE_JS_GUEST(kv_guest());
  KvApp app("seed", kv_manifest(R"(["default"])"));
  ASSERT_NE(app.start({"--key-value", "a=1", "--key-value", "b=x=y", "--key-value", "a=2", "--key-value", "empty="}), 0)
      << app.stderr_text();
  json r = app.run(json::parse(R"([{"api":"v2","op":"open","store":"default"},
                                   {"api":"v2","op":"get","h":0,"key":"a"},
                                   {"api":"v2","op":"get","h":0,"key":"b"},
                                   {"api":"v2","op":"get","h":0,"key":"empty"}])"));
  ASSERT_EQ(r.size(), 4u) << r;
  EXPECT_EQ(r[1], ok("2"));
  EXPECT_EQ(r[2], ok("x=y"));
  EXPECT_EQ(r[3], ok(""));
  EXPECT_NE(app.stderr_text().find("Storing default key-value data to \"" +
                                   (app.dir() / ".spin" / "sqlite_key_value.db").string() + "\"."),
            std::string::npos)
      << app.stderr_text();
  EXPECT_EQ(app.stop(), 0);

  EXPECT_EQ(app.start({"--key-value", "novalue"}), 0);
  EXPECT_NE(app.process().wait_exit(std::chrono::seconds(30)), 0);
  EXPECT_NE(app.stderr_text().find("Key/Values must be of the form `key=value`"), std::string::npos)
      << app.stderr_text();
}

// Startup errors stop whirl up with a non-zero exit and a message naming
// the file, line and column.
TEST(UpKeyValueState, BadRuntimeConfigStopsStartup) {
  WHIRL_REQUIRE_JS_GUEST(kv_guest());
  KvApp app("badrc", kv_manifest(R"(["default"])"),
            "[key_value_store.x]\ntype = \"nosuch\"\n");
  EXPECT_EQ(app.start(), 0);
  EXPECT_NE(app.process().wait_exit(std::chrono::seconds(30)), 0);
  std::string err = app.stderr_text();
  EXPECT_NE(err.find((app.dir() / "rc.toml").string() + ":2:8: key-value store `x`: type \"nosuch\""),
            std::string::npos)
      << err;
}

TEST(UpKeyValueState, GrantedStoreNotDefinedStopsStartup) {
  WHIRL_REQUIRE_JS_GUEST(kv_guest());
  KvApp app("undefined", kv_manifest(R"(["default", "missing"])"));
  EXPECT_EQ(app.start(), 0);
  EXPECT_NE(app.process().wait_exit(std::chrono::seconds(30)), 0);
  std::string err = app.stderr_text();
  EXPECT_NE(err.find("spin.toml:"), std::string::npos) << err;
  EXPECT_NE(err.find("component `web` is granted key-value store `missing`"), std::string::npos) << err;
}

}  // namespace
}  // namespace whirl::test
