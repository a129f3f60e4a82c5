// A small blocking Redis client: one connection over TCP, TLS (OpenSSL,
// system CA store) or a Unix socket, commands sent as RESP arrays and
// replies parsed by hiredis's reader. Every wait is cut into short slices
// that ask `Cancel` whether to give up, so a guest's time limit or a
// shutdown reaches a call blocked on the network. Used by outbound Redis
// (one connection per `connection.open`), the Redis trigger's subscriber
// and the key-value factor's Redis stores (a pool of connections).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "spin/redis/address.h"

namespace whirl::spin::redis {

struct RedisReply {
  enum class Kind : uint8_t { Nil, Status, Error, Integer, Bulk, Array };
  Kind kind = Kind::Nil;
  std::string str;  // Status, Error, Bulk
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // Array
};

struct ClientError {
  std::string message;
  bool cancelled = false;  // Cancel said stop: not the server's doing
};
template <class T>
using ClientResult = Expected<T, ClientError>;

// Asked between waits: true means stop now.
using Cancel = std::function<bool()>;

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{10000};
  // PEM CAs trusted for rediss:// besides the system store; empty:
  // $WHIRL_OUTBOUND_EXTRA_CA if set (tests with their own CA).
  std::string extra_ca_file;
};

class RedisConnection {
 public:
  // Connects, shakes hands (TLS), authenticates (AUTH) and selects the
  // database, as redis-rs does for an address.
  static ClientResult<std::unique_ptr<RedisConnection>> open(const RedisAddress& address, const Cancel& cancel,
                                                             const ClientOptions& options = {});
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and reads its reply (a server error is a reply of
  // Kind::Error, not a ClientError).
  ClientResult<RedisReply> command(const std::vector<std::string>& argv, const Cancel& cancel);
  ClientResult<void> send(const std::vector<std::string>& argv, const Cancel& cancel);
  // The next reply; none if nothing whole arrived within `wait`.
  ClientResult<std::optional<RedisReply>> read(std::chrono::milliseconds wait, const Cancel& cancel);
  // Whether an idle connection may be used again, without waiting: the
  // server has not closed it and sent nothing unasked for (a pool asks
  // before reuse). TLS records that carry no data (session tickets) do
  // not count.
  bool idle_ok();

 private:
  RedisConnection();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "ERR: value is not an integer" from an error reply's text (its code, then its detail).
std::string describe_error_reply(const std::string& text);

}  // namespace whirl::spin::redis
