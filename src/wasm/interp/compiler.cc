// Translation of validated function bodies into slot code (see code.h).
//
// The compiler mirrors the operand stack with `Entry`s: a value computed
// into its stack slot (Temp), or still just a local or a constant. Entries
// are "materialized" (copied into their stack slot) only where needed: at
// block boundaries, before a local they name is overwritten, and for calls.
// That turns most local.get/const/local.set traffic into operand addresses.
#include <algorithm>

#include "wasm/interp/code.h"
#include "wasm/interp/entry_locals.h"
#include "wasm/interp/forms.h"

namespace whirl::wasm::interp {
namespace {

struct Entry {
  enum Kind : uint8_t { Temp, Local, Const } kind = Temp;
  uint32_t local = 0;
  uint64_t value = 0;
};

struct Ctrl {
  Ctrl(Op k, uint32_t h, uint32_t in, uint32_t out, uint32_t start)
      : kind(k), height(h), n_in(in), n_out(out), start_pc(start) {}
  Op kind;
  uint32_t height;      // entries below the block's params
  uint32_t n_in, n_out;
  uint32_t start_pc;    // loop target
  std::vector<uint32_t> fixups;        // branch instructions whose `a` gets the end
  std::vector<std::pair<uint32_t, uint32_t>> table_fixups;  // (br_table pc, its entry)
  int64_t else_fixup = -1;             // the skip branch of an if
  bool unreachable = false;            // the rest of this block part is dead
  bool dead = false;                   // the whole block is in dead code
  EntryLocals::Block flow;             // its depth, and the zero-store elision's state
};

// A branch condition: the plain slot, or a compare fused into the branch
// (the branch op taken when the condition is true / false).
struct Cond {
  uint16_t br_true = 0, br_false = 0;  // 0: plain slot x
  uint32_t x = 0, y = 0;
};

class Compiler {
 public:
  Compiler(const Module& m, const Function& f, const std::vector<uint32_t>& type_ids, bool fuse, CodeBuf& buf)
      : m_(m), f_(f), type_ids_(type_ids), fuse_(fuse), buf_(buf) {
    buf_.code.clear();
    buf_.ops.clear();
  }

  CompiledFunc run(Arena& arena) {
    const FuncType& t = m_.types[f_.type_index];
    num_params_ = uint32_t(t.params.size());
    num_results_ = uint32_t(t.results.size());
    nl_ = uint32_t(t.params.size() + f_.locals.size());
    zero_locals_.start(nl_);
    buf_.code.reserve(f_.body.size() / 2 + 4);
    push_ctrl(Ctrl(Op::Block, 0, 0, uint32_t(t.results.size()), 0));
    emit(kEnter);
    for (const Instr& in : f_.body) step(in);
    if (fuse_) duplicate_jump_tails(buf_), finish_forms(buf_);
    buf_.code[0].a = nl_ + max_h_ + 1;  // the frame: locals and operand slots
    buf_.code[0].b = num_params_;
    buf_.code[0].c = nl_ - num_params_;
    out_.code = arena.copy(buf_.code);
    out_.ops = arena.copy(buf_.ops);
    return out_;
  }

 private:
  uint32_t pc() const { return uint32_t(buf_.code.size()); }
  uint32_t emit(uint16_t op, uint32_t a = 0, uint32_t b = 0, uint32_t c = 0, uint32_t d = 0) {
    if (fuse_ && op == kCopy && pc() > 0 && bound_pc_ != pc() && merge_copy(buf_, a, b)) {
      last_def_ = -1;
      return pc() - 1;
    }
    buf_.code.push_back({nullptr, a, b, c, d});
    buf_.ops.push_back(op);
    last_def_ = -1;
    return pc() - 1;
  }
  // Emits an op whose only effect is writing slot `a` (after reading its
  // operands): a following local.set may retarget it.
  void emit_def(uint16_t op, uint32_t a, uint32_t b = 0, uint32_t c = 0, uint32_t d = 0) {
    last_def_ = emit(op, a, b, c, d);
  }
  void unemit() {
    buf_.code.pop_back();
    buf_.ops.pop_back();
    last_def_ = -1;
  }
  // A branch target: no fusing across it. `merge`: control from elsewhere
  // may arrive here (false only for a block's start).
  void bind(bool merge = true) {
    last_def_ = -1;
    bound_pc_ = pc();
    if (merge) zero_locals_.merge();
  }

