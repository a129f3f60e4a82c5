// The runtime: store, instances, linking and invocation. This is the API the
// spec runner, WASI and the Spin host use; execution itself is delegated to a
// tier (the interpreter today) behind CompiledModule.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "platform/digest.h"
#include "wasm/module.h"

namespace whirl::wasm {

// The canonical id of a function type: equal types have equal ids (what
// call_indirect compares). Takes a global lock: compute once, keep it.
uint32_t func_type_id(const FuncType& t);

class FuncInst;
class TableInst;
class MemoryInst;
class GlobalInst;
class TagInst;
class Instance;
class Store;

// A runtime value. Numbers: i32/f32 in the low 32 bits of `bits` (floats as
// raw IEEE bits, so NaN payloads survive). References: a funcref holds a
// FuncInst* (0 = null); an externref holds an opaque non-zero host word
// (0 = null).
struct Value {
  ValType type = ValType::I32;
  uint64_t bits = 0;

  static Value i32(uint32_t v) { return {ValType::I32, v}; }
  static Value i64(uint64_t v) { return {ValType::I64, v}; }
  static Value f32_bits(uint32_t v) { return {ValType::F32, v}; }
  static Value f64_bits(uint64_t v) { return {ValType::F64, v}; }
  static Value f32(float v);
  static Value f64(double v);
  static Value funcref(FuncInst* f) { return {ValType::FuncRef, reinterpret_cast<uint64_t>(f)}; }
  static Value externref(uint64_t host) { return {ValType::ExternRef, host}; }
  static Value null(ValType ref_type) { return {ref_type, 0}; }
  static Value zero(ValType t) { return {t, 0}; }

  uint32_t as_u32() const { return static_cast<uint32_t>(bits); }
  uint64_t as_u64() const { return bits; }
  float as_f32() const;
  double as_f64() const;
  FuncInst* as_func() const { return reinterpret_cast<FuncInst*>(bits); }
  bool is_null() const { return bits == 0; }
};

enum class TrapCode : uint8_t {
  Unreachable,
  MemoryOutOfBounds,
  TableOutOfBounds,
  UndefinedElement,         // call_indirect index past the table's end
  UninitializedElement,     // call_indirect on a null entry
  IndirectCallTypeMismatch,
  IntegerDivideByZero,
  IntegerOverflow,
  InvalidConversion,        // float -> int of NaN or out of range
  StackExhausted,
  Interrupted,              // deadline or epoch interruption
  OutOfFuel,
  Exit,                     // a host function asked to end the guest (proc_exit)
  Host,                     // a host function failed
  UncaughtException,        // a wasm exception (throw) left wasm uncaught
};

// The spec's wording, e.g. "out of bounds memory access".
const char* trap_message(TrapCode code);

struct TrapFrame {
  uint32_t func_index = 0;
  std::string name;  // from the name section when present, else "<func N>"
};

// A trap's backtrace keeps the innermost and the outermost frames of a deep
// stack (10,000 frames of a runaway recursion would be 10,000 strings to
// build and lines to print) and counts the ones between.
inline constexpr size_t kBacktraceEnds = 20;

struct Trap {
  TrapCode code = TrapCode::Unreachable;
  std::string message;              // trap_message(code), possibly with detail after it
  // Innermost frame first: all frames, or the kBacktraceEnds innermost then
  // the kBacktraceEnds outermost with `omitted_frames` left out between them.
  std::vector<TrapFrame> backtrace;
  uint64_t omitted_frames = 0;
  int32_t exit_code = 0;            // for TrapCode::Exit
};

// Appends the frames of `outer` (called further out) to `t`'s backtrace,
// keeping it bounded as above.
void append_backtrace(Trap& t, const Trap& outer);

// The backtrace, one frame per line ("<indent>N: name\n", N the frame's depth
// from the innermost), with "<indent>... N frames omitted ...\n" where frames
// were left out. Empty for no frames.
std::string format_backtrace(const Trap& t, std::string_view indent = "  ");
// The same on one line: "inner outer ... N frames omitted ... main".
std::string format_backtrace_inline(const Trap& t);

// Why instantiation failed: a link error (import missing or of the wrong
// type: "unknown import", "incompatible import type"), a trap while
// initialising (segments out of bounds, start function trapped) or a
// resource limit (a memory or table larger than the store allows).
struct InstantiationError {
  enum class Kind : uint8_t { Link, Trap, Resource } kind = Kind::Link;
  std::string message;
  std::optional<Trap> trap;  // kind == Trap
};

struct ExternVal {
  ExternKind kind = ExternKind::Func;
  void* ptr = nullptr;  // FuncInst*, TableInst*, MemoryInst* or GlobalInst* by kind

