// Compiled code shared by content among the node host's apps: two apps
// whose component files hold the same bytes run one compiled copy (decoded,
// validated and compiled once; with native code, one mapping of the cache's
// entry). Keyed by a cryptographic digest of the bytes (platform/digest.h):
// apps of different tenants must not be able to make their bytes look like
// another's. Entries are weak: the code goes when the last app using it is
// unloaded. Two first loads of the same bytes at once may both compile;
// the later one's is kept.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "platform/digest.h"
#include "spin/app/app.h"

namespace whirl::host {

class CodeShare {
 public:
  // Makes `o`'s loaders (set already) return the code loaded before for the
  // same bytes, and keep what they load for the apps loading next. `o`
  // must not outlive this.
  void wrap(spin::AppLoadOptions& o);

  struct Counts {
    size_t modules = 0, components = 0;  // distinct compiled copies alive
    uint64_t shared = 0;                 // loads served by a copy already there
  };
  Counts counts() const;

 private:
  template <class T>
  struct Table {
    std::unordered_map<platform::Digest, std::weak_ptr<const T>, platform::DigestHash> map;
    size_t prune_at = 64;  // drop expired entries when the map grows to this
  };
  template <class T, class Load>
  Expected<std::shared_ptr<const T>> get(Table<T>& table, const platform::FileBytes& file, const Load& load);
  template <class T>
  static size_t alive(const Table<T>& table);

  mutable std::mutex mu_;
  Table<wasm::CompiledModule> modules_;
  Table<component::runtime::LoadedComponent> components_;
  std::atomic<uint64_t> shared_{0};
};

}  // namespace whirl::host
