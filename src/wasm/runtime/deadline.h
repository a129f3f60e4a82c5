// Stops a store's running code when a wall-clock limit passes, unless
// destroyed first: a thread of its own waits out the limit (for one-off
// runs: `whirl run --timeout`, a snapshot's initialization; servers share
// one deadline thread, spin/http/watchdog.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "wasm/runtime/runtime.h"

namespace whirl::wasm {

class Deadline {
 public:
  // `limit` zero or less: none.
  Deadline(Store& store, std::chrono::duration<double> limit) {
    if (limit.count() <= 0) return;
    thread_ = std::thread([this, &store, limit] {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, limit, [this] { return done_; })) store.interrupt();
    });
  }
  ~Deadline() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

 private:
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

}  // namespace whirl::wasm
