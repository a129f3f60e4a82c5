// Superinstructions formed as code is emitted: operands fused into the
// instruction that uses them (a load, a shift, a product, a constant), the
// fused forms of stores, and a loop's step and test as one instruction.
#include "wasm/interp/compiler.h"

namespace whirl::wasm::interp::compiler_detail {

uint32_t Compiler::fuse_step(uint32_t at) {
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

void Compiler::merge_increments() {
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

bool Compiler::fuse_memory_operand(const Instr& in) {
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

bool Compiler::fuse_shift_operand(const Instr& in) {
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

bool Compiler::fold_add_imm(uint32_t t, uint32_t y, uint32_t k) {
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

bool Compiler::fold_shift_before_add(uint32_t i) {
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

bool Compiler::fold_constant(uint32_t i, uint32_t k) {
  if (!is_last_def(i)) return false;
  uint16_t last = buf_.ops.back();
  if (last == kI32AddImm) buf_.code.back().c += k;
  else if (last == kI32AddShlImm) buf_.code.back().d += k;
  else return false;
  vs_.resize(i);
  push_temp();
  return true;
}

void Compiler::binary(const Instr& given) {
  if (fuse_memory_operand(given) || fuse_shift_operand(given)) return;
  if (fuse_product(given)) return;
  uint32_t i = size() - 2, j = size() - 1;
  Instr in = given;
  uint16_t imm = fuse_ ? imm_form(uint16_t(in.op)) : 0;
  auto fits = [&](const Entry& e) {
    if (e.kind != Entry::Const) return false;
    const OpInfo& info = op_info(in.op);
    // f64 forms read a 64-bit immediate, except copysign's (an IBIN form,
    // whose immediate is 32 bits sign-extended like i64's).
    const bool f64_imm = info.p1 == SigType::F64 && in.op != Op::F64Copysign;
    return info.p1 == SigType::I32 || info.p1 == SigType::F32 || f64_imm ||
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

void Compiler::load(const Instr& in) {
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

void Compiler::other_memory(const Instr& in, bool is_load) {
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

void Compiler::store(const Instr& in) {
  uint32_t i = size() - 2, j = size() - 1;
  if (!fuse_ || !fuse_store(in)) {
    uint32_t sv = use(j);
    uint32_t sa = use(i);
    emit(uint16_t(in.op), sv, sa, in.b);
  }
  vs_.resize(i);
}

bool Compiler::fuse_store(const Instr& in) {
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

bool Compiler::fuse_product(const Instr& in) {
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

bool Compiler::fuse_multiply_accumulate(uint16_t add_op, const Ins& add) {
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

}  // namespace whirl::wasm::interp::compiler_detail
