// The function compiler's state (internal to src/wasm/interp): shared by
// compiler.cc (control flow, calls, the instruction switch) and
// compiler_fuse.cc (superinstructions: fused operands, stores, loop steps).
#pragma once

#include <algorithm>

#include "wasm/interp/code.h"
#include "wasm/interp/entry_locals.h"
#include "wasm/interp/forms.h"

namespace whirl::wasm::interp {
namespace compiler_detail {

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
  std::vector<uint32_t> handler_fixups;  // catch clauses (handlers_) landing at the end
  int64_t try_start = -1;                // a try_table: the first instruction it covers
  uint32_t try_first = 0, try_count = 0; // a try_table: its clauses in handlers_
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

  CompiledFunc run(Arena& arena);

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
  Cond take_cond();
  // Emits a branch taken when `cond` is `when`; returns its index.
  uint32_t emit_cond_branch(const Cond& c, bool when) {
    if (c.br_true == 0) return emit(when ? kBrIfNz : kBrIfZ, 0, c.x);
    return emit(when ? c.br_true : c.br_false, 0, c.x, c.y);
  }
  // Points branch instruction `at` (its field a) to `target`.
  void patch(uint32_t at, uint32_t target) { buf_.code[at].a = uint32_t(int32_t(target) - int32_t(at)); }

  // Moves the top n entries to label c's slots; false if already in place.
  void move_to_label(const Ctrl& c, uint32_t n);
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

  void branch(uint32_t depth);
  void branch_if(uint32_t depth);
  // br_table: the instruction, then one entry per target (and the default)
  // in the code stream: a = pc delta from the br_table, b = values kept,
  // c = the slot they go to.
  void branch_table(const Instr& in);
  void emit_return();
  // Binds the end of block c here: control arrives from the branches to it,
  // the fall-through (unless unreachable) and an if's missing else.
  void bind_end(Ctrl& c);

  // try_table: a block whose catch clauses become handlers over its code.
  void try_table(const Instr& in);
  void throw_tag(const Instr& in);

  // The entries below the top that still name local x, in stack order
  // (local_refs_[x] also lists entries popped or materialized since).
  const std::vector<uint32_t>& refs_to(uint32_t x);

  void local_set(uint32_t x, bool tee);

  // An in-place `x += k` followed by the branch at `at` on x != y (a loop's
  // step and test) becomes one kIncBrNe; returns the branch's index.
  uint32_t fuse_step(uint32_t at);

  // Two adjacent in-place i32 increments (x += k; y += m, the common loop
  // step) become one instruction, unless the second is a branch target.
  void merge_increments();

  // True if entry idx is a Temp computed by the instruction just emitted.
  bool is_last_def(uint32_t idx) const {
    return last_def_ >= 0 && uint32_t(last_def_) == pc() - 1 && vs_[idx].kind == Entry::Temp &&
           buf_.code.back().a == temp(idx);
  }
  // x op load(addr): the load just emitted becomes the op's memory operand.
  bool fuse_memory_operand(const Instr& in);

  // x op (y shift k), the shift just emitted: one instruction. For
  // x + (y << k) with x = z + m computed just before (array base + offset),
  // that folds in too.
  bool fuse_shift_operand(const Instr& in);
  // Emits t = z + (y << k) + m if t = z + m is the instruction just emitted
  // or the one before an in-place increment of another slot (nothing in
  // between is a branch target).
  bool fold_add_imm(uint32_t t, uint32_t y, uint32_t k);

  // (y << k) + (z + m), the shift into temp i just before the add: as above.
  bool fold_shift_before_add(uint32_t i);
  // z + m + k, the sum just computed: m + k (all i32 arithmetic wraps alike).
  bool fold_constant(uint32_t i, uint32_t k);

  void binary(const Instr& given);
  // A load whose address was just computed by an i32.add adds it itself.
  void load(const Instr& in);
  // A load or store of a memory other than 0: its generic op, never fused
  // (every fused form addresses memory 0).
  void other_memory(const Instr& in, bool is_load);
  void store(const Instr& in);
  // The fused forms of a store (emitted, true) of the value j to address i:
  // a load stored at once, a read-modify-write, constant address or value,
  // an address added by the store itself.
  bool fuse_store(const Instr& in);
  // A float op on the product the instruction just emitted (a temporary)
  // and a slot z: one op (p * z, z + p, z - p, ...).
  bool fuse_product(const Instr& in);
  // mem[p] = t + mem[p] (`add`, unemitted, its store offset 0) whose t is
  // the temporary the instruction just emitted multiplied: one op.
  bool fuse_multiply_accumulate(uint16_t add_op, const Ins& add);
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

  void call(uint16_t op, uint32_t a, const FuncType& t, uint32_t table);

  void step(const Instr& in);

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
  std::vector<Handler> handlers_;  // catch clauses, in try_table order
  struct Try {
    uint32_t end, first, count;
  };
  std::vector<Try> tries_;  // closed try_tables, innermost (first closed) first
};

}  // namespace compiler_detail
}  // namespace whirl::wasm::interp
