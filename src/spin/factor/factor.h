// A host capability as Spin composes them (its "factors"): each one reads
// the manifest's permissions and its own runtime-config sections once per
// app, keeps per-app state (open stores, connection settings), gives each
// instance its own state, and defines its interfaces on the app's Linker.
// WASI, wasi:http, key-value, SQLite, ... link side by side this way; the
// list of factors is one table (src/spin/runtime/factors.cc) and adding a
// capability is one directory plus one row there (docs/factors.md).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

#include "common/expected.h"
#include "component/runtime/linker.h"
#include "spin/app/app.h"
#include "spin/factor/runtime_config.h"

namespace whirl::wasi::p2 {
class WasiP2;
}

namespace whirl::spin {

class Factor;

// What a factor sees of the app when it is prepared.
struct FactorContext {
  const LoadedApp& app;
  const RuntimeConfig& config;
  // Where default stores live (`.spin` beside the manifest, or --state-dir).
  std::filesystem::path state_dir;
  // The app's environment for providers reading it (the process's for
  // whirl up, the container's in the shim); empty: the process's.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // `whirl up --variable` values, in order (the variables factor's).
  StringPairs variables;
  // The per-app state of a factor prepared earlier (earlier in the table),
  // e.g. the variables resolver for `{{ variable }}` templates; null if none.
  std::function<std::shared_ptr<void>(const Factor&)> app_state;
};

class Factor {
 public:
  virtual ~Factor() = default;
  virtual std::string_view name() const = 0;  // "key-value", for messages
  // The top-level runtime-config keys it reads ("key_value_store"): the
  // runtime config rejects every key no factor claims.
  virtual std::vector<std::string_view> config_sections() const { return {}; }
  // Defines every interface (each version) it provides: once per process
  // for each list of factors (AppRuntime shares the Linker among apps).
  virtual void link(component::runtime::Linker& linker) const = 0;
  // Per app: checks permissions and runtime config (errors stop startup,
  // naming the file and what is wrong) and returns the state every
  // instance of the app shares (null: none).
  virtual Expected<std::shared_ptr<void>> prepare_app(const FactorContext& ctx) const {
    (void)ctx;
    return std::shared_ptr<void>();
  }
  // Per instance of component `c`: attaches what host calls of this
  // instance need to `instance` (WasiP2::set_extension).
  virtual Expected<void> prepare_instance(const std::shared_ptr<void>& app_state, const LoadedComponent& c,
                                          wasi::p2::WasiP2& instance) const {
    (void)app_state, (void)c, (void)instance;
    return {};
  }
};

}  // namespace whirl::spin
