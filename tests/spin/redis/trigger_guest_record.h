// What the Redis trigger guest (trigger_guest.h) recorded in the server it
// was given: its counter of handled messages and the set of payloads.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "../support/redis_server.h"

namespace whirl::test {

// Waits (at most 30 s) until the guest's counter reaches `n`; true if it
// is then exactly `n`.
inline bool wait_guest_count(uint16_t port, long long n) {
  RedisClient c(port);
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < end) {
    auto r = c.command({"GET", "count"});
    if (r.type == REDIS_REPLY_STRING && std::stoll(r.str) >= n) return std::stoll(r.str) == n;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// The payloads it handled.
inline std::set<std::string> guest_handled(uint16_t port) {
  RedisClient c(port);
  auto r = c.command({"SMEMBERS", "handled"});
  return std::set<std::string>(r.elements.begin(), r.elements.end());
}

}  // namespace whirl::test