  uint32_t size() const { return uint32_t(vs_.size()); }
  uint32_t temp(uint32_t i) const { return nl_ + i; }
  void push_temp(uint32_t n = 1) {
    for (uint32_t k = 0; k < n; ++k) vs_.push_back({});
    max_h_ = std::max(max_h_, size());
  }
  void push_entry(Entry e) {
    if (e.kind != Entry::Temp) temp_floor_ = std::min(temp_floor_, size());
    if (e.kind == Entry::Local) {
      if (e.local >= local_refs_.size()) local_refs_.resize(e.local + 1);
      local_refs_[e.local].push_back(size());
    }
    vs_.push_back(e);
    max_h_ = std::max(max_h_, size());
  }
  void materialize(uint32_t i) {
    Entry& e = vs_[i];
    if (e.kind == Entry::Local) emit(kCopy, temp(i), e.local);
    else if (e.kind == Entry::Const) emit(kConst, temp(i), uint32_t(e.value), uint32_t(e.value >> 32));
    e.kind = Entry::Temp;
  }
  // Entries below temp_floor_ are all Temps already: a deep stack is not
  // walked again at every block.
  void materialize_range(uint32_t from, uint32_t to) {
    for (uint32_t i = std::max(from, std::min(temp_floor_, to)); i < to; ++i) materialize(i);
    if (from <= temp_floor_) temp_floor_ = std::max(temp_floor_, to);
  }
  void materialize_all() { materialize_range(0, size()); }
  // The slot holding entry i (constants are materialized first).
  uint32_t use(uint32_t i) {
    if (vs_[i].kind == Entry::Const) materialize(i);
    return vs_[i].kind == Entry::Local ? vs_[i].local : temp(i);
  }
  bool top_is_last_def() const { return is_last_def(size() - 1); }

  void set_unreachable() {
    Ctrl& c = ctrls_.back();
    vs_.resize(c.height);
    c.unreachable = true;
  }
  void block_arity(uint64_t imm, uint32_t* in, uint32_t* out) {
    BlockType bt = BlockType::from_imm(imm);
    if (bt.kind == BlockType::Empty) *in = 0, *out = 0;
    else if (bt.kind == BlockType::Value) *in = 0, *out = 1;
    else *in = uint32_t(m_.types[bt.type_index].params.size()), *out = uint32_t(m_.types[bt.type_index].results.size());
  }

  // Pops the condition of a branch, fusing it with the compare that just
  // computed it (and an i32.and under an i32.eqz: a test for zero bits).
  Cond take_cond() {
    Cond c;
    if (fuse_ && top_is_last_def() && branch_form(buf_.ops.back(), true)) {
      Ins last = buf_.code.back();
      uint16_t op = buf_.ops.back();
      unemit();
      c = {branch_form(op, true), branch_form(op, false), last.b, last.c};
      uint16_t prev = pc() > 0 ? buf_.ops.back() : 0;
      if (op == uint16_t(Op::I32Eqz) && last.b == last.a && bound_pc_ != pc() &&
          (prev == uint16_t(Op::I32And) || prev == kI32AndImm) && buf_.code.back().a == last.b) {
        Ins test = buf_.code.back();
        unemit();
        c = {branch_form(prev, false), branch_form(prev, true), test.b, test.c};
      }
    } else {
      c.x = use(size() - 1);
    }
    vs_.pop_back();
    return c;
  }
  // Emits a branch taken when `cond` is `when`; returns its index.
  uint32_t emit_cond_branch(const Cond& c, bool when) {
    if (c.br_true == 0) return emit(when ? kBrIfNz : kBrIfZ, 0, c.x);
    return emit(when ? c.br_true : c.br_false, 0, c.x, c.y);
  }
  // Points branch instruction `at` (its field a) to `target`.
  void patch(uint32_t at, uint32_t target) { buf_.code[at].a = uint32_t(int32_t(target) - int32_t(at)); }

  // Moves the top n entries to label c's slots; false if already in place.
  void move_to_label(const Ctrl& c, uint32_t n) {
    uint32_t from = size() - n;
    for (uint32_t k = 0; k < n; ++k) {
      const Entry& e = vs_[from + k];
      uint32_t dst = temp(c.height + k);
      if (e.kind == Entry::Temp && from == c.height) continue;
      if (e.kind == Entry::Const) emit(kConst, dst, uint32_t(e.value), uint32_t(e.value >> 32));
      else emit(kCopy, dst, e.kind == Entry::Local ? e.local : temp(from + k));
    }
  }
  uint32_t label_arity(const Ctrl& c) const { return c.kind == Op::Loop ? c.n_in : c.n_out; }
  // A jump-like instruction at `at` to label c: loops are bound, blocks fixed up at their end.
  void link(Ctrl& c, uint32_t at) {
    if (c.kind == Op::Loop) patch(at, c.start_pc);
    else c.fixups.push_back(at), zero_locals_.branch_to(c.flow);
  }
  void push_ctrl(Ctrl c) {
    c.flow.depth = uint32_t(ctrls_.size());
    zero_locals_.open(c.flow);
    ctrls_.push_back(std::move(c));
  }

