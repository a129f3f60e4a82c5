#include "host/code_share.h"

namespace whirl::host {

template <class T, class Load>
Expected<std::shared_ptr<const T>> CodeShare::get(Table<T>& table, const platform::FileBytes& file, const Load& load) {
  const platform::Digest key = platform::digest(file.bytes);
  {
    std::lock_guard lock(mu_);
    auto it = table.map.find(key);
    if (it != table.map.end())
      if (auto code = it->second.lock()) {
        shared_.fetch_add(1, std::memory_order_relaxed);
        return code;
      }
  }
  auto code = load(file, &key);  // outside the lock; the digest handed on (the aot cache keys on it too): other apps' loads go on
  if (!code) return code;
  std::lock_guard lock(mu_);
  table.map[key] = *code;
  if (table.map.size() >= table.prune_at) {
    std::erase_if(table.map, [](const auto& e) { return e.second.expired(); });
    table.prune_at = std::max<size_t>(64, table.map.size() * 2);
  }
  return code;
}

template <class T>
size_t CodeShare::alive(const Table<T>& table) {
  size_t n = 0;
  for (const auto& [key, code] : table.map) n += !code.expired();
  return n;
}

void CodeShare::wrap(spin::AppLoadOptions& o) {
  if (o.loader)
    o.loader = [this, inner = std::move(o.loader)](const platform::FileBytes& file, const platform::Digest*) {
      return get(modules_, file, inner);
    };
  if (o.component_loader)
    o.component_loader = [this, inner = std::move(o.component_loader)](const platform::FileBytes& file,
                                                                        const platform::Digest*) {
      return get(components_, file, inner);
    };
}

CodeShare::Counts CodeShare::counts() const {
  std::lock_guard lock(mu_);
  return {alive(modules_), alive(components_), shared_.load(std::memory_order_relaxed)};
}

}  // namespace whirl::host
