// Concrete runtime objects behind the runtime.h interfaces. The interpreter
// works on these directly.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/chunked_list.h"
#include "wasm/interp/code.h"
#include "wasm/runtime/tier.h"
#include "wasm/runtime/memory_image.h"
#include "wasm/runtime/runtime.h"
#include "wasm/runtime/value_stack.h"

namespace whirl::wasm::rt {

class InstanceImpl;

// The canonical id of a function type (equal types, equal ids).
uint32_t intern_func_type(const FuncType& t);

// One per wasm function per instance (a fresh instance per request): kept
// small, the type shared with the module, host-only parts out of line.
class FuncImpl final : public FuncInst {
 public:
  struct Host {
    FuncType type;
    HostFunc fn;
    std::string name;
  };
  const FuncType* sig = nullptr;               // the module's type, &host->type, or a shared host type
  uint32_t type_id = 0;                        // intern_func_type(*sig)
  uint32_t index = 0;                          // index in the module's function space
  InstanceImpl* instance = nullptr;            // wasm functions
  const interp::CompiledFunc* code = nullptr;  // wasm functions
  const interp::Ins* entry = nullptr;          // code->code.data(): one load less per indirect call
  Host* host = nullptr;                        // host functions (the store's StoreImpl::hosts)
  // Native code (the aot tier): called as native(&instance->vm, params...)
  // by compiled callers; null for host and interpreted functions, which
  // compiled code reaches through the tier's slow call.
  const void* native = nullptr;
  const FuncType& type() const override { return *sig; }
};

class GlobalImpl final : public GlobalInst {
 public:
  GlobalType gtype;
  uint64_t value = 0;
  GlobalType type() const override { return gtype; }
  Value get() const override { return {gtype.type, value}; }
  void set(Value v) override { value = v.bits; }
};

class TagImpl final : public TagInst {
 public:
  FuncType ftype;
  const FuncType& type() const override { return ftype; }
};

// The bytes of memories and tables a store holds, against
// StoreConfig::max_memory_bytes; charged before anything is allocated.
struct MemoryBudget {
  uint64_t limit = 0;
  uint64_t used = 0;
  SharedMemoryBudget* shared = nullptr;  // StoreConfig::shared_budget, also charged
  MemoryBudget() = default;
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;
  ~MemoryBudget() {
    if (shared) shared->give(used);
  }
  bool take(uint64_t bytes) {
    if (bytes > limit - used) return false;
    if (shared && !shared->take(bytes)) return false;
    used += bytes;
    return true;
  }
  void give(uint64_t bytes) {
    used -= bytes;
    if (shared) shared->give(bytes);
  }
};

class MemoryImpl final : public MemoryInst {
 public:
  ~MemoryImpl() override;
  // Fails with a message naming the size and the limit.
  // With an `image` (fd >= 0), its first image->bytes start as the image's,
  // mapped copy-on-write; from_image says whether that worked.
  static Expected<MemoryImpl*> create(MemoryType t, MemoryBudget* budget, bool huge_pages,
                                      const MemoryImages::Image* image = nullptr);
  uint8_t* base = nullptr;
  bool from_image = false;
  uint64_t initial = 0;    // bytes accessible at creation
  uint64_t image_id = 0, image_bytes = 0;  // what is mapped at base (MemoryPool's key)
  bool pooled = false;     // goes back to MemoryPool::global() when destroyed
  uint64_t size = 0;       // bytes accessible
  uint64_t reserved = 0;   // bytes of address space
  Limits limits;
  bool shared = false;             // the type's flag only (no atomics)
  MemoryBudget* budget = nullptr;  // the store's
  MemoryType type() const override { return {Limits{uint32_t(size / kPageSize), limits.max}, shared}; }
  uint8_t* data() override { return base; }
  uint64_t size_bytes() const override { return size; }
  std::optional<uint32_t> grow(uint32_t delta) override;
};

class TableImpl final : public TableInst {
 public:
  TableType ttype;
  std::vector<uint64_t> elems;     // its capacity is what the budget was charged
  MemoryBudget* budget = nullptr;  // the store's
  TableType type() const override { return {ttype.elem, Limits{uint32_t(elems.size()), ttype.limits.max}}; }
  uint32_t size() const override { return uint32_t(elems.size()); }
  Value get(uint32_t i) const override { return {ttype.elem, elems[i]}; }
  void set(uint32_t i, Value v) override { elems[i] = v.bits; }
  std::optional<uint32_t> grow(uint32_t delta, Value init) override;
};

// Destroys and frees an instance's array of defined functions.
struct DestroyFuncs {
  void operator()(FuncImpl* p) const;
};

class StoreImpl;

// What compiled code (the aot tier) reads of its instance: flat, filled at
// instantiation once the index spaces are final. Memory bases never move
// (a memory reserves its whole range), so code loads them once per call.
struct VmContext {
  uint8_t* mem0 = nullptr;
  FuncImpl* const* funcs = nullptr;
  GlobalImpl* const* globals = nullptr;
  TableImpl* const* tables = nullptr;
  MemoryImpl* const* memories = nullptr;
  const uint32_t* type_ids = nullptr;  // the module's types' canonical ids
  StoreImpl* store = nullptr;
  InstanceImpl* instance = nullptr;
  // The store's stack_limit, copied here so a function's entry check is
  // one load (set for every instance of the store when it changes).
  uintptr_t stack_limit = 0;
};

class InstanceImpl final : public Instance {
 public:
  VmContext vm;
  std::shared_ptr<const TieredModule> compiled;
  // Its defined functions, in one allocation, constructed in one pass.
  std::unique_ptr<FuncImpl, DestroyFuncs> own_funcs;
  std::unique_ptr<GlobalImpl[]> own_globals;  // its defined globals, likewise
  std::vector<FuncImpl*> funcs;
  std::vector<TableImpl*> tables;
  std::vector<MemoryImpl*> memories;
  std::vector<GlobalImpl*> globals;
  std::vector<TagImpl*> tags;
  std::vector<std::vector<uint64_t>> elem_values;  // evaluated element segments (emptied by elem.drop)
  std::vector<bool> data_dropped;

