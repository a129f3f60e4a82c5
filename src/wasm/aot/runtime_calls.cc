// The runtime functions compiled code calls (runtime_calls.h), and the
// libc/libm functions LLVM's code generator may call. Built with frame
// pointers (CMakeLists.txt): a trap's backtrace walks through these frames.
// A function that traps keeps no object with a destructor alive when it
// jumps: the checks return a code, the caller of `fail` owns nothing.
#include "wasm/aot/runtime_calls.h"

#include <cmath>
#include <cstring>
#include <string>

#include "wasm/aot/activation.h"
#include "wasm/interp/host_call.h"
#include "wasm/runtime/objects.h"

namespace whirl::wasm::aot {

using rt::FuncImpl;
using rt::InstanceImpl;
using rt::VmContext;

Activation*& current_activation() {
  static thread_local Activation* current = nullptr;
  return current;
}

namespace {

[[noreturn]] __attribute__((noinline)) void raise(TrapCode code) {
  Activation* a = current_activation();
  a->code = code;
  a->raised = true;
  // This frame's return address is the innermost one of interest.
  auto fp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  a->collect(reinterpret_cast<uintptr_t>(__builtin_return_address(0)), *reinterpret_cast<uintptr_t*>(fp));
  siglongjmp(a->guard.jmp, 1);
}

// 0, or the trap code + 1.
int check(bool ok, TrapCode code) { return ok ? 0 : int(code) + 1; }

int memory_fill(VmContext* vm, uint32_t mem, uint32_t d, uint32_t v, uint32_t n) {
  rt::MemoryImpl* m = vm->memories[mem];
  if (uint64_t(d) + n > m->size) return check(false, TrapCode::MemoryOutOfBounds);
  std::memset(m->base + d, int(uint8_t(v)), n);
  return 0;
}

int memory_copy(VmContext* vm, uint32_t dm, uint32_t sm, uint32_t d, uint32_t s, uint32_t n) {
  rt::MemoryImpl* dst = vm->memories[dm];
  rt::MemoryImpl* src = vm->memories[sm];
  if (uint64_t(s) + n > src->size || uint64_t(d) + n > dst->size) return check(false, TrapCode::MemoryOutOfBounds);
  std::memmove(dst->base + d, src->base + s, n);
  return 0;
}

int memory_init(VmContext* vm, uint32_t mem, uint32_t seg, uint32_t d, uint32_t s, uint32_t n) {
  InstanceImpl* I = vm->instance;
  rt::MemoryImpl* m = vm->memories[mem];
  const auto& bytes = I->module().datas[seg].bytes;
  uint64_t len = I->data_dropped[seg] ? 0 : bytes.size();
  if (uint64_t(s) + n > len || uint64_t(d) + n > m->size) return check(false, TrapCode::MemoryOutOfBounds);
  if (n) std::memcpy(m->base + d, bytes.data() + s, n);
  return 0;
}

int table_fill(VmContext* vm, uint32_t t, uint32_t i, uint64_t v, uint32_t n) {
  rt::TableImpl* tb = vm->tables[t];
  if (uint64_t(i) + n > tb->elems.size()) return check(false, TrapCode::TableOutOfBounds);
  for (uint64_t k = 0; k < n; ++k) tb->elems[i + k] = v;
  return 0;
}

int table_copy(VmContext* vm, uint32_t dt, uint32_t st, uint32_t d, uint32_t s, uint32_t n) {
  rt::TableImpl* dst = vm->tables[dt];
  rt::TableImpl* src = vm->tables[st];
  if (uint64_t(s) + n > src->elems.size() || uint64_t(d) + n > dst->elems.size())
    return check(false, TrapCode::TableOutOfBounds);
  if (n) std::memmove(dst->elems.data() + d, src->elems.data() + s, n * sizeof(uint64_t));
  return 0;
}

int table_init(VmContext* vm, uint32_t t, uint32_t seg, uint32_t d, uint32_t s, uint32_t n) {
  rt::TableImpl* tb = vm->tables[t];
  const auto& vals = vm->instance->elem_values[seg];
  if (uint64_t(s) + n > vals.size() || uint64_t(d) + n > tb->elems.size()) return check(false, TrapCode::TableOutOfBounds);
  for (uint64_t k = 0; k < n; ++k) tb->elems[d + k] = vals[s + k];
  return 0;
}

// A host function, or a function of another tier: its trap is kept in the
// activation and reported with the compiled frames appended.
int call_slow(VmContext* vm, FuncImpl* f, uint64_t* slots) {
  std::optional<Trap> t = rt::call_host(*vm->store, f, vm->instance, slots);
  if (!t) return 0;
  TrapCode code = t->code;
  current_activation()->host_trap = std::move(t);
  return int(code) + 1;
}

}  // namespace
}  // namespace whirl::wasm::aot

