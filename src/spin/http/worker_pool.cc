#include "spin/http/worker_pool.h"

namespace whirl::spin::http {

WorkerPool::WorkerPool(unsigned core_threads, unsigned max_threads, std::chrono::milliseconds patience)
    : core_(std::max(1u, core_threads)), max_(std::max(core_, max_threads)), patience_(patience) {
  std::lock_guard lock(mu_);
  for (unsigned i = 0; i < core_; ++i) spawn(false);
  supervisor_ = std::thread([this] { supervise(); });
}

WorkerPool::~WorkerPool() { join(); }

void WorkerPool::spawn(bool extra) {
  ++threads_;
  all_.emplace_back([this, extra] { work(extra); });
}

void WorkerPool::submit(std::function<void()> task) {
  std::lock_guard lock(mu_);
  queue_.push_back({std::move(task), Clock::now()});
  cv_.notify_one();
  if (idle_ == 0) sup_cv_.notify_one();
}

unsigned WorkerPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_;
}

void WorkerPool::work(bool extra) {
  std::unique_lock lock(mu_);
  while (true) {
    ++idle_;
    bool got = extra ? cv_.wait_for(lock, std::chrono::seconds(2), [&] { return stopping_ || !queue_.empty(); })
                     : (cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); }), true);
    --idle_;
    if (queue_.empty() && (stopping_ || !got)) break;
    Task t = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    t.fn();
    lock.lock();
  }
  --threads_;
}

void WorkerPool::supervise() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty() || idle_ > 0) {
      sup_cv_.wait(lock);
      continue;
    }
    // Work is queued and nobody is free: give the workers some patience,
    // then add a thread if the oldest request is still waiting.
    auto waited = Clock::now() - queue_.front().queued;
    if (waited < patience_) {
      sup_cv_.wait_for(lock, patience_ - waited);
      continue;
    }
    if (threads_ < max_) spawn(true);
    sup_cv_.wait_for(lock, patience_);
  }
}

void WorkerPool::join() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && all_.empty() && !supervisor_.joinable()) return;
    stopping_ = true;
    threads.swap(all_);
  }
  cv_.notify_all();
  sup_cv_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  for (auto& t : threads) t.join();
  // Threads spawned while joining (none after stopping_) are covered above.
}

}  // namespace whirl::spin::http
