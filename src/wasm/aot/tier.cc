// The aot tier behind rt::Tier: compiling (codegen.cc) and loading a
// module's code, making its functions, entering them from the host, and
// turning a trap's collected return addresses into the wasm backtrace.
#include "wasm/aot/tier.h"

#include <pthread.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <mutex>

#include "platform/parallel.h"
#include "platform/progress.h"
#include "wasm/aot/activation.h"
#include "wasm/aot/artifact.h"
#include "wasm/aot/cache.h"
#include "wasm/aot/codegen.h"
#include "wasm/aot/runtime_calls.h"
#include "wasm/aot/translate.h"
#include "wasm/runtime/objects.h"

namespace whirl::wasm::aot {
namespace {

// Loaded code ranges, for the fault handler (which may not lock or
// allocate) and for backtraces: chunks of slots that are never freed, a
// slot free while its lo is 0.
struct Slot {
  std::atomic<uintptr_t> lo{0}, hi{0};
  std::atomic<const AotModule*> module{nullptr};
  std::atomic<const LoadedObject*> object{nullptr};
};
constexpr size_t kChunk = 1024, kChunks = 1024;
std::atomic<Slot*> g_chunks[kChunks];
std::mutex g_registry_mu;

int register_code(const AotModule* m, const LoadedObject* o) {
  auto code = o->code();
  std::lock_guard lock(g_registry_mu);
  for (size_t c = 0; c < kChunks; ++c) {
    Slot* chunk = g_chunks[c].load(std::memory_order_acquire);
    if (!chunk) {
      chunk = new Slot[kChunk];
      g_chunks[c].store(chunk, std::memory_order_release);
    }
    for (size_t i = 0; i < kChunk; ++i) {
      Slot& s = chunk[i];
      if (s.lo.load(std::memory_order_relaxed)) continue;
      s.module.store(m, std::memory_order_relaxed);
      s.object.store(o, std::memory_order_relaxed);
      s.hi.store(reinterpret_cast<uintptr_t>(code.data() + code.size()), std::memory_order_relaxed);
      s.lo.store(reinterpret_cast<uintptr_t>(code.data()), std::memory_order_release);
      return int(c * kChunk + i);
    }
  }
  return -1;
}

void unregister_code(int slot) {
  if (slot < 0) return;
  std::lock_guard lock(g_registry_mu);
  g_chunks[slot / kChunk].load()[slot % kChunk].lo.store(0, std::memory_order_release);
}

// The slot whose code holds `pc`, or null: lock-free (the fault handler
// asks).
const Slot* slot_at(uintptr_t pc) {
  for (size_t c = 0; c < kChunks; ++c) {
    const Slot* chunk = g_chunks[c].load(std::memory_order_acquire);
    if (!chunk) return nullptr;
    for (size_t i = 0; i < kChunk; ++i) {
      uintptr_t lo = chunk[i].lo.load(std::memory_order_acquire);
      if (lo && pc >= lo && pc < chunk[i].hi.load(std::memory_order_relaxed)) return &chunk[i];
    }
  }
  return nullptr;
}

std::pair<const AotModule*, const LoadedObject*> module_at(uintptr_t pc) {
  const Slot* s = slot_at(pc);
  if (!s) return {};
  return {s->module.load(std::memory_order_relaxed), s->object.load(std::memory_order_relaxed)};
}

// The lowest stack address compiled code may use on this thread, with room
// below it for the host functions it calls and the fault handler.
uintptr_t thread_stack_limit() {
  static thread_local uintptr_t limit = [] {
    pthread_attr_t a;
    void* addr = nullptr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) != 0) return uintptr_t(0);
    pthread_attr_getstack(&a, &addr, &size);
    pthread_attr_destroy(&a);
    return uintptr_t(addr) + std::min<size_t>(size / 4, size_t(256) << 10);
  }();
  return limit;
}

