#include "wasm/runtime/tier.h"

#include "wasm/runtime/objects.h"

#include <atomic>
#include <mutex>

namespace whirl::wasm::rt {
namespace {
std::atomic<const Tier*> g_default{nullptr};
std::mutex g_tiers_mu;
std::vector<const Tier*> g_tiers;
}  // namespace

const Tier& default_tier() {
  const Tier* t = g_default.load(std::memory_order_acquire);
  return t ? *t : interp_tier();
}

void set_default_tier(const Tier& t) { g_default.store(&t, std::memory_order_release); }

void register_tier(const Tier& t) {
  std::lock_guard lock(g_tiers_mu);
  for (const Tier* x : g_tiers)
    if (x == &t) return;
  g_tiers.push_back(&t);
}

const Tier* find_tier(std::string_view name) {
  if (name == interp_tier().name()) return &interp_tier();
  std::lock_guard lock(g_tiers_mu);
  for (const Tier* x : g_tiers)
    if (x->name() == name) return x;
  return nullptr;
}

const Tier* tier_for(std::string_view name) { return name.empty() ? &default_tier() : find_tier(name); }

void prepare_module(TieredModule& c, std::shared_ptr<const Module> module) {
  const size_t n = module->functions.size();
  for (const auto& t : module->types) c.type_ids.push_back(intern_func_type(t));
  c.func_templates.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t t = module->functions[i].type_index;
    c.func_templates.push_back({&module->types[t], c.type_ids[t], uint32_t(module->num_imported_funcs + i)});
  }
  c.elem_funcs.resize(module->elems.size());
  for (size_t i = 0; i < module->elems.size(); ++i) {
    std::vector<uint32_t> idx;
    for (const auto& init : module->elems[i].inits) {
      // (ref.func i) end
      size_t k = init.instrs.size();
      if (k == 0 || k > 2 || init.instrs[0].op != Op::RefFunc || (k == 2 && init.instrs[1].op != Op::End)) break;
      idx.push_back(init.instrs[0].a);
    }
    if (idx.size() == module->elems[i].inits.size()) c.elem_funcs[i] = std::move(idx);
  }
  c.export_index.reserve(module->exports.size());
  for (uint32_t i = 0; i < module->exports.size(); ++i) c.export_index.emplace(module->exports[i].name, i);
  c.mod = std::move(module);
}

}  // namespace whirl::wasm::rt
