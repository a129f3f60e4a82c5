// Waits for stop signals on a thread of its own (the signals blocked in
// every thread): the first calls `on_first`, every later one `on_again`
// (a graceful stop, then an interrupt). Destroying it wakes and joins the
// thread whether or not a signal came.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace whirl::platform {

// Blocks SIGINT and SIGTERM in the calling thread, and so in every thread
// it starts afterwards, for a SignalWaiter to take them: call it before any
// thread starts. Returns the set.
inline sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

class SignalWaiter {
 public:
  SignalWaiter(const sigset_t& signals, std::function<void()> on_first, std::function<void()> on_again)
      : thread_([this, signals, first = std::move(on_first), again = std::move(on_again)] {
          for (int n = 0; !done_; ++n) {
            int sig = 0;
            sigwait(&signals, &sig);
            if (done_) break;
            if (n == 0) {
              first_ = sig;
              first();
            } else {
              again();
            }
          }
        }) {}
  ~SignalWaiter() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGTERM);  // wakes sigwait if no signal came
    thread_.join();
  }
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;

  int first_signal() const { return first_; }  // 0: none yet

 private:
  std::atomic<bool> done_{false};
  std::atomic<int> first_{0};
  std::thread thread_;  // last: starts once the flags exist
};

}  // namespace whirl::platform
