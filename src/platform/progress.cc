#include "platform/progress.h"

#include <unistd.h>

namespace whirl::platform {

TerminalProgress::TerminalProgress(std::FILE* out, std::string label, std::chrono::milliseconds delay)
    : out_(out && ::isatty(::fileno(out)) ? out : nullptr),
      label_(std::move(label)),
      start_(std::chrono::steady_clock::now()),
      delay_(delay) {}

TerminalProgress::~TerminalProgress() {
  if (!shown_) return;
  std::fprintf(out_, "\r\033[K");  // the line is erased: what follows is printed in its place
  std::fflush(out_);
}

void TerminalProgress::update(size_t done, size_t total) {
  if (!out_ || total == 0) return;
  if (!shown_ && std::chrono::steady_clock::now() - start_ < delay_) return;
  int percent = int(done * 100 / total);
  if (percent == last_percent_) return;
  last_percent_ = percent;
  shown_ = true;
  std::fprintf(out_, "\r\033[K%s: %d%% (%zu/%zu)", label_.c_str(), percent, done, total);
  std::fflush(out_);
}

}  // namespace whirl::platform