// The wasm frames among the collected return addresses, innermost first,
// cut to kBacktraceEnds at each end as the interpreter's are.
Trap make_trap(const Activation& a) {
  Trap t;
  t.code = a.code;
  t.message = trap_message(a.code);
  if (a.element >= 0) t.message += " " + std::to_string(a.element);
  std::vector<uintptr_t> pcs;
  uint64_t omitted = 0;
  const size_t w = Activation::kWalk;
  if (a.total <= w) {
    pcs.assign(a.inner, a.inner + a.total);
  } else {
    pcs.assign(a.inner, a.inner + w);
    size_t from = std::max(a.total - w, w);
    omitted = from - w;
    for (size_t i = from; i < a.total; ++i) pcs.push_back(a.outer[i % w]);
  }
  std::vector<TrapFrame> frames;
  for (size_t k = 0; k < pcs.size(); ++k) {
    // A return address is just past its call; the fault's pc (k == 0 of a
    // fault) is the instruction itself.
    uintptr_t pc = pcs[k] - (k == 0 && !a.raised ? 0 : 1);
    auto [m, object] = module_at(pc);
    if (!m) continue;
    std::string_view name = object->function_at(pc);
    if (name.size() < 2 || name[0] != 'w') continue;  // a t<i> entry
    uint32_t index = 0;
    std::from_chars(name.data() + 1, name.data() + name.size(), index);
    std::string fname = m->mod->func_name(index);
    frames.push_back({index, fname.empty() ? "<func " + std::to_string(index) + ">" : std::move(fname)});
  }
  const size_t n = frames.size();
  if (n > 2 * kBacktraceEnds) {
    omitted += n - 2 * kBacktraceEnds;
    frames.erase(frames.begin() + kBacktraceEnds, frames.end() - kBacktraceEnds);
  }
  t.backtrace = std::move(frames);
  t.omitted_frames = omitted;
  return t;
}

// Runs entry(vm, slots) with traps caught. Has a frame pointer of its own
// (CMakeLists.txt): the walk stops at it.
__attribute__((noinline)) std::optional<Trap> enter(rt::StoreImpl& s, AotModule::Entry entry, rt::VmContext* vm,
                                                    uint64_t* slots) {
  Activation act;
  act.prev = current_activation();
  act.guard.prev = platform::guard_current();
  act.guard.claims_pc = &code_claims_pc;
  act.entry_fp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  current_activation() = &act;
  platform::guard_current() = &act.guard;
  s.set_stack_limit(thread_stack_limit());
  if (sigsetjmp(act.guard.jmp, 0)) {
    if (!act.raised) {
      act.code = TrapCode::MemoryOutOfBounds;
      act.collect(act.guard.fault_pc, act.guard.fault_fp);
    }
    current_activation() = act.prev;
    platform::guard_current() = act.guard.prev;
    Trap t = make_trap(act);
    if (act.host_trap) {
      Trap h = std::move(*act.host_trap);
      append_backtrace(h, t);
      return h;
    }
    return t;
  }
  entry(vm, slots);
  current_activation() = act.prev;
  platform::guard_current() = act.guard.prev;
  return std::nullopt;
}

const platform::Digest* source_digest(const CompileOptions& o) { return o.source_digest ? &*o.source_digest : nullptr; }

// The cache's entry for `source`, as find_compiled hands it to compile.
std::shared_ptr<const void> find_cached(std::span<const uint8_t> source, const platform::Digest* digest) {
  auto hit = cached_code(source, digest);
  return hit ? std::make_shared<const NativeCode>(std::move(*hit)) : nullptr;
}

class AotTier final : public rt::Tier {
 public:
  std::string_view name() const override { return "aot"; }
  std::shared_ptr<const void> find_compiled(std::span<const uint8_t> source,
                                            const platform::Digest* digest) const override {
    return find_cached(source, digest);
  }
  Expected<std::shared_ptr<const CompiledModule>> compile(std::shared_ptr<const Module> module,
                                                          const CompileOptions& options) const override;
  void make_funcs(const rt::TieredModule& m, rt::InstanceImpl* instance, rt::FuncImpl* storage,
                  rt::FuncImpl** slots) const override {
    const auto& a = static_cast<const AotModule&>(m);
    const size_t n = a.natives.size();
    const void* const* natives = a.natives.data();
    for (size_t i = 0; i < n; ++i) {
      rt::FuncImpl* f = rt::make_func(storage + i, m, uint32_t(i), instance);
      f->native = natives[i];
      slots[i] = f;
    }
  }
  std::optional<Trap> call(rt::StoreImpl& s, rt::FuncImpl* f, const uint64_t* args, uint64_t* results) const override {
    if (!f->native) return rt::interp_tier().call(s, f, args, results);  // a host function
    const auto& m = static_cast<const AotModule&>(*f->instance->compiled);
    const FuncType& t = *f->sig;
    const size_t n = std::max(t.params.size(), t.results.size());
    uint64_t small[16];
    std::vector<uint64_t> big;
    uint64_t* slots = small;
    if (n > 16) big.resize(n), slots = big.data();
    std::memcpy(slots, args, t.params.size() * sizeof(uint64_t));
    auto trap = enter(s, m.entries[f->index - m.mod->num_imported_funcs], &f->instance->vm, slots);
    if (trap) return trap;
    std::memcpy(results, slots, t.results.size() * sizeof(uint64_t));
    return std::nullopt;
  }
};

