// The fused and immediate forms of slot-code ops (forms.cc): the compiler
// asks these which superinstruction, if any, replaces a pair of ops.
#pragma once

#include <cstdint>

#include "wasm/interp/code.h"

namespace whirl::wasm::interp {

// Immediate form of an op (b is a constant: 32 bits in c, or for floats the
// full value in c | d << 32), or 0.
uint16_t imm_form(uint16_t op);
// Memory-operand form of a binary op whose second operand is the result of
// the full-width load `load` (Mem), or of its form adding an immediate to
// the address (MemImm, for offset 0 only), or 0.
uint16_t mem_form(uint16_t op, uint16_t load);
// The access width of a memory-operand op.
uint32_t slot_width(uint16_t op);
// The read-modify-write form of memory-operand op `op` (its result stored
// back where the operand came from), or 0.
uint16_t mem_store_form(uint16_t op);
// The form of load or store `op` that adds its address from two slots (or a
// slot and an immediate) itself.
uint16_t load_add_form(uint16_t op, bool imm);
// The form of load or store `op` with a constant address (abs) and/or, for
// stores, a constant value (val).
uint16_t const_form(uint16_t op, bool abs, bool val);
// Fused compare-and-branch form of a compare op: jumps when the compare is
// `when` (true: br_if, false: the skip of an if). 0 if there is none.
uint16_t branch_form(uint16_t op, bool when);
bool commutative(Op op);
// The form of a non-commutative integer op whose first operand is the
// constant (NameImmX: 0 - x, 1 << n, -2 rotl n), or 0.
uint16_t imm_x_form(uint16_t op);
// x op (y shift k) as one op, `shift` the immediate shift of y (kI32ShlImm,
// kI32ShrUImm, kI32RotlImm) and op i32.add, xor or or; else 0.
uint16_t shift_form(Op op, uint16_t shift);
// Float op `op` on a product just computed (f64: by f64.mul, else f32.mul)
// and a slot: kF*MulMul etc. (`first`: the product is op's first operand).
uint16_t product_form(Op op, bool f64, bool first);
// F*AddMemSt fed by the product of `mul` (F*MulMem[Imm]): kF*MulAddMemSt[Imm].
uint16_t mul_add_mem_st_form(uint16_t add_mem, uint16_t mul);
// The integer compare that gives the same result with its operands swapped
// (lt_s <-> gt_s, le_u <-> ge_u, ...); `op` itself for the others.
Op mirrored(Op op);
// True if integer op `op` with second operand `value` (a constant) returns its
// first operand unchanged (x + 0, x | 0, x << 0, x * 1, x & -1, ...).
bool is_identity(Op op, uint64_t value);
// The slot op of a load, store or memory instruction: its own for memory 0
// (the fast path the fused forms build on), kAccessMulti or kBulkMulti for
// another.
uint16_t memory_form(const Instr& in);
// Copies come in runs (call arguments, values moved to a label): a copy
// dst <- src joins the kCopy/kCopy2/kCopy3 that ends `buf` (true), up to
// four per op (three and four pack slot pairs in 16 bits each: frames
// under 64 Ki slots).
bool merge_copy(CodeBuf& buf, uint32_t dst, uint32_t src);

}  // namespace whirl::wasm::interp
