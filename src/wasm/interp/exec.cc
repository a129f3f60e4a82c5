// The interpreter loop over the internal code (see code.h). Values live in
// 64-bit slots on one stack per store; locals are slots at the frame base.
#include <bit>
#include <cstring>

#include "wasm/interp/numeric.h"
#include "wasm/runtime/objects.h"

namespace whirl::wasm::rt {
namespace {

using interp::Ins;
using interp::f32_of;
using interp::f64_of;
using interp::bits_of;
using f32 = float;
using f64 = double;

struct Frame {
  FuncImpl* fn;
  const Ins* ret;
  uint64_t* base;
};

class CallerImpl final : public Caller {
 public:
  explicit CallerImpl(InstanceImpl* inst) : inst_(inst) {}
  MemoryInst* memory() override { return inst_ && !inst_->memories.empty() ? inst_->memories[0] : nullptr; }
  Instance* instance() override { return inst_; }

 private:
  InstanceImpl* inst_;
};

std::optional<Trap> call_host(StoreImpl& s, FuncImpl* f, InstanceImpl* caller, uint64_t* args_results) {
  const FuncType& t = f->ftype;
  Value args[16], results[16];
  std::vector<Value> big_args, big_results;
  Value* a = args;
  Value* r = results;
  if (t.params.size() > 16) big_args.resize(t.params.size()), a = big_args.data();
  if (t.results.size() > 16) big_results.resize(t.results.size()), r = big_results.data();
  for (size_t i = 0; i < t.params.size(); ++i) a[i] = {t.params[i], args_results[i]};
  for (size_t i = 0; i < t.results.size(); ++i) r[i] = Value::zero(t.results[i]);
  CallerImpl c(caller);
  auto trap = f->host(c, std::span<const Value>(a, t.params.size()), std::span<Value>(r, t.results.size()));
  if (trap) return trap;
  for (size_t i = 0; i < t.results.size(); ++i) args_results[i] = r[i].bits;
  return std::nullopt;
}

Trap make_trap(TrapCode code, const std::vector<Frame>& frames, FuncImpl* current) {
  Trap t;
  t.code = code;
  t.message = trap_message(code);
  auto add = [&](FuncImpl* f) {
    if (!f || !f->instance) return;
    std::string name = f->instance->module().func_name(f->index);
    t.backtrace.push_back({f->index, name.empty() ? "<func " + std::to_string(f->index) + ">" : name});
  };
  add(current);
  for (size_t i = frames.size(); i-- > 0;) add(frames[i].fn);
  return t;
}

bool same_type(const FuncType& a, const FuncType& b) { return a == b; }

}  // namespace

std::optional<Trap> call(StoreImpl& s, FuncImpl* entry, const uint64_t* args, uint64_t* results) {
  uint64_t* const stack_end = s.stack_end;
  uint64_t* base = s.sp;
  const size_t nargs = entry->ftype.params.size();
  if (base + nargs + 1 > stack_end) return make_trap(TrapCode::StackExhausted, {}, nullptr);
  std::memcpy(base, args, nargs * sizeof(uint64_t));
  if (!entry->code) {
    if (s.depth >= s.config.max_call_depth) return make_trap(TrapCode::StackExhausted, {}, nullptr);
    uint64_t* saved = s.sp;
    s.sp = base + std::max(nargs, entry->ftype.results.size());
    ++s.depth;
    auto trap = call_host(s, entry, nullptr, base);
    --s.depth;
    s.sp = saved;
    if (trap) return trap;
    std::memcpy(results, base, entry->ftype.results.size() * sizeof(uint64_t));
    return std::nullopt;
  }

  std::vector<Frame> frames;
  frames.reserve(64);
  FuncImpl* fn = entry;
  InstanceImpl* inst = nullptr;
  MemoryImpl* mem = nullptr;
  const Ins* pc = nullptr;
  uint64_t* sp = nullptr;
  uint64_t* opbase = nullptr;
  TrapCode trap_code = TrapCode::Unreachable;
  std::optional<Trap> host_trap;
  std::string trap_detail;  // appended to the spec message (e.g. the element index)
  const uint32_t depth0 = s.depth;

#define TRAP(code)         \
  do {                     \
    trap_code = (code);    \
    goto trapped;          \
  } while (0)

  // Enters `fn` whose arguments are at `base`; on failure returns the trap.
  auto enter = [&]() -> std::optional<TrapCode> {
    const interp::CompiledFunc& c = *fn->code;
    if (depth0 + frames.size() >= s.config.max_call_depth) return TrapCode::StackExhausted;
    // Calls count like loop iterations, so recursion without loops is bounded too.
    if (s.config.fuel && s.fuel_left-- == 0) return TrapCode::OutOfFuel;
    if (s.interrupted.load(std::memory_order_relaxed)) return TrapCode::Interrupted;
    if (base + c.num_locals + c.max_height + 1 > stack_end) return TrapCode::StackExhausted;
    std::memset(base + c.num_params, 0, (c.num_locals - c.num_params) * sizeof(uint64_t));
    opbase = base + c.num_locals;
    sp = opbase;
    pc = c.code.data();
    if (fn->instance != inst) {
      inst = fn->instance;
      mem = inst->memories.empty() ? nullptr : inst->memories[0];
    }
    return std::nullopt;
  };

  if (auto t = enter()) TRAP(*t);

  for (;;) {
    const Ins& in = *pc;
    switch (in.op) {
#define BIN(OP, T, EXPR)                  \
  case uint16_t(Op::OP): {                \
    T b = T(sp[-1]);                      \
    T a = T(sp[-2]);                      \
    --sp;                                 \
    sp[-1] = uint64_t(EXPR);              \
    break;                                \
  }
#define UN(OP, T, EXPR)                   \
  case uint16_t(Op::OP): {                \
    T a = T(sp[-1]);                      \
    sp[-1] = uint64_t(EXPR);              \
    break;                                \
  }
#define FBIN(OP, F, EXPR)                                      \
  case uint16_t(Op::OP): {                                     \
    F b = F##_of(sp[-1]);                                      \
    F a = F##_of(sp[-2]);                                      \
    --sp;                                                      \
    sp[-1] = bits_of(EXPR);                                    \
    break;                                                     \
  }
#define FUN(OP, F, EXPR)                                       \
  case uint16_t(Op::OP): {                                     \
    F a = F##_of(sp[-1]);                                      \
    sp[-1] = bits_of(EXPR);                                    \
    break;                                                     \
  }
#define FCMP(OP, F, EXPR)                                      \
  case uint16_t(Op::OP): {                                     \
    F b = F##_of(sp[-1]);                                      \
    F a = F##_of(sp[-2]);                                      \
    --sp;                                                      \
    sp[-1] = (EXPR) ? 1 : 0;                                   \
    break;                                                     \
  }
#define LOAD(OP, T, N)                                                      \
  case uint16_t(Op::OP): {                                                  \
    uint64_t ea = uint64_t(uint32_t(sp[-1])) + in.b;                        \
    if (ea + N > mem->size) TRAP(TrapCode::MemoryOutOfBounds);              \
    T v;                                                                    \
    std::memcpy(&v, mem->base + ea, N);                                     \
    sp[-1] = uint64_t(v);                                                   \
    break;                                                                  \
  }
#define STORE(OP, T, N)                                                     \
  case uint16_t(Op::OP): {                                                  \
    uint64_t ea = uint64_t(uint32_t(sp[-2])) + in.b;                        \
    if (ea + N > mem->size) TRAP(TrapCode::MemoryOutOfBounds);              \
    T v = T(sp[-1]);                                                        \
    std::memcpy(mem->base + ea, &v, N);                                     \
    sp -= 2;                                                                \
    break;                                                                  \
  }
#define TRUNC(OP, F, I)                                                     \
  case uint16_t(Op::OP): {                                                  \
    I r;                                                                    \
    switch (interp::trunc_checked<I>(F##_of(sp[-1]), &r)) {                 \
      case interp::ConvResult::Nan: TRAP(TrapCode::InvalidConversion);      \
      case interp::ConvResult::Overflow: TRAP(TrapCode::IntegerOverflow);   \
      case interp::ConvResult::Ok: break;                                   \
    }                                                                       \
    sp[-1] = uint64_t(std::make_unsigned_t<I>(r));                          \
    break;                                                                  \
  }
#define TRUNC_SAT(OP, F, I)                                                 \
  case uint16_t(Op::OP):                                                    \
    sp[-1] = uint64_t(std::make_unsigned_t<I>(interp::trunc_sat<I>(F##_of(sp[-1])))); \
    break;

      case uint16_t(Op::Unreachable): TRAP(TrapCode::Unreachable);
      case uint16_t(Op::Nop): break;
      case interp::kBr: {
        uint64_t* dst = opbase + in.c;
        if (in.b) std::memmove(dst, sp - in.b, in.b * sizeof(uint64_t));
        sp = dst + in.b;
        if (in.a <= uint32_t(pc - fn->code->code.data())) {  // backward: a loop
          if (s.interrupted.load(std::memory_order_relaxed)) TRAP(TrapCode::Interrupted);
          if (s.config.fuel && s.fuel_left-- == 0) TRAP(TrapCode::OutOfFuel);
        }
        pc = fn->code->code.data() + in.a;
        continue;
      }
      case interp::kBrIf: {
        if (uint32_t(*--sp) == 0) break;
        uint64_t* dst = opbase + in.c;
        if (in.b) std::memmove(dst, sp - in.b, in.b * sizeof(uint64_t));
        sp = dst + in.b;
        if (in.a <= uint32_t(pc - fn->code->code.data())) {
          if (s.interrupted.load(std::memory_order_relaxed)) TRAP(TrapCode::Interrupted);
          if (s.config.fuel && s.fuel_left-- == 0) TRAP(TrapCode::OutOfFuel);
        }
        pc = fn->code->code.data() + in.a;
        continue;
      }
      case interp::kBrUnless:
        if (uint32_t(*--sp) != 0) break;
        pc = fn->code->code.data() + in.a;
        continue;
      case interp::kJump: pc = fn->code->code.data() + in.a; continue;
      case interp::kBrTable: {
        uint32_t i = uint32_t(*--sp);
        const interp::BrTarget& t = fn->code->table[in.a + (i < in.b ? i : in.b)];
        uint64_t* dst = opbase + t.height;
        if (t.keep) std::memmove(dst, sp - t.keep, t.keep * sizeof(uint64_t));
        sp = dst + t.keep;
        if (t.pc <= uint32_t(pc - fn->code->code.data())) {
          if (s.interrupted.load(std::memory_order_relaxed)) TRAP(TrapCode::Interrupted);
          if (s.config.fuel && s.fuel_left-- == 0) TRAP(TrapCode::OutOfFuel);
        }
        pc = fn->code->code.data() + t.pc;
        continue;
      }
      case interp::kReturn: {
        uint32_t n = fn->code->num_results;
        std::memmove(base, sp - n, n * sizeof(uint64_t));
        if (frames.empty()) {
          std::memcpy(results, base, n * sizeof(uint64_t));
          return std::nullopt;
        }
        uint64_t* callee_base = base;
        Frame f = frames.back();
        frames.pop_back();
        fn = f.fn;
        base = f.base;
        pc = f.ret;
        opbase = base + fn->code->num_locals;
        sp = callee_base + n;
        if (fn->instance != inst) {
          inst = fn->instance;
          mem = inst->memories.empty() ? nullptr : inst->memories[0];
        }
        continue;
      }
      case uint16_t(Op::Call):
      case uint16_t(Op::CallIndirect): {
        FuncImpl* callee;
        if (in.op == uint16_t(Op::Call)) {
          callee = inst->funcs[in.a];
        } else {
          uint32_t i = uint32_t(*--sp);
          TableImpl* t = inst->tables[in.b];
          if (i >= t->elems.size()) TRAP(TrapCode::UndefinedElement);
          callee = reinterpret_cast<FuncImpl*>(t->elems[i]);
          if (!callee) {
            trap_detail = " " + std::to_string(i);
            TRAP(TrapCode::UninitializedElement);
          }
          if (!same_type(callee->ftype, inst->module().types[in.a])) TRAP(TrapCode::IndirectCallTypeMismatch);
        }
        uint32_t np = uint32_t(callee->ftype.params.size());
        if (!callee->code) {
          if (depth0 + frames.size() + 1 >= s.config.max_call_depth) TRAP(TrapCode::StackExhausted);
          uint64_t* args = sp - np;
          size_t nr = callee->ftype.results.size();
          if (args + nr + 1 > stack_end) TRAP(TrapCode::StackExhausted);
          uint64_t* saved = s.sp;
          s.sp = args + std::max<size_t>(np, nr);
          s.depth = depth0 + uint32_t(frames.size()) + 1;
          host_trap = call_host(s, callee, inst, args);
          s.depth = depth0;
          s.sp = saved;
          if (host_trap) goto trapped;
          sp = args + nr;
          if (mem) mem = inst->memories[0];
          break;
        }
        frames.push_back({fn, pc + 1, base});
        base = sp - np;
        fn = callee;
        if (auto t = enter()) {
          frames.pop_back();
          TRAP(*t);
        }
        continue;
      }
      case uint16_t(Op::Drop): --sp; break;
      case uint16_t(Op::Select): {
        uint32_t c = uint32_t(sp[-1]);
        sp -= 2;
        if (!c) sp[-1] = sp[0];
        break;
      }
      case uint16_t(Op::LocalGet): *sp++ = base[in.a]; break;
      case uint16_t(Op::LocalSet): base[in.a] = *--sp; break;
      case uint16_t(Op::LocalTee): base[in.a] = sp[-1]; break;
      case uint16_t(Op::GlobalGet): *sp++ = inst->globals[in.a]->value; break;
      case uint16_t(Op::GlobalSet): inst->globals[in.a]->value = *--sp; break;
      case uint16_t(Op::TableGet): {
        TableImpl* t = inst->tables[in.a];
        uint32_t i = uint32_t(sp[-1]);
        if (i >= t->elems.size()) TRAP(TrapCode::TableOutOfBounds);
        sp[-1] = t->elems[i];
        break;
      }
      case uint16_t(Op::TableSet): {
        TableImpl* t = inst->tables[in.a];
        uint32_t i = uint32_t(sp[-2]);
        if (i >= t->elems.size()) TRAP(TrapCode::TableOutOfBounds);
        t->elems[i] = sp[-1];
        sp -= 2;
        break;
      }
      case uint16_t(Op::TableSize): *sp++ = inst->tables[in.a]->elems.size(); break;
      case uint16_t(Op::TableGrow): {
        TableImpl* t = inst->tables[in.a];
        uint32_t n = uint32_t(sp[-1]);
        auto r = t->grow(n, Value{t->ttype.elem, sp[-2]});
        --sp;
        sp[-1] = r ? uint64_t(*r) : uint64_t(uint32_t(-1));
        break;
      }
      case uint16_t(Op::TableFill): {
        TableImpl* t = inst->tables[in.a];
        uint64_t n = uint32_t(sp[-1]), v = sp[-2], i = uint32_t(sp[-3]);
        sp -= 3;
        if (i + n > t->elems.size()) TRAP(TrapCode::TableOutOfBounds);
        for (uint64_t k = 0; k < n; ++k) t->elems[i + k] = v;
        break;
      }
      case uint16_t(Op::TableCopy): {
        TableImpl* dt = inst->tables[in.a];
        TableImpl* st = inst->tables[in.b];
        uint64_t n = uint32_t(sp[-1]), src = uint32_t(sp[-2]), dst = uint32_t(sp[-3]);
        sp -= 3;
        if (src + n > st->elems.size() || dst + n > dt->elems.size()) TRAP(TrapCode::TableOutOfBounds);
        if (n) std::memmove(dt->elems.data() + dst, st->elems.data() + src, n * sizeof(uint64_t));
        break;
      }
      case uint16_t(Op::TableInit): {
        TableImpl* t = inst->tables[in.b];
        const auto& seg = inst->elem_values[in.a];
        uint64_t n = uint32_t(sp[-1]), src = uint32_t(sp[-2]), dst = uint32_t(sp[-3]);
        sp -= 3;
        if (src + n > seg.size() || dst + n > t->elems.size()) TRAP(TrapCode::TableOutOfBounds);
        for (uint64_t k = 0; k < n; ++k) t->elems[dst + k] = seg[src + k];
        break;
      }
      case uint16_t(Op::ElemDrop): inst->elem_values[in.a].clear(); break;
      case uint16_t(Op::MemorySize): *sp++ = mem->size / kPageSize; break;
      case uint16_t(Op::MemoryGrow): {
        auto r = mem->grow(uint32_t(sp[-1]));
        sp[-1] = r ? uint64_t(*r) : uint64_t(uint32_t(-1));
        break;
      }
      case uint16_t(Op::MemoryFill): {
        uint64_t n = uint32_t(sp[-1]), v = sp[-2], d = uint32_t(sp[-3]);
        sp -= 3;
        if (d + n > mem->size) TRAP(TrapCode::MemoryOutOfBounds);
        std::memset(mem->base + d, int(uint8_t(v)), n);
        break;
      }
      case uint16_t(Op::MemoryCopy): {
        uint64_t n = uint32_t(sp[-1]), src = uint32_t(sp[-2]), d = uint32_t(sp[-3]);
        sp -= 3;
        if (src + n > mem->size || d + n > mem->size) TRAP(TrapCode::MemoryOutOfBounds);
        std::memmove(mem->base + d, mem->base + src, n);
        break;
      }
      case uint16_t(Op::MemoryInit): {
        const auto& bytes = inst->module().datas[in.a].bytes;
        uint64_t len = inst->data_dropped[in.a] ? 0 : bytes.size();
        uint64_t n = uint32_t(sp[-1]), src = uint32_t(sp[-2]), d = uint32_t(sp[-3]);
        sp -= 3;
        if (src + n > len || d + n > mem->size) TRAP(TrapCode::MemoryOutOfBounds);
        if (n) std::memcpy(mem->base + d, bytes.data() + src, n);
        break;
      }
      case uint16_t(Op::DataDrop): inst->data_dropped[in.a] = true; break;
      case uint16_t(Op::RefNull): *sp++ = 0; break;
      case uint16_t(Op::RefIsNull): sp[-1] = sp[-1] == 0; break;
      case uint16_t(Op::RefFunc): *sp++ = reinterpret_cast<uint64_t>(inst->funcs[in.a]); break;

      LOAD(I32Load, uint32_t, 4)
      LOAD(I64Load, uint64_t, 8)
      LOAD(F32Load, uint32_t, 4)
      LOAD(F64Load, uint64_t, 8)
      case uint16_t(Op::I32Load8S): {
        uint64_t ea = uint64_t(uint32_t(sp[-1])) + in.b;
        if (ea + 1 > mem->size) TRAP(TrapCode::MemoryOutOfBounds);
        sp[-1] = uint32_t(int32_t(int8_t(mem->base[ea])));
        break;
      }
      LOAD(I32Load8U, uint8_t, 1)
      case uint16_t(Op::I32Load16S): {
        uint64_t ea = uint64_t(uint32_t(sp[-1])) + in.b;
        if (ea + 2 > mem->size) TRAP(TrapCode::MemoryOutOfBounds);
        int16_t v;
        std::memcpy(&v, mem->base + ea, 2);
        sp[-1] = uint32_t(int32_t(v));
        break;
      }
      LOAD(I32Load16U, uint16_t, 2)
      LOAD(I64Load8S, int8_t, 1)
      LOAD(I64Load8U, uint8_t, 1)
      LOAD(I64Load16S, int16_t, 2)
      LOAD(I64Load16U, uint16_t, 2)
      LOAD(I64Load32S, int32_t, 4)
      LOAD(I64Load32U, uint32_t, 4)
      STORE(I32Store, uint32_t, 4)
      STORE(I64Store, uint64_t, 8)
      STORE(F32Store, uint32_t, 4)
      STORE(F64Store, uint64_t, 8)
      STORE(I32Store8, uint8_t, 1)
      STORE(I32Store16, uint16_t, 2)
      STORE(I64Store8, uint8_t, 1)
      STORE(I64Store16, uint16_t, 2)
      STORE(I64Store32, uint32_t, 4)

      case uint16_t(Op::I32Const): *sp++ = uint32_t(in.imm); break;
      case uint16_t(Op::I64Const): *sp++ = in.imm; break;
      case uint16_t(Op::F32Const): *sp++ = uint32_t(in.imm); break;
      case uint16_t(Op::F64Const): *sp++ = in.imm; break;

      UN(I32Eqz, uint32_t, a == 0)
      BIN(I32Eq, uint32_t, a == b)
      BIN(I32Ne, uint32_t, a != b)
      BIN(I32LtS, uint32_t, int32_t(a) < int32_t(b))
      BIN(I32LtU, uint32_t, a < b)
      BIN(I32GtS, uint32_t, int32_t(a) > int32_t(b))
      BIN(I32GtU, uint32_t, a > b)
      BIN(I32LeS, uint32_t, int32_t(a) <= int32_t(b))
      BIN(I32LeU, uint32_t, a <= b)
      BIN(I32GeS, uint32_t, int32_t(a) >= int32_t(b))
      BIN(I32GeU, uint32_t, a >= b)
      UN(I64Eqz, uint64_t, a == 0)
      BIN(I64Eq, uint64_t, a == b)
      BIN(I64Ne, uint64_t, a != b)
      BIN(I64LtS, uint64_t, int64_t(a) < int64_t(b))
      BIN(I64LtU, uint64_t, a < b)
      BIN(I64GtS, uint64_t, int64_t(a) > int64_t(b))
      BIN(I64GtU, uint64_t, a > b)
      BIN(I64LeS, uint64_t, int64_t(a) <= int64_t(b))
      BIN(I64LeU, uint64_t, a <= b)
      BIN(I64GeS, uint64_t, int64_t(a) >= int64_t(b))
      BIN(I64GeU, uint64_t, a >= b)
      FCMP(F32Eq, f32, a == b)
      FCMP(F32Ne, f32, a != b)
      FCMP(F32Lt, f32, a < b)
      FCMP(F32Gt, f32, a > b)
      FCMP(F32Le, f32, a <= b)
      FCMP(F32Ge, f32, a >= b)
      FCMP(F64Eq, f64, a == b)
      FCMP(F64Ne, f64, a != b)
      FCMP(F64Lt, f64, a < b)
      FCMP(F64Gt, f64, a > b)
      FCMP(F64Le, f64, a <= b)
      FCMP(F64Ge, f64, a >= b)

      UN(I32Clz, uint32_t, std::countl_zero(a))
      UN(I32Ctz, uint32_t, std::countr_zero(a))
      UN(I32Popcnt, uint32_t, std::popcount(a))
      BIN(I32Add, uint32_t, uint32_t(a + b))
      BIN(I32Sub, uint32_t, uint32_t(a - b))
      BIN(I32Mul, uint32_t, uint32_t(a * b))
      case uint16_t(Op::I32DivS): {
        int32_t b = int32_t(sp[-1]), a = int32_t(sp[-2]);
        if (b == 0) TRAP(TrapCode::IntegerDivideByZero);
        if (a == INT32_MIN && b == -1) TRAP(TrapCode::IntegerOverflow);
        --sp;
        sp[-1] = uint32_t(a / b);
        break;
      }
      case uint16_t(Op::I32DivU): {
        uint32_t b = uint32_t(sp[-1]), a = uint32_t(sp[-2]);
        if (b == 0) TRAP(TrapCode::IntegerDivideByZero);
        --sp;
        sp[-1] = a / b;
        break;
      }
      case uint16_t(Op::I32RemS): {
        int32_t b = int32_t(sp[-1]), a = int32_t(sp[-2]);
        if (b == 0) TRAP(TrapCode::IntegerDivideByZero);
        --sp;
        sp[-1] = (b == -1) ? 0 : uint32_t(a % b);
        break;
      }
      case uint16_t(Op::I32RemU): {
        uint32_t b = uint32_t(sp[-1]), a = uint32_t(sp[-2]);
        if (b == 0) TRAP(TrapCode::IntegerDivideByZero);
        --sp;
        sp[-1] = a % b;
        break;
      }
      BIN(I32And, uint32_t, a & b)
      BIN(I32Or, uint32_t, a | b)
      BIN(I32Xor, uint32_t, a ^ b)
      BIN(I32Shl, uint32_t, uint32_t(a << (b & 31)))
      BIN(I32ShrS, uint32_t, uint32_t(int32_t(a) >> (b & 31)))
      BIN(I32ShrU, uint32_t, a >> (b & 31))
      BIN(I32Rotl, uint32_t, std::rotl(a, int(b & 31)))
      BIN(I32Rotr, uint32_t, std::rotr(a, int(b & 31)))

      UN(I64Clz, uint64_t, std::countl_zero(a))
      UN(I64Ctz, uint64_t, std::countr_zero(a))
      UN(I64Popcnt, uint64_t, std::popcount(a))
      BIN(I64Add, uint64_t, a + b)
      BIN(I64Sub, uint64_t, a - b)
      BIN(I64Mul, uint64_t, a * b)
      case uint16_t(Op::I64DivS): {
        int64_t b = int64_t(sp[-1]), a = int64_t(sp[-2]);
        if (b == 0) TRAP(TrapCode::IntegerDivideByZero);
        if (a == INT64_MIN && b == -1) TRAP(TrapCode::IntegerOverflow);
        --sp;
        sp[-1] = uint64_t(a / b);
        break;
      }
      case uint16_t(Op::I64DivU): {
        uint64_t b = sp[-1], a = sp[-2];
        if (b == 0) TRAP(TrapCode::IntegerDivideByZero);
        --sp;
        sp[-1] = a / b;
        break;
      }
      case uint16_t(Op::I64RemS): {
        int64_t b = int64_t(sp[-1]), a = int64_t(sp[-2]);
        if (b == 0) TRAP(TrapCode::IntegerDivideByZero);
        --sp;
        sp[-1] = (b == -1) ? 0 : uint64_t(a % b);
        break;
      }
      case uint16_t(Op::I64RemU): {
        uint64_t b = sp[-1], a = sp[-2];
        if (b == 0) TRAP(TrapCode::IntegerDivideByZero);
        --sp;
        sp[-1] = a % b;
        break;
      }
      BIN(I64And, uint64_t, a & b)
      BIN(I64Or, uint64_t, a | b)
      BIN(I64Xor, uint64_t, a ^ b)
      BIN(I64Shl, uint64_t, a << (b & 63))
      BIN(I64ShrS, uint64_t, uint64_t(int64_t(a) >> (b & 63)))
      BIN(I64ShrU, uint64_t, a >> (b & 63))
      BIN(I64Rotl, uint64_t, std::rotl(a, int(b & 63)))
      BIN(I64Rotr, uint64_t, std::rotr(a, int(b & 63)))

      case uint16_t(Op::F32Abs): sp[-1] = uint32_t(sp[-1]) & 0x7fffffffu; break;
      case uint16_t(Op::F32Neg): sp[-1] = uint32_t(sp[-1]) ^ 0x80000000u; break;
      FUN(F32Ceil, f32, interp::rounding(a, [](auto v) { return std::ceil(v); }))
      FUN(F32Floor, f32, interp::rounding(a, [](auto v) { return std::floor(v); }))
      FUN(F32Trunc, f32, interp::rounding(a, [](auto v) { return std::trunc(v); }))
      FUN(F32Nearest, f32, interp::wasm_nearest(a))
      FUN(F32Sqrt, f32, interp::rounding(a, [](auto v) { return std::sqrt(v); }))
      FBIN(F32Add, f32, a + b)
      FBIN(F32Sub, f32, a - b)
      FBIN(F32Mul, f32, a * b)
      FBIN(F32Div, f32, a / b)
      FBIN(F32Min, f32, interp::wasm_min(a, b))
      FBIN(F32Max, f32, interp::wasm_max(a, b))
      case uint16_t(Op::F32Copysign): {
        uint32_t b = uint32_t(sp[-1]), a = uint32_t(sp[-2]);
        --sp;
        sp[-1] = (a & 0x7fffffffu) | (b & 0x80000000u);
        break;
      }
      case uint16_t(Op::F64Abs): sp[-1] &= 0x7fffffffffffffffull; break;
      case uint16_t(Op::F64Neg): sp[-1] ^= 0x8000000000000000ull; break;
      FUN(F64Ceil, f64, interp::rounding(a, [](auto v) { return std::ceil(v); }))
      FUN(F64Floor, f64, interp::rounding(a, [](auto v) { return std::floor(v); }))
      FUN(F64Trunc, f64, interp::rounding(a, [](auto v) { return std::trunc(v); }))
      FUN(F64Nearest, f64, interp::wasm_nearest(a))
      FUN(F64Sqrt, f64, interp::rounding(a, [](auto v) { return std::sqrt(v); }))
      FBIN(F64Add, f64, a + b)
      FBIN(F64Sub, f64, a - b)
      FBIN(F64Mul, f64, a * b)
      FBIN(F64Div, f64, a / b)
      FBIN(F64Min, f64, interp::wasm_min(a, b))
      FBIN(F64Max, f64, interp::wasm_max(a, b))
      case uint16_t(Op::F64Copysign): {
        uint64_t b = sp[-1], a = sp[-2];
        --sp;
        sp[-1] = (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull);
        break;
      }

      UN(I32WrapI64, uint64_t, uint32_t(a))
      TRUNC(I32TruncF32S, f32, int32_t)
      TRUNC(I32TruncF32U, f32, uint32_t)
      TRUNC(I32TruncF64S, f64, int32_t)
      TRUNC(I32TruncF64U, f64, uint32_t)
      UN(I64ExtendI32S, uint64_t, uint64_t(int64_t(int32_t(uint32_t(a)))))
      UN(I64ExtendI32U, uint64_t, uint64_t(uint32_t(a)))
      TRUNC(I64TruncF32S, f32, int64_t)
      TRUNC(I64TruncF32U, f32, uint64_t)
      TRUNC(I64TruncF64S, f64, int64_t)
      TRUNC(I64TruncF64U, f64, uint64_t)
      case uint16_t(Op::F32ConvertI32S): sp[-1] = bits_of(float(int32_t(sp[-1]))); break;
      case uint16_t(Op::F32ConvertI32U): sp[-1] = bits_of(float(uint32_t(sp[-1]))); break;
      case uint16_t(Op::F32ConvertI64S): sp[-1] = bits_of(float(int64_t(sp[-1]))); break;
      case uint16_t(Op::F32ConvertI64U): sp[-1] = bits_of(float(sp[-1])); break;
      case uint16_t(Op::F32DemoteF64): sp[-1] = bits_of(float(f64_of(sp[-1]))); break;
      case uint16_t(Op::F64ConvertI32S): sp[-1] = bits_of(double(int32_t(sp[-1]))); break;
      case uint16_t(Op::F64ConvertI32U): sp[-1] = bits_of(double(uint32_t(sp[-1]))); break;
      case uint16_t(Op::F64ConvertI64S): sp[-1] = bits_of(double(int64_t(sp[-1]))); break;
      case uint16_t(Op::F64ConvertI64U): sp[-1] = bits_of(double(sp[-1])); break;
      case uint16_t(Op::F64PromoteF32): sp[-1] = bits_of(double(f32_of(sp[-1]))); break;
      case uint16_t(Op::I32ReinterpretF32): case uint16_t(Op::F32ReinterpretI32):
        sp[-1] = uint32_t(sp[-1]);
        break;
      case uint16_t(Op::I64ReinterpretF64): case uint16_t(Op::F64ReinterpretI64): break;
      UN(I32Extend8S, uint32_t, uint32_t(int32_t(int8_t(a))))
      UN(I32Extend16S, uint32_t, uint32_t(int32_t(int16_t(a))))
      UN(I64Extend8S, uint64_t, uint64_t(int64_t(int8_t(a))))
      UN(I64Extend16S, uint64_t, uint64_t(int64_t(int16_t(a))))
      UN(I64Extend32S, uint64_t, uint64_t(int64_t(int32_t(a))))
      TRUNC_SAT(I32TruncSatF32S, f32, int32_t)
      TRUNC_SAT(I32TruncSatF32U, f32, uint32_t)
      TRUNC_SAT(I32TruncSatF64S, f64, int32_t)
      TRUNC_SAT(I32TruncSatF64U, f64, uint32_t)
      TRUNC_SAT(I64TruncSatF32S, f32, int64_t)
      TRUNC_SAT(I64TruncSatF32U, f32, uint64_t)
      TRUNC_SAT(I64TruncSatF64S, f64, int64_t)
      TRUNC_SAT(I64TruncSatF64U, f64, uint64_t)
      default: TRAP(TrapCode::Unreachable);
    }
    ++pc;
  }

trapped:
  if (host_trap) {
    Trap t = std::move(*host_trap);
    Trap bt = make_trap(t.code, frames, fn);
    t.backtrace.insert(t.backtrace.end(), bt.backtrace.begin(), bt.backtrace.end());
    return t;
  }
  Trap t = make_trap(trap_code, frames, fn);
  t.message += trap_detail;
  return t;
}

}  // namespace whirl::wasm::rt
