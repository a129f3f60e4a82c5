// Prefix pairs: a frequent op P whose handler exists once per op X that
// commonly follows it (L_<P>_then_<X>, generated in exec.cc). Such a
// handler runs P, then jumps straight to X's handler: a direct jump the CPU
// predicts for free instead of an indirect dispatch through the next
// instruction's handler address, which costs about 1.5 of an op's 2.7
// cycles (16 dependent i32.add in a loop: 1.47 -> 1.15 s as pairs).
// finalize_code picks the pair by the next instruction's opcode; that
// instruction keeps its own handler for branches to it, so no code moves.
//
// The lists are bounded: GCC's compile time for the interpreter loop grows
// about with the square of its labels (11 prefixes x all 588 ops took six
// minutes), so X ranges over the ops that commonly follow in compiled C:
// control, i32 arithmetic and compares, loads and stores, i64 and f64 basics.
#pragma once

// X(P, OPCODE, BODY, ARG): BODY is P's handler without its dispatch (the
// macros its plain handler uses, handlers.inc); ARG is passed through.
#define WHIRL_PREFIX_OPS(X, ARG)                                                  \
  X(kI32AddImm, kI32AddImm, IBIN_BODY(uint32_t, a + b, IMM_C(uint32_t)), ARG)     \
  X(I32Add, uint16_t(Op::I32Add), IBIN_BODY(uint32_t, a + b, uint32_t(S(c))), ARG) \
  X(kI32AndImm, kI32AndImm, IBIN_BODY(uint32_t, a & b, IMM_C(uint32_t)), ARG)     \
  X(I32And, uint16_t(Op::I32And), IBIN_BODY(uint32_t, a & b, uint32_t(S(c))), ARG) \
  X(I64Add, uint16_t(Op::I64Add), IBIN_BODY(uint64_t, a + b, uint64_t(S(c))), ARG) \
  X(kI32AddShl3Imm, kI32AddShl3Imm, ADD_SHL_IMM_BODY(3), ARG)                       \
  X(I32Load, uint16_t(Op::I32Load), LOAD_AT(EA_AT, uint32_t, uint32_t), ARG)      \
  X(kI32LoadAddImm, kI32LoadAddImm, LOAD_AT(EA_ADD_IMM, uint32_t, uint32_t), ARG) \
  X(I32Store, uint16_t(Op::I32Store), STORE_AT(EA_AT, uint32_t, S(a)), ARG)       \
  X(kCopy, kCopy, COPY_BODY, ARG)                                                \
  X(kI32Inc2, kI32Inc2, INC2_BODY, ARG)                                          \
  X(kBrIfNz, kBrIfNz, BR_IF_NZ_BODY, ARG)                                        \
  X(kI32XorRotl, kI32XorRotl, SHIFT_OP_BODY(x ^ std::rotl(y, int(pc->d))), ARG)   \
  X(kI32LoadAbs, kI32LoadAbs, LOAD_AT(EA_ABS, uint32_t, uint32_t), ARG)           \
  X(kI32Store8Val, kI32Store8Val, STORE_AT(EA_AT, uint8_t, VAL_AD), ARG)          \
  X(F64Load, uint16_t(Op::F64Load), LOAD_AT(EA_AT, uint64_t, uint64_t), ARG)      \
  X(F64Mul, uint16_t(Op::F64Mul), FBIN_BODY(f64, a * b), ARG)                     \
  X(kF64MulMul, kF64MulMul, PRODUCT_BODY(f64, p * z), ARG)