const AotTier kAotTier;
std::atomic<std::FILE*> g_progress_out{nullptr};

// The module's code from `code` (compile_object's parts): loaded, linked
// to the runtime calls, its functions found and registered.
Expected<std::shared_ptr<AotModule>> load_code(std::shared_ptr<const Module> module, std::span<const uint8_t> code) {
  auto parts = object_parts(code);
  if (!parts) return unexpected(std::move(parts).error());
  auto c = std::make_shared<AotModule>();
  const uint32_t first = module->num_imported_funcs;
  const size_t n = module->functions.size();
  c->natives.assign(n, nullptr);
  c->entries.assign(n, nullptr);
  // The parts are independent objects: loaded (copied, relocated) on
  // several threads, then their functions gathered in order.
  std::vector<Expected<std::unique_ptr<LoadedObject>>> loaded_parts;
  for (size_t i = 0; i < parts->size(); ++i) loaded_parts.emplace_back(std::unique_ptr<LoadedObject>());
  const unsigned threads = platform::loader_threads(code.size(), size_t(4) << 20);
  platform::parallel_for(parts->size(), 1, threads, [&](size_t b, size_t e, unsigned) {
    for (size_t k = b; k < e; ++k)
      loaded_parts[k] = load_elf_object((*parts)[k], [](std::string_view name) { return runtime_call_address(name); });
  });
  for (auto& loaded : loaded_parts) {
    if (!loaded) return make_error("loading the compiled code: " + loaded.error().message);
    for (const auto& sym : (*loaded)->symbols()) {
      if (sym.name.size() < 2 || (sym.name[0] != 'w' && sym.name[0] != 't')) continue;
      uint32_t index = 0;
      auto [p, ec] = std::from_chars(sym.name.data() + 1, sym.name.data() + sym.name.size(), index);
      if (ec != std::errc() || p != sym.name.data() + sym.name.size() || index < first || index - first >= n) continue;
      if (sym.name[0] == 'w') c->natives[index - first] = reinterpret_cast<const void*>(sym.addr);
      else c->entries[index - first] = reinterpret_cast<AotModule::Entry>(sym.addr);
    }
    c->code.push_back(std::move(*loaded));
  }
  for (size_t i = 0; i < n; ++i)
    if (!c->natives[i] || !c->entries[i])
      return make_error("the compiled code lacks function " + std::to_string(first + i));
  rt::prepare_module(*c, std::move(module));
  for (const auto& o : c->code) {
    int slot = register_code(c.get(), o.get());
    if (slot < 0) return make_error("too many compiled modules loaded");
    c->registered.push_back(slot);
  }
  return c;
}

// A given artifact (whirl compile's .cwasm) or the cache's entry for
// `module`, when valid: loaded.
std::shared_ptr<AotModule> load_existing(const std::shared_ptr<const Module>& module, const CompileOptions& options) {
  if (options.found)  // find_compiled's: the cache's entry
    if (auto c = load_code(module, static_cast<const NativeCode*>(options.found.get())->object)) {
      (*c)->from_cache = true;
      return *c;
    }
  if (!options.artifact.empty())
    if (auto a = parse_artifact(options.artifact))
      if (auto c = load_code(module, a->object)) return *c;
  if (options.found) return nullptr;  // just looked up: it did not load
  if (auto hit = cached_code(options.source, source_digest(options)))
    if (auto c = load_code(module, hit->object)) {
      (*c)->from_cache = true;
      return *c;
    }
  return nullptr;
}

