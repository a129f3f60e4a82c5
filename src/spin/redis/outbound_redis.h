// Outbound Redis, Spin's factor-outbound-redis: a component opens
// connections to Redis servers its `allowed_outbound_hosts` grants
// (`redis://host:port`, `rediss://...`; anything else is refused with
// `invalid-address` before any connection is made) and runs commands.
//
//   fermyon:spin/redis@2.0.0  resource connection: open, publish, get, set,
//                             incr, del, sadd, srem, smembers, execute
//   fermyon:spin/redis        Spin 1's functions taking the address each
//                             call (one connection per call), with
//                             fermyon:spin/redis-types
//
// spin:redis/redis@3.0.0 (Spin 4) is made of `async func`s for WASI 0.3
// guests, which whirl's component runtime cannot run yet: not linked.
#pragma once

#include "spin/factor/factor.h"

namespace whirl::spin {

const Factor& outbound_redis_factor();

}  // namespace whirl::spin