  static ExternVal func(FuncInst* f) { return {ExternKind::Func, f}; }
  static ExternVal table(TableInst* t) { return {ExternKind::Table, t}; }
  static ExternVal memory(MemoryInst* m) { return {ExternKind::Memory, m}; }
  static ExternVal global(GlobalInst* g) { return {ExternKind::Global, g}; }
  static ExternVal tag(TagInst* t) { return {ExternKind::Tag, t}; }
  FuncInst* as_func() const { return static_cast<FuncInst*>(ptr); }
  TableInst* as_table() const { return static_cast<TableInst*>(ptr); }
  MemoryInst* as_memory() const { return static_cast<MemoryInst*>(ptr); }
  GlobalInst* as_global() const { return static_cast<GlobalInst*>(ptr); }
  TagInst* as_tag() const { return static_cast<TagInst*>(ptr); }
};

// An exception tag (exception handling, 3.0): its identity is the object
// (one per tag definition per instance, shared through imports and exports).
class TagInst {
 public:
  virtual ~TagInst() = default;
  virtual const FuncType& type() const = 0;  // params = the payload; no results
};

// What a host function sees of its caller.
class Caller {
 public:
  virtual ~Caller() = default;
  // The calling instance's memory 0, or null (host-to-host calls, no memory).
  virtual MemoryInst* memory() = 0;
  virtual Instance* instance() = 0;
};

// A host function: reads args, writes results (already sized and typed by
// the function type), returns a Trap to abort the guest.
using HostFunc = std::function<std::optional<Trap>(Caller& caller, std::span<const Value> args,
                                                   std::span<Value> results)>;

class GlobalInst {
 public:
  virtual ~GlobalInst() = default;
  virtual GlobalType type() const = 0;
  virtual Value get() const = 0;
  virtual void set(Value v) = 0;  // caller checks mutability and type
};

class MemoryInst {
 public:
  virtual ~MemoryInst() = default;
  virtual MemoryType type() const = 0;  // current limits: min = current pages
  virtual uint8_t* data() = 0;
  virtual uint64_t size_bytes() const = 0;
  uint32_t pages() const { return static_cast<uint32_t>(size_bytes() / kPageSize); }
  // Returns the old size in pages, or nothing if growth is not possible.
  virtual std::optional<uint32_t> grow(uint32_t delta_pages) = 0;
};

class TableInst {
 public:
  virtual ~TableInst() = default;
  virtual TableType type() const = 0;  // current limits: min = current size
  virtual uint32_t size() const = 0;
  virtual Value get(uint32_t index) const = 0;        // requires index < size()
  virtual void set(uint32_t index, Value v) = 0;      // requires index < size()
  virtual std::optional<uint32_t> grow(uint32_t delta, Value init) = 0;
};

class FuncInst {
 public:
  virtual ~FuncInst() = default;
  virtual const FuncType& type() const = 0;
};

class Instance {
 public:
  virtual ~Instance() = default;
  virtual const Module& module() const = 0;
  virtual std::optional<ExternVal> find_export(std::string_view name) const = 0;
  // Exports by their position in module().exports (an embedder that
  // links the same module many times resolves names once).
  virtual std::optional<uint32_t> export_position(std::string_view name) const = 0;
  virtual ExternVal export_at(uint32_t position) const = 0;
  virtual MemoryInst* memory(uint32_t index) = 0;  // null if none
  virtual GlobalInst* global(uint32_t index) = 0;  // in the global index space; null if none
};

// A validated module translated for execution once, shared by any number of
// instances in any number of stores (and threads).
class CompiledModule {
 public:
  virtual ~CompiledModule() = default;
  virtual const Module& module() const = 0;
  virtual std::shared_ptr<const Module> module_ptr() const = 0;
  // Functions are translated at their first call: the module keeps its
  // decoded bodies for that.
  virtual bool translates_lazily() const { return false; }
  // The tier whose code it is ("interp", "aot").
  virtual std::string_view tier_name() const = 0;
};

struct CompileOptions {
  // Superinstructions, immediate forms and linked direct calls; off, the
  // interpreter runs one plain slot op per wasm op (the reference that
  // differential tests compare the fused code against).
  bool superinstructions = true;
  // When functions are translated: all at load (Eager), each at its first
  // call (Lazy), or Lazy for modules of at least kLazyTranslationInstrs
  // instructions (Auto). WHIRL_TRANSLATE=eager|lazy in the environment
  // overrides Auto for the process (tests run suites both ways).
  enum class Translation : uint8_t { Auto, Eager, Lazy } translation = Translation::Auto;
  // The binary the module was decoded from, when the caller has it: the
  // aot tier's cache key.
  std::span<const uint8_t> source;
  // A tier's artifact for this module (whirl compile's .cwasm), used when it
  // is valid for this build and CPU, else compiled again.
  std::span<const uint8_t> artifact;
  // What the tier's find_compiled returned for `source` (load_module's
  // fast path): its code, not looked up again.
  std::shared_ptr<const void> found;
  // platform::digest of `source` (or of the bytes load_module is given),
  // when the caller has it: not computed again.
  std::optional<platform::Digest> source_digest;
  // The tier to compile for by name ("interp", "aot", "auto"); empty: the
  // default tier (set_default_tier, the front ends' --tier).
  std::string_view tier;
  // For a long compile (the aot tier's): called after each part with the
  // parts done and in all; returning false cancels it (the compile fails).
  std::function<bool(size_t done, size_t total)> progress;
};
inline constexpr size_t kLazyTranslationInstrs = 1'000'000;

// Translate a module that passed validate_module() for the interpreter (an
// error for one whose bodies load_module dropped).
Expected<std::shared_ptr<const CompiledModule>> compile_module(std::shared_ptr<const Module> module,
                                                               const CompileOptions& options = {});

// Frees a compiled module's decoded function bodies (24 bytes per
// instruction, most of a loaded module) unless it still translates from
// them (lazily). `module` must be the one `compiled` was made from.
void release_bodies(Module& module, const CompiledModule& compiled);

// Decode + validate + compile: the one loader every front end uses. An
// `owner` keeping `bytes` alive lets the module use its data in place. Its
// module keeps no function bodies once compiled (Function's spans are
// empty): compile_module again needs a module from decode_module.
// When the tier already holds code compiled from exactly these bytes (its
// cache, keyed by a cryptographic digest), their bodies were validated
// when it was compiled: only the rest is decoded and validated (a cold
// start of a cached app pays no per-instruction work). Its module keeps
// no custom sections either (debug information is most of a debug build).
Expected<std::shared_ptr<const CompiledModule>> load_module(std::span<const uint8_t> bytes,
                                                            std::shared_ptr<const void> owner = nullptr,
                                                            const CompileOptions& options = {});

// A table element is one 64-bit word (a FuncInst* or an externref host
// word): what each element costs against StoreConfig::max_memory_bytes.
inline constexpr uint64_t kTableElementBytes = 8;
// Implementation limit on a table's size, at creation and growth (the one
// wasmparser and V8 use; the spec allows up to 2^32 - 1).
inline constexpr uint32_t kMaxTableElements = 10'000'000;

// Bytes that several stores draw on together (an app's instances at once,
// in the node host): a store takes from it as from its own limit, and gives
// back what it took when it goes. Thread-safe.
class SharedMemoryBudget {
 public:
  explicit SharedMemoryBudget(uint64_t limit) : limit_(limit) {}
  bool take(uint64_t bytes) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  void give(uint64_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
  uint64_t limit() const { return limit_; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
};

struct StoreConfig {
  // Bytes of linear memory plus table elements (kTableElementBytes each)
  // that all memories and tables of the store may hold together, checked
  // before allocating: creation beyond it fails (instantiation with a
  // Resource error), memory.grow and table.grow return -1. The default has
  // room for one memory and one table of the largest sizes.
  uint64_t max_memory_bytes = uint64_t(kMaxPages) * kPageSize + uint64_t(kMaxTableElements) * kTableElementBytes;
  // Also charged, if set: a budget this store shares with others.
  std::shared_ptr<SharedMemoryBudget> shared_budget;
  uint32_t max_call_depth = 10000;      // deeper recursion traps with StackExhausted
  uint64_t fuel = 0;                    // 0 = unlimited; else instructions before OutOfFuel
  // Linear memories on transparent huge pages (platform::vm_advise_huge):
  // faster for one large program (`whirl run`: sieve -3%, sort -2.5%, a 20 MB
  // module's load -20%); off by default, since many small instances per node
  // want resident memory in 4 KiB steps.
  bool huge_pages = false;
};

// Owns all runtime objects created through it; not thread-safe (one store per
// thread or per request).
class Store {
 public:
  static std::unique_ptr<Store> create(StoreConfig config = {});
  virtual ~Store() = default;

  virtual FuncInst* create_host_func(FuncType type, HostFunc fn, std::string name = {}) = 0;
  // The same for a type that outlives the store (a loaded component's) with
  // its func_type_id known: per instance, nothing is copied or looked up.
  virtual FuncInst* create_host_func(const FuncType& shared_type, uint32_t type_id, HostFunc fn) = 0;
  // Fail when the size is over kMaxTableElements or StoreConfig::max_memory_bytes.
  virtual Expected<TableInst*> create_table(TableType type, Value init) = 0;
  virtual Expected<MemoryInst*> create_memory(MemoryType type) = 0;
  virtual GlobalInst* create_global(GlobalType type, Value init) = 0;
  // A fresh tag (a host-defined exception tag); `type` must have no results.
  virtual TagInst* create_tag(FuncType type) = 0;

  // Link `imports` (in the module's import order) and run initialisation
  // (segments, start function) as the spec's instantiate does.
  virtual Expected<Instance*, InstantiationError> instantiate(
      std::shared_ptr<const CompiledModule> module, std::span<const ExternVal> imports) = 0;

  // Call a function with arguments of its parameter types.
  virtual Expected<std::vector<Value>, Trap> invoke(FuncInst* func, std::span<const Value> args) = 0;

  // Ask running code to stop with Interrupted at the next safe point; may be
  // called from another thread, even before the call starts. The store stays
  // interrupted: later calls stop at once (stores are per request).
  virtual void interrupt() = 0;
  virtual bool interrupted() const = 0;
  // Waits up to `d` unless interrupted first (then returns false at once):
  // what a host function that blocks uses, so time limits, a client
  // leaving and shutdown reach a guest that sleeps.
  virtual bool sleep_for(std::chrono::nanoseconds d) = 0;
};

}  // namespace whirl::wasm