  void branch(uint32_t depth) {
    Ctrl& c = ctrls_[ctrls_.size() - 1 - depth];
    move_to_label(c, label_arity(c));
    link(c, emit(kJump));
    set_unreachable();
  }
  void branch_if(uint32_t depth) {
    Cond cond = take_cond();
    Ctrl& c = ctrls_[ctrls_.size() - 1 - depth];
    uint32_t n = label_arity(c);
    if (size() - n == c.height) {
      materialize_range(c.height, size());
      link(c, fuse_step(emit_cond_branch(cond, true)));
      return;
    }
    uint32_t skip = emit_cond_branch(cond, false);
    move_to_label(c, n);
    link(c, emit(kJump));
    patch(skip, pc());
    bind(false);  // reached from the skip only
  }
  // br_table: the instruction, then one entry per target (and the default)
  // in the code stream: a = pc delta from the br_table, b = values kept,
  // c = the slot they go to.
  void branch_table(const Instr& in) {
    uint16_t op = kBrTable;
    uint32_t addr = 0, idx = 0;
    const uint16_t last = pc() > 0 ? buf_.ops.back() : 0;
    if (fuse_ && top_is_last_def() && (last == uint16_t(Op::I32Load) || last == uint16_t(Op::I32Load8U))) {
      // A switch on a fetched value: the load moves into the br_table (after
      // the copies below, which write only slots under the loaded value's).
      op = last == uint16_t(Op::I32Load) ? kBrTableLoad : kBrTableLoad8U;
      addr = buf_.code.back().b;
      idx = buf_.code.back().c;
      unemit();
    } else {
      idx = use(size() - 1);
    }
    vs_.pop_back();
    materialize_all();
    uint32_t at = emit(op, in.b, addr, idx, temp(size()));
    for (uint32_t i = 0; i <= in.b; ++i) {
      uint32_t depth = i < in.b ? f_.br_tables[in.a + i] : uint32_t(in.imm);
      Ctrl& c = ctrls_[ctrls_.size() - 1 - depth];
      uint32_t e = emit(kTableEntry, 0, label_arity(c), temp(c.height));
      if (c.kind == Op::Loop) buf_.code[e].a = uint32_t(int32_t(c.start_pc) - int32_t(at));
      else c.table_fixups.push_back({at, e}), zero_locals_.branch_to(c.flow);
    }
    set_unreachable();
  }
  void emit_return() {
    uint32_t n = num_results_;
    if (n == 1 && fuse_ && top_is_last_def()) {
      // The op computing the result writes it to slot 0 itself (it reads its
      // operands first): the caller's next op then reads what that op
      // stored, not a copy of it made a moment later.
      buf_.code.back().a = 0;
      emit(kReturnInPlace, 0, 1);
    } else if (n == 1 && vs_.back().kind == Entry::Local && vs_.back().local == 0) {
      emit(kReturnInPlace, 0, 1);  // the result is the first argument, in slot 0 already
    } else if (n == 1) {
      emit(kReturn, use(size() - 1), 1);
    } else {
      materialize_range(size() - n, size());
      emit(kReturn, temp(size() - n), n);
    }
  }
  // Binds the end of block c here: control arrives from the branches to it,
  // the fall-through (unless unreachable) and an if's missing else.
  void bind_end(Ctrl& c) {
    zero_locals_.end(c.flow, c.else_fixup >= 0, !c.unreachable);
    bind(false);
    if (c.else_fixup >= 0) patch(uint32_t(c.else_fixup), pc());
    for (uint32_t f : c.fixups) patch(f, pc());
    for (auto [at, e] : c.table_fixups) buf_.code[e].a = uint32_t(int32_t(pc()) - int32_t(at));
  }

  // The entries below the top that still name local x, in stack order
  // (local_refs_[x] also lists entries popped or materialized since).
  const std::vector<uint32_t>& refs_to(uint32_t x) {
    hits_.clear();
    if (x >= local_refs_.size()) return hits_;
    const uint32_t top = size() - 1;
    for (uint32_t p : local_refs_[x])
      if (p < top && vs_[p].kind == Entry::Local && vs_[p].local == x) hits_.push_back(p);
    std::sort(hits_.begin(), hits_.end());
    hits_.erase(std::unique(hits_.begin(), hits_.end()), hits_.end());
    local_refs_[x] = hits_;  // drop what is stale
    return hits_;
  }

  void local_set(uint32_t x, bool tee) {
    uint32_t i = size() - 1;
    const bool refs = !refs_to(x).empty();
    Entry v = vs_[i];
    // Declared locals hold the zero `enter` wrote until first set (see
    // entry_locals.h): storing zero into one that still does is a no-op.
    const bool unset = zero_locals_.set_local(x);
    const bool still_zero = fuse_ && x >= num_params_ && unset;
    if (still_zero && v.kind == Entry::Const && v.value == 0) {
      vs_.pop_back();
      if (tee) push_entry({Entry::Local, x, 0});
      return;
    }
    if (!refs && top_is_last_def()) {
      buf_.code.back().a = x;
      if (fuse_) merge_increments();
    } else {
      for (uint32_t k : hits_) materialize(k);
      if (x < local_refs_.size()) local_refs_[x].clear();
      if (v.kind == Entry::Const) emit(kConst, x, uint32_t(v.value), uint32_t(v.value >> 32));
      else if (v.kind == Entry::Local) { if (v.local != x) emit(kCopy, x, v.local); }
      else emit(kCopy, x, temp(i));
    }
    vs_.pop_back();
    if (tee) push_entry({Entry::Local, x, 0});
  }

