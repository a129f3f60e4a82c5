// A one-line progress display for long work on a terminal: "label: 45%",
// rewritten in place, shown only once the work has taken a moment (short
// work prints nothing) and only when the stream is a terminal.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace whirl::platform {

class TerminalProgress {
 public:
  // Null or a non-terminal `out`: shows nothing.
  TerminalProgress(std::FILE* out, std::string label,
                   std::chrono::milliseconds delay = std::chrono::milliseconds(500));
  ~TerminalProgress();  // clears the line it wrote
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  void update(size_t done, size_t total);
  bool shown() const { return shown_; }

 private:
  std::FILE* out_;
  std::string label_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::milliseconds delay_;
  int last_percent_ = -1;
  bool shown_ = false;
};

}  // namespace whirl::platform
