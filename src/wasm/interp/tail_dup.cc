// Tail duplication: a forward `jump` to a short straight-line tail (up to
// its first branch, return or jump) is replaced by a copy of that tail, so
// the common "jump to the loop's increment-and-test" costs no dispatch of
// its own and each copy's branch gets its own prediction history. Copies
// keep every branch's direction (backward branches are where fuel and
// interrupts are checked, so the checks stay exactly where they were).
#include "wasm/interp/code.h"

namespace whirl::wasm::interp {
namespace {

constexpr size_t kMaxTail = 4;  // straight-line instructions copied before the branch

bool is_cond_branch(uint16_t op) {
  switch (op) {
    case kBrIfNz: case kBrIfZ: case kBrIfTest: case kBrUnlessTest: case kBrIfTestImm: case kBrUnlessTestImm:
      return true;
#define ICMP(N, T, E) case kBrIf##N: case kBrIf##N##Imm: case kBrUnless##N: case kBrUnless##N##Imm: return true;
#define FCMP(N, F, E) case kBrIf##N: case kBrUnless##N: return true;
#include "wasm/interp/slot_ops.def"
    default:
      return false;
  }
}

bool is_branch(uint16_t op) { return op == kJump || is_cond_branch(op); }

int64_t target_of(const CompiledFunc& f, size_t k) { return int64_t(k) + int32_t(f.code[k].a); }

struct Tail {
  size_t from = 0, len = 0;
  bool then_jump = false;  // append a jump to from + len (the tail ended in a conditional branch)
};

// The tail a forward jump at j could be replaced with, if any.
bool plan_tail(const CompiledFunc& f, size_t j, Tail* t) {
  const size_t n = f.code.size();
  size_t k = size_t(target_of(f, j));
  t->from = k;
  for (t->len = 0; k < n && t->len <= kMaxTail; ++k) {
    uint16_t op = f.ops[k];
    if (op == kBrTable || op == kTableEntry) return false;
    ++t->len;
    if (op == kReturn) return true;
    if (is_branch(op)) {
      int64_t x = target_of(f, k);
      if ((x <= int64_t(k)) != (x <= int64_t(j))) return false;  // would change direction
      t->then_jump = op != kJump;
      return true;
    }
  }
  return false;
}

}  // namespace

void duplicate_jump_tails(CompiledFunc& f) {
  const size_t n = f.code.size();
  std::vector<Tail> plan(n);
  std::vector<bool> dup(n, false);
  bool any = false;
  for (size_t j = 0; j < n; ++j) {
    if (f.ops[j] != kJump || int32_t(f.code[j].a) <= 0) continue;
    dup[j] = plan_tail(f, j, &plan[j]);
    any |= dup[j];
  }
  if (!any) return;
  // Rebuild, remembering each branch's old absolute target (and for table
  // entries their br_table), then re-derive the deltas.
  std::vector<Ins> code;
  std::vector<uint16_t> ops;
  std::vector<int64_t> target;  // old index, or -1
  std::vector<int64_t> table;   // for kTableEntry: old index of its br_table
  std::vector<uint32_t> map(n + 1);
  code.reserve(n + n / 4);
  auto push = [&](const Ins& in, uint16_t op, int64_t tgt, int64_t tbl) {
    code.push_back(in);
    ops.push_back(op);
    target.push_back(tgt);
    table.push_back(tbl);
  };
  int64_t last_table = -1;
  for (size_t i = 0; i < n; ++i) {
    map[i] = uint32_t(code.size());
    if (dup[i]) {
      const Tail& t = plan[i];
      for (size_t k = t.from; k < t.from + t.len; ++k)
        push(f.code[k], f.ops[k], is_branch(f.ops[k]) ? target_of(f, k) : -1, -1);
      if (t.then_jump) push(Ins{nullptr, 0, 0, 0, 0}, kJump, int64_t(t.from + t.len), -1);
      continue;
    }
    uint16_t op = f.ops[i];
    if (op == kBrTable) last_table = int64_t(i);
    if (op == kTableEntry) push(f.code[i], op, last_table + int32_t(f.code[i].a), last_table);
    else push(f.code[i], op, is_branch(op) ? target_of(f, i) : -1, -1);
  }
  map[n] = uint32_t(code.size());
  for (size_t p = 0; p < code.size(); ++p) {
    if (target[p] < 0) continue;
    int64_t from = table[p] >= 0 ? int64_t(map[size_t(table[p])]) : int64_t(p);
    code[p].a = uint32_t(int32_t(int64_t(map[size_t(target[p])]) - from));
  }
  f.code = std::move(code);
  f.ops = std::move(ops);
}

}  // namespace whirl::wasm::interp