  // An in-place `x += k` followed by the branch at `at` on x != y (a loop's
  // step and test) becomes one kIncBrNe; returns the branch's index.
  uint32_t fuse_step(uint32_t at) {
    if (!fuse_ || at < 1 || bound_pc_ == at || buf_.ops[at - 1] != kI32AddImm) return at;
    const Ins inc = buf_.code[at - 1], br = buf_.code[at];
    if (inc.a != inc.b) return at;
    uint32_t other;
    if (buf_.ops[at] == kBrIfI32NeImm && br.b == inc.a) other = br.c;
    else if (buf_.ops[at] == kBrIfI32Ne && (br.b == inc.a || br.c == inc.a)) other = br.b == inc.a ? br.c : br.b;
    else return at;
    const uint16_t op = buf_.ops[at] == kBrIfI32NeImm ? kIncBrNeImm : kIncBrNe;
    unemit();
    unemit();
    return emit(op, 0, inc.a, other, inc.c);
  }

  // Two adjacent in-place i32 increments (x += k; y += m, the common loop
  // step) become one instruction, unless the second is a branch target.
  void merge_increments() {
    uint32_t n = pc();
    if (n < 2 || bound_pc_ == n - 1) return;
    const Ins& b = buf_.code[n - 1];
    const Ins& a = buf_.code[n - 2];
    if (buf_.ops[n - 1] != kI32AddImm || buf_.ops[n - 2] != kI32AddImm || a.a != a.b || b.a != b.b) return;
    Ins merged{nullptr, a.a, a.c, b.a, b.c};
    unemit();
    unemit();
    emit(kI32Inc2, merged.a, merged.b, merged.c, merged.d);
  }

  // True if entry idx is a Temp computed by the instruction just emitted.
  bool is_last_def(uint32_t idx) const {
    return last_def_ >= 0 && uint32_t(last_def_) == pc() - 1 && vs_[idx].kind == Entry::Temp &&
           buf_.code.back().a == temp(idx);
  }
  // x op load(addr): the load just emitted becomes the op's memory operand.
  bool fuse_memory_operand(const Instr& in) {
    if (!fuse_) return false;
    uint32_t i = size() - 2, j = size() - 1;
    bool y_loaded = is_last_def(j);
    if (!y_loaded && !(commutative(in.op) && vs_[j].kind == Entry::Local && is_last_def(i))) return false;
    Ins load = buf_.code.back();
    // Plain loads have d = 0; a load from p + m has its offset in d, for which
    // the MemImm form (c = p, d = m) has no room.
    uint16_t form = load.d == 0 ? mem_form(uint16_t(in.op), buf_.ops.back()) : 0;
    if (!form) return false;
    unemit();
    uint32_t sx = y_loaded ? use(i) : vs_[j].local;  // writes no slot the load reads
    emit_def(form, temp(i), sx, load.b, load.c);
    vs_.resize(i);
    push_temp();
    return true;
  }

  // x op (y shift k), the shift just emitted: one instruction. For
  // x + (y << k) with x = z + m computed just before (array base + offset),
  // that folds in too.
  bool fuse_shift_operand(const Instr& in) {
    if (!fuse_) return false;
    uint32_t i = size() - 2, j = size() - 1;
    bool y_shifted = is_last_def(j);
    if (in.op == Op::I32Add && y_shifted && buf_.ops.back() == kI32AddImm && fold_shift_before_add(i)) return true;
    if (!y_shifted && !(vs_[j].kind == Entry::Local && is_last_def(i))) return false;
    uint16_t form = shift_form(in.op, buf_.ops.back());
    if (!form) return false;
    Ins shl = buf_.code.back();
    unemit();
    if (form == kI32AddShl && y_shifted && vs_[i].kind == Entry::Temp && shl.b < (1u << 27) &&
        fold_add_imm(temp(i), shl.b, shl.c & 31))
      return true;
    uint32_t sx = y_shifted ? use(i) : vs_[j].local;
    emit_def(form, temp(i), sx, shl.b, shl.c & 31);
    vs_.resize(i);
    push_temp();
    return true;
  }
  // Emits t = z + (y << k) + m if t = z + m is the instruction just emitted
  // or the one before an in-place increment of another slot (nothing in
  // between is a branch target).
  bool fold_add_imm(uint32_t t, uint32_t y, uint32_t k) {
    uint32_t n = pc();
    for (uint32_t back = 1; back <= 2 && back <= n; ++back) {
      uint32_t at = n - back;
      const Ins& add = buf_.code[at];
      if (buf_.ops[at] != kI32AddImm || add.a != t || add.b == t || (bound_pc_ > at && bound_pc_ <= n)) continue;
      if (back == 2) {
        const Ins& mid = buf_.code[n - 1];
        if (buf_.ops[n - 1] != kI32AddImm || mid.a != mid.b || mid.a == add.b || mid.a == t) return false;
      }
      Ins fused{nullptr, t, add.b, y | (k << 27), add.c};
      buf_.code.erase(buf_.code.begin() + at);
      buf_.ops.erase(buf_.ops.begin() + at);
      emit_def(kI32AddShlImm, fused.a, fused.b, fused.c, fused.d);
      uint32_t i = size() - 2;
      vs_.resize(i);
      push_temp();
      return true;
    }
    return false;
  }

