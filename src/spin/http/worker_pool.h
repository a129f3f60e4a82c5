// The request workers: a few threads (about two per core, so busy requests
// do not time-slice each other into long tail latencies) plus extra threads,
// up to a maximum, when queued requests wait because every worker is held
// by a long-running guest. Extra threads leave after being idle a while.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace whirl::spin::http {

class WorkerPool {
 public:
  using Clock = std::chrono::steady_clock;
  WorkerPool(unsigned core_threads, unsigned max_threads, std::chrono::milliseconds patience);
  ~WorkerPool();

  void submit(std::function<void()> task);
  // Runs what is queued, then ends every thread. Idempotent.
  void join();
  unsigned threads() const;

 private:
  struct Task {
    std::function<void()> fn;
    Clock::time_point queued;
  };
  void work(bool extra);
  void supervise();
  void spawn(bool extra);  // with mu_ held

  unsigned core_, max_;
  std::chrono::milliseconds patience_;
  mutable std::mutex mu_;
  std::condition_variable cv_, sup_cv_;
  std::deque<Task> queue_;
  unsigned threads_ = 0, idle_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> all_;
  std::thread supervisor_;
};

}  // namespace whirl::spin::http
