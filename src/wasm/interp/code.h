// The interpreter's internal code ("slot code"): a flat array of fixed-size
// instructions whose operands are frame slots, not an operand stack.
//
// A frame is an array of 64-bit slots: the function's locals first, then one
// slot per operand-stack height (known statically after validation). The
// compiler tracks which stack entries are still just a local or a constant,
// so `local.get`/`i32.const` usually cost nothing and `local.set` after an
// operation retargets the operation's result. Each instruction holds the
// address of its handler (direct threading) and up to four operands.
// Branch deltas ("a = delta") count instructions while the code is built
// and bytes once finalize_code has run.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "wasm/module.h"
#include "wasm/runtime/runtime.h"
#include "wasm/runtime/tier.h"

namespace whirl::wasm::interp {

// Internal opcodes beyond the shared table. The shared ops keep their
// numbers (in slot form); these are control, data movement and the
// immediate / fused-branch variants generated from slot_ops.def.
enum IOp : uint16_t {
  kConst = static_cast<uint16_t>(Op::Count_),  // a = dst, b|c<<32 = value
  kCopy,          // a = dst, b = src
  kJump,          // a = pc delta (<= 0: a loop back-edge, checks fuel/interrupt)
  kBrIfNz,        // a = delta, b = condition slot
  kBrIfZ,         // a = delta, b = condition slot
  kBrTable,       // a = count (entries follow, then the default), c = index slot, d = top slot
  kBrTableCopy,   // a copied kBrTable (tail_dup.cc): jumps without fuel/interrupt checks
  kTick,          // counts fuel and sees interrupts (where a copied back-edge was)
  kBrIfNzElseTick,  // kBrIfNz whose fall-through is a kTick (tail_dup.cc)
  kBrIfZElseTick,
  kReturn,        // a = first result slot, b = count
  kReturnInPlace, // b = count: the results are in slots 0.. already
  kCall,          // a = function index, b = frame slot of the arguments
  kCallDirect,    // kCall to a function of this module: c | d << 32 = its code (a kEnter)
  kEnter,         // every function's first instruction: a = frame size, b = params, c = declared locals
  kCallIndirect,  // a = canonical type id, b = frame slot, c = table, d = index slot
  kSelect,        // a = dst, b = x, c = y, d = condition
  kSelectImmX,    // kSelect whose x is the constant b (a value of at most 32 bits)
  kSelectImmY,    // kSelect whose y is the constant c
  kGlobalGet,     // a = dst, b = global
  kGlobalSet,     // a = src, b = global
  kI32AddShl,     // a = dst, b = x, c = y, d = k: x + (y << k) (array indexing)
  kTableEntry,    // data after kBrTable: a = pc delta from it, b = values kept, c = their slot;
                  // its h is the target's handler (finalize_code)
  kBrIfTest,      // a = delta, jump if (b & c) != 0 (i32.and + br_if)
  kBrUnlessTest,  // a = delta, jump if (b & c) == 0
  kBrIfTestImm,   // as kBrIfTest with c an immediate
  kBrUnlessTestImm,
  kMove1, kMove2, kMove4, kMove8,  // a load stored at once: mem[a + d] = mem[b + c] (a, b slots)
  kI32Inc2,       // two increments: slots[a] += b; slots[c] += d (i32)
  kCopy2,         // two copies in order: slots[a] = slots[b]; slots[c] = slots[d]
  kCopy3, kCopy4,  // three or four copies in order, each field dst | src << 16
  // x op (y shift k), a = dst, b = x, c = y, d = k (hashes, ciphers, bit fields)
  kI32AddShrU, kI32AddRotl, kI32XorShl, kI32XorShrU, kI32XorRotl, kI32OrShl, kI32OrShrU, kI32OrRotl,
  kI32AddShlImm,  // a = dst, b = x, c = y | k << 27, d = m: x + (y << k) + m
  // kBrTable whose index is loaded (an i32.load / i32.load8_u fused in: a
  // switch on a fetched opcode or character): a = count, b = address slot,
  // c = offset, d = top slot; the Copy forms are its tail_dup copies.
  kBrTableLoad, kBrTableLoad8U, kBrTableLoadCopy, kBrTableLoad8UCopy,
  // A loop step: slots[b] = u32(slots[b] + d), then jump by a if it differs
  // from slots[c] (kIncBrNe) or from the immediate c (kIncBrNeImm).
  kIncBrNe, kIncBrNeImm,
  // An i32.inc2 whose next instruction (pc + 1) is a zero test of slot c
  // (kBrIf{Nz,Z}[ElseTick]): both in one step, the test's delta counting
  // from pc + 1 as before (finish_forms).
  kInc2BrNz, kInc2BrZ, kInc2BrNzElseTick, kInc2BrZElseTick,
  kI32AddShl2Imm, kI32AddShl3Imm,  // a = dst, b = x, c = y, d = m: x + y * 4 (or 8) + m
  // Multiply-accumulate into memory (F*MulMem then F*AddMemSt, the product
  // a temporary): mem[u32(slots[a])] += slots[b] * mem[u32(slots[c]) + d]
  // (Imm: the product's operand at u32(slots[c] + d)), rounded twice as
  // the two ops are (no fused multiply-add).
  kF32MulAddMemSt, kF32MulAddMemStImm, kF64MulAddMemSt, kF64MulAddMemStImm,
  // A float product p = slots[b] * slots[c] (a temporary) used at once with
  // z = slots[d]: p * z, z * p, p + z, z + p, p - z, z - p (each op rounded
  // as the unfused ones are; operand order kept for NaN payloads).
  kF32MulMul, kF32MulMulR, kF32MulAdd, kF32AddMul, kF32MulSub, kF32SubMul,
  kF64MulMul, kF64MulMulR, kF64MulAdd, kF64AddMul, kF64MulSub, kF64SubMul,
#define ICMP(N, T, E) k##N##Imm, kBrIf##N, kBrIf##N##Imm, kBrUnless##N, kBrUnless##N##Imm,
#define FCMP(N, F, E) kBrIf##N, kBrUnless##N,
#define IBIN(N, T, E) k##N##Imm,
#define IBINM(N, T, E) k##N##Imm, k##N##Mem, k##N##MemSt, k##N##MemImm,
#define IBINR(N, T, E) k##N##Imm, k##N##ImmX,
#define IBINMR(N, T, E) k##N##Imm, k##N##Mem, k##N##MemSt, k##N##MemImm, k##N##ImmX,
#define FBINM(N, F, E) k##N##Imm, k##N##Mem, k##N##MemSt, k##N##MemImm,
// Abs: constant address b (+ offset c). Val: constant value a | d << 32.
// MemImm: the memory operand at u32(slots[c] + d) (a load from p + m fused in).
#define LOAD(N, T, R) k##N##Add, k##N##AddImm, k##N##Abs,
#define STORE(N, T) k##N##Add, k##N##AddImm, k##N##Abs, k##N##Val, k##N##AbsVal,
#include "wasm/interp/slot_ops.def"
  // Memories other than 0 (multi-memory): two ops whose handlers call out
  // (multi_memory.cc), so that they add no code among the hot handlers;
  // the memory is looked up in the instance and the bounds checked per
  // access, never fused; memory 0 keeps the guard-page ops above.
  // kAccessMulti: a load or store, a = value slot, b = address slot,
  // c = offset, d = memory | Op << 16. kBulkMulti: memory.size, grow, fill,
  // copy or init with the operands of its plain op (the memory in b; copy:
  // b = dst, c = src; init: b = data, c = memory), d = its Op.
  kAccessMulti, kBulkMulti,
  // throw (exception handling): a = tag index, b = first payload slot, c = payload count.
  kThrow,
  kIOpCount
};

// The br_table forms: the plain ones and their tail_dup copies.
inline bool is_table(uint16_t op) {
  return op == kBrTable || op == kBrTableCopy || (op >= kBrTableLoad && op <= kBrTableLoad8UCopy);
}
inline bool is_table_copy(uint16_t op) { return op == kBrTableCopy || op == kBrTableLoadCopy || op == kBrTableLoad8UCopy; }
// The copy form of a plain br_table form.
inline uint16_t table_copy(uint16_t op) {
  return op == kBrTable ? kBrTableCopy : op == kBrTableLoad ? kBrTableLoadCopy : kBrTableLoad8UCopy;
}

struct Ins {
  const void* h;  // handler address (exec.cc)
  uint32_t a, b, c, d;
};
static_assert(sizeof(Ins) == 24);

// A function's code while the compiler builds it (tail_dup.cc rewrites it).
struct CodeBuf {
  std::vector<Ins> code;
  std::vector<uint16_t> ops;
};

// One catch clause of a try_table: a throw at an instruction in [start, end)
// (the throw itself, or a call it unwound) whose tag is the instance's tag
// `tag` (kCatchAll: any) lands at `target` with its payload in slots
// dst .. dst + count - 1. A function's handlers are ordered innermost
// try_table first, each one's clauses in order; code without try_table has
// none, and nothing on its normal paths looks at them.
struct Handler {
  static constexpr uint32_t kCatchAll = ~0u;
  uint32_t start, end;  // instruction indices
  uint32_t tag;
  uint32_t target;      // instruction index
  uint32_t dst, count;
};

// A compiled function: its frame size, parameter and local counts are in
// its first instruction (kEnter).
struct CompiledFunc {
  std::span<Ins> code;       // in CompiledModuleImpl::arena
  std::span<uint16_t> ops;   // the opcode of each instruction (for tests and debugging)
  std::span<Handler> handlers;  // try_table's catch clauses (see Handler)
};

// A module's code. Translated eagerly (every function at load), or lazily:
// each function at its first call, so a large module (a language runtime,
// most of whose functions a request never reaches) loads in the time of
// decoding and validating it. Lazy translation is thread-safe: instances
// in several stores (threads) share the module and its code.
class CompiledModuleImpl final : public rt::TieredModule {
 public:
  CompiledModuleImpl();
  bool fuse = true;                 // CompileOptions::superinstructions
  bool lazy = false;
  bool translates_lazily() const override { return lazy; }