  // (y << k) + (z + m), the shift into temp i just before the add: as above.
  bool fold_shift_before_add(uint32_t i) {
    uint32_t n = pc();
    if (n < 2 || buf_.ops[n - 2] != kI32ShlImm || vs_[i].kind != Entry::Temp || (bound_pc_ > n - 2 && bound_pc_ <= n))
      return false;
    const Ins shl = buf_.code[n - 2], add = buf_.code[n - 1];
    if (shl.a != temp(i) || shl.b >= (1u << 27) || add.b == temp(i)) return false;
    unemit();
    unemit();
    emit_def(kI32AddShlImm, temp(i), add.b, shl.b | ((shl.c & 31) << 27), add.c);
    vs_.resize(i);
    push_temp();
    return true;
  }
  // z + m + k, the sum just computed: m + k (all i32 arithmetic wraps alike).
  bool fold_constant(uint32_t i, uint32_t k) {
    if (!is_last_def(i)) return false;
    uint16_t last = buf_.ops.back();
    if (last == kI32AddImm) buf_.code.back().c += k;
    else if (last == kI32AddShlImm) buf_.code.back().d += k;
    else return false;
    vs_.resize(i);
    push_temp();
    return true;
  }

  void binary(const Instr& given) {
    if (fuse_memory_operand(given) || fuse_shift_operand(given)) return;
    if (fuse_product(given)) return;
    uint32_t i = size() - 2, j = size() - 1;
    Instr in = given;
    uint16_t imm = fuse_ ? imm_form(uint16_t(in.op)) : 0;
    auto fits = [&](const Entry& e) {
      if (e.kind != Entry::Const) return false;
      const OpInfo& info = op_info(in.op);
      return info.p1 == SigType::I32 || info.p1 == SigType::F32 || info.p1 == SigType::F64 ||
             int64_t(e.value) == int64_t(int32_t(e.value));
    };
    // A constant first operand of a commutative op works as the immediate too,
    // and of a compare as the immediate of the mirrored compare (c < x: x > c).
    if (imm && !fits(vs_[j]) && fits(vs_[i]) && (commutative(in.op) || mirrored(in.op) != in.op)) {
      std::swap(i, j);
      in.op = mirrored(in.op);
      imm = imm_form(uint16_t(in.op));
    }
    // Of another op: its form with the constant first (0 - x, 1 << n).
    if (uint16_t imm_x = fuse_ ? imm_x_form(uint16_t(in.op)) : 0; imm_x && !fits(vs_[j]) && fits(vs_[i])) {
      uint32_t value = uint32_t(vs_[i].value);
      uint32_t sb = use(j);
      emit_def(imm_x, temp(i), value, sb);
      vs_.resize(i);
      push_temp();
      return;
    }
    if (fuse_ && j == size() - 1 && vs_[j].kind == Entry::Const && is_identity(in.op, vs_[j].value)) {
      vs_.pop_back();  // x + 0 and the like: x itself, no instruction
      return;
    }
    if (imm == kI32AddImm && i == size() - 2 && fits(vs_[j]) && fold_constant(i, uint32_t(vs_[j].value))) return;
    if (imm && fits(vs_[j])) {
      uint64_t value = vs_[j].value;
      uint32_t sa = use(i);
      emit_def(imm, temp(size() - 2), sa, uint32_t(value), uint32_t(value >> 32));
    } else {
      uint32_t sa = use(i);
      uint32_t sb = use(j);
      emit_def(uint16_t(in.op), temp(size() - 2), sa, sb);
    }
    i = size() - 2;
    vs_.resize(i);
    push_temp();
  }
  // A load whose address was just computed by an i32.add adds it itself.
  void load(const Instr& in) {
    if (!fuse_) return unary(uint16_t(in.op), in.b);
    if (vs_.back().kind == Entry::Const) {
      uint32_t i = size() - 1;
      emit_def(const_form(uint16_t(in.op), true, false), temp(i), uint32_t(vs_[i].value), in.b);
      vs_[i] = {};
      return;
    }
    uint16_t last = top_is_last_def() ? buf_.ops.back() : 0;
    if (last == uint16_t(Op::I32Add) || last == kI32AddImm) {
      Ins add = buf_.code.back();
      unemit();
      emit_def(load_add_form(uint16_t(in.op), last == kI32AddImm), add.a, add.b, add.c, in.b);
      return;
    }
    unary(uint16_t(in.op), in.b);  // c = offset
  }
  // A load or store of a memory other than 0: its generic op, never fused
  // (every fused form addresses memory 0).
  void other_memory(const Instr& in, bool is_load) {
    const uint16_t op = memory_form(in);
    const uint32_t i = size() - (is_load ? 1 : 2);
    const uint32_t d = uint32_t(in.imm) | uint32_t(in.op) << 16;  // memories < 2^16 (kMaxMemories)
    if (is_load) {
      emit_def(op, temp(i), use(i), in.b, d);
      vs_[i] = {};
      return;
    }
    uint32_t sv = use(i + 1);
    emit(op, sv, use(i), in.b, d);
    vs_.resize(i);
  }
  void store(const Instr& in) {
    uint32_t i = size() - 2, j = size() - 1;
    if (!fuse_ || !fuse_store(in)) {
      uint32_t sv = use(j);
      uint32_t sa = use(i);
      emit(uint16_t(in.op), sv, sa, in.b);
    }
    vs_.resize(i);
  }
  // The fused forms of a store (emitted, true) of the value j to address i:
  // a load stored at once, a read-modify-write, constant address or value,
  // an address added by the store itself.
  bool fuse_store(const Instr& in) {
    uint32_t i = size() - 2, j = size() - 1;
    if (is_last_def(j) && buf_.ops.back() < uint16_t(Op::Count_) &&
        op_info(Op(buf_.ops.back())).mem_bytes == op_info(in.op).mem_bytes) {
      // A value just loaded (plain form, same width): one memory-to-memory move.
      Ins ld = buf_.code.back();
      unemit();
      uint32_t sa = use(i);
      uint32_t bytes = op_info(in.op).mem_bytes;
      emit(bytes == 1 ? kMove1 : bytes == 2 ? kMove2 : bytes == 4 ? kMove4 : kMove8, sa, ld.b, ld.c, in.b);
      return true;
    }
    if (is_last_def(j) && mem_store_form(buf_.ops.back()) && vs_[i].kind != Entry::Const) {
      // x op mem[p] stored back to mem[p] (same full-width access): one op.
      Ins op = buf_.code.back();
      uint32_t sa = use(i);
      uint16_t wide = buf_.ops.back();
      bool same_width = op_info(in.op).mem_bytes == slot_width(wide);
      if (sa == op.c && in.b == op.d && op.a != op.c && same_width) {
        unemit();
        if (!fuse_multiply_accumulate(wide, op)) emit(mem_store_form(wide), 0, op.b, op.c, op.d);
        return true;
      }
    }
    bool abs = vs_[i].kind == Entry::Const, val = vs_[j].kind == Entry::Const;
    if (abs || val) {
      uint16_t op = const_form(uint16_t(in.op), abs, val);
      uint64_t v = vs_[j].value;
      uint32_t sv = val ? uint32_t(v) : use(j);
      uint32_t sa = abs ? uint32_t(vs_[i].value) : use(i);
      emit(op, sv, sa, in.b, uint32_t(v >> 32));
      return true;
    }
    // A local stored to an address just computed by an i32.add: the store adds it.
    uint16_t last = is_last_def(i) && vs_[j].kind == Entry::Local ? buf_.ops.back() : 0;
    if (last != uint16_t(Op::I32Add) && last != kI32AddImm) return false;
    Ins add = buf_.code.back();
    unemit();
    emit(load_add_form(uint16_t(in.op), last == kI32AddImm), vs_[j].local, add.b, add.c, in.b);
    return true;
  }
  // A float op on the product the instruction just emitted (a temporary)
  // and a slot z: one op (p * z, z + p, z - p, ...).
  bool fuse_product(const Instr& in) {
    if (!fuse_ || pc() == 0) return false;
    const uint16_t mul = buf_.ops.back();
    const bool f64 = mul == uint16_t(Op::F64Mul);
    if (!f64 && mul != uint16_t(Op::F32Mul)) return false;
    uint32_t i = size() - 2, j = size() - 1;
    const bool first = is_last_def(i) && vs_[j].kind == Entry::Local, second = is_last_def(j);
    if (!first && !second) return false;
    const uint16_t form = product_form(in.op, f64, first);
    // z computed before the product lives below it; a constant z would be
    // put into a slot the product's operands may still occupy.
    if (!form || (second && vs_[i].kind == Entry::Const)) return false;
    const Ins p = buf_.code.back();
    unemit();
    const uint32_t z = first ? vs_[j].local : use(i);
    emit_def(form, temp(i), p.b, p.c, z);
    vs_.resize(i);
    push_temp();
    return true;
  }
  // mem[p] = t + mem[p] (`add`, unemitted, its store offset 0) whose t is
  // the temporary the instruction just emitted multiplied: one op.
  bool fuse_multiply_accumulate(uint16_t add_op, const Ins& add) {
    const uint32_t n = pc();
    if (add.d != 0 || n < 1 || bound_pc_ == n) return false;
    const Ins& mul = buf_.code[n - 1];
    const uint16_t m = buf_.ops[n - 1];
    const uint16_t form = mul_add_mem_st_form(add_op, m);
    if (!form || mul.a != add.b || mul.a < nl_) return false;
    Ins fused{nullptr, add.c, mul.b, mul.c, mul.d};
    unemit();
    emit(form, fused.a, fused.b, fused.c, fused.d);
    return true;
  }
  void unary(uint16_t op, uint32_t extra = 0) {
    uint32_t i = size() - 1;
    uint32_t s = use(i);
    emit_def(op, temp(i), s, extra);
    vs_[i] = {};
  }
  // Ops that take their k operands in consecutive slots and leave r results there.
  void stacked(uint16_t op, uint32_t k, uint32_t r, uint32_t b = 0, uint32_t c = 0, uint32_t d = 0) {
    materialize_range(size() - k, size());
    emit(op, temp(size() - k), b, c, d);
    vs_.resize(size() - k);
    push_temp(r);
  }

