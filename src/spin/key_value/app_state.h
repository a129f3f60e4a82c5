// The key-value factor's state: per app, the stores the runtime config
// defines (plus `default`) and what each component was granted; per
// instance, the stores and compare-and-swaps it has open. Shared by the
// host functions of every interface version (host_spin.cc, host_wasi.cc).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "spin/factor/factor.h"
#include "spin/key_value/store.h"
#include "wasi/p2/ctx.h"

namespace whirl::spin::key_value {

struct KeyValueApp {
  std::map<std::string, std::shared_ptr<StoreProvider>> stores;  // by label; `default` always
  std::map<std::string, std::set<std::string>> granted;         // component id -> its key_value_stores
};

// Reads `[key_value_store.NAME]` sections (errors: FILE:LINE:COLUMN) and
// checks every component's key_value_stores names a defined store, as
// Spin refuses to start otherwise.
Expected<std::shared_ptr<KeyValueApp>> configure(const FactorContext& ctx);

struct OpenCas {
  std::shared_ptr<Store> store;  // for the fresh cas a failed swap returns
  std::unique_ptr<Cas> cas;
};

class KeyValueInstance {
 public:
  KeyValueInstance(std::shared_ptr<const KeyValueApp> app, const std::set<std::string>* granted)
      : app_(std::move(app)), granted_(granted) {}

  // Spin's order: not granted is access-denied, then the store's own
  // errors (a provider that cannot connect: other).
  StoreResult<uint32_t> open(const std::string& label);
  // One handle table for fermyon:spin stores (v1 handles are its indices)
  // and wasi:keyvalue buckets, as Spin keeps one.
  wasi::p2::Table<std::shared_ptr<Store>> stores;
  wasi::p2::Table<OpenCas> cas;

 private:
  std::shared_ptr<const KeyValueApp> app_;
  const std::set<std::string>* granted_;  // into app_
};

// The host functions, by interface family.
void add_spin_key_value(component::runtime::Linker& l);  // fermyon:spin/key-value (unversioned and @2.0.0)
void add_wasi_keyvalue(component::runtime::Linker& l);   // wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2

}  // namespace whirl::spin::key_value
