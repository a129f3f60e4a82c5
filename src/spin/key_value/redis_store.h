// Key-value stores in Redis (runtime config `type = "redis"`, `url`), as
// Spin's key-value-redis keeps them: keys as they are (every label on one
// server shares its keyspace), values as strings, counters by INCRBY
// (decimal text), compare-and-swap by WATCH/MULTI/EXEC on a connection of
// its own. Connections are spin/redis's client (the one outbound Redis and
// the Redis trigger use), pooled here.
#pragma once

#include <memory>
#include <string>

#include "spin/key_value/store.h"
#include "spin/redis/address.h"

namespace whirl::spin::key_value {

// Connects at the first open (a server that is down then is an `other`
// error of that open, not a startup error, as in Spin).
std::shared_ptr<StoreProvider> redis_provider(redis::RedisAddress address);

}  // namespace whirl::spin::key_value
