// Tail duplication: a forward `jump` to a short straight-line tail (up to
// its first branch, return or jump) is replaced by a copy of that tail, so
// the common "jump to the loop's increment-and-test" costs no dispatch of
// its own. When that tail's branch is a loop back-edge to a short dispatch
// head ending in a small `br_table` (an interpreter's fetch-and-switch),
// the head is copied too, behind the inverted branch: each case then ends
// in its own `br_table`, whose indirect jump the CPU predicts per case.
// Branch directions are kept (backward branches are where fuel and
// interrupts are checked); each copied head is entered through one tick in
// place of the back-edge it replaces (a kTick, or the fall-through of a
// plain zero test, kBrIf{Z,Nz}ElseTick), and its `br_table` (kBrTableCopy)
// checks nothing itself.
// finish_forms, the last pass, picks forms that only show in the final
// code (an increment pair with the zero test after it, fixed-shift
// addresses); it shares this file's branch-target helpers.
#include "wasm/interp/code.h"

namespace whirl::wasm::interp {
namespace {

constexpr size_t kMaxTail = 4;      // straight-line instructions copied before the branch
constexpr uint32_t kMaxTable = 32;  // br_table targets copied per case at most

// The branch taken exactly when `op` is not, or 0.
uint16_t inverse(uint16_t op) {
  switch (op) {
    case kBrIfNz: return kBrIfZ;
    case kBrIfZ: return kBrIfNz;
    case kBrIfTest: return kBrUnlessTest;
    case kBrUnlessTest: return kBrIfTest;
    case kBrIfTestImm: return kBrUnlessTestImm;
    case kBrUnlessTestImm: return kBrIfTestImm;
#define ICMP(N, T, E)                                              \
  case kBrIf##N: return kBrUnless##N;                              \
  case kBrUnless##N: return kBrIf##N;                              \
  case kBrIf##N##Imm: return kBrUnless##N##Imm;                    \
  case kBrUnless##N##Imm: return kBrIf##N##Imm;
#define FCMP(N, F, E)                                              \
  case kBrIf##N: return kBrUnless##N;                              \
  case kBrUnless##N: return kBrIf##N;
#include "wasm/interp/slot_ops.def"
    default: return 0;
  }
}

}  // namespace

bool is_branch(uint16_t op) {
  return op == kJump || op == kBrIfNzElseTick || op == kBrIfZElseTick || op == kIncBrNe || op == kIncBrNeImm ||
         inverse(op) != 0;
}

namespace {

int64_t target_of(const CodeBuf& f, size_t k) { return int64_t(k) + int32_t(f.code[k].a); }

struct Tail {
  size_t from = 0, len = 0;
  bool then_jump = false;  // append a jump to from + len (the tail ended in a conditional branch)
  size_t head = 0, head_len = 0;  // with head_len: invert the branch, then copy [head, head + head_len)
};

// A straight-line run from `at` ending in a small br_table: its length with
// the table's entries, or 0.
size_t dispatch_head(const CodeBuf& f, size_t at) {
  for (size_t k = at; k < f.code.size() && k - at <= kMaxTail; ++k) {
    uint16_t op = f.ops[k];
    if (is_table(op)) return !is_table_copy(op) && f.code[k].a <= kMaxTable ? k - at + 2 + f.code[k].a : 0;
    if (is_branch(op) || op == kReturn || op == kReturnInPlace || op == kTableEntry) return 0;
  }
  return 0;
}

// The tail a forward jump at j could be replaced with, if any.
bool plan_tail(const CodeBuf& f, size_t j, Tail* t) {
  const size_t n = f.code.size();
  size_t k = size_t(target_of(f, j));
  t->from = k;
  for (t->len = 0; k < n && t->len <= kMaxTail; ++k) {
    uint16_t op = f.ops[k];
    if (is_table(op) || op == kTableEntry) return false;
    ++t->len;
    if (op == kReturn || op == kReturnInPlace) return true;
    if (is_branch(op)) {
      int64_t x = target_of(f, k);
      if ((x <= int64_t(k)) != (x <= int64_t(j))) return false;  // would change direction
      t->then_jump = op != kJump;
      if (t->then_jump && x <= int64_t(k) && inverse(op) && (t->head_len = dispatch_head(f, size_t(x)))) {
        t->head = size_t(x);
        t->then_jump = false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace

void duplicate_jump_tails(CodeBuf& f) {
  const size_t n = f.code.size();
  std::vector<Tail> plan(n);
  std::vector<bool> dup(n, false);
  bool any = false;
  size_t growth = 0;
  for (size_t j = 0; j < n; ++j) {
    if (f.ops[j] != kJump || int32_t(f.code[j].a) <= 0) continue;
    if (!plan_tail(f, j, &plan[j])) continue;
    size_t extra = plan[j].len + plan[j].head_len + 1;
    if (plan[j].head_len && growth + extra > n + 64) plan[j].head_len = 0, plan[j].then_jump = true;
    growth += plan[j].len + plan[j].head_len + 1;
    dup[j] = any = true;
  }
  if (!any) return;
  // Rebuild. Each branch remembers its old absolute target and the new
  // position its delta counts from (itself, or a table entry's br_table).
  std::vector<Ins> code;
  std::vector<uint16_t> ops;
  std::vector<int64_t> target;  // old index, or -1
  std::vector<size_t> base;     // new index the delta is relative to
  std::vector<uint32_t> map(n + 1);
  code.reserve(n + growth + 8);
  size_t table_at = 0;  // new index of the br_table whose entries are being pushed
  auto push = [&](const Ins& in, uint16_t op, int64_t tgt, int64_t old_table) {
    size_t p = code.size();
    if (is_table(op)) table_at = p;
    code.push_back(in);
    ops.push_back(op);
    target.push_back(op == kTableEntry ? old_table + int32_t(in.a) : tgt);
    base.push_back(op == kTableEntry ? table_at : p);
  };
  int64_t old_table = -1;
  auto copy = [&](size_t k) {
    if (is_table(f.ops[k])) old_table = int64_t(k);
    push(f.code[k], f.ops[k], is_branch(f.ops[k]) ? target_of(f, k) : -1, old_table);
  };
  for (size_t i = 0; i < n; ++i) {
    map[i] = uint32_t(code.size());
    if (!dup[i]) {
      copy(i);
      continue;
    }
    const Tail& t = plan[i];
    for (size_t k = t.from; k + 1 < t.from + t.len; ++k) copy(k);
    size_t last = t.from + t.len - 1;
    if (t.head_len) {
      // Leave the loop when the back-edge would not be taken, else dispatch here.
      // The tick stands for the back-edge; a plain test does it on its fall-through.
      const uint16_t leave = inverse(f.ops[last]);
      if (leave == kBrIfZ || leave == kBrIfNz) {
        push(f.code[last], leave == kBrIfZ ? kBrIfZElseTick : kBrIfNzElseTick, int64_t(last + 1), -1);
      } else {
        push(f.code[last], leave, int64_t(last + 1), -1);
        push(Ins{nullptr, 0, 0, 0, 0}, kTick, -1, -1);
      }
      for (size_t k = t.head; k < t.head + t.head_len; ++k) {
        copy(k);
        if (is_table(f.ops[k])) ops.back() = table_copy(f.ops[k]);
      }
    } else {
      copy(last);
      if (t.then_jump) push(Ins{nullptr, 0, 0, 0, 0}, kJump, int64_t(t.from + t.len), -1);
    }
  }
  map[n] = uint32_t(code.size());
  for (size_t p = 0; p < code.size(); ++p)
    if (target[p] >= 0) code[p].a = uint32_t(int32_t(int64_t(map[size_t(target[p])]) - int64_t(base[p])));
  f.code = std::move(code);
  f.ops = std::move(ops);
}

void finish_forms(CodeBuf& f) {
  const size_t n = f.code.size();
  std::vector<bool> targeted(n + 1, false);
  size_t table = 0;
  for (size_t k = 0; k < n; ++k) {
    if (is_table(f.ops[k])) table = k;
    int64_t t = f.ops[k] == kTableEntry ? int64_t(table) + int32_t(f.code[k].a)
                : is_branch(f.ops[k])   ? target_of(f, k)
                                        : -1;
    if (t >= 0 && size_t(t) <= n) targeted[size_t(t)] = true;
  }
  for (size_t k = 0; k < n; ++k) {
    if (f.ops[k] == kI32AddShlImm && (f.code[k].c >> 27 == 2 || f.code[k].c >> 27 == 3)) {
      f.ops[k] = f.code[k].c >> 27 == 2 ? kI32AddShl2Imm : kI32AddShl3Imm;
      f.code[k].c &= (1u << 27) - 1;
    }
    if (f.ops[k] != kI32Inc2 || k + 1 == n || targeted[k + 1]) continue;
    Ins& inc = f.code[k];
    const uint32_t tested = f.code[k + 1].b;
    uint16_t op;
    switch (f.ops[k + 1]) {
      case kBrIfNz: op = kInc2BrNz; break;
      case kBrIfZ: op = kInc2BrZ; break;
      case kBrIfNzElseTick: op = kInc2BrNzElseTick; break;
      case kBrIfZElseTick: op = kInc2BrZElseTick; break;
      default: continue;
    }
    // The tested slot goes second (two different slots: the order is free).
    if (tested == inc.a && tested != inc.c) inc = {inc.h, inc.c, inc.d, inc.a, inc.b};
    if (tested != inc.c) continue;
    f.ops[k] = op;
  }
}

}  // namespace whirl::wasm::interp
