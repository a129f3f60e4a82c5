// Numeric and memory instructions to LLVM IR, with the spec's exact
// semantics: traps for integer division and float-to-int conversion, wasm's
// min/max/nearest (IEEE 754-2019 minimum/maximum/roundeven), masked shift
// counts. Memory accesses need no bounds checks: a memory reserves every
// 32-bit address plus offset, and an access past its size faults in the
// guard pages, which the tier turns into the trap.
#include <llvm/IR/InlineAsm.h>
#include <llvm/IR/Intrinsics.h>

#include "wasm/aot/translate_func.h"

namespace whirl::wasm::aot {

using llvm::Intrinsic::ID;
using llvm::Value;

namespace {

// After each store to linear memory: a compiler barrier (an empty asm that
// may read and write memory, emitting nothing). LLVM takes stores for
// infallible, but a later access may fault, and what was stored before it
// must be there after the trap: without the barrier dead store elimination
// drops a store that a later one overwrites (`i32.store8 x; i64.store x`
// with x + 8 out of bounds keeps no byte at x), the code generator merges
// adjacent narrow stores into one wide store that faults as a whole, and a
// global.set before a trapping store is dropped for the global.set after
// it. Loads are kept in order by keep() already.
void store_barrier(llvm::IRBuilder<>& b) {
  auto* t = llvm::FunctionType::get(b.getVoidTy(), false);
  b.CreateCall(llvm::InlineAsm::get(t, "", "~{memory}", true));
}

bool is_64(Op op) {
  switch (op) {
    case Op::I64Add: case Op::I64Sub: case Op::I64Mul: case Op::I64DivS: case Op::I64DivU: case Op::I64RemS:
    case Op::I64RemU: case Op::I64And: case Op::I64Or: case Op::I64Xor: case Op::I64Shl: case Op::I64ShrS:
    case Op::I64ShrU: case Op::I64Rotl: case Op::I64Rotr:
      return true;
    default:
      return false;
  }
}

}  // namespace

Value* FuncTranslator::int_binary(Op op, Value* a, Value* b) {
  const bool w = is_64(op);
  llvm::Type* t = w ? mc_.i64 : mc_.i32;
  const unsigned bits = w ? 64 : 32;
  auto c = [&](int64_t v) { return llvm::ConstantInt::get(t, uint64_t(v), true); };
  auto mask = [&](Value* s) { return b_.CreateAnd(s, c(bits - 1)); };
  auto nonzero = [&] { trap_if(b_.CreateICmpEQ(b, c(0)), TrapCode::IntegerDivideByZero); };
  switch (op) {
    case Op::I32Add: case Op::I64Add: return b_.CreateAdd(a, b);
    case Op::I32Sub: case Op::I64Sub: return b_.CreateSub(a, b);
    case Op::I32Mul: case Op::I64Mul: return b_.CreateMul(a, b);
    case Op::I32And: case Op::I64And: return b_.CreateAnd(a, b);
    case Op::I32Or: case Op::I64Or: return b_.CreateOr(a, b);
    case Op::I32Xor: case Op::I64Xor: return b_.CreateXor(a, b);
    case Op::I32Shl: case Op::I64Shl: return b_.CreateShl(a, mask(b));
    case Op::I32ShrS: case Op::I64ShrS: return b_.CreateAShr(a, mask(b));
    case Op::I32ShrU: case Op::I64ShrU: return b_.CreateLShr(a, mask(b));
    case Op::I32Rotl: case Op::I64Rotl:
      return b_.CreateIntrinsic(llvm::Intrinsic::fshl, {t}, {a, a, b});
    case Op::I32Rotr: case Op::I64Rotr:
      return b_.CreateIntrinsic(llvm::Intrinsic::fshr, {t}, {a, a, b});
    case Op::I32DivU: case Op::I64DivU: nonzero(); return b_.CreateUDiv(a, b);
    case Op::I32RemU: case Op::I64RemU: nonzero(); return b_.CreateURem(a, b);
    case Op::I32DivS: case Op::I64DivS: {
      nonzero();
      Value* min = llvm::ConstantInt::get(t, llvm::APInt::getSignedMinValue(bits));
      trap_if(b_.CreateAnd(b_.CreateICmpEQ(a, min), b_.CreateICmpEQ(b, c(-1))), TrapCode::IntegerOverflow);
      return b_.CreateSDiv(a, b);
    }
    case Op::I32RemS: case Op::I64RemS: {
      nonzero();
      // x rem -1 is 0 (the hardware's idiv would fault on INT_MIN).
      Value* safe = b_.CreateSelect(b_.CreateICmpEQ(b, c(-1)), c(1), b);
      return b_.CreateSRem(a, safe);
    }
    default:
      return nullptr;
  }
}

Value* FuncTranslator::float_unary(Op op, Value* a) {
  llvm::Type* t = a->getType();
  auto un = [&](ID id) { return b_.CreateUnaryIntrinsic(id, a); };
  switch (op) {
    case Op::F32Abs: case Op::F64Abs: return un(llvm::Intrinsic::fabs);
    case Op::F32Neg: case Op::F64Neg: return b_.CreateFNeg(a);
    case Op::F32Ceil: case Op::F64Ceil: return un(llvm::Intrinsic::ceil);
    case Op::F32Floor: case Op::F64Floor: return un(llvm::Intrinsic::floor);
    case Op::F32Trunc: case Op::F64Trunc: return un(llvm::Intrinsic::trunc);
    case Op::F32Nearest: case Op::F64Nearest: return un(llvm::Intrinsic::roundeven);
    case Op::F32Sqrt: case Op::F64Sqrt: return un(llvm::Intrinsic::sqrt);
    default: (void)t; return nullptr;
  }
}

// wasm's min/max (LLVM 16's x86 backend has no llvm.minimum): NaN if either
// is NaN, -0 below +0 (equal operands: the sign bits or'ed for min, and'ed
// for max), else the smaller/larger.
Value* FuncTranslator::min_max(Value* a, Value* b, bool is_min) {
  llvm::Type* it = a->getType()->isFloatTy() ? mc_.i32 : mc_.i64;
  Value* pick = b_.CreateSelect(is_min ? b_.CreateFCmpOLT(a, b) : b_.CreateFCmpOGT(a, b), a, b);
  Value* ai = b_.CreateBitCast(a, it);
  Value* bi = b_.CreateBitCast(b, it);
  Value* same = b_.CreateBitCast(is_min ? b_.CreateOr(ai, bi) : b_.CreateAnd(ai, bi), a->getType());
  Value* r = b_.CreateSelect(b_.CreateFCmpOEQ(a, b), same, pick);
  return b_.CreateSelect(b_.CreateFCmpUNO(a, b), b_.CreateFAdd(a, b), r);
}

// A constant operand made opaque: LLVM folds x * 1.0, x - 0.0, x / 1.0 to
// x, which keeps a signaling NaN where wasm gives a quiet (arithmetic) one.
Value* FuncTranslator::opaque(Value* v) {
  if (!llvm::isa<llvm::Constant>(v)) return v;
  return opaque_value(v);
}

Value* FuncTranslator::opaque_value(Value* v) {
  auto* asm_ = llvm::InlineAsm::get(llvm::FunctionType::get(v->getType(), {v->getType()}, false), "", "=x,0", false);
  return b_.CreateCall(asm_, {v});
}

// Keeps a load whose value ends up unused: it must still fault (trap) when
// out of bounds. An empty asm using the value, which emits nothing.
void FuncTranslator::keep(Value* v) {
  const bool fp = v->getType()->isFloatingPointTy();
  auto* asm_ = llvm::InlineAsm::get(llvm::FunctionType::get(mc_.voidt, {v->getType()}, false), "", fp ? "x" : "r", true);
  b_.CreateCall(asm_, {v});
}

Value* FuncTranslator::float_binary(Op op, Value* a, Value* b) {
  if (op != Op::F32Copysign && op != Op::F64Copysign) {
    a = opaque(a);
    b = opaque(b);
  }
  switch (op) {
    case Op::F32Add: case Op::F64Add: return b_.CreateFAdd(a, b);
    case Op::F32Sub: case Op::F64Sub: return b_.CreateFSub(a, b);
    case Op::F32Mul: case Op::F64Mul: return b_.CreateFMul(a, b);
    case Op::F32Div: case Op::F64Div: return b_.CreateFDiv(a, b);
    case Op::F32Min: case Op::F64Min: return min_max(a, b, true);
    case Op::F32Max: case Op::F64Max: return min_max(a, b, false);
    case Op::F32Copysign: case Op::F64Copysign: return b_.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, a, b);
    default: return nullptr;
  }
}