  void call(uint16_t op, uint32_t a, const FuncType& t, uint32_t table) {
    uint32_t np = uint32_t(t.params.size());
    uint32_t idx = 0;
    if (op == kCallIndirect) {
      idx = use(size() - 1);
      vs_.pop_back();
    }
    materialize_range(size() - np, size());
    uint32_t frame = temp(size() - np);
    emit(op, a, frame, table, idx);
    vs_.resize(size() - np);
    push_temp(uint32_t(t.results.size()));
  }

  void step(const Instr& in) {
    if (ctrls_.back().unreachable) {
      switch (in.op) {
        case Op::Block: case Op::Loop: case Op::If: {
          Ctrl c{in.op, size(), 0, 0, 0};
          c.unreachable = c.dead = true;
          push_ctrl(std::move(c));
          return;
        }
        case Op::Else: if (ctrls_.back().dead) return; break;
        case Op::End: if (ctrls_.back().dead) { ctrls_.pop_back(); return; } break;
        default: return;
      }
    }
    const OpInfo& info = op_info(in.op);
    if (info.p0 != SigType::Special) {
      if (info.mem_bytes) {
        if (in.imm) return other_memory(in, info.result != SigType::X);
        if (info.result != SigType::X) return load(in);
        return store(in);
      }
      if (info.p0 == SigType::X) {
        if (in.op == Op::Nop) return;
        bool narrow = info.result == SigType::I32 || info.result == SigType::F32;
        return push_entry({Entry::Const, 0, narrow ? uint32_t(in.imm) : in.imm});  // constants
      }
      if (info.p1 != SigType::X) return binary(in);
      return unary(uint16_t(in.op));
    }
    switch (in.op) {
      case Op::Unreachable: emit(uint16_t(in.op)); set_unreachable(); return;
      case Op::Block:
      case Op::Loop: {
        uint32_t n_in, n_out;
        block_arity(in.imm, &n_in, &n_out);
        materialize_all();
        bind(in.op == Op::Loop);
        zero_locals_.before_open(ctrls_.size());
        push_ctrl(Ctrl(in.op, size() - n_in, n_in, n_out, pc()));
        return;
      }
      case Op::If: {
        uint32_t n_in, n_out;
        block_arity(in.imm, &n_in, &n_out);
        Cond cond = take_cond();
        materialize_all();
        Ctrl c{Op::If, size() - n_in, n_in, n_out, 0};
        c.else_fixup = emit_cond_branch(cond, false);
        zero_locals_.before_open(ctrls_.size());
        push_ctrl(std::move(c));
        zero_locals_.open_if(ctrls_.back().flow);
        return;
      }
      case Op::Else: {
        Ctrl& c = ctrls_.back();
        if (!c.unreachable) {
          materialize_range(c.height, size());
          link(c, emit(kJump));
        }
        patch(uint32_t(c.else_fixup), pc());
        bind(false);  // the else part starts in the if's state
        zero_locals_.start_else(c.flow);
        c.else_fixup = -1;
        c.kind = Op::Else;
        c.unreachable = false;
        vs_.resize(c.height);
        push_temp(c.n_in);
        return;
      }
      case Op::End: {
        Ctrl c = std::move(ctrls_.back());
        ctrls_.pop_back();
        if (ctrls_.empty()) {  // the function body
          if (!c.unreachable && c.fixups.empty() && c.table_fixups.empty()) return emit_return();
          if (!c.unreachable) materialize_all();
          bind_end(c);
          emit(kReturn, temp(0), num_results_);
          return;
        }
        if (!c.unreachable) materialize_range(c.height, size());
        bind_end(c);
        vs_.resize(c.height);
        push_temp(c.n_out);
        return;
      }
      case Op::Br: return branch(in.a);
      case Op::BrIf: return branch_if(in.a);
      case Op::BrTable: return branch_table(in);
      case Op::Return: emit_return(); set_unreachable(); return;
      case Op::Call: return call(kCall, in.a, m_.types[m_.func_type_index(in.a)], 0);
      case Op::CallIndirect: return call(kCallIndirect, type_ids_[in.a], m_.types[in.a], in.b);
      case Op::Drop: vs_.pop_back(); return;
      case Op::Select:
      case Op::SelectT: {
        uint32_t i = size() - 3;
        // A constant arm of at most 32 bits (c ? -1 : x) goes into the op.
        auto imm = [&](uint32_t k) { return fuse_ && vs_[k].kind == Entry::Const && vs_[k].value >> 32 == 0; };
        if (imm(i) || imm(i + 1)) {
          const bool x = imm(i);
          uint32_t sx = x ? uint32_t(vs_[i].value) : use(i), sy = x ? use(i + 1) : uint32_t(vs_[i + 1].value);
          emit_def(x ? kSelectImmX : kSelectImmY, temp(i), sx, sy, use(i + 2));
          vs_.resize(i);
          push_temp();
          return;
        }
        uint32_t sx = use(i), sy = use(i + 1), sc = use(i + 2);
        emit_def(kSelect, temp(i), sx, sy, sc);
        vs_.resize(i);
        push_temp();
        return;
      }
      case Op::LocalGet: return push_entry({Entry::Local, in.a, 0});
      case Op::LocalSet: return local_set(in.a, false);
      case Op::LocalTee: return local_set(in.a, true);
      case Op::GlobalGet: push_temp(); emit_def(kGlobalGet, temp(size() - 1), in.a); return;
      case Op::GlobalSet: emit(kGlobalSet, use(size() - 1), in.a); vs_.pop_back(); return;
      case Op::RefNull: return push_entry({Entry::Const, 0, 0});
      case Op::RefIsNull: return unary(uint16_t(in.op));
      case Op::RefFunc: push_temp(); emit_def(uint16_t(in.op), temp(size() - 1), in.a); return;
      case Op::MemorySize: push_temp(); emit_def(memory_form(in), temp(size() - 1), in.a, 0, uint32_t(in.op)); return;
      case Op::MemoryGrow: return stacked(memory_form(in), 1, 1, in.a, 0, uint32_t(in.op));
      case Op::TableGet: return stacked(uint16_t(in.op), 1, 1, in.a);
      case Op::TableSet: return stacked(uint16_t(in.op), 2, 0, in.a);
      case Op::TableSize: push_temp(); emit_def(uint16_t(in.op), temp(size() - 1), in.a); return;
      case Op::TableGrow: return stacked(uint16_t(in.op), 2, 1, in.a);
      case Op::TableFill: return stacked(uint16_t(in.op), 3, 0, in.a);
      case Op::TableCopy: case Op::TableInit: return stacked(uint16_t(in.op), 3, 0, in.a, in.b);
      case Op::MemoryInit: case Op::MemoryCopy: case Op::MemoryFill:
        return stacked(memory_form(in), 3, 0, in.a, in.b, uint32_t(in.op));
      case Op::ElemDrop: case Op::DataDrop: emit(uint16_t(in.op), in.a); return;
      default: emit(uint16_t(Op::Unreachable)); return;  // not reached: the validator knows every op
    }
  }

  const Module& m_;
  const Function& f_;
  const std::vector<uint32_t>& type_ids_;
  const bool fuse_;  // superinstructions and immediate forms
  CompiledFunc out_;
  CodeBuf& buf_;
  uint32_t num_params_ = 0, num_results_ = 0;
  std::vector<Ctrl> ctrls_;
  std::vector<Entry> vs_;
  // Where the entries naming each local are (local.set must materialize
  // them first), so that it need not scan the whole stack.
  std::vector<std::vector<uint32_t>> local_refs_;
  std::vector<uint32_t> hits_;
  uint32_t temp_floor_ = 0;  // vs_[0, temp_floor_) are Temps
  uint32_t nl_ = 0, max_h_ = 0;
  int64_t last_def_ = -1;  // the instruction that computed the top Temp, if fusable
  EntryLocals zero_locals_;  // the zero-store elision's dataflow
  uint32_t bound_pc_ = ~0u;  // the last branch target bound
};

}  // namespace

CompiledFunc compile_function(const Module& m, const Function& f, const std::vector<uint32_t>& type_ids,
                              Arena& arena, CodeBuf& scratch, bool fuse) {
  return Compiler(m, f, type_ids, fuse, scratch).run(arena);
}

}  // namespace whirl::wasm::interp
