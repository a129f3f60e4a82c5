// One thread that fires InterruptSlots whose deadline passed: the wall-clock
// limit of every request, without a timer thread per request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "spin/http/executor.h"

namespace whirl::spin::http {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;
  Watchdog();
  ~Watchdog();

  // Fires `slot` at `deadline` unless cancelled first; returns a ticket.
  uint64_t arm(Clock::time_point deadline, std::shared_ptr<InterruptSlot> slot);
  void cancel(uint64_t ticket);
  // Fires every armed slot now (shutdown after the grace period).
  void fire_all(InterruptSlot::Reason why);

  // Armed for its lifetime: cancelled on every path out.
  class Armed {
   public:
    Armed(Watchdog& w, Clock::time_point deadline, std::shared_ptr<InterruptSlot> slot)
        : w_(w), ticket_(w.arm(deadline, std::move(slot))) {}
    ~Armed() { w_.cancel(ticket_); }
    Armed(const Armed&) = delete;
    Armed& operator=(const Armed&) = delete;

   private:
    Watchdog& w_;
    uint64_t ticket_;
  };

 private:
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, std::pair<uint64_t, std::shared_ptr<InterruptSlot>>> armed_;
  uint64_t next_ = 1;
  Clock::time_point waiting_until_;  // when the loop wakes up next by itself
  bool done_ = false;
  std::thread thread_;
};

}  // namespace whirl::spin::http
