// Key-value stores in Redis (runtime config `type = "redis"`, `url`), as
// Spin's key-value-redis keeps them: keys as they are (every label on one
// server shares its keyspace), values as strings, counters by INCRBY
// (decimal text), compare-and-swap by WATCH/MULTI/EXEC on a connection of
// its own.
#pragma once

#include <memory>
#include <string>

#include "spin/key_value/redis_client.h"
#include "spin/key_value/store.h"

namespace whirl::spin::key_value {

// Connects at the first open (a server that is down then is an `other`
// error of that open, not a startup error, as in Spin).
std::shared_ptr<StoreProvider> redis_provider(RedisUrl url);

}  // namespace whirl::spin::key_value
