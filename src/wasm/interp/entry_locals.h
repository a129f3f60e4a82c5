// The compiler's zero-store elision dataflow: declared locals hold the zero
// `enter` wrote until first set, so where only paths from the function's
// entry (passing no loop header) reach a point and a local was never set
// on any of them, storing zero into it is a no-op.
//
// Forward branches merge at block ends: each block nested less than
// kMaxTrackedDepth deep keeps the union of the locals its incoming
// branches may have set. Only the first kMaxTrackedLocals locals are
// followed and deeper blocks give up (no elision), so that many locals
// times deep nesting cannot cost gigabytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace whirl::wasm::interp {

class EntryLocals {
 public:
  static constexpr uint32_t kMaxTrackedLocals = 4096;
  static constexpr size_t kMaxTrackedDepth = 64;

  // What a block remembers of its own (kept in the compiler's control stack).
  struct Block {
    uint32_t depth = 0;
    // Of the branches to the block's end: do they all come from the entry path?
    bool branches_from_entry = true;
    // An if's state at its condition (for the else part or a missing else).
    bool if_entry = false;
  };

  void start(uint32_t num_locals) {
    written_.assign(std::min(num_locals, kMaxTrackedLocals), false);
    entry_ = true;
  }

  bool on_entry_path() const { return entry_; }
  // Control from elsewhere arrives here (a loop header, a merge point).
  void merge() { entry_ = false; }

  // A block (or if) is opened at this depth; call before `open`.
  void open(const Block& b) {
    if (b.depth >= kMaxTrackedDepth) return;
    if (b.depth >= tracked_.size()) tracked_.resize(b.depth + 1);
    tracked_[b.depth].branch_written.clear();
    tracked_[b.depth].if_written.clear();
  }
  // Past the tracked depth a new block starts off the entry path.
  void before_open(size_t depth) {
    if (depth >= kMaxTrackedDepth) entry_ = false;
  }
  // An if's condition: the else part (or a missing else) starts from here.
  void open_if(Block& b) {
    b.if_entry = entry_;
    if (entry_) tracked_[b.depth].if_written = written_;
  }
  // The else part starts in the if's state.
  void start_else(const Block& b) {
    entry_ = b.if_entry;
    if (entry_) written_ = tracked_[b.depth].if_written;
  }

  // A branch from here to block b's end.
  void branch_to(Block& b) { note_branch(b, entry_, written_); }

  // Block b's end is bound: control arrives from its branches, the
  // fall-through (unless unreachable) and an if's missing else.
  void end(Block& b, bool missing_else, bool falls_through) {
    Tracked* t = track(b);
    if (missing_else && t) note_branch(b, b.if_entry, t->if_written);
    if (missing_else && !t) b.branches_from_entry = false;
    if (falls_through) note_branch(b, entry_, written_);
    entry_ = b.branches_from_entry && t && !t->branch_written.empty();
    if (entry_) written_.swap(t->branch_written);
  }

  // Local x is set here; true if it still held the zero `enter` wrote.
  bool set_local(uint32_t x) {
    const bool tracked = x < written_.size();
    const bool still_zero = entry_ && tracked && !written_[x];
    if (tracked) written_[x] = true;
    return still_zero;
  }

 private:
  struct Tracked {
    std::vector<bool> branch_written;  // union over the branches to the end so far
    std::vector<bool> if_written;      // at an if's condition
  };
  Tracked* track(const Block& b) { return b.depth < kMaxTrackedDepth ? &tracked_[b.depth] : nullptr; }

  // A branch to block b's end leaves from a point in state (entry, written).
  void note_branch(Block& b, bool entry, const std::vector<bool>& written) {
    Tracked* t = track(b);
    if (!entry || !t) b.branches_from_entry = false;
    if (!b.branches_from_entry) return;
    if (t->branch_written.empty()) t->branch_written = written;
    else
      for (size_t k = 0; k < written.size(); ++k) t->branch_written[k] = t->branch_written[k] || written[k];
  }

  bool entry_ = true;
  std::vector<bool> written_;     // locals any entry path to here may have set
  std::vector<Tracked> tracked_;  // by depth, up to kMaxTrackedDepth
};

}  // namespace whirl::wasm::interp
