// The Redis backend (`type = "redis"`) against a redis-server this test
// starts on 127.0.0.1 (private directory, stopped by PID), checked with
// redis-cli as an independent client. (Redis URLs: spin/redis's parser,
// tested in spin_redis_test; as the runtime config reads them: config_test.)
#include "../support/redis_server.h"
#include "spin/key_value/redis_store.h"
#include "store_checks.h"

namespace whirl::test {
namespace {

class RedisStore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new RedisServer();
    started_ = server_->start();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(started_) << "redis-server did not start";
    ASSERT_EQ(server_->cli("FLUSHALL"), "OK");
  }

  static std::shared_ptr<kv::StoreProvider> provider(const std::string& url) {
    auto u = spin::redis::parse_redis_address(url);
    EXPECT_TRUE(u) << u.error().message;
    return kv::redis_provider(*u);
  }

  static RedisServer* server_;
  static bool started_;
};
RedisServer* RedisStore::server_ = nullptr;
bool RedisStore::started_ = false;

TEST_F(RedisStore, Operations) {
  auto p = provider(server_->url());
  EXPECT_EQ(p->summary(), "Redis at 127.0.0.1:" + std::to_string(server_->port()));
  auto s = open_ok(*p, "cache");
  ASSERT_TRUE(s);
  check_basic_operations(*s);
  check_increment(*s);
  check_cas(*s);
}

// What the server holds, seen by redis-cli: keys as written (no label
// prefix, as Spin), counters by INCRBY as decimal text.
TEST_F(RedisStore, ServerSeesTheData) {
  auto s = open_ok(*provider(server_->url()), "cache");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->set("greeting", "hello"));
  EXPECT_EQ(server_->cli("GET greeting"), "hello");
  ASSERT_TRUE(s->increment("hits", 41));
  ASSERT_TRUE(s->increment("hits", 1));
  EXPECT_EQ(server_->cli("GET hits"), "42");
  EXPECT_EQ(server_->cli("SET fromcli outside"), "OK");
  EXPECT_EQ(s->get("fromcli")->value_or("<none>"), "outside");
  ASSERT_TRUE(s->set_many({{"m1", "a"}, {"m2", "b"}}));
  EXPECT_EQ(server_->cli("MGET m1 m2"), "a\nb");
  ASSERT_TRUE(s->delete_many({"m1", "m2"}));
  EXPECT_EQ(server_->cli("EXISTS m1 m2"), "0");
}

// Database number and password from the URL reach the server.
TEST_F(RedisStore, UrlDatabaseAndPassword) {
  auto s = open_ok(*provider(server_->url() + "/3"), "x");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->set("in-db-3", "yes"));
  EXPECT_EQ(server_->cli("-n 3 GET in-db-3"), "yes");
  EXPECT_EQ(server_->cli("GET in-db-3"), "");

  ASSERT_EQ(server_->cli("CONFIG SET requirepass s3cret"), "OK");
  // Without the password: the open connects (as Spin's does), the
  // commands are refused with `other`.
  auto no_pass = open_ok(*provider(server_->url()), "x");
  ASSERT_TRUE(no_pass);
  auto denied = no_pass->set("k", "v");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, kv::StoreError::Kind::Other);
  EXPECT_NE(denied.error().message.find("NOAUTH"), std::string::npos) << denied.error().message;
  auto with_pass = provider("redis://:s3cret@127.0.0.1:" + std::to_string(server_->port()));
  auto s2 = open_ok(*with_pass, "x");
  EXPECT_TRUE(s2 && s2->set("authed", "1"));
  EXPECT_EQ(server_->cli("-a s3cret --no-auth-warning CONFIG SET requirepass ''"), "OK");
}

// An error reply (WRONGTYPE, a non-integer for INCRBY) is `other` with
// the server's text.
TEST_F(RedisStore, ErrorRepliesAreOther) {
  auto s = open_ok(*provider(server_->url()), "x");
  ASSERT_TRUE(s);
  EXPECT_EQ(server_->cli("LPUSH alist 1"), "1");
  auto g = s->get("alist");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().kind, kv::StoreError::Kind::Other);
  EXPECT_NE(g.error().message.find("WRONGTYPE"), std::string::npos) << g.error().message;
  ASSERT_TRUE(s->set("text", "abc"));
  auto i = s->increment("text", 1);
  ASSERT_FALSE(i);
  EXPECT_NE(i.error().message.find("not an integer"), std::string::npos) << i.error().message;
}

// 50 threads incrementing one key: INCRBY is atomic on the server.
TEST_F(RedisStore, ConcurrentIncrements) {
  auto p = provider(server_->url());
  std::vector<std::shared_ptr<kv::Store>> stores{open_ok(*p, "a"), open_ok(*provider(server_->url()), "b")};
  ASSERT_TRUE(stores[0] && stores[1]);
  check_concurrent_increments(stores, "counter", 50, 20);
  EXPECT_EQ(server_->cli("GET counter"), "1000");
}

// A pooled connection the server has closed while idle is not reused:
// the next call connects again and succeeds.
TEST_F(RedisStore, ClosedIdleConnectionsAreNotReused) {
  auto s = open_ok(*provider(server_->url()), "x");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->set("k", "before"));
  EXPECT_NE(server_->cli("CLIENT KILL TYPE normal"), "0");  // the pool's idle connection (not redis-cli's own)
  auto after = s->set("k", "after");
  EXPECT_TRUE(after) << after.error().message;
  EXPECT_EQ(server_->cli("GET k"), "after");
}

// Nothing listening: the first open is an `other` error naming the server.
TEST(RedisStoreDown, OpenFails) {
  uint16_t port = free_port();
  auto u = spin::redis::parse_redis_address("redis://127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(u);
  auto s = kv::redis_provider(*u)->open("x");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, kv::StoreError::Kind::Other);
  EXPECT_NE(s.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace whirl::test