Expected<std::shared_ptr<const CompiledModule>> AotTier::compile(std::shared_ptr<const Module> module,
                                                                  const CompileOptions& options) const {
  if (auto c = load_existing(module, options)) return std::shared_ptr<const CompiledModule>(std::move(c));
  if (!module->body_storage && !module->functions.empty())
    return make_error("aot: the module's function bodies were not decoded (its cached code did not load)");
  // What the tier does not compile yet runs on the interpreter.
  if (!uncompiled_feature(*module).empty()) return rt::interp_tier().compile(std::move(module), options);
  // The cache was just tried: a hit that did not load is compiled again.
  std::optional<platform::TerminalProgress> shown;
  CompileProgress progress = options.progress;
  if (!progress && g_progress_out.load()) {
    shown.emplace(g_progress_out.load(), "Compiling to native code");
    progress = [&shown](size_t done, size_t total) {
      shown->update(done, total);
      return true;
    };
  }
  auto code = native_code(*module, options.source, /*read_cache=*/false, progress, source_digest(options));
  if (!code) return unexpected(std::move(code).error());
  auto c = load_code(std::move(module), code->object);
  if (!c) return make_error("aot: " + c.error().message);
  return std::shared_ptr<const CompiledModule>(std::move(*c));
}

// "auto": the cached native code, else the interpreter.
class AutoTier final : public rt::Tier {
 public:
  std::string_view name() const override { return "auto"; }
  std::shared_ptr<const void> find_compiled(std::span<const uint8_t> source,
                                            const platform::Digest* digest) const override {
    return find_cached(source, digest);
  }
  Expected<std::shared_ptr<const CompiledModule>> compile(std::shared_ptr<const Module> module,
                                                          const CompileOptions& options) const override {
    if (auto c = load_existing(module, options)) return std::shared_ptr<const CompiledModule>(std::move(c));
    return rt::interp_tier().compile(std::move(module), options);
  }
  // Modules are the interpreter's or the aot tier's: never this one's.
  void make_funcs(const rt::TieredModule&, rt::InstanceImpl*, rt::FuncImpl*, rt::FuncImpl**) const override {}
  std::optional<Trap> call(rt::StoreImpl& s, rt::FuncImpl* f, const uint64_t* args, uint64_t* results) const override {
    return rt::interp_tier().call(s, f, args, results);
  }
};

const AutoTier kAutoTier;

}  // namespace

bool code_claims_pc(uintptr_t pc) { return slot_at(pc) != nullptr; }

AotModule::AotModule() : rt::TieredModule(kAotTier) {}
AotModule::~AotModule() {
  for (int slot : registered) unregister_code(slot);
}

const rt::Tier& aot_tier() { return kAotTier; }
const rt::Tier& auto_tier() { return kAutoTier; }

bool register_aot_tier() {
  // Compiled code reads a table's elements through std::vector's layout
  // (begin, end): check it holds here.
  std::vector<uint64_t> v(3);
  auto** raw = reinterpret_cast<uint64_t**>(&v);
  if (raw[0] != v.data() || raw[1] != v.data() + 3) return false;
#if !defined(__x86_64__) || !defined(__linux__)
  return false;
#else
  rt::register_tier(kAotTier);
  rt::register_tier(kAutoTier);
  return true;
#endif
}

void show_compile_progress(std::FILE* out) { g_progress_out.store(out); }

Expected<void> select_tier(std::string_view name, bool cache) {
  const bool native = register_aot_tier();
  enable_cache(cache);
  if (name == "interp") {
    rt::set_default_tier(rt::interp_tier());
  } else if (name == "auto") {
    rt::set_default_tier(native ? auto_tier() : rt::interp_tier());
  } else if (name == "aot") {
    if (!native) return make_error("the aot tier is not available on this machine (x86-64 Linux only)");
    rt::set_default_tier(aot_tier());
  } else {
    return make_error("unknown tier \"" + std::string(name) + "\" (interp, aot or auto)");
  }
  return {};
}

}  // namespace whirl::wasm::aot
