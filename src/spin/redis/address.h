// A Redis connection address as Spin's Redis client (redis-rs) reads it:
// `redis://[user[:password]@]host[:port][/db]`, `rediss://...` for TLS
// (`#insecure`: no certificate check), `redis+unix:///path` or
// `unix:///path` for a Unix socket (`?db=N&user=..&pass=..`). The port
// defaults to 6379, the database to 0; user and password are
// percent-decoded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace whirl::spin::redis {

struct RedisAddress {
  bool tls = false;
  bool insecure = false;     // rediss://...#insecure: the certificate is not checked
  std::string host;          // without IPv6 brackets; empty for a Unix socket
  uint16_t port = 6379;
  std::string unix_path;     // a Unix socket (host empty)
  std::string username, password;  // empty: none
  int64_t db = 0;

  // "host:port" or the socket path, as Spin prints a server address.
  std::string display() const;
};

// An error says what is wrong with `url` (the text is not repeated when it
// may hold a password).
Expected<RedisAddress> parse_redis_address(std::string_view url);

}  // namespace whirl::spin::redis
