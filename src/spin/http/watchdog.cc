#include "spin/http/watchdog.h"

#include <vector>

namespace whirl::spin::http {

void InterruptSlot::attach(wasm::Store* store) {
  std::lock_guard lock(mu_);
  store_ = store;
  if (fired_ && store_) store_->interrupt();
}

void InterruptSlot::detach() {
  std::lock_guard lock(mu_);
  store_ = nullptr;
}

void InterruptSlot::fire() {
  std::lock_guard lock(mu_);
  fired_ = true;
  if (store_) store_->interrupt();
}

bool InterruptSlot::fired() const {
  std::lock_guard lock(mu_);
  return fired_;
}

Watchdog::Watchdog() : thread_([this] { loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t Watchdog::arm(Clock::time_point deadline, std::shared_ptr<InterruptSlot> slot) {
  std::lock_guard lock(mu_);
  uint64_t ticket = next_++;
  bool earliest = armed_.empty() || deadline < armed_.begin()->first;
  armed_.emplace(deadline, std::make_pair(ticket, std::move(slot)));
  if (earliest) cv_.notify_all();
  return ticket;
}

void Watchdog::cancel(uint64_t ticket) {
  std::lock_guard lock(mu_);
  for (auto it = armed_.begin(); it != armed_.end(); ++it)
    if (it->second.first == ticket) {
      armed_.erase(it);
      return;
    }
}

void Watchdog::fire_all() {
  std::vector<std::shared_ptr<InterruptSlot>> due;
  {
    std::lock_guard lock(mu_);
    for (auto& [_, e] : armed_) due.push_back(e.second);
    armed_.clear();
  }
  for (auto& s : due) s->fire();
}

void Watchdog::loop() {
  std::unique_lock lock(mu_);
  while (!done_) {
    if (armed_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = armed_.begin()->first;
    if (Clock::now() < first) {
      cv_.wait_until(lock, first);
      continue;
    }
    std::vector<std::shared_ptr<InterruptSlot>> due;
    while (!armed_.empty() && armed_.begin()->first <= Clock::now()) {
      due.push_back(armed_.begin()->second.second);
      armed_.erase(armed_.begin());
    }
    lock.unlock();
    for (auto& s : due) s->fire();
    lock.lock();
  }
}

}  // namespace whirl::spin::http