using namespace whirl::wasm;
using namespace whirl::wasm::aot;

extern "C" {

[[noreturn]] __attribute__((noinline)) void whirl_aot_trap(VmContext*, int32_t code) { raise(TrapCode(code)); }
[[noreturn]] __attribute__((noinline)) void whirl_aot_trap_element(VmContext*, int32_t index) {
  current_activation()->element = uint32_t(index);
  raise(TrapCode::UninitializedElement);
}

#define WHIRL_AOT_FAIL(expr)              \
  do {                                    \
    if (int r_ = (expr)) raise(TrapCode(r_ - 1)); \
  } while (0)

__attribute__((noinline)) void whirl_aot_tick(VmContext* vm) {
  rt::StoreImpl& s = *vm->store;
  if (s.config.fuel != 0 && s.fuel_left-- == 0) {
    s.fuel_left = 0;
    raise(TrapCode::OutOfFuel);
  }
  if (s.tick_flags.load(std::memory_order_relaxed) & rt::StoreImpl::kInterrupted) raise(TrapCode::Interrupted);
}

__attribute__((noinline)) void whirl_aot_call_slow(VmContext* vm, FuncImpl* f, uint64_t* slots) {
  WHIRL_AOT_FAIL(call_slow(vm, f, slots));
}

int32_t whirl_aot_memory_grow(VmContext* vm, int32_t mem, int32_t delta) {
  auto r = vm->memories[mem]->grow(uint32_t(delta));
  return r ? int32_t(*r) : -1;
}

__attribute__((noinline)) void whirl_aot_memory_fill(VmContext* vm, int32_t mem, int32_t d, int32_t v, int32_t n) {
  WHIRL_AOT_FAIL(memory_fill(vm, mem, d, v, n));
}
__attribute__((noinline)) void whirl_aot_memory_copy(VmContext* vm, int32_t dm, int32_t sm, int32_t d, int32_t s,
                                                     int32_t n) {
  WHIRL_AOT_FAIL(memory_copy(vm, dm, sm, d, s, n));
}
__attribute__((noinline)) void whirl_aot_memory_init(VmContext* vm, int32_t mem, int32_t seg, int32_t d, int32_t s,
                                                     int32_t n) {
  WHIRL_AOT_FAIL(memory_init(vm, mem, seg, d, s, n));
}
void whirl_aot_data_drop(VmContext* vm, int32_t seg) { vm->instance->data_dropped[seg] = true; }

__attribute__((noinline)) int64_t whirl_aot_table_get(VmContext* vm, int32_t t, int32_t i) {
  rt::TableImpl* tb = vm->tables[t];
  if (uint32_t(i) >= tb->elems.size()) raise(TrapCode::TableOutOfBounds);
  return int64_t(tb->elems[uint32_t(i)]);
}
__attribute__((noinline)) void whirl_aot_table_set(VmContext* vm, int32_t t, int32_t i, int64_t v) {
  rt::TableImpl* tb = vm->tables[t];
  if (uint32_t(i) >= tb->elems.size()) raise(TrapCode::TableOutOfBounds);
  tb->elems[uint32_t(i)] = uint64_t(v);
}
int32_t whirl_aot_table_size(VmContext* vm, int32_t t) { return int32_t(vm->tables[t]->elems.size()); }
int32_t whirl_aot_table_grow(VmContext* vm, int32_t t, int64_t init, int32_t n) {
  rt::TableImpl* tb = vm->tables[t];
  auto r = tb->grow(uint32_t(n), Value{tb->ttype.elem, uint64_t(init)});
  return r ? int32_t(*r) : -1;
}
__attribute__((noinline)) void whirl_aot_table_fill(VmContext* vm, int32_t t, int32_t i, int64_t v, int32_t n) {
  WHIRL_AOT_FAIL(table_fill(vm, t, i, uint64_t(v), n));
}
__attribute__((noinline)) void whirl_aot_table_copy(VmContext* vm, int32_t dt, int32_t st, int32_t d, int32_t s,
                                                    int32_t n) {
  WHIRL_AOT_FAIL(table_copy(vm, dt, st, d, s, n));
}
__attribute__((noinline)) void whirl_aot_table_init(VmContext* vm, int32_t t, int32_t seg, int32_t d, int32_t s,
                                                    int32_t n) {
  WHIRL_AOT_FAIL(table_init(vm, t, seg, d, s, n));
}
void whirl_aot_elem_drop(VmContext* vm, int32_t seg) { vm->instance->elem_values[seg].clear(); }

}  // extern "C"

