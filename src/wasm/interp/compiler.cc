// Translation of validated function bodies into slot code (see code.h).
//
// The compiler mirrors the operand stack with `Entry`s: a value computed
// into its stack slot (Temp), or still just a local or a constant. Entries
// are "materialized" (copied into their stack slot) only where needed: at
// block boundaries, before a local they name is overwritten, and for calls.
// That turns most local.get/const/local.set traffic into operand addresses.
#include "wasm/interp/compiler.h"

namespace whirl::wasm::interp {
namespace compiler_detail {

CompiledFunc Compiler::run(Arena& arena) {
  const FuncType& t = m_.types[f_.type_index];
  num_params_ = uint32_t(t.params.size());
  num_results_ = uint32_t(t.results.size());
  nl_ = uint32_t(t.params.size() + f_.locals.size());
  zero_locals_.start(nl_);
  buf_.code.reserve(f_.body.size() / 2 + 4);
  push_ctrl(Ctrl(Op::Block, 0, 0, uint32_t(t.results.size()), 0));
  emit(kEnter);
  for (const Instr& in : f_.body) step(in);
  // Copied tails would move throwing instructions out of their try ranges.
  if (fuse_ && handlers_.empty()) duplicate_jump_tails(buf_);
  if (fuse_) finish_forms(buf_);
  buf_.code[0].a = nl_ + max_h_ + 1;  // the frame: locals and operand slots
  buf_.code[0].b = num_params_;
  buf_.code[0].c = nl_ - num_params_;
  out_.code = arena.copy(buf_.code);
  out_.ops = arena.copy(buf_.ops);
  if (!handlers_.empty()) {
    // Innermost first: by try_table end (inner ones end first), clauses in order.
    std::vector<Handler> sorted;
    sorted.reserve(handlers_.size());
    for (const auto& [end, first, count] : tries_)
      for (uint32_t k = 0; k < count; ++k) sorted.push_back(handlers_[first + k]);
    out_.handlers = arena.copy(sorted);
  }
  return out_;
}

Cond Compiler::take_cond() {
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

void Compiler::move_to_label(const Ctrl& c, uint32_t n) {
  uint32_t from = size() - n;
  for (uint32_t k = 0; k < n; ++k) {
    const Entry& e = vs_[from + k];
    uint32_t dst = temp(c.height + k);
    if (e.kind == Entry::Temp && from == c.height) continue;
    if (e.kind == Entry::Const) emit(kConst, dst, uint32_t(e.value), uint32_t(e.value >> 32));
    else emit(kCopy, dst, e.kind == Entry::Local ? e.local : temp(from + k));
  }
}

void Compiler::branch(uint32_t depth) {
  Ctrl& c = ctrls_[ctrls_.size() - 1 - depth];
  move_to_label(c, label_arity(c));
  link(c, emit(kJump));
  set_unreachable();
}

void Compiler::branch_if(uint32_t depth) {
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

void Compiler::branch_table(const Instr& in) {
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

void Compiler::emit_return() {
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

void Compiler::bind_end(Ctrl& c) {
  zero_locals_.end(c.flow, c.else_fixup >= 0, !c.unreachable);
  bind(false);
  if (c.else_fixup >= 0) patch(uint32_t(c.else_fixup), pc());
  for (uint32_t f : c.fixups) patch(f, pc());
  for (auto [at, e] : c.table_fixups) buf_.code[e].a = uint32_t(int32_t(pc()) - int32_t(at));
  for (uint32_t h : c.handler_fixups) handlers_[h].target = pc();
}

void Compiler::try_table(const Instr& in) {
  uint32_t n_in, n_out;
  block_arity(in.imm, &n_in, &n_out);
  materialize_all();
  bind(false);
  zero_locals_.before_open(ctrls_.size());
  const uint32_t first = uint32_t(handlers_.size());
  for (uint32_t i = 0; i < in.b; ++i) {
    const uint32_t* k = &f_.br_tables[in.a + 3 * i];
    Ctrl& c = ctrls_[ctrls_.size() - 1 - k[2]];
    Handler h{pc(), 0, k[0] == uint32_t(CatchKind::CatchAll) ? Handler::kCatchAll : k[1], 0, temp(c.height),
              label_arity(c)};
    if (c.kind == Op::Loop) {
      h.target = c.start_pc;
    } else {
      c.handler_fixups.push_back(uint32_t(handlers_.size()));
      // Control arrives there from anywhere in the try_table: no elision.
      c.flow.branches_from_entry = false;
    }
    handlers_.push_back(h);
  }
  push_ctrl(Ctrl(Op::Block, size() - n_in, n_in, n_out, pc()));
  ctrls_.back().try_start = pc();
  ctrls_.back().try_first = first;
  ctrls_.back().try_count = in.b;
}

void Compiler::throw_tag(const Instr& in) {
  const uint32_t n = uint32_t(m_.types[m_.tag_type_index(in.a)].params.size());
  materialize_range(size() - n, size());
  emit(kThrow, in.a, temp(size() - n), n);
  set_unreachable();
}

const std::vector<uint32_t>& Compiler::refs_to(uint32_t x) {
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

void Compiler::local_set(uint32_t x, bool tee) {
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

void Compiler::call(uint16_t op, uint32_t a, const FuncType& t, uint32_t table) {
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

void Compiler::step(const Instr& in) {
  if (ctrls_.back().unreachable) {
    switch (in.op) {
      case Op::Block: case Op::Loop: case Op::If: case Op::TryTable: {
        Ctrl c{in.op == Op::TryTable ? Op::Block : in.op, size(), 0, 0, 0};
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
      if (c.try_start >= 0) {
        for (uint32_t k = 0; k < c.try_count; ++k) handlers_[c.try_first + k].end = pc();
        tries_.push_back({pc(), c.try_first, c.try_count});
      }
      if (ctrls_.empty()) {  // the function body
        if (!c.unreachable && c.fixups.empty() && c.table_fixups.empty() && c.handler_fixups.empty())
          return emit_return();
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
    case Op::TryTable: return try_table(in);
    case Op::Throw: return throw_tag(in);
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

}  // namespace compiler_detail


CompiledFunc compile_function(const Module& m, const Function& f, const std::vector<uint32_t>& type_ids,
                              Arena& arena, CodeBuf& scratch, bool fuse) {
  return compiler_detail::Compiler(m, f, type_ids, fuse, scratch).run(arena);
}

}  // namespace whirl::wasm::interp
