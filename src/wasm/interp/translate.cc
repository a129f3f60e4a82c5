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

}  // namespace

Expected<std::shared_ptr<const CompiledModule>> compile_module(std::shared_ptr<const Module> module,
                                                               const CompileOptions& options) {
  for (size_t i = 0; i < module->functions.size(); ++i)
    if (module->functions[i].body.empty())
      return make_error("function " + std::to_string(module->num_imported_funcs + i) +
                        " has no body (load_module's modules keep none after compiling)");
  auto c = std::make_shared<interp::CompiledModuleImpl>();
  const size_t n = module->functions.size();
  c->funcs.resize(n);
  c->fuse = options.superinstructions;
  for (const auto& t : module->types) c->type_ids.push_back(rt::intern_func_type(t));
  c->func_templates.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t t = module->functions[i].type_index;
    c->func_templates.push_back({&module->types[t], c->type_ids[t], uint32_t(module->num_imported_funcs + i)});
  }
  c->elem_funcs.resize(module->elems.size());
  for (size_t i = 0; i < module->elems.size(); ++i) {
    std::vector<uint32_t> idx;
    for (const auto& init : module->elems[i].inits) {
      // (ref.func i) end
      size_t n = init.instrs.size();
      if (n == 0 || n > 2 || init.instrs[0].op != Op::RefFunc || (n == 2 && init.instrs[1].op != Op::End)) break;
      idx.push_back(init.instrs[0].a);
    }
    if (idx.size() == module->elems[i].inits.size()) c->elem_funcs[i] = std::move(idx);
  }
  c->export_index.reserve(module->exports.size());
  for (uint32_t i = 0; i < module->exports.size(); ++i) c->export_index.emplace(module->exports[i].name, i);
  if (translate_lazily(*module, options.translation)) {
    c->lazy = true;
    c->ready = std::make_unique<std::atomic<const interp::Ins*>[]>(n);
    c->mod = std::move(module);
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
  c->mod = std::move(module);
  if (options.superinstructions) interp::link_direct_calls(*c);
  platform::parallel_for(n, 256, threads, [&](size_t b, size_t e, unsigned) {
    for (size_t i = b; i < e; ++i) interp::finalize_code(c->funcs[i], options.superinstructions);
  });
  return std::shared_ptr<const CompiledModule>(std::move(c));
}

void release_bodies(Module& module, const CompiledModule& compiled) {
  if (compiled.translates_lazily()) return;
  module.body_storage.reset();
  for (Function& f : module.functions) f.locals = {}, f.body = {}, f.br_tables = {};
}

namespace interp {

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
