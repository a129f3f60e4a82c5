#include "shim/module_cache.h"

#include <cstring>

#include "wasm/runtime/runtime.h"

namespace whirl::shim {

ModuleCache::Handle ModuleCache::lookup(std::span<const uint8_t> bytes) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {  // drop entries no task holds
    if (it->second.expired()) it = entries_.erase(it);
    else ++it;
  }
  auto [lo, hi] = entries_.equal_range(bytes.size());
  for (auto it = lo; it != hi; ++it)
    if (auto e = it->second.lock(); e && std::memcmp(e->bytes.data(), bytes.data(), bytes.size()) == 0) return e;
  auto e = std::make_shared<Entry>();
  e->bytes.assign(bytes.begin(), bytes.end());
  entries_.emplace(bytes.size(), e);
  return e;
}

std::shared_ptr<const wasm::CompiledModule> ModuleCache::compiled(const Handle& entry) {
  if (!entry) return nullptr;
  std::lock_guard lock(entry->mu);
  if (!entry->compiled && entry->verified) {
    auto m = wasm::load_module(entry->bytes);
    if (m) entry->compiled = std::move(*m);
  }
  return entry->compiled;
}

void ModuleCache::mark_verified(const Handle& entry) {
  if (!entry) return;
  std::lock_guard lock(entry->mu);
  entry->verified = true;
}

size_t ModuleCache::size() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto& [h, w] : entries_) n += !w.expired();
  return n;
}

}  // namespace whirl::shim
