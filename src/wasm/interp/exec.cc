// The interpreter loop over slot code (see code.h): direct threading (each
// instruction holds its handler's address; GCC's labels-as-values), operands
// addressed as slots of the current frame, frames on the store's value stack.
#include <bit>
#include <cstring>

#include "platform/guard.h"
#include "wasm/interp/host_call.h"
#include "wasm/interp/multi_memory.h"
#include "wasm/interp/numeric.h"
#include "wasm/interp/prefix_ops.h"
#include "wasm/interp/profile.h"
#include "wasm/runtime/objects.h"

namespace whirl::wasm::rt {
namespace {

using interp::Ins;
using interp::f32_of;
using interp::f64_of;
using interp::bits_of;
using f32 = float;
using f64 = double;

// Runs `entry`; with `table` set, only fills the handler table (the labels
// are local to this function).
// Where the interpreter is, for a trap raised by a guard-page fault (the
// fault handler longjmps past run(), so this lives in memory).
struct RunState {
  volatile size_t fidx;
};

// PINNED(decl, reg): the interpreter's hottest variables in fixed callee-
// saved registers where GCC supports it (x86-64); a plain variable elsewhere.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PINNED(DECL, REG) register DECL asm(REG)
#else
#define PINNED(DECL, REG) DECL
#endif

// No loop-to-memset rewriting (zeroing a few locals per call must stay
// inline), no GCSE (GCC's advice for computed-goto interpreters) and no
// FRE (its value numbering over the prefix pairs' labels doubled the
// compile time; the loop runs as fast without it).
__attribute__((optimize("no-tree-loop-distribute-patterns", "no-gcse", "no-tree-fre")))
std::optional<Trap> run(StoreImpl* store, FuncImpl* entry, const uint64_t* args, uint64_t* results,
                        const void** table, platform::GuardRegion* guard, RunState* state) {
  if (table) {
    // The labels live as long as the program: storing them is the point.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
    for (size_t i = 0; i < interp::kIOpCount; ++i) table[i] = &&L_bad;
#define HOP(N) table[uint16_t(Op::N)] = &&L_##N;
#define HIOP(N) table[interp::N] = &&L_##N;
#include "wasm/interp/handler_list.inc"
#undef HOP
#undef HIOP
    // Pair handlers: the table of prefix k starts at kIOpCount * (k + 1).
    {
      using namespace interp;
#define PAIR_ENTRY(P, OPCODE, BODY, X) table[kIOpCount * (kPrefix_##P + 1) + X##_id] = &&L_##P##_then_##X;
#define PAIR_ENTRIES(X, XID)       \
  {                                \
    const size_t X##_id = XID;     \
    WHIRL_PREFIX_OPS(PAIR_ENTRY, X) \
  }
      WHIRL_PAIR_NEXT_OPS(PAIR_ENTRIES)
#undef PAIR_ENTRY
#undef PAIR_ENTRIES
    }
#pragma GCC diagnostic pop
    return std::nullopt;
  }

  StoreImpl& s = *store;
  // The stack's shallow end (ValueStackPool) unless deepened before: a
  // call past it deepens the store's stack and checks against that, on the
  // slow path, leaving this one constant for the compiler.
  uint64_t* const stack_end = s.stack_end;
  const uint32_t depth0 = s.depth;
  const bool fuel_on = s.config.fuel != 0;
  // Frames of this run are fptr[fbase, fidx); a call traps once fidx reaches flimit.
  const size_t fbase = s.frames_top;
  // In a register (GCC kept it on the stack): each call and return loaded
  // and stored it (pinned A/B: fib -2%, alloc -5%, sort -1.6%).
  PINNED(size_t fidx, "r14") = fbase;
  const size_t flimit = fbase + (s.config.max_call_depth > depth0 ? s.config.max_call_depth - depth0 : 0);
  if (s.frames.size() < fbase + 64) s.frames.resize(fbase + 64);
  InterpFrame* fptr = s.frames.data();
  size_t fcap = s.frames.size();
  // Below fstop a call needs neither more frames nor the depth trap.
  auto frame_stop = [&] { return std::min(fcap, flimit > 0 ? flimit - 1 : 0); };
  size_t fstop = frame_stop();

  InstanceImpl* inst = nullptr;
  MemoryImpl* mem = nullptr;
  // The memory base lives in a register: left to itself, GCC spilled it
  // once the prefix pairs were added (a load more in every memory op).
  PINNED(uint8_t* mbase, "r15") = nullptr;
  // top_ret: the innermost frame's return point, also in a register. A
  // return that read it (and fp) back from the record a leaf call had just
  // pushed waited on store forwarding (fib 0.51 s; 0.47 s with top_ret);
  // the next record's is loaded long before its return. pc and fp are
  // pinned where GCC had them, else it spilled fp to make room.
  PINNED(const Ins* pc, "rbx") = nullptr;
  PINNED(uint64_t* fp, "r12") = s.sp;
  PINNED(const Ins* top_ret, "r13") = nullptr;
  FuncImpl* callee = nullptr;
  uint64_t* nfp = nullptr;
  TrapCode trap_code = TrapCode::Unreachable;
  std::optional<Trap> host_trap;
  std::string trap_detail;  // appended to the spec message (e.g. the element index)

  const size_t nargs = entry->sig->params.size();
  if (fp + nargs + entry->sig->results.size() + 1 > stack_end &&
      fp + nargs + entry->sig->results.size() + 1 > s.deepen_stack())
    return make_trap(TrapCode::StackExhausted, fptr, fbase, fidx, nullptr);
  std::memcpy(fp, args, nargs * sizeof(uint64_t));

#define TRAP(code)      \
  do {                  \
    trap_code = (code); \
    goto trapped;       \
  } while (0)
#ifdef WHIRL_INTERP_PROFILE
#define DISPATCH()                                                                 \
  do {                                                                             \
    FuncImpl* f_ = fidx > fbase ? fptr[fidx - 1].fn : entry;                       \
    const size_t at_ = size_t(pc - f_->code->code.data());                         \
    interp::profile_hit(f_->code->ops[at_], interp::profile_name(f_), at_);         \
    goto* pc->h;                                                                   \
  } while (0)
#else
#define DISPATCH() goto* pc->h
#endif
#define NEXT() \
  do {         \
    ++pc;      \
    DISPATCH(); \
  } while (0)
#define S(x) fp[pc->x]
  // Entering another instance: its memory, whose reservation faults are ours.
#define SWITCH_INSTANCE(f)                                                     \
  do {                                                                         \
    inst = (f)->instance;                                                      \
    mem = inst->memories.empty() ? nullptr : inst->memories[0];                \
    mbase = mem ? mem->base : nullptr;                                         \
    guard->lo = mbase;                                                         \
    guard->hi = mbase ? mbase + platform::kGuardedReservation : nullptr;       \
  } while (0)
  // One unit of fuel, and a look for interrupts; spent fuel stays spent.
#define TICK()                                                                                 \
  do {                                                                                         \
    if (__builtin_expect(s.tick_flags.load(std::memory_order_relaxed) != 0, 0)) {              \
      if (fuel_on && s.fuel_left-- == 0) TRAP((s.fuel_left = 0, TrapCode::OutOfFuel));         \
      if (s.tick_flags.load(std::memory_order_relaxed) & StoreImpl::kInterrupted) TRAP(TrapCode::Interrupted); \
    }                                                                                          \
  } while (0)
  // pc moved by a branch delta (bytes, see finalize_code).
#define ADVANCE(bytes) (pc = reinterpret_cast<const Ins*>(reinterpret_cast<const char*>(pc) + (bytes)))
  // Backward jumps are loop iterations: they tick.
#define JUMP(delta)                \
  do {                             \
    int32_t d_ = int32_t(delta);   \
    if (d_ <= 0) TICK();           \
    ADVANCE(d_);                   \
    DISPATCH();                    \
  } while (0)
  // Frames of calls about to be pushed fit (the array grows by doubling).
#define RESERVE_FRAME()              \
  do {                               \
    if (fidx == fcap) {              \
      s.frames.resize(fidx * 2);     \
      fptr = s.frames.data();        \
      fcap = s.frames.size();        \
      fstop = frame_stop();          \
    }                                \
  } while (0)
  // Pushes the caller's frame record. Field by field: GCC would otherwise
  // store them as one 16-byte vector, and 8-byte loads of them (often just
  // after, in a leaf call) forward from it slowly (fib 0.63 -> 0.56 s).
#define PUSH_FRAME(FN, RET)                  \
  do {                                       \
    InterpFrame& fr_ = fptr[fidx++];         \
    fr_.fn = (FN);                           \
    asm volatile("" : : "r"(&fr_) : "memory"); \
    fr_.ret = top_ret = (RET);               \
  } while (0)
  // A call within the instance: the caller's frame pushed (FN for
  // backtraces), then fp = NFP (evaluated after the push, which leaves fp
  // and pc as they are). Only at fstop can the frame array need to grow or
  // the depth limit trap.
#define CALL_WITHIN(FN, NFP)                                \
  do {                                                      \
    if (__builtin_expect(fidx >= fstop, 0)) {               \
      RESERVE_FRAME();                                      \
      PUSH_FRAME(FN, pc + 1);                               \
      fp = (NFP);                                           \
      if (fidx >= flimit) TRAP(TrapCode::StackExhausted);   \
    } else {                                                \
      PUSH_FRAME(FN, pc + 1);                               \
      fp = (NFP);                                           \
    }                                                       \
  } while (0)
  // Jumps to br_table entry t's target: the entry holds the target's
  // handler too, so the indirect jump need not wait for pc.
#ifdef WHIRL_INTERP_PROFILE
#define TABLE_JUMP(t) \
  do {                \
    ADVANCE(int32_t((t)->a)); \
    DISPATCH();       \
  } while (0)
#else
#define TABLE_JUMP(t) \
  do {                \
    ADVANCE(int32_t((t)->a)); \
    goto*(t)->h;      \
  } while (0)
#endif
  // t = the br_table entry for index i, its kept values moved into place.
#define TABLE_ENTRY(t, i)                                                               \
  const uint32_t i_##t = (i);                                                           \
  const Ins* t = pc + 1 + (i_##t < pc->a ? i_##t : pc->a);                              \
  if (t->b) std::memmove(fp + t->c, fp + pc->d - t->b, t->b * sizeof(uint64_t))
  // The index of a kBrTableLoad form: a T at u32(slots[b]) + c.
#define LOADED_INDEX(T) \
  ([=] { T v_; std::memcpy(&v_, mbase + uint64_t(uint32_t(S(b))) + pc->c, sizeof(T)); return uint32_t(v_); }())

  if (!entry->code) {
    if (flimit == fbase) return make_trap(TrapCode::StackExhausted, fptr, fbase, fidx, nullptr);
    uint64_t* saved = s.sp;
    s.sp = fp + std::max(nargs, entry->sig->results.size());
    ++s.depth;
    auto trap = call_host(s, entry, nullptr, fp);
    --s.depth;
    s.sp = saved;
    if (trap) return trap;
    std::memcpy(results, fp, entry->sig->results.size() * sizeof(uint64_t));
    return std::nullopt;
  }
  callee = entry;
  goto enter;

enter:
  // callee's arguments are at fp; its frame (if it has a caller) is pushed.
  if (callee->instance != inst) SWITCH_INSTANCE(callee);
  if (fidx >= flimit) TRAP(TrapCode::StackExhausted);
  pc = callee->entry;
  if (__builtin_expect(!pc, 0))  // not translated when instantiated (lazy)
    pc = callee->entry = static_cast<const interp::CompiledModuleImpl&>(*inst->compiled)
                             .entry(callee->index - inst->compiled->mod->num_imported_funcs);
  DISPATCH();
  // The first instruction of every function (the caller has pushed its frame).
L_kEnter:
  // Calls count like loop iterations, so recursion without loops is bounded too.
  TICK();
  if (fp + pc->a + 4 > stack_end && fp + pc->a + 4 > s.deepen_stack()) [[unlikely]]
    TRAP(TrapCode::StackExhausted);
  {
    // Zero the declared locals: four stores cover most functions (slots past
    // the locals are temporaries, written before they are read).
    uint64_t* z = fp + pc->b;
    z[0] = z[1] = z[2] = z[3] = 0;
    for (uint32_t k = 4, n = pc->c; k < n; ++k) z[k] = 0;
  }
  state->fidx = fidx;
  NEXT();

do_call:
  if (!callee->code) {
    if (fidx + 1 >= flimit) TRAP(TrapCode::StackExhausted);
    const size_t np = callee->sig->params.size(), nr = callee->sig->results.size();
    if (nfp + nr + 1 > stack_end && nfp + nr + 1 > s.deepen_stack()) TRAP(TrapCode::StackExhausted);
    uint64_t* saved = s.sp;
    s.sp = nfp + std::max(np, nr);
    s.depth = depth0 + uint32_t(fidx - fbase) + 1;
    s.frames_top = fidx;
    host_trap = call_host(s, callee, inst, nfp);
    s.frames_top = fbase;
    fptr = s.frames.data();  // a nested call may have grown the frame array
    fcap = s.frames.size();
    fstop = frame_stop();
    s.depth = depth0;
    s.sp = saved;
    if (host_trap) goto trapped;
    NEXT();
  }
  RESERVE_FRAME();
  PUSH_FRAME(callee, reinterpret_cast<const Ins*>(reinterpret_cast<uintptr_t>(pc + 1) | (callee->instance != inst)));
  fp = nfp;
  goto enter;
  // A call within the instance: the callee's code is linked into the
  // instruction, so no lookups stand between the call and its first op.
L_kCallDirect:
  CALL_WITHIN(inst->funcs[pc->a], fp + pc->b);
  pc = reinterpret_cast<const Ins*>(uint64_t(pc->c) | (uint64_t(pc->d) << 32));
  // Every function starts with kEnter: run it without a dispatch.
  goto L_kEnter;

  // Numeric, memory and fused float handlers (slot_ops.def and more).
#include "wasm/interp/handlers.inc"

#define COPY_BODY S(a) = S(b)
#define INC2_BODY                                  \
  do {                                             \
    S(a) = uint32_t(uint32_t(S(a)) + pc->b);       \
    S(c) = uint32_t(uint32_t(S(c)) + pc->d);       \
  } while (0)
L_kConst:
  S(a) = uint64_t(pc->b) | (uint64_t(pc->c) << 32);
  NEXT();
L_kCopy:
  COPY_BODY;
  NEXT();
L_kJump:
  JUMP(pc->a);
#define BR_IF_NZ_BODY if (uint32_t(S(b))) JUMP(pc->a)
L_kBrIfNz:
  BR_IF_NZ_BODY;
  NEXT();
L_kBrIfZ:
  if (!uint32_t(S(b))) JUMP(pc->a);
  NEXT();
L_kIncBrNe : {
  const uint32_t x = uint32_t(S(b)) + pc->d;
  S(b) = x;
  if (x != uint32_t(S(c))) JUMP(pc->a);
  NEXT();
}
L_kIncBrNeImm : {
  const uint32_t x = uint32_t(S(b)) + pc->d;
  S(b) = x;
  if (x != pc->c) JUMP(pc->a);
  NEXT();
}
L_kBrIfTest:
  if (uint32_t(S(b) & S(c))) JUMP(pc->a);
  NEXT();
L_kBrUnlessTest:
  if (!uint32_t(S(b) & S(c))) JUMP(pc->a);
  NEXT();
L_kBrIfTestImm:
  if (uint32_t(S(b)) & pc->c) JUMP(pc->a);
  NEXT();
L_kBrUnlessTestImm:
  if (!(uint32_t(S(b)) & pc->c)) JUMP(pc->a);
  NEXT();
L_kBrTable : {
  TABLE_ENTRY(t, uint32_t(S(c)));
  if (int32_t(t->a) <= 0) TICK();
  TABLE_JUMP(t);
}
L_kBrTableLoad : {
  TABLE_ENTRY(t, LOADED_INDEX(uint32_t));
  if (int32_t(t->a) <= 0) TICK();
  TABLE_JUMP(t);
}
L_kBrTableLoad8U : {
  TABLE_ENTRY(t, LOADED_INDEX(uint8_t));
  if (int32_t(t->a) <= 0) TICK();
  TABLE_JUMP(t);
}
L_kTick:
  TICK();
  NEXT();
L_kBrIfNzElseTick:
  if (uint32_t(S(b))) JUMP(pc->a);
  TICK();
  NEXT();
L_kBrIfZElseTick:
  if (!uint32_t(S(b))) JUMP(pc->a);
  TICK();
  NEXT();
L_kBrTableCopy : {
  // A copy of a loop's dispatch (tail_dup.cc): the tick before it (kTick, or
  // the test's *ElseTick) stands for the back-edge, so its jumps check
  // nothing whatever their direction.
  TABLE_ENTRY(t, uint32_t(S(c)));
  TABLE_JUMP(t);
}
L_kBrTableLoadCopy : {
  TABLE_ENTRY(t, LOADED_INDEX(uint32_t));
  TABLE_JUMP(t);
}
L_kBrTableLoad8UCopy : {
  TABLE_ENTRY(t, LOADED_INDEX(uint8_t));
  TABLE_JUMP(t);
}
L_kReturn:
  if (pc->b == 1) fp[0] = S(a);
  else if (pc->b) std::memmove(fp, fp + pc->a, pc->b * sizeof(uint64_t));
  goto returned;
L_kReturnInPlace:
returned : {
  if (fidx == fbase) {
    std::memcpy(results, fp, pc->b * sizeof(uint64_t));
    return std::nullopt;
  }
  --fidx;
  auto ret = reinterpret_cast<uintptr_t>(top_ret);
  pc = reinterpret_cast<const Ins*>(ret & ~uintptr_t(1));
  // The callee's frame starts at its call's argument slot (field b of
  // every call form), so the caller's fp comes from code, not the record.
  fp -= pc[-1].b;
  if (fidx > fbase) top_ret = fptr[fidx - 1].ret;
  state->fidx = fidx;
  if (ret & 1) SWITCH_INSTANCE(fidx > fbase ? fptr[fidx - 1].fn : entry);
  DISPATCH();
}
L_kCall:
  callee = inst->funcs[pc->a];
  nfp = fp + pc->b;
  goto do_call;
L_kCallIndirect : {
  uint32_t i = uint32_t(S(d));
  TableImpl* t = inst->tables[pc->c];
  if (i >= t->elems.size()) TRAP(TrapCode::UndefinedElement);
  callee = reinterpret_cast<FuncImpl*>(t->elems[i]);
  if (!callee) {
    trap_detail = " " + std::to_string(i);
    TRAP(TrapCode::UninitializedElement);
  }
  if (callee->type_id != pc->a) TRAP(TrapCode::IndirectCallTypeMismatch);
  nfp = fp + pc->b;
  if (callee->instance != inst || !callee->entry) goto do_call;
  CALL_WITHIN(callee, nfp);  // as kCallDirect
  pc = callee->entry;
  goto L_kEnter;
}
L_kI32Inc2:
  INC2_BODY;
  NEXT();
  // kInc2Br*: an i32.inc2, then the zero test of slot c at pc + 1.
#define INC2_TEST(N, COND, ELSE)                        \
  L_##N : {                                             \
    S(a) = uint32_t(uint32_t(S(a)) + pc->b);            \
    const uint32_t v_ = uint32_t(uint32_t(S(c)) + pc->d); \
    S(c) = v_;                                          \
    ++pc;                                               \
    if (COND) JUMP(pc->a);                              \
    ELSE;                                               \
    NEXT();                                             \
  }
  INC2_TEST(kInc2BrNz, v_ != 0, (void)0)
  INC2_TEST(kInc2BrZ, v_ == 0, (void)0)
  INC2_TEST(kInc2BrNzElseTick, v_ != 0, TICK())
  INC2_TEST(kInc2BrZElseTick, v_ == 0, TICK())
#undef INC2_TEST
L_kCopy2:
  S(a) = S(b);
  S(c) = S(d);
  NEXT();
#define PACKED_COPY(x) fp[pc->x & 0xffff] = fp[pc->x >> 16]
L_kCopy3:
  PACKED_COPY(a);
  PACKED_COPY(b);
  PACKED_COPY(c);
  NEXT();
L_kCopy4:
  PACKED_COPY(a);
  PACKED_COPY(b);
  PACKED_COPY(c);
  PACKED_COPY(d);
  NEXT();
#undef PACKED_COPY
L_kI32AddShlImm:
  S(a) = uint32_t(uint32_t(S(b)) + (uint32_t(fp[pc->c & ((1u << 27) - 1)]) << (pc->c >> 27)) + pc->d);
  NEXT();
#define ADD_SHL_IMM_BODY(k) S(a) = uint32_t(uint32_t(S(b)) + (uint32_t(S(c)) << (k)) + pc->d)
L_kI32AddShl2Imm:
  ADD_SHL_IMM_BODY(2);
  NEXT();
L_kI32AddShl3Imm:
  ADD_SHL_IMM_BODY(3);
  NEXT();
L_kSelect:
  S(a) = uint32_t(S(d)) ? S(b) : S(c);
  NEXT();
L_kSelectImmX:
  S(a) = uint32_t(S(d)) ? uint64_t(pc->b) : S(c);
  NEXT();
L_kSelectImmY:
  S(a) = uint32_t(S(d)) ? S(b) : uint64_t(pc->c);
  NEXT();
#define SHIFT_OP_BODY(E)                             \
  {                                                  \
    uint32_t x = uint32_t(S(b)), y = uint32_t(S(c)); \
    S(a) = uint32_t(E);                              \
  }
#define SHIFT_OP(N, E) \
  L_##N : SHIFT_OP_BODY(E) NEXT();
  SHIFT_OP(kI32AddShl, x + (y << pc->d))
  SHIFT_OP(kI32AddShrU, x + (y >> pc->d))
  SHIFT_OP(kI32AddRotl, x + std::rotl(y, int(pc->d)))
  SHIFT_OP(kI32XorShl, x ^ (y << pc->d))
  SHIFT_OP(kI32XorShrU, x ^ (y >> pc->d))
  SHIFT_OP(kI32XorRotl, x ^ std::rotl(y, int(pc->d)))
  SHIFT_OP(kI32OrShl, x | (y << pc->d))
  SHIFT_OP(kI32OrShrU, x | (y >> pc->d))
  SHIFT_OP(kI32OrRotl, x | std::rotl(y, int(pc->d)))
#undef SHIFT_OP
L_kGlobalGet:
  S(a) = inst->globals[pc->b]->value;
  NEXT();
L_kGlobalSet:
  inst->globals[pc->b]->value = S(a);
  NEXT();
L_Unreachable:
  TRAP(TrapCode::Unreachable);
L_RefIsNull:
  S(a) = S(b) == 0;
  NEXT();
L_RefFunc:
  S(a) = reinterpret_cast<uint64_t>(inst->funcs[pc->b]);
  NEXT();
L_ElemDrop:
  inst->elem_values[pc->a].clear();
  NEXT();
L_DataDrop:
  inst->data_dropped[pc->a] = true;
  NEXT();
L_MemorySize:
  S(a) = mem->size / kPageSize;
  NEXT();
L_MemoryGrow : {
  auto r = mem->grow(uint32_t(S(a)));
  S(a) = r ? uint64_t(*r) : uint64_t(uint32_t(-1));
  NEXT();
}
  // Bulk and table ops take their operands in consecutive slots from a.
L_MemoryFill : {
  uint64_t* o = &S(a);
  uint64_t d = uint32_t(o[0]), v = o[1], n = uint32_t(o[2]);
  if (d + n > mem->size) TRAP(TrapCode::MemoryOutOfBounds);
  std::memset(mbase + d, int(uint8_t(v)), n);
  NEXT();
}
L_MemoryCopy : {
  uint64_t* o = &S(a);
  uint64_t d = uint32_t(o[0]), src = uint32_t(o[1]), n = uint32_t(o[2]);
  if (src + n > mem->size || d + n > mem->size) TRAP(TrapCode::MemoryOutOfBounds);
  std::memmove(mbase + d, mbase + src, n);
  NEXT();
}
L_MemoryInit : {
  uint64_t* o = &S(a);
  const auto& bytes = inst->module().datas[pc->b].bytes;
  uint64_t len = inst->data_dropped[pc->b] ? 0 : bytes.size();
  uint64_t d = uint32_t(o[0]), src = uint32_t(o[1]), n = uint32_t(o[2]);
  if (src + n > len || d + n > mem->size) TRAP(TrapCode::MemoryOutOfBounds);
  if (n) std::memcpy(mbase + d, bytes.data() + src, n);
  NEXT();
}
L_TableGet : {
  TableImpl* t = inst->tables[pc->b];
  uint32_t i = uint32_t(S(a));
  if (i >= t->elems.size()) TRAP(TrapCode::TableOutOfBounds);
  S(a) = t->elems[i];
  NEXT();
}
L_TableSet : {
  uint64_t* o = &S(a);
  TableImpl* t = inst->tables[pc->b];
  uint32_t i = uint32_t(o[0]);
  if (i >= t->elems.size()) TRAP(TrapCode::TableOutOfBounds);
  t->elems[i] = o[1];
  NEXT();
}
L_TableSize:
  S(a) = inst->tables[pc->b]->elems.size();
  NEXT();
L_TableGrow : {
  uint64_t* o = &S(a);
  TableImpl* t = inst->tables[pc->b];
  auto r = t->grow(uint32_t(o[1]), Value{t->ttype.elem, o[0]});
  o[0] = r ? uint64_t(*r) : uint64_t(uint32_t(-1));
  NEXT();
}
L_TableFill : {
  uint64_t* o = &S(a);
  TableImpl* t = inst->tables[pc->b];
  uint64_t i = uint32_t(o[0]), v = o[1], n = uint32_t(o[2]);
  if (i + n > t->elems.size()) TRAP(TrapCode::TableOutOfBounds);
  for (uint64_t k = 0; k < n; ++k) t->elems[i + k] = v;
  NEXT();
}
L_TableCopy : {
  uint64_t* o = &S(a);
  TableImpl* dt = inst->tables[pc->b];
  TableImpl* st = inst->tables[pc->c];
  uint64_t d = uint32_t(o[0]), src = uint32_t(o[1]), n = uint32_t(o[2]);
  if (src + n > st->elems.size() || d + n > dt->elems.size()) TRAP(TrapCode::TableOutOfBounds);
  if (n) std::memmove(dt->elems.data() + d, st->elems.data() + src, n * sizeof(uint64_t));
  NEXT();
}
L_TableInit : {
  uint64_t* o = &S(a);
  TableImpl* t = inst->tables[pc->c];
  const auto& seg = inst->elem_values[pc->b];
  uint64_t d = uint32_t(o[0]), src = uint32_t(o[1]), n = uint32_t(o[2]);
  if (src + n > seg.size() || d + n > t->elems.size()) TRAP(TrapCode::TableOutOfBounds);
  for (uint64_t k = 0; k < n; ++k) t->elems[d + k] = seg[src + k];
  NEXT();
}
  // Memories other than 0, out of line (multi_memory.h).
L_kAccessMulti:
  if (!interp::access_other_memory(*inst, fp, *pc)) TRAP(TrapCode::MemoryOutOfBounds);
  NEXT();
L_kBulkMulti:
  if (!interp::bulk_other_memory(*inst, fp, *pc)) TRAP(TrapCode::MemoryOutOfBounds);
  NEXT();
L_bad:
  TRAP(TrapCode::Unreachable);

  // Prefix pairs (prefix_ops.h): P, then straight on to X's handler.
#define PAIR_HANDLER(P, OPCODE, BODY, X) \
  L_##P##_then_##X : BODY;               \
  ++pc;                                  \
  goto L_##X;
#define PAIR_HANDLERS(X, XID) WHIRL_PREFIX_OPS(PAIR_HANDLER, X)
  WHIRL_PAIR_NEXT_OPS(PAIR_HANDLERS)
#undef PAIR_HANDLERS
#undef PAIR_HANDLER
#undef IBIN_BODY
#undef BR_IF_BODY
#undef IMM_C
#undef LOAD_AT
#undef STORE_AT
#undef EA_AT
#undef EA_ADD
#undef EA_ADD_IMM
#undef EA_ABS
#undef VAL_AD
#undef COPY_BODY
#undef INC2_BODY
#undef BR_IF_NZ_BODY
#undef SHIFT_OP_BODY
#undef FBIN_BODY
#undef MUL_ADD_MEM_ST_BODY
#undef PRODUCT_BODY
#undef EA_CD
#undef EA_CD_IMM
#undef ADD_SHL_IMM_BODY

  // throw: the exception goes to the store, then unwinds (below).
L_kThrow:
  s.exn_tag = inst->tags[pc->a];
  s.exn_payload.assign(fp + pc->b, fp + pc->b + pc->c);
  goto throwing;

  // An exception in flight (s.exn_*) at pc (the throw, or a call it came
  // out of): the innermost try_table of this run's frames whose clause
  // matches takes it, else it leaves run() as UncaughtException (a host
  // call that wasm made sees it again and rethrows it in its caller).
  // Only functions with try_table have handlers to look at.
throwing:
  for (;;) {
    FuncImpl* f_ = fidx > fbase ? fptr[fidx - 1].fn : entry;
    const auto& hs = f_->code->handlers;
    if (!hs.empty()) {
      const uint32_t at_ = uint32_t(pc - f_->entry);
      for (const interp::Handler& h : hs) {
        if (at_ < h.start || at_ >= h.end) continue;
        if (h.tag != interp::Handler::kCatchAll && f_->instance->tags[h.tag] != s.exn_tag) continue;
        if (h.count) std::memcpy(fp + h.dst, s.exn_payload.data(), h.count * sizeof(uint64_t));
        pc = f_->entry + h.target;
        state->fidx = fidx;
        DISPATCH();
      }
    }
    if (fidx == fbase) break;
    --fidx;
    const auto ret_ = reinterpret_cast<uintptr_t>(fptr[fidx].ret);
    pc = reinterpret_cast<const Ins*>(ret_ & ~uintptr_t(1)) - 1;  // the call
    fp -= pc->b;
    if (fidx > fbase) top_ret = fptr[fidx - 1].ret;
    state->fidx = fidx;
    if (ret_ & 1) SWITCH_INSTANCE(fidx > fbase ? fptr[fidx - 1].fn : entry);
  }
  return make_trap(TrapCode::UncaughtException, fptr, fbase, fidx, entry);

trapped : {
  if (host_trap && host_trap->code == TrapCode::UncaughtException && s.exn_tag) {
    host_trap.reset();
    goto throwing;  // from a host call back into wasm: it goes on here
  }
  Trap t = make_trap(host_trap ? host_trap->code : trap_code, fptr, fbase, fidx, entry);
  if (host_trap) {
    Trap h = std::move(*host_trap);
    append_backtrace(h, t);
    return h;
  }
  t.message += trap_detail;
  return t;
}
#undef TRAP
#undef DISPATCH
#undef NEXT
#undef S
#undef SWITCH_INSTANCE
#undef JUMP
#undef TICK
#undef RESERVE_FRAME
#undef TABLE_ENTRY
#undef TABLE_JUMP
#undef LOADED_INDEX
}

}  // namespace

std::optional<Trap> call(StoreImpl& s, FuncImpl* entry, const uint64_t* args, uint64_t* results) {
  // sigsetjmp lives here, not in run(): a function that calls it gets
  // pessimized register allocation.
  platform::GuardRegion guard;
  guard.prev = platform::guard_current();
  platform::guard_current() = &guard;
  struct Restore {
    platform::GuardRegion* prev;
    ~Restore() { platform::guard_current() = prev; }
  } restore{guard.prev};
  RunState state{s.frames_top};
  if (sigsetjmp(guard.jmp, 0)) {
    // An access beyond the memory's size faulted in run().
    return make_trap(TrapCode::MemoryOutOfBounds, s.frames.data(), s.frames_top, state.fidx, entry);
  }
  return run(&s, entry, args, results, nullptr, &guard, &state);
}

}  // namespace whirl::wasm::rt

namespace whirl::wasm::interp {

const void* const* handler_table() {
  static const void** table = [] {
    static const void* t[kIOpCount * (kPrefixCount + 1)];
    rt::run(nullptr, nullptr, nullptr, nullptr, t, nullptr, nullptr);
    return t;
  }();
  return table;
}

}  // namespace whirl::wasm::interp
