// Which fused and immediate forms of an op exist (the compiler's lookup
// tables, generated from slot_ops.def), and the names of slot-code ops.
#include "wasm/interp/forms.h"

namespace whirl::wasm::interp {
using f32 = float;
using f64 = double;

uint16_t imm_form(uint16_t op) {
  switch (op) {
#define IBIN(N, T, E) case uint16_t(Op::N): return k##N##Imm;
#define ICMP(N, T, E) case uint16_t(Op::N): return k##N##Imm;
#define FBINM(N, F, E) case uint16_t(Op::N): return k##N##Imm;
#include "wasm/interp/slot_ops.def"
    default: return 0;
  }
}

uint16_t imm_x_form(uint16_t op) {
  switch (op) {
#define IBINR(N, T, E) case uint16_t(Op::N): return k##N##ImmX;
#define IBINMR(N, T, E) case uint16_t(Op::N): return k##N##ImmX;
#include "wasm/interp/slot_ops.def"
    default: return 0;
  }
}

uint16_t shift_form(Op op, uint16_t shift) {
  auto pick = [&](uint16_t shl, uint16_t shr_u, uint16_t rotl) -> uint16_t {
    return shift == kI32ShlImm ? shl : shift == kI32ShrUImm ? shr_u : shift == kI32RotlImm ? rotl : 0;
  };
  switch (op) {
    case Op::I32Add: return pick(kI32AddShl, kI32AddShrU, kI32AddRotl);
    case Op::I32Xor: return pick(kI32XorShl, kI32XorShrU, kI32XorRotl);
    case Op::I32Or: return pick(kI32OrShl, kI32OrShrU, kI32OrRotl);
    default: return 0;
  }
}

uint16_t product_form(Op op, bool f64, bool first) {
  switch (op) {
    case Op::F32Mul: return f64 ? 0 : first ? kF32MulMul : kF32MulMulR;
    case Op::F32Add: return f64 ? 0 : first ? kF32MulAdd : kF32AddMul;
    case Op::F32Sub: return f64 ? 0 : first ? kF32MulSub : kF32SubMul;
    case Op::F64Mul: return f64 ? (first ? kF64MulMul : kF64MulMulR) : 0;
    case Op::F64Add: return f64 ? (first ? kF64MulAdd : kF64AddMul) : 0;
    case Op::F64Sub: return f64 ? (first ? kF64MulSub : kF64SubMul) : 0;
    default: return 0;
  }
}

uint16_t mul_add_mem_st_form(uint16_t add_mem, uint16_t mul) {
  if (add_mem == kF64AddMem) return mul == kF64MulMem ? kF64MulAddMemSt : mul == kF64MulMemImm ? kF64MulAddMemStImm : 0;
  if (add_mem == kF32AddMem) return mul == kF32MulMem ? kF32MulAddMemSt : mul == kF32MulMemImm ? kF32MulAddMemStImm : 0;
  return 0;
}

Op mirrored(Op op) {
  switch (op) {
    case Op::I32LtS: return Op::I32GtS;
    case Op::I32LtU: return Op::I32GtU;
    case Op::I32GtS: return Op::I32LtS;
    case Op::I32GtU: return Op::I32LtU;
    case Op::I32LeS: return Op::I32GeS;
    case Op::I32LeU: return Op::I32GeU;
    case Op::I32GeS: return Op::I32LeS;
    case Op::I32GeU: return Op::I32LeU;
    case Op::I64LtS: return Op::I64GtS;
    case Op::I64LtU: return Op::I64GtU;
    case Op::I64GtS: return Op::I64LtS;
    case Op::I64GtU: return Op::I64LtU;
    case Op::I64LeS: return Op::I64GeS;
    case Op::I64LeU: return Op::I64GeU;
    case Op::I64GeS: return Op::I64LeS;
    case Op::I64GeU: return Op::I64LeU;
    default: return op;
  }
}

namespace {
// `mem` if `load` is the full-width load `plain`, `mem_imm` if it is that
// load's form adding an immediate to its address, else 0.
uint16_t by_load(uint16_t load, Op plain, uint16_t mem, uint16_t mem_imm) {
  if (load == uint16_t(plain)) return mem;
  return load == load_add_form(uint16_t(plain), true) ? mem_imm : 0;
}
}  // namespace

uint16_t mem_form(uint16_t op, uint16_t load) {
  switch (op) {
#define IBINM(N, T, E) \
  case uint16_t(Op::N): return by_load(load, sizeof(T) == 4 ? Op::I32Load : Op::I64Load, k##N##Mem, k##N##MemImm);
#define FBINM(N, F, E) \
  case uint16_t(Op::N): return by_load(load, sizeof(F) == 4 ? Op::F32Load : Op::F64Load, k##N##Mem, k##N##MemImm);
#include "wasm/interp/slot_ops.def"
    default: return 0;
  }
}

uint32_t slot_width(uint16_t op) {
  switch (op) {
#define IBINM(N, T, E) case k##N##Mem: return sizeof(T);
#define FBINM(N, F, E) case k##N##Mem: return sizeof(F);
#include "wasm/interp/slot_ops.def"
    default: return 0;
  }
}

uint16_t mem_store_form(uint16_t op) {
  switch (op) {
#define IBINM(N, T, E) case k##N##Mem: return k##N##MemSt;
#define FBINM(N, F, E) case k##N##Mem: return k##N##MemSt;
#include "wasm/interp/slot_ops.def"
    default: return 0;
  }
}

uint16_t load_add_form(uint16_t op, bool imm) {
  switch (op) {
#define LOAD(N, T, R) case uint16_t(Op::N): return imm ? k##N##AddImm : k##N##Add;
#define STORE(N, T) case uint16_t(Op::N): return imm ? k##N##AddImm : k##N##Add;
#include "wasm/interp/slot_ops.def"
    default: return 0;
  }
}

uint16_t const_form(uint16_t op, bool abs, bool val) {
  switch (op) {
#define LOAD(N, T, R) case uint16_t(Op::N): return abs && !val ? k##N##Abs : 0;
#define STORE(N, T) case uint16_t(Op::N): return abs ? (val ? k##N##AbsVal : k##N##Abs) : val ? k##N##Val : 0;
#include "wasm/interp/slot_ops.def"
    default: return 0;
  }
}

uint16_t branch_form(uint16_t op, bool when) {
  switch (op) {
#define ICMP(N, T, E)                                                    \
  case uint16_t(Op::N): return when ? kBrIf##N : kBrUnless##N;           \
  case k##N##Imm: return when ? kBrIf##N##Imm : kBrUnless##N##Imm;
#define FCMP(N, F, E) case uint16_t(Op::N): return when ? kBrIf##N : kBrUnless##N;
#include "wasm/interp/slot_ops.def"
    case uint16_t(Op::I32Eqz): return when ? kBrIfZ : kBrIfNz;
    case uint16_t(Op::I32And): return when ? kBrIfTest : kBrUnlessTest;
    case kI32AndImm: return when ? kBrIfTestImm : kBrUnlessTestImm;
    default: return 0;
  }
}

bool commutative(Op op) {
  switch (op) {
    case Op::I32Add: case Op::I32Mul: case Op::I32And: case Op::I32Or: case Op::I32Xor:
    case Op::I32Eq: case Op::I32Ne: case Op::I64Add: case Op::I64Mul: case Op::I64And:
    case Op::I64Or: case Op::I64Xor: case Op::I64Eq: case Op::I64Ne:
      return true;
    default:
      return false;
  }
}

bool is_identity(Op op, uint64_t value) {
  switch (op) {
    case Op::I32Add: case Op::I32Sub: case Op::I32Or: case Op::I32Xor: case Op::I32Shl: case Op::I32ShrS:
    case Op::I32ShrU: case Op::I32Rotl: case Op::I32Rotr: case Op::I64Add: case Op::I64Sub: case Op::I64Or:
    case Op::I64Xor: case Op::I64Shl: case Op::I64ShrS: case Op::I64ShrU: case Op::I64Rotl: case Op::I64Rotr:
      return value == 0;
    case Op::I32Mul: case Op::I64Mul:
      return value == 1;
    case Op::I32And: return value == 0xffffffffu;
    case Op::I64And: return value == ~uint64_t(0);
    default:
      return false;
  }
}

uint16_t memory_form(const Instr& in) {
  switch (in.op) {
    case Op::MemorySize: case Op::MemoryGrow: case Op::MemoryFill:
      return in.a ? uint16_t(kBulkMulti) : uint16_t(in.op);
    case Op::MemoryCopy: return in.a || in.b ? uint16_t(kBulkMulti) : uint16_t(in.op);
    case Op::MemoryInit: return in.b ? uint16_t(kBulkMulti) : uint16_t(in.op);
    default: return op_info(in.op).mem_bytes && in.imm ? uint16_t(kAccessMulti) : uint16_t(in.op);
  }
}

bool merge_copy(CodeBuf& buf, uint32_t dst, uint32_t src) {
  Ins& prev = buf.code.back();
  auto fits = [](std::initializer_list<uint32_t> v) {
    for (uint32_t x : v)
      if (x >= 0x10000) return false;
    return true;
  };
  if (buf.ops.back() == kCopy) {
    prev.c = dst;
    prev.d = src;
    buf.ops.back() = kCopy2;
  } else if (buf.ops.back() == kCopy2 && fits({prev.a, prev.b, prev.c, prev.d, dst, src})) {
    prev = {nullptr, prev.a | prev.b << 16, prev.c | prev.d << 16, dst | src << 16, 0};
    buf.ops.back() = kCopy3;
  } else if (buf.ops.back() == kCopy3 && fits({dst, src})) {
    prev.d = dst | src << 16;
    buf.ops.back() = kCopy4;
  } else {
    return false;
  }
  return true;
}

std::string slot_op_name(uint16_t op) {
  if (op < uint16_t(Op::Count_)) return std::string(op_info(Op(op)).text);
  static const char* const names[] = {
      "const", "copy", "jump", "br_if_nz", "br_if_z", "br_table", "br_table_copy", "tick",
      "br_if_nz_else_tick", "br_if_z_else_tick", "return", "return_in_place",
      "call", "call_direct", "enter", "call_indirect", "select", "select_imm_x", "select_imm_y",
      "global.get", "global.set", "i32.add_shl",
      "table_entry", "br_if_test", "br_unless_test", "br_if_test_imm", "br_unless_test_imm",
      "move1", "move2", "move4", "move8",
      "i32.inc2", "copy2", "copy3", "copy4", "i32.add_shr_u", "i32.add_rotl", "i32.xor_shl", "i32.xor_shr_u",
      "i32.xor_rotl", "i32.or_shl", "i32.or_shr_u", "i32.or_rotl", "i32.add_shl_imm",
      "br_table_load", "br_table_load8_u", "br_table_load_copy", "br_table_load8_u_copy",
      "inc_br_ne", "inc_br_ne_imm",
      "inc2_br_nz", "inc2_br_z", "inc2_br_nz_else_tick", "inc2_br_z_else_tick",
      "i32.add_shl2_imm", "i32.add_shl3_imm",
      "f32.mul_add_mem_st", "f32.mul_add_mem_st_imm", "f64.mul_add_mem_st", "f64.mul_add_mem_st_imm",
      "f32.mul_mul", "f32.mul_mul_r", "f32.mul_add", "f32.add_mul", "f32.mul_sub", "f32.sub_mul",
      "f64.mul_mul", "f64.mul_mul_r", "f64.mul_add", "f64.add_mul", "f64.mul_sub", "f64.sub_mul",
#define ICMP(N, T, E) #N "_imm", "br_if_" #N, "br_if_" #N "_imm", "br_unless_" #N, "br_unless_" #N "_imm",
#define FCMP(N, F, E) "br_if_" #N, "br_unless_" #N,
#define IBIN(N, T, E) #N "_imm",
#define IBINM(N, T, E) #N "_imm", #N "_mem", #N "_mem_st", #N "_mem_imm",
#define IBINR(N, T, E) #N "_imm", #N "_imm_x",
#define IBINMR(N, T, E) #N "_imm", #N "_mem", #N "_mem_st", #N "_mem_imm", #N "_imm_x",
#define FBINM(N, F, E) #N "_imm", #N "_mem", #N "_mem_st", #N "_mem_imm",
#define LOAD(N, T, R) #N "_add", #N "_add_imm", #N "_abs",
#define STORE(N, T) #N "_add", #N "_add_imm", #N "_abs", #N "_val", #N "_abs_val",
#include "wasm/interp/slot_ops.def"
      "access_multi", "bulk_multi",
      "throw",
  };
  static_assert(sizeof(names) / sizeof(names[0]) == kIOpCount - uint16_t(Op::Count_));
  return names[op - uint16_t(Op::Count_)];
}

}  // namespace whirl::wasm::interp
