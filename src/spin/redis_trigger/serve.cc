#include "platform/signal_waiter.h"
#include "spin/redis_trigger/redis_trigger.h"

namespace whirl::spin::redis {

int serve_until_signal(http::HttpServer& server, http::HttpTrigger& trigger, RedisTrigger* redis,
                       const sigset_t& signals) {
  // First signal: graceful stop. A second one: stop the running guests now.
  platform::SignalWaiter waiter(
      signals,
      [&] {
        server.request_stop();
        if (redis) redis->request_stop();
      },
      [&] {
        trigger.interrupt_all();
        if (redis) redis->interrupt_all();
      });
  server.run([&] {
    trigger.interrupt_all();
    if (redis) redis->interrupt_all();
  });
  if (redis) redis->shutdown(std::chrono::seconds(0));  // the server's grace period is over
  return waiter.first_signal();
}

}  // namespace whirl::spin::redis
