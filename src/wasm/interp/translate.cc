// Translating a validated module for the interpreter: every function at
// load (in parallel), or each at its first call (CompileOptions).
#include <cstdlib>
#include <string_view>

#include "platform/parallel.h"
#include "wasm/interp/code.h"
#include "wasm/runtime/objects.h"

namespace whirl::wasm {
namespace {

bool translate_lazily(const Module& m, CompileOptions::Translation t) {
  using T = CompileOptions::Translation;
  if (t == T::Auto) {
    static const T process = [] {
      const char* env = std::getenv("WHIRL_TRANSLATE");
      if (env && std::string_view(env) == "lazy") return T::Lazy;
      if (env && std::string_view(env) == "eager") return T::Eager;
      return T::Auto;
    }();
    t = process;
  }
  if (t != T::Auto) return t == T::Lazy;
  size_t instrs = 0;
  for (const Function& f : m.functions) instrs += f.body.size();
  return instrs >= kLazyTranslationInstrs;
}

// The interpreter as a tier (tier.h).
class InterpTier final : public rt::Tier {
 public:
  std::string_view name() const override { return "interp"; }
  Expected<std::shared_ptr<const CompiledModule>> compile(std::shared_ptr<const Module> module,
                                                          const CompileOptions& options) const override;
  void make_funcs(const rt::TieredModule& m, rt::InstanceImpl* instance, rt::FuncImpl* storage,
                  rt::FuncImpl** slots) const override {
    const auto& c = static_cast<const interp::CompiledModuleImpl&>(m);
    // Read once: the stores below could alias them for the compiler.
    const size_t n = c.funcs.size();
    const interp::CompiledFunc* code = c.funcs.data();
    const std::atomic<const interp::Ins*>* ready = c.lazy ? c.ready.get() : nullptr;
    for (size_t i = 0; i < n; ++i) {
      rt::FuncImpl* f = rt::make_func(storage + i, m, uint32_t(i), instance);
      f->code = code + i;
      // Lazily translated functions get theirs at their first call.
      f->entry = ready ? ready[i].load(std::memory_order_acquire) : code[i].code.data();
      slots[i] = f;
    }
  }
  std::optional<Trap> call(rt::StoreImpl& s, rt::FuncImpl* f, const uint64_t* args,
                           uint64_t* results) const override {
    return rt::call(s, f, args, results);
  }
};

const InterpTier kInterpTier;

Expected<std::shared_ptr<const CompiledModule>> InterpTier::compile(std::shared_ptr<const Module> module,
                                                                     const CompileOptions& options) const {
  for (size_t i = 0; i < module->functions.size(); ++i)
    if (module->functions[i].body.empty())
      return make_error("function " + std::to_string(module->num_imported_funcs + i) +
                        " has no body (load_module's modules keep none after compiling)");
  auto c = std::make_shared<interp::CompiledModuleImpl>();
  const size_t n = module->functions.size();
  c->funcs.resize(n);
  c->fuse = options.superinstructions;
  rt::prepare_module(*c, module);
  if (translate_lazily(*module, options.translation)) {
    c->lazy = true;
    c->ready = std::make_unique<std::atomic<const interp::Ins*>[]>(n);
    return std::shared_ptr<const CompiledModule>(std::move(c));
  }
  // Functions compile independently: a large module's split across cores,
  // each thread with its own code arena (moved into the module's after).
  unsigned threads = platform::loader_threads(n);
  std::vector<Arena> arenas(threads);
  std::vector<interp::CodeBuf> scratch(threads);
  platform::parallel_for(n, 64, threads, [&](size_t b, size_t e, unsigned w) {
    for (size_t i = b; i < e; ++i)
      c->funcs[i] = interp::compile_function(*module, module->functions[i], c->type_ids, arenas[w], scratch[w],
                                             options.superinstructions);
  });
  for (auto& a : arenas) c->arena.absorb(std::move(a));
  if (options.superinstructions) interp::link_direct_calls(*c);
  platform::parallel_for(n, 256, threads, [&](size_t b, size_t e, unsigned) {
    for (size_t i = b; i < e; ++i) interp::finalize_code(c->funcs[i], options.superinstructions);
  });
  return std::shared_ptr<const CompiledModule>(std::move(c));
}

}  // namespace

namespace rt {
const Tier& interp_tier() { return kInterpTier; }
}  // namespace rt

Expected<std::shared_ptr<const CompiledModule>> compile_module(std::shared_ptr<const Module> module,
                                                               const CompileOptions& options) {
  const rt::Tier* t = rt::tier_for(options.tier);
  if (!t) return make_error("no execution tier named \"" + std::string(options.tier) + "\" in this build");
  return t->compile(std::move(module), options);
}

void release_bodies(Module& module, const CompiledModule& compiled) {
  if (compiled.translates_lazily()) return;
  module.body_storage.reset();
  for (Function& f : module.functions) f.locals = {}, f.body = {}, f.br_tables = {};
}

namespace interp {

CompiledModuleImpl::CompiledModuleImpl() : rt::TieredModule(kInterpTier) {}

const Ins* CompiledModuleImpl::translate(uint32_t i) const {
  std::lock_guard lock(mu_);
  if (const Ins* p = ready[i].load(std::memory_order_relaxed)) return p;  // another thread's
  CompiledFunc f = compile_function(*mod, mod->functions[i], type_ids, arena, scratch_, fuse);
  if (fuse) link_direct_calls(*this, f, i);
  finalize_code(f, fuse);
  funcs[i] = f;
  ready[i].store(f.code.data(), std::memory_order_release);
  return f.code.data();
}

}  // namespace interp
}  // namespace whirl::wasm
