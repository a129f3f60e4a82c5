// A small Redis client over hiredis for the key-value store: URLs as the
// `redis` crate Spin uses reads them, blocking connections with connect
// and command timeouts, and a pool shared by the threads serving requests.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/expected.h"

struct redisContext;

namespace whirl::spin::key_value {

// redis://[[user:]password@]host[:port][/db] and
// redis+unix:///path[?db=N&user=U&pass=P] (also unix:///path).
struct RedisUrl {
  std::string host;  // TCP; empty for a Unix socket
  uint16_t port = 6379;
  std::string socket_path;  // Unix socket
  std::string user, password;
  int64_t db = 0;
  std::string display;  // "host:port" or the socket path, for messages

  // rediss:// (TLS) is refused: hiredis here is built without TLS.
  static Expected<RedisUrl> parse(const std::string& url);
};

struct RedisReply {
  enum class Type { String, Array, Integer, Nil, Status, Error };
  Type type = Type::Nil;
  std::string str;  // String, Status, Error
  int64_t integer = 0;
  std::vector<RedisReply> elements;
};

class RedisConnection {
 public:
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects, authenticates and selects the database.
  static Expected<std::unique_ptr<RedisConnection>> connect(const RedisUrl& url);
  // One command; an error is the connection failing (then broken()). A
  // Redis error reply is a reply of Type::Error.
  Expected<RedisReply> command(const std::vector<std::string>& args);
  bool broken() const { return broken_; }
  // Whether an idle connection still looks open (the server has not
  // closed it: nothing to read on it).
  bool alive() const;

 private:
  explicit RedisConnection(redisContext* c) : ctx_(c) {}
  redisContext* ctx_ = nullptr;
  bool broken_ = false;
};

// Connections to one server, made as needed and kept for reuse.
class RedisPool {
 public:
  explicit RedisPool(RedisUrl url) : url_(std::move(url)) {}
  const RedisUrl& url() const { return url_; }
  // Runs one command on a pooled connection. A connection error, or an
  // error reply, is an Error naming the server.
  Expected<RedisReply> command(const std::vector<std::string>& args);
  Expected<std::unique_ptr<RedisConnection>> take();
  void give_back(std::unique_ptr<RedisConnection> c);

 private:
  RedisUrl url_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
};

}  // namespace whirl::spin::key_value
