#include <pthread.h>

#include <atomic>
#include <thread>

#include "spin/redis_trigger/redis_trigger.h"

namespace whirl::spin::redis {

int serve_until_signal(http::HttpServer& server, http::HttpTrigger& trigger, RedisTrigger* redis,
                       const sigset_t& signals) {
  std::atomic<bool> done{false};
  std::atomic<int> first_signal{0};
  // First signal: graceful stop. A second one: stop the running guests now.
  std::thread waiter([&] {
    for (int n = 0; !done; ++n) {
      int sig = 0;
      sigwait(&signals, &sig);
      if (done) break;
      if (n == 0) {
        first_signal = sig;
        server.request_stop();
        if (redis) redis->request_stop();
      } else {
        trigger.interrupt_all();
        if (redis) redis->interrupt_all();
      }
    }
  });
  server.run([&] {
    trigger.interrupt_all();
    if (redis) redis->interrupt_all();
  });
  if (redis) redis->shutdown(std::chrono::seconds(0));  // the server's grace period is over
  done = true;
  pthread_kill(waiter.native_handle(), SIGTERM);  // wakes sigwait if no signal came
  waiter.join();
  return first_signal;
}

}  // namespace whirl::spin::redis