// float -> int with the spec's traps: NaN is an invalid conversion, a value
// whose truncation is out of the target's range an overflow.
Value* FuncTranslator::trunc_checked(Value* x, bool is_signed, bool to64) {
  const bool f32 = x->getType()->isFloatTy();
  trap_if(b_.CreateFCmpUNO(x, x), TrapCode::InvalidConversion);
  // Exclusive bounds: the first values whose truncation does not fit.
  double lo, hi;
  if (is_signed) {
    hi = to64 ? 9223372036854775808.0 : 2147483648.0;
    // -2^N is in range; for f64 -> i32 the next value below it truncates to -2^31 too.
    lo = to64 ? (f32 ? -9223373136366403584.0 : -9223372036854777856.0) : (f32 ? -2147483904.0 : -2147483649.0);
  } else {
    hi = to64 ? 18446744073709551616.0 : 4294967296.0;
    lo = -1.0;
  }
  Value* vlo = llvm::ConstantFP::get(x->getType(), lo);
  Value* vhi = llvm::ConstantFP::get(x->getType(), hi);
  trap_if(b_.CreateOr(b_.CreateFCmpOLE(x, vlo), b_.CreateFCmpOGE(x, vhi)), TrapCode::IntegerOverflow);
  llvm::Type* t = to64 ? mc_.i64 : mc_.i32;
  return is_signed ? b_.CreateFPToSI(x, t) : b_.CreateFPToUI(x, t);
}