namespace whirl::wasm::aot {

namespace {

struct Row {
  std::string_view name, sig;
  uintptr_t addr;
};

// The sig letters from the X-macro's parameter names (v, i, l, p).
#define WHIRL_AOT_LETTERS(...) #__VA_ARGS__
#define WHIRL_AOT_ROW(name, ...) {"whirl_aot_" #name, WHIRL_AOT_LETTERS(__VA_ARGS__), reinterpret_cast<uintptr_t>(&whirl_aot_##name)},
const Row kRows[] = {WHIRL_AOT_RUNTIME_CALLS(WHIRL_AOT_ROW)};
#undef WHIRL_AOT_ROW

// "v, p, i" -> "vpi"
std::string compact(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ',' && c != ' ') out += c;
  return out;
}

const std::string* sigs() {
  static const auto* table = [] {
    auto* t = new std::string[size_t(RuntimeCall::Count_)];
    for (size_t i = 0; i < size_t(RuntimeCall::Count_); ++i) t[i] = compact(kRows[i].sig);
    return t;
  }();
  return table;
}

// What LLVM's code generator may call for intrinsics and bulk moves.
const std::pair<std::string_view, uintptr_t> kLibc[] = {
    {"memcpy", reinterpret_cast<uintptr_t>(static_cast<void* (*)(void*, const void*, size_t)>(&std::memcpy))},
    {"memmove", reinterpret_cast<uintptr_t>(static_cast<void* (*)(void*, const void*, size_t)>(&std::memmove))},
    {"memset", reinterpret_cast<uintptr_t>(static_cast<void* (*)(void*, int, size_t)>(&std::memset))},
    {"ceilf", reinterpret_cast<uintptr_t>(static_cast<float (*)(float)>(&::ceilf))},
    {"ceil", reinterpret_cast<uintptr_t>(static_cast<double (*)(double)>(&::ceil))},
    {"floorf", reinterpret_cast<uintptr_t>(static_cast<float (*)(float)>(&::floorf))},
    {"floor", reinterpret_cast<uintptr_t>(static_cast<double (*)(double)>(&::floor))},
    {"truncf", reinterpret_cast<uintptr_t>(static_cast<float (*)(float)>(&::truncf))},
    {"trunc", reinterpret_cast<uintptr_t>(static_cast<double (*)(double)>(&::trunc))},
    {"roundevenf", reinterpret_cast<uintptr_t>(static_cast<float (*)(float)>(&::roundevenf))},
    {"roundeven", reinterpret_cast<uintptr_t>(static_cast<double (*)(double)>(&::roundeven))},
    {"nearbyintf", reinterpret_cast<uintptr_t>(static_cast<float (*)(float)>(&::nearbyintf))},
    {"nearbyint", reinterpret_cast<uintptr_t>(static_cast<double (*)(double)>(&::nearbyint))},
    {"rintf", reinterpret_cast<uintptr_t>(static_cast<float (*)(float)>(&::rintf))},
    {"rint", reinterpret_cast<uintptr_t>(static_cast<double (*)(double)>(&::rint))},
    {"sqrtf", reinterpret_cast<uintptr_t>(static_cast<float (*)(float)>(&::sqrtf))},
    {"sqrt", reinterpret_cast<uintptr_t>(static_cast<double (*)(double)>(&::sqrt))},
    {"fminf", reinterpret_cast<uintptr_t>(static_cast<float (*)(float, float)>(&::fminf))},
    {"fmin", reinterpret_cast<uintptr_t>(static_cast<double (*)(double, double)>(&::fmin))},
    {"fmaxf", reinterpret_cast<uintptr_t>(static_cast<float (*)(float, float)>(&::fmaxf))},
    {"fmax", reinterpret_cast<uintptr_t>(static_cast<double (*)(double, double)>(&::fmax))},
};

}  // namespace

std::string_view runtime_call_name(RuntimeCall c) { return kRows[size_t(c)].name; }
std::string_view runtime_call_sig(RuntimeCall c) { return sigs()[size_t(c)]; }

uintptr_t runtime_call_address(std::string_view symbol) {
  for (const Row& r : kRows)
    if (r.name == symbol) return r.addr;
  for (const auto& [name, addr] : kLibc)
    if (name == symbol) return addr;
  return 0;
}

}  // namespace whirl::wasm::aot
