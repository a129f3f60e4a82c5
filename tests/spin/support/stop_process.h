// Stops a child process the test started, by its PID: SIGTERM, then
// SIGKILL if it has not exited within `grace`; reaps it either way.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

namespace whirl::test {

inline void stop_process(pid_t& pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (auto end = std::chrono::steady_clock::now() + grace; std::chrono::steady_clock::now() < end;) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  pid = -1;
}

}  // namespace whirl::test