bool FuncTranslator::numeric(const Instr& in) {
  const Op op = in.op;
  auto& B = b_;
  auto i32b = [&](Value* v) { return B.CreateZExt(v, mc_.i32); };  // i1 -> i32
  auto bin = [&](auto&& f) {
    Value* b = pop();
    Value* a = pop();
    push(f(a, b));
  };
  auto un = [&](auto&& f) { push(f(pop())); };
  auto icmp = [&](llvm::CmpInst::Predicate p) { bin([&](Value* a, Value* b) { return i32b(B.CreateICmp(p, a, b)); }); };
  auto fcmp = [&](llvm::CmpInst::Predicate p) { bin([&](Value* a, Value* b) { return i32b(B.CreateFCmp(p, a, b)); }); };
  auto sat = [&](ID id, llvm::Type* to) {
    un([&](Value* a) { return B.CreateIntrinsic(id, {to, a->getType()}, {a}); });
  };
  auto sext_from = [&](llvm::Type* narrow) {
    un([&](Value* a) { return B.CreateSExt(B.CreateTrunc(a, narrow), a->getType()); });
  };
  using P = llvm::CmpInst::Predicate;
  switch (op) {
    case Op::I32Const: push(B.getInt32(uint32_t(in.imm))); return true;
    case Op::I64Const: push(B.getInt64(in.imm)); return true;
    case Op::F32Const: push(B.CreateBitCast(B.getInt32(uint32_t(in.imm)), mc_.f32)); return true;
    case Op::F64Const: push(B.CreateBitCast(B.getInt64(in.imm), mc_.f64)); return true;

    case Op::I32Eqz: un([&](Value* a) { return i32b(B.CreateICmpEQ(a, B.getInt32(0))); }); return true;
    case Op::I64Eqz: un([&](Value* a) { return i32b(B.CreateICmpEQ(a, B.getInt64(0))); }); return true;
    case Op::I32Eq: case Op::I64Eq: icmp(P::ICMP_EQ); return true;
    case Op::I32Ne: case Op::I64Ne: icmp(P::ICMP_NE); return true;
    case Op::I32LtS: case Op::I64LtS: icmp(P::ICMP_SLT); return true;
    case Op::I32LtU: case Op::I64LtU: icmp(P::ICMP_ULT); return true;
    case Op::I32GtS: case Op::I64GtS: icmp(P::ICMP_SGT); return true;
    case Op::I32GtU: case Op::I64GtU: icmp(P::ICMP_UGT); return true;
    case Op::I32LeS: case Op::I64LeS: icmp(P::ICMP_SLE); return true;
    case Op::I32LeU: case Op::I64LeU: icmp(P::ICMP_ULE); return true;
    case Op::I32GeS: case Op::I64GeS: icmp(P::ICMP_SGE); return true;
    case Op::I32GeU: case Op::I64GeU: icmp(P::ICMP_UGE); return true;
    case Op::F32Eq: case Op::F64Eq: fcmp(P::FCMP_OEQ); return true;
    case Op::F32Ne: case Op::F64Ne: fcmp(P::FCMP_UNE); return true;
    case Op::F32Lt: case Op::F64Lt: fcmp(P::FCMP_OLT); return true;
    case Op::F32Gt: case Op::F64Gt: fcmp(P::FCMP_OGT); return true;
    case Op::F32Le: case Op::F64Le: fcmp(P::FCMP_OLE); return true;
    case Op::F32Ge: case Op::F64Ge: fcmp(P::FCMP_OGE); return true;

    case Op::I32Clz: case Op::I64Clz:
      un([&](Value* a) { return B.CreateBinaryIntrinsic(llvm::Intrinsic::ctlz, a, B.getFalse()); });
      return true;
    case Op::I32Ctz: case Op::I64Ctz:
      un([&](Value* a) { return B.CreateBinaryIntrinsic(llvm::Intrinsic::cttz, a, B.getFalse()); });
      return true;
    case Op::I32Popcnt: case Op::I64Popcnt:
      un([&](Value* a) { return B.CreateUnaryIntrinsic(llvm::Intrinsic::ctpop, a); });
      return true;

    case Op::I32WrapI64: un([&](Value* a) { return B.CreateTrunc(a, mc_.i32); }); return true;
    case Op::I64ExtendI32S: un([&](Value* a) { return B.CreateSExt(a, mc_.i64); }); return true;
    case Op::I64ExtendI32U: un([&](Value* a) { return B.CreateZExt(a, mc_.i64); }); return true;
    case Op::I32TruncF32S: case Op::I32TruncF64S: un([&](Value* a) { return trunc_checked(a, true, false); }); return true;
    case Op::I32TruncF32U: case Op::I32TruncF64U: un([&](Value* a) { return trunc_checked(a, false, false); }); return true;
    case Op::I64TruncF32S: case Op::I64TruncF64S: un([&](Value* a) { return trunc_checked(a, true, true); }); return true;
    case Op::I64TruncF32U: case Op::I64TruncF64U: un([&](Value* a) { return trunc_checked(a, false, true); }); return true;
    case Op::I32TruncSatF32S: case Op::I32TruncSatF64S: sat(llvm::Intrinsic::fptosi_sat, mc_.i32); return true;
    case Op::I32TruncSatF32U: case Op::I32TruncSatF64U: sat(llvm::Intrinsic::fptoui_sat, mc_.i32); return true;
    case Op::I64TruncSatF32S: case Op::I64TruncSatF64S: sat(llvm::Intrinsic::fptosi_sat, mc_.i64); return true;
    case Op::I64TruncSatF32U: case Op::I64TruncSatF64U: sat(llvm::Intrinsic::fptoui_sat, mc_.i64); return true;
    case Op::F32ConvertI32S: case Op::F32ConvertI64S: un([&](Value* a) { return B.CreateSIToFP(a, mc_.f32); }); return true;
    case Op::F32ConvertI32U: case Op::F32ConvertI64U: un([&](Value* a) { return B.CreateUIToFP(a, mc_.f32); }); return true;
    case Op::F64ConvertI32S: case Op::F64ConvertI64S: un([&](Value* a) { return B.CreateSIToFP(a, mc_.f64); }); return true;
    case Op::F64ConvertI32U: case Op::F64ConvertI64U: un([&](Value* a) { return B.CreateUIToFP(a, mc_.f64); }); return true;
    case Op::F32DemoteF64: un([&](Value* a) { return B.CreateFPTrunc(a, mc_.f32); }); return true;
    // Opaque: LLVM folds demote(promote(x)) to x, keeping a signaling NaN.
    case Op::F64PromoteF32: un([&](Value* a) { return opaque_value(B.CreateFPExt(a, mc_.f64)); }); return true;
    case Op::I32ReinterpretF32: un([&](Value* a) { return B.CreateBitCast(a, mc_.i32); }); return true;
    case Op::I64ReinterpretF64: un([&](Value* a) { return B.CreateBitCast(a, mc_.i64); }); return true;
    case Op::F32ReinterpretI32: un([&](Value* a) { return B.CreateBitCast(a, mc_.f32); }); return true;
    case Op::F64ReinterpretI64: un([&](Value* a) { return B.CreateBitCast(a, mc_.f64); }); return true;
    case Op::I32Extend8S: case Op::I64Extend8S: sext_from(mc_.i8); return true;
    case Op::I32Extend16S: case Op::I64Extend16S: sext_from(llvm::Type::getInt16Ty(mc_.ctx)); return true;
    case Op::I64Extend32S: sext_from(mc_.i32); return true;
    default:
      break;
  }
  if (auto* probe = [&]() -> Value* {
        // Binary integer and float ops and unary float ops by table.
        switch (op) {
          case Op::F32Abs: case Op::F64Abs: case Op::F32Neg: case Op::F64Neg: case Op::F32Ceil: case Op::F64Ceil:
          case Op::F32Floor: case Op::F64Floor: case Op::F32Trunc: case Op::F64Trunc: case Op::F32Nearest:
          case Op::F64Nearest: case Op::F32Sqrt: case Op::F64Sqrt:
            return float_unary(op, pop());
          case Op::F32Add: case Op::F64Add: case Op::F32Sub: case Op::F64Sub: case Op::F32Mul: case Op::F64Mul:
          case Op::F32Div: case Op::F64Div: case Op::F32Min: case Op::F64Min: case Op::F32Max: case Op::F64Max:
          case Op::F32Copysign: case Op::F64Copysign: {
            Value* b = pop();
            Value* a = pop();
            return float_binary(op, a, b);
          }
          default:
            break;
        }
        switch (op) {
          case Op::I32Add: case Op::I32Sub: case Op::I32Mul: case Op::I32DivS: case Op::I32DivU: case Op::I32RemS:
          case Op::I32RemU: case Op::I32And: case Op::I32Or: case Op::I32Xor: case Op::I32Shl: case Op::I32ShrS:
          case Op::I32ShrU: case Op::I32Rotl: case Op::I32Rotr:
          case Op::I64Add: case Op::I64Sub: case Op::I64Mul: case Op::I64DivS: case Op::I64DivU: case Op::I64RemS:
          case Op::I64RemU: case Op::I64And: case Op::I64Or: case Op::I64Xor: case Op::I64Shl: case Op::I64ShrS:
          case Op::I64ShrU: case Op::I64Rotl: case Op::I64Rotr: {
            Value* b = pop();
            Value* a = pop();
            return int_binary(op, a, b);
          }
          default:
            return nullptr;
        }
      }()) {
    push(probe);
    return true;
  }
  return false;
}