  const Module& module() const override { return *compiled->mod; }
  std::optional<ExternVal> find_export(std::string_view name) const override;
  std::optional<uint32_t> export_position(std::string_view name) const override;
  ExternVal export_at(uint32_t position) const override;
  MemoryInst* memory(uint32_t i) override { return i < memories.size() ? memories[i] : nullptr; }
  GlobalInst* global(uint32_t i) override { return i < globals.size() ? globals[i] : nullptr; }
};

// Constructs defined function `i` of `m` in `at` with what every tier sets
// (type, index, instance); the tier adds its code (Tier::make_funcs).
inline FuncImpl* make_func(void* at, const TieredModule& m, uint32_t i, InstanceImpl* instance) {
  const auto& t = m.func_templates.data()[i];
  auto* f = new (at) FuncImpl;
  f->sig = t.sig;
  f->type_id = t.type_id;
  f->index = t.index;
  f->instance = instance;
  return f;
}

class StoreImpl;

// A call in progress in the interpreter: the function called (so the
// frames spell the backtrace), where its caller resumes (bit 0 set when the
// callee runs in another instance: the return switches back). The
// caller's frame need not be kept: it lies (ret - 1)->b slots (the call's
// argument slot) below the callee's.
struct InterpFrame {
  FuncImpl* fn;
  const interp::Ins* ret;
};

// Runs `f` with `args`; results are written to `results`. Defined in exec.cc.
std::optional<Trap> call(StoreImpl& store, FuncImpl* f, const uint64_t* args, uint64_t* results);

class StoreImpl final : public Store {
 public:
  explicit StoreImpl(StoreConfig c);
  ~StoreImpl() override;  // gives its instances to their modules' InstanceShells
  FuncInst* create_host_func(FuncType type, HostFunc fn, std::string name) override;
  FuncInst* create_host_func(const FuncType& shared_type, uint32_t type_id, HostFunc fn) override;
  Expected<TableInst*> create_table(TableType type, Value init) override;
  Expected<MemoryInst*> create_memory(MemoryType type) override;
  GlobalInst* create_global(GlobalType type, Value init) override;
  TagInst* create_tag(FuncType type) override {
    tags.push_back(std::make_unique<TagImpl>());
    tags.back()->ftype = std::move(type);
    return tags.back().get();
  }
  Expected<Instance*, InstantiationError> instantiate(std::shared_ptr<const CompiledModule> module,
                                                     std::span<const ExternVal> imports) override;
  Expected<std::vector<Value>, Trap> invoke(FuncInst* func, std::span<const Value> args) override;
  void interrupt() override {
    tick_flags.fetch_or(kInterrupted, std::memory_order_relaxed);
    std::lock_guard lock(sleep_mu);  // a sleeper between its check and its wait still wakes
    sleep_cv.notify_all();
  }
  bool interrupted() const override { return tick_flags.load(std::memory_order_relaxed) & kInterrupted; }
  bool sleep_for(std::chrono::nanoseconds d) override {
    std::unique_lock lock(sleep_mu);
    return !sleep_cv.wait_for(lock, d, [this] { return interrupted(); });
  }

