// The Redis address parser (redis-rs's URL rules, which Spin's addresses
// follow) and the client against a real redis-server.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "spin/redis/address.h"
#include "spin/redis/client.h"
#include "../../support/loopback_server.h"
#include "../support/redis_server.h"

namespace whirl::spin::redis {
namespace {

TEST(RedisAddress, Parses) {
  auto a = parse_redis_address("redis://localhost");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 6379);
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->db, 0);
  EXPECT_EQ(a->display(), "localhost:6379");

  a = parse_redis_address("rediss://us%65r:p%40ss@cache.example.com:6380/3#insecure");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(a->tls);
  EXPECT_TRUE(a->insecure);
  EXPECT_EQ(a->username, "user");
  EXPECT_EQ(a->password, "p@ss");
  EXPECT_EQ(a->host, "cache.example.com");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 3);

  a = parse_redis_address("redis://:secret@[::1]:7000/");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->password, "secret");
  EXPECT_TRUE(a->username.empty());
  EXPECT_EQ(a->display(), "[::1]:7000");

  a = parse_redis_address("redis+unix:///run/redis.sock?db=2&pass=x");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->unix_path, "/run/redis.sock");
  EXPECT_EQ(a->db, 2);
  EXPECT_EQ(a->password, "x");
}

TEST(RedisAddress, Refuses) {
  EXPECT_FALSE(parse_redis_address("localhost:6379"));        // no scheme
  EXPECT_FALSE(parse_redis_address("http://localhost:6379"));  // not Redis
  EXPECT_FALSE(parse_redis_address("redis://"));               // no host
  EXPECT_FALSE(parse_redis_address("redis://h:99999"));        // port
  EXPECT_FALSE(parse_redis_address("redis://h:6379/x"));       // database
  auto bad = parse_redis_address("redis://:hunter2@");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.find("hunter2"), std::string::npos);  // a password is never echoed
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_redis_server()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh)";
    ASSERT_TRUE(server_.start());
  }
  test::RedisServer server_;
};

TEST_F(RedisClientTest, CommandsAndReplies) {
  auto addr = parse_redis_address(server_.url() + "/2");
  ASSERT_TRUE(addr);
  auto c = RedisConnection::open(*addr, {});
  ASSERT_TRUE(c) << c.error().message;
  auto r = (*c)->command({"SET", "k", std::string("a\0b", 3)}, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, RedisReply::Kind::Status);
  EXPECT_EQ(r->str, "OK");
  r = (*c)->command({"GET", "k"}, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, RedisReply::Kind::Bulk);
  EXPECT_EQ(r->str, std::string("a\0b", 3));
  r = (*c)->command({"GET", "missing"}, {});
  EXPECT_EQ(r->kind, RedisReply::Kind::Nil);
  r = (*c)->command({"INCR", "k"}, {});
  EXPECT_EQ(r->kind, RedisReply::Kind::Error);
  EXPECT_EQ(describe_error_reply(r->str),
            "An error was signalled by the server - ResponseError: value is not an integer or out of range");
  r = (*c)->command({"RPUSH", "l", "x", "y"}, {});
  EXPECT_EQ(r->kind, RedisReply::Kind::Integer);
  EXPECT_EQ(r->integer, 2);
  r = (*c)->command({"LRANGE", "l", "0", "-1"}, {});
  ASSERT_EQ(r->kind, RedisReply::Kind::Array);
  ASSERT_EQ(r->elements.size(), 2u);
  EXPECT_EQ(r->elements[1].str, "y");

  // The database in the address was selected: the key is in db 2 only.
  test::RedisClient mine(server_.port());
  EXPECT_EQ(mine.command({"GET", "k"}).type, REDIS_REPLY_NIL);
  mine.command({"SELECT", "2"});
  EXPECT_EQ(mine.command({"GET", "k"}).str, std::string("a\0b", 3));
}

TEST_F(RedisClientTest, Password) {
  test::RedisClient admin(server_.port());
  admin.command({"CONFIG", "SET", "requirepass", "s3cret"});
  auto wrong = RedisConnection::open(*parse_redis_address(server_.url()), {});
  ASSERT_TRUE(wrong);  // no password: connected, but commands are refused
  EXPECT_EQ((*wrong)->command({"GET", "x"}, {})->kind, RedisReply::Kind::Error);
  auto bad = RedisConnection::open(*parse_redis_address("redis://:nope@127.0.0.1:" + std::to_string(server_.port())), {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("authentication failed"), std::string::npos) << bad.error().message;
  auto good =
      RedisConnection::open(*parse_redis_address("redis://:s3cret@127.0.0.1:" + std::to_string(server_.port())), {});
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ((*good)->command({"PING"}, {})->str, "PONG");
}

TEST_F(RedisClientTest, RefusedAndCancelled) {
  auto refused = RedisConnection::open(*parse_redis_address("redis://127.0.0.1:" + std::to_string(test::free_port())), {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("Connection refused (os error 111)"), std::string::npos)
      << refused.error().message;

  // A blocked read gives up once Cancel says so.
  auto c = RedisConnection::open(*parse_redis_address(server_.url()), {});
  ASSERT_TRUE(c);
  auto start = std::chrono::steady_clock::now();
  auto r = (*c)->command({"BLPOP", "nothing", "0"}, [&] {
    return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(200);
  });
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(RedisClientTest, ServerGoneIsAnError) {
  auto c = RedisConnection::open(*parse_redis_address(server_.url()), {});
  ASSERT_TRUE(c);
  server_.stop();
  auto r = (*c)->command({"PING"}, {});
  EXPECT_FALSE(r);
  EXPECT_FALSE(r ? false : r.error().cancelled);
}

// rediss://: a server with a certificate from a CA made here by the
// openssl command; verified against that CA, refused without it, taken
// as is with #insecure.
TEST(RedisTls, VerifiesTheServer) {
  if (!test::have_redis_server()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh)";
  char tmpl[] = "/tmp/whirl-redis-tls-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string d = tmpl;
  int rc = test::make_test_certs(d).empty() ? 1 : 0;
  if (rc != 0) {
    std::filesystem::remove_all(d);
    GTEST_SKIP() << "the openssl command is not available";
  }
  {
    test::RedisServer server;
    server.use_tls(d + "/server.pem", d + "/server.key");
    ASSERT_TRUE(server.start());
    std::string url = "rediss://127.0.0.1:" + std::to_string(server.port());
    ClientOptions trusted;
    trusted.extra_ca_file = d + "/ca.pem";
    auto c = RedisConnection::open(*parse_redis_address(url), {}, trusted);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ((*c)->command({"SET", "k", "over tls"}, {})->str, "OK");
    EXPECT_EQ((*c)->command({"GET", "k"}, {})->str, "over tls");

    ClientOptions untrusted;  // the system store only
    unsetenv("WHIRL_OUTBOUND_EXTRA_CA");
    auto refused = RedisConnection::open(*parse_redis_address(url), {}, untrusted);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("certificate verification failed"), std::string::npos)
        << refused.error().message;
    auto insecure = RedisConnection::open(*parse_redis_address(url + "#insecure"), {}, untrusted);
    ASSERT_TRUE(insecure) << insecure.error().message;
    EXPECT_EQ((*insecure)->command({"GET", "k"}, {})->str, "over tls");
  }
  std::filesystem::remove_all(d);
}

}  // namespace
}  // namespace whirl::spin::redis