// Y(X, OPCODE) for each op a prefix pair can end in.
#define WHIRL_PAIR_ICMP(Y, N) Y(k##N##Imm, k##N##Imm) Y(kBrIf##N, kBrIf##N) Y(kBrIf##N##Imm, kBrIf##N##Imm) \
  Y(kBrUnless##N, kBrUnless##N) Y(kBrUnless##N##Imm, kBrUnless##N##Imm) Y(N, uint16_t(Op::N))
#define WHIRL_PAIR_IBIN(Y, N) Y(N, uint16_t(Op::N)) Y(k##N##Imm, k##N##Imm)
#define WHIRL_PAIR_LOAD(Y, N) Y(N, uint16_t(Op::N)) Y(k##N##Add, k##N##Add) Y(k##N##AddImm, k##N##AddImm) Y(k##N##Abs, k##N##Abs)
#define WHIRL_PAIR_STORE(Y, N) WHIRL_PAIR_LOAD(Y, N) Y(k##N##Val, k##N##Val)
#define WHIRL_PAIR_OP(Y, N) Y(N, uint16_t(Op::N))
#define WHIRL_PAIR_IOP(Y, N) Y(N, N)
// Sanitizer and fuzzer builds go without pairs (WHIRL_NO_PREFIX_PAIRS): instrumented,
// the pairs made exec.cc take over ten minutes to compile. Their bodies are
// the plain handlers' macros, and the release build's tests cover them.
#ifdef WHIRL_NO_PREFIX_PAIRS
#define WHIRL_PAIR_NEXT_OPS(Y)
#else
#define WHIRL_PAIR_NEXT_OPS(Y)                                                                             \
  WHIRL_PAIR_IOP(Y, kConst) WHIRL_PAIR_IOP(Y, kCopy) WHIRL_PAIR_IOP(Y, kJump) WHIRL_PAIR_IOP(Y, kBrIfNz)    \
  WHIRL_PAIR_IOP(Y, kBrIfZ) WHIRL_PAIR_IOP(Y, kReturn) WHIRL_PAIR_IOP(Y, kReturnInPlace)                   \
  WHIRL_PAIR_IOP(Y, kBrTable) WHIRL_PAIR_IOP(Y, kBrTableLoad) WHIRL_PAIR_IOP(Y, kBrTableLoad8U)            \
  WHIRL_PAIR_IOP(Y, kBrIfNzElseTick) WHIRL_PAIR_IOP(Y, kBrIfZElseTick) WHIRL_PAIR_IOP(Y, kIncBrNe)         \
  WHIRL_PAIR_IOP(Y, kIncBrNeImm) WHIRL_PAIR_IOP(Y, kInc2BrNz) WHIRL_PAIR_IOP(Y, kInc2BrZ)                  \
  WHIRL_PAIR_IOP(Y, kInc2BrNzElseTick) WHIRL_PAIR_IOP(Y, kInc2BrZElseTick) WHIRL_PAIR_IOP(Y, kCall)        \
  WHIRL_PAIR_IOP(Y, kCallDirect) WHIRL_PAIR_IOP(Y, kCallIndirect) WHIRL_PAIR_IOP(Y, kSelect)               \
  WHIRL_PAIR_IOP(Y, kSelectImmX) WHIRL_PAIR_IOP(Y, kSelectImmY) WHIRL_PAIR_IOP(Y, kGlobalGet)              \
  WHIRL_PAIR_IOP(Y, kGlobalSet) WHIRL_PAIR_IOP(Y, kI32AddShl) WHIRL_PAIR_IOP(Y, kI32AddShlImm)             \
  WHIRL_PAIR_IOP(Y, kI32AddShl2Imm) WHIRL_PAIR_IOP(Y, kI32AddShl3Imm) WHIRL_PAIR_IOP(Y, kBrIfTest)         \
  WHIRL_PAIR_IOP(Y, kBrUnlessTest) WHIRL_PAIR_IOP(Y, kBrIfTestImm) WHIRL_PAIR_IOP(Y, kBrUnlessTestImm)     \
  WHIRL_PAIR_IOP(Y, kMove1) WHIRL_PAIR_IOP(Y, kMove4) WHIRL_PAIR_IOP(Y, kMove8) WHIRL_PAIR_IOP(Y, kI32Inc2) \
  WHIRL_PAIR_IOP(Y, kCopy2) WHIRL_PAIR_IOP(Y, kCopy3) WHIRL_PAIR_IOP(Y, kCopy4)                            \
  WHIRL_PAIR_IOP(Y, kI32XorShl) WHIRL_PAIR_IOP(Y, kI32XorShrU) WHIRL_PAIR_IOP(Y, kI32XorRotl)              \
  WHIRL_PAIR_IOP(Y, kI32AddRotl) WHIRL_PAIR_IOP(Y, kI32OrShl) WHIRL_PAIR_IOP(Y, kI32OrShrU)                \
  WHIRL_PAIR_IOP(Y, kF64MulAddMemSt) WHIRL_PAIR_IOP(Y, kF64MulAddMemStImm) WHIRL_PAIR_IOP(Y, kF64MulMul)   \
  WHIRL_PAIR_IOP(Y, kF64MulAdd) WHIRL_PAIR_IOP(Y, kF64SubMul) WHIRL_PAIR_IOP(Y, kI32AddMemImm)             \
  WHIRL_PAIR_IOP(Y, kI32AddMem) WHIRL_PAIR_IOP(Y, kI32SubImmX) WHIRL_PAIR_IOP(Y, kF64SubMemImm)            \
  WHIRL_PAIR_IOP(Y, kF64AddMemSt) WHIRL_PAIR_IOP(Y, kF64MulImm) WHIRL_PAIR_IOP(Y, kF64AddMul)              \
  WHIRL_PAIR_IOP(Y, kF64MulSub) WHIRL_PAIR_OP(Y, F64Sqrt)                                                 \
  WHIRL_PAIR_ICMP(Y, I32Eq) WHIRL_PAIR_ICMP(Y, I32Ne) WHIRL_PAIR_ICMP(Y, I32LtS) WHIRL_PAIR_ICMP(Y, I32LtU) \
  WHIRL_PAIR_ICMP(Y, I32GtS) WHIRL_PAIR_ICMP(Y, I32GtU) WHIRL_PAIR_ICMP(Y, I32LeS) WHIRL_PAIR_ICMP(Y, I32LeU) \
  WHIRL_PAIR_ICMP(Y, I32GeS) WHIRL_PAIR_ICMP(Y, I32GeU) WHIRL_PAIR_ICMP(Y, I64LtS) WHIRL_PAIR_ICMP(Y, I64LeS) \
  WHIRL_PAIR_ICMP(Y, I64Ne) WHIRL_PAIR_OP(Y, I32Eqz) WHIRL_PAIR_OP(Y, I32Ctz)                              \
  WHIRL_PAIR_IBIN(Y, I32Add) WHIRL_PAIR_IBIN(Y, I32Sub) WHIRL_PAIR_IBIN(Y, I32Mul) WHIRL_PAIR_IBIN(Y, I32And) \
  WHIRL_PAIR_IBIN(Y, I32Or) WHIRL_PAIR_IBIN(Y, I32Xor) WHIRL_PAIR_IBIN(Y, I32Shl) WHIRL_PAIR_IBIN(Y, I32ShrU) \
  WHIRL_PAIR_IBIN(Y, I32ShrS) WHIRL_PAIR_IBIN(Y, I32Rotl) WHIRL_PAIR_IBIN(Y, I64Add) WHIRL_PAIR_IBIN(Y, I64Sub) \
  WHIRL_PAIR_IBIN(Y, I64Mul) WHIRL_PAIR_IBIN(Y, I64And) WHIRL_PAIR_IBIN(Y, I64Shl) WHIRL_PAIR_IBIN(Y, I64ShrU) \
  WHIRL_PAIR_OP(Y, I64ExtendI32S) WHIRL_PAIR_OP(Y, I64ExtendI32U) WHIRL_PAIR_OP(Y, I32WrapI64)            \
  WHIRL_PAIR_OP(Y, F64Add) WHIRL_PAIR_OP(Y, F64Sub) WHIRL_PAIR_OP(Y, F64Mul) WHIRL_PAIR_OP(Y, F64Div)      \
  WHIRL_PAIR_LOAD(Y, I32Load) WHIRL_PAIR_LOAD(Y, I32Load8U) WHIRL_PAIR_LOAD(Y, I32Load8S)                  \
  WHIRL_PAIR_LOAD(Y, I32Load16U) WHIRL_PAIR_LOAD(Y, I64Load) WHIRL_PAIR_LOAD(Y, F64Load)                   \
  WHIRL_PAIR_STORE(Y, I32Store) WHIRL_PAIR_STORE(Y, I32Store8) WHIRL_PAIR_STORE(Y, I64Store)               \
  WHIRL_PAIR_STORE(Y, F64Store)
#endif

namespace whirl::wasm::interp {

#define WHIRL_PREFIX_ENUM(P, OPCODE, BODY, ARG) kPrefix_##P,
enum PrefixId : uint16_t { WHIRL_PREFIX_OPS(WHIRL_PREFIX_ENUM, _) kPrefixCount };
#undef WHIRL_PREFIX_ENUM

}  // namespace whirl::wasm::interp
