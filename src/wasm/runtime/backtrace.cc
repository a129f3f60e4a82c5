// Bounded trap backtraces: merging them and printing them.
#include <string>
#include <vector>

#include "wasm/runtime/runtime.h"

namespace whirl::wasm {
namespace {

// Takes frames innermost first and keeps the first and last kBacktraceEnds,
// counting the rest.
class Bounded {
 public:
  void add(const TrapFrame& f) {
    if (head_.size() < kBacktraceEnds) {
      head_.push_back(f);
      return;
    }
    tail_.push_back(f);
    if (tail_.size() > kBacktraceEnds) {
      tail_.erase(tail_.begin());
      ++omitted_;
    }
  }
  // `n` frames left out here: the ones kept since the head are left out too,
  // so that one gap, right after the head, stays the only one.
  void gap(uint64_t n) {
    if (n == 0) return;
    omitted_ += n + tail_.size();
    tail_.clear();
  }
  void add_all(const Trap& t) {
    for (size_t i = 0; i < t.backtrace.size(); ++i) {
      if (i == kBacktraceEnds) gap(t.omitted_frames);
      add(t.backtrace[i]);
    }
  }
  void store(Trap& t) {
    head_.insert(head_.end(), tail_.begin(), tail_.end());
    t.backtrace = std::move(head_);
    t.omitted_frames = omitted_;
  }

 private:
  std::vector<TrapFrame> head_, tail_;
  uint64_t omitted_ = 0;
};

std::string omitted_text(uint64_t n) {
  return "... " + std::to_string(n) + (n == 1 ? " frame" : " frames") + " omitted ...";
}

}  // namespace

void append_backtrace(Trap& t, const Trap& outer) {
  if (outer.backtrace.empty()) return;
  Bounded b;
  b.add_all(t);
  b.add_all(outer);
  b.store(t);
}

std::string format_backtrace(const Trap& t, std::string_view indent) {
  std::string out;
  for (size_t i = 0; i < t.backtrace.size(); ++i) {
    uint64_t depth = i;
    if (t.omitted_frames && i >= kBacktraceEnds) {
      if (i == kBacktraceEnds) out.append(indent).append(omitted_text(t.omitted_frames)) += '\n';
      depth += t.omitted_frames;
    }
    out.append(indent).append(std::to_string(depth)).append(": ").append(t.backtrace[i].name) += '\n';
  }
  return out;
}

std::string format_backtrace_inline(const Trap& t) {
  std::string out;
  for (size_t i = 0; i < t.backtrace.size(); ++i) {
    if (i) out += ' ';
    if (t.omitted_frames && i == kBacktraceEnds) out += omitted_text(t.omitted_frames) + ' ';
    out += t.backtrace[i].name;
  }
  return out;
}

}  // namespace whirl::wasm