Value* FuncTranslator::memory_ref(uint32_t memory) {
  return load_inv(mc_.ptr, at(vm_field(mc_.L.vm_memories), memory * 8));
}

Value* FuncTranslator::mem_base(uint32_t memory) {
  if (memory == 0) return vm_field(mc_.L.vm_mem0);
  return load_inv(mc_.ptr, at(memory_ref(memory), mc_.L.memory_base));
}

Value* FuncTranslator::address(uint32_t memory, Value* addr, uint32_t offset) {
  Value* a = b_.CreateZExt(addr, mc_.i64);
  if (offset) a = b_.CreateAdd(a, b_.getInt64(offset));
  return b_.CreateGEP(mc_.i8, mem_base(memory), a);
}

bool FuncTranslator::memory(const Instr& in) {
  auto& B = b_;
  auto* i16 = llvm::Type::getInt16Ty(mc_.ctx);
  const uint32_t mem = uint32_t(in.imm);
  // A load of `t` (extended to `to` when narrower, signed or not).
  auto load = [&](llvm::Type* t, llvm::Type* to, bool is_signed) {
    Value* p = address(mem, pop(), in.b);
    auto* l = B.CreateAlignedLoad(t, p, llvm::Align(1));
    keep(l);
    Value* v = l;
    if (to && to != t) v = is_signed ? B.CreateSExt(v, to) : B.CreateZExt(v, to);
    push(v);
  };
  auto store = [&](llvm::Type* t) {
    Value* v = pop();
    Value* p = address(mem, pop(), in.b);
    if (v->getType() != t) v = B.CreateTrunc(v, t);
    B.CreateAlignedStore(v, p, llvm::Align(1));
    store_barrier(B);
  };
  switch (in.op) {
    case Op::I32Load: load(mc_.i32, nullptr, false); return true;
    case Op::I64Load: load(mc_.i64, nullptr, false); return true;
    case Op::F32Load: load(mc_.f32, nullptr, false); return true;
    case Op::F64Load: load(mc_.f64, nullptr, false); return true;
    case Op::I32Load8S: load(mc_.i8, mc_.i32, true); return true;
    case Op::I32Load8U: load(mc_.i8, mc_.i32, false); return true;
    case Op::I32Load16S: load(i16, mc_.i32, true); return true;
    case Op::I32Load16U: load(i16, mc_.i32, false); return true;
    case Op::I64Load8S: load(mc_.i8, mc_.i64, true); return true;
    case Op::I64Load8U: load(mc_.i8, mc_.i64, false); return true;
    case Op::I64Load16S: load(i16, mc_.i64, true); return true;
    case Op::I64Load16U: load(i16, mc_.i64, false); return true;
    case Op::I64Load32S: load(mc_.i32, mc_.i64, true); return true;
    case Op::I64Load32U: load(mc_.i32, mc_.i64, false); return true;
    case Op::I32Store: case Op::I64Store: case Op::F32Store: case Op::F64Store: {
      Value* v = pop();
      Value* p = address(mem, pop(), in.b);
      B.CreateAlignedStore(v, p, llvm::Align(1));
      store_barrier(B);
      return true;
    }
    case Op::I32Store8: case Op::I64Store8: store(mc_.i8); return true;
    case Op::I32Store16: case Op::I64Store16: store(i16); return true;
    case Op::I64Store32: store(mc_.i32); return true;
    case Op::MemorySize: {
      Value* size = B.CreateLoad(mc_.i64, at(memory_ref(in.a), mc_.L.memory_size));
      push(B.CreateTrunc(B.CreateLShr(size, 16), mc_.i32));
      return true;
    }
    case Op::MemoryGrow: push(rtcall(RuntimeCall::memory_grow, {B.getInt32(in.a), pop()})); return true;
    case Op::MemoryFill: {
      Value* n = pop();
      Value* v = pop();
      Value* d = pop();
      rtcall(RuntimeCall::memory_fill, {B.getInt32(in.a), d, v, n});
      return true;
    }
    case Op::MemoryCopy: {
      Value* n = pop();
      Value* s = pop();
      Value* d = pop();
      rtcall(RuntimeCall::memory_copy, {B.getInt32(in.a), B.getInt32(in.b), d, s, n});
      return true;
    }
    case Op::MemoryInit: {
      Value* n = pop();
      Value* s = pop();
      Value* d = pop();
      rtcall(RuntimeCall::memory_init, {B.getInt32(in.b), B.getInt32(in.a), d, s, n});
      return true;
    }
    case Op::DataDrop: rtcall(RuntimeCall::data_drop, {B.getInt32(in.a)}); return true;
    default:
      return false;
  }
}

}  // namespace whirl::wasm::aot