  // Defined function i's first instruction: its code, translated first if
  // it is not yet (lazy).
  const Ins* entry(uint32_t i) const {
    if (const Ins* p = lazy ? ready[i].load(std::memory_order_acquire) : funcs[i].code.data()) return p;
    return translate(i);
  }
  // Function i's code, once entry(i) has returned (eager: always).
  const CompiledFunc& func(uint32_t i) const { return funcs[i]; }
  const CompiledFunc* func_ptr(uint32_t i) const { return &funcs[i]; }

  // Filled by compile_module (eager) and translate (lazy, under mu).
  mutable Arena arena;                      // the code of funcs
  mutable std::vector<CompiledFunc> funcs;  // defined functions
  // Lazy: each function's entry once translated (null before), published
  // after its CompiledFunc is complete.
  std::unique_ptr<std::atomic<const Ins*>[]> ready;

 private:
  const Ins* translate(uint32_t i) const;
  mutable std::mutex mu_;
  mutable CodeBuf scratch_;
};

// `fuse`: form superinstructions and immediate forms (see CompileOptions).
// The code goes into `arena`; `scratch` is reused from function to function.
CompiledFunc compile_function(const Module& m, const Function& f, const std::vector<uint32_t>& type_ids,
                              Arena& arena, CodeBuf& scratch, bool fuse = true);

// Replaces forward jumps to short tails with copies of them (tail_dup.cc).
void duplicate_jump_tails(CodeBuf& f);

// Forms chosen once the code is final (tail_dup.cc): each i32.inc2 fused
// with a zero test of one of its slots right after it (not a branch
// target) into kInc2Br*, the test left in place, skipped; kI32AddShlImm
// with a shift of 2 or 3 (int and double arrays) as its kI32AddShl{2,3}Imm.
void finish_forms(CodeBuf& f);

// Turns calls to the module's own functions into kCallDirect (once all of
// `funcs` are compiled; the vector must not move afterwards); before
// finalize_code.
void link_direct_calls(CompiledModuleImpl& m);
// The same for defined function `self`'s code `f` alone, lazily translated:
// calls to itself and to functions already translated become kCallDirect,
// the others stay kCall (translated when first called).
void link_direct_calls(const CompiledModuleImpl& m, CompiledFunc& f, uint32_t self);

// Whether `op`'s field a is a branch delta (kTableEntry's too is one).
bool is_branch(uint16_t op);

// Makes the code runnable, once it is final (after link_direct_calls): sets
// each instruction's handler address from its opcode (a br_table entry's to
// its target's), then turns branch deltas from instructions into bytes, so
// a taken branch adds one loaded value to pc (no multiply on the pc chain,
// which every loop iteration waits for). With `pairs`, a prefix op's
// handler is its pair with the next op (prefix_ops.h).
void finalize_code(CompiledFunc& f, bool pairs = true);

// The name of a slot-code opcode ("i32.add", "br_if_I32LtS_imm").
std::string slot_op_name(uint16_t op);

// Handler addresses indexed by opcode (Op or IOp); defined in exec.cc.
const void* const* handler_table();

}  // namespace whirl::wasm::interp