  // What a tick (loop back-edge, call) has to look at, in one byte so the
  // common case (no fuel, no interrupt) is one test.
  static constexpr uint8_t kInterrupted = 1, kFuelOn = 2;
  StoreConfig config;
  std::atomic<uint8_t> tick_flags{0};
  std::mutex sleep_mu;  // sleep_for / interrupt
  std::condition_variable sleep_cv;
  uint64_t fuel_left = 0;
  // Compiled code traps with StackExhausted below this native stack
  // address (the aot tier sets it from the calling thread's stack, and in
  // each instance's VmContext: set_stack_limit).
  uintptr_t stack_limit = 0;
  void set_stack_limit(uintptr_t limit) {
    if (limit == stack_limit) return;
    stack_limit = limit;
    for (auto& i : instances) i->vm.stack_limit = limit;
  }
  // The value stack and call depth are shared by nested (host re-entrant) calls.
  // From ValueStackPool; calls see its first kShallowSlots until one needs
  // more (deepen_stack).
  uint64_t* stack = nullptr;
  uint64_t* stack_end = nullptr;
  // The interpreter's bounds check failed at the shallow end: the whole
  // stack from now on; returns the end to check against again.
  uint64_t* deepen_stack() { return stack_end = stack + ValueStackPool::kSlots; }
  bool stack_deep() const { return stack_end != stack + ValueStackPool::kShallowSlots; }
  uint64_t* sp = nullptr;
  uint32_t depth = 0;
  std::vector<InterpFrame> frames;  // the interpreter's call stack (shared by nested calls)
  size_t frames_top = 0;            // frames in use by the calls in progress

  MemoryBudget budget;  // before the tables and memories that point to it
  // Host functions, in blocks (an instantiation creates dozens).
  ChunkedList<FuncImpl> funcs;
  ChunkedList<FuncImpl::Host> hosts;
  std::vector<std::unique_ptr<TableImpl>> tables;
  std::vector<std::unique_ptr<MemoryImpl>> memories;
  std::vector<std::unique_ptr<GlobalImpl>> globals;
  std::vector<std::unique_ptr<TagImpl>> tags;
  std::vector<std::unique_ptr<InstanceImpl>> instances;
  // The exception in flight (exception handling): set by throw, read by the
  // catch that takes it; kept while it unwinds through host calls.
  TagImpl* exn_tag = nullptr;
  std::vector<uint64_t> exn_payload;
};

}  // namespace whirl::wasm::rt
