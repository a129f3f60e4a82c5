#include "spin/http/watchdog.h"

#include <vector>

namespace whirl::spin::http {

void InterruptSlot::attach(wasm::Store* store) {
  std::lock_guard lock(mu_);
  store_ = store;
  if (reason_ != Reason::None && store_) store_->interrupt();
}

void InterruptSlot::detach() {
  std::lock_guard lock(mu_);
  store_ = nullptr;
}

void InterruptSlot::fire(Reason why) {
  std::lock_guard lock(mu_);
  if (reason_ == Reason::None) reason_ = why;
  if (store_) store_->interrupt();
}

bool InterruptSlot::fired() const {
  std::lock_guard lock(mu_);
  return reason_ != Reason::None;
}

InterruptSlot::Reason InterruptSlot::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

std::string_view describe(InterruptSlot::Reason why) {
  switch (why) {
    case InterruptSlot::Reason::TimeLimit: return "stopped: the request ran past its time limit";
    case InterruptSlot::Reason::ClientGone: return "stopped: the client went away";
    case InterruptSlot::Reason::Shutdown: return "stopped: the server is shutting down";
    case InterruptSlot::Reason::None: break;
  }
  return "interrupted";
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
  armed_.emplace(deadline, std::make_pair(ticket, std::move(slot)));
  // The loop wakes up on its own at least every kTick; wake it only for an
  // earlier deadline than that (saves a wake-up per request).
  if (deadline < waiting_until_) cv_.notify_all();
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

void Watchdog::fire_all(InterruptSlot::Reason why) {
  std::vector<std::shared_ptr<InterruptSlot>> due;
  {
    std::lock_guard lock(mu_);
    for (auto& [_, e] : armed_) due.push_back(e.second);
    armed_.clear();
  }
  for (auto& s : due) s->fire(why);
}

void Watchdog::loop() {
  constexpr auto kTick = std::chrono::milliseconds(200);
  std::unique_lock lock(mu_);
  while (!done_) {
    auto now = Clock::now();
    auto wake = now + kTick;
    if (!armed_.empty() && armed_.begin()->first < wake) wake = armed_.begin()->first;
    if (now < wake) {
      waiting_until_ = wake;
      cv_.wait_until(lock, wake);
      waiting_until_ = Clock::time_point::min();
      continue;
    }
    std::vector<std::shared_ptr<InterruptSlot>> due;
    while (!armed_.empty() && armed_.begin()->first <= Clock::now()) {
      due.push_back(armed_.begin()->second.second);
      armed_.erase(armed_.begin());
    }
    lock.unlock();
    for (auto& s : due) s->fire(InterruptSlot::Reason::TimeLimit);
    lock.lock();
  }
}

}  // namespace whirl::spin::http
