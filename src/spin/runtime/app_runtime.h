// What every trigger of one app instantiates its components with: the
// factors (src/spin/runtime/factors.cc) prepared once for the app — their
// runtime config read, their per-app state made, their interfaces defined
// on one Linker — and the per-instance state each new instance gets.
// `whirl up`, the shim and (later) the node host set apps up through this.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <memory>
#include <span>
#include <vector>

#include "common/expected.h"
#include "component/runtime/linker.h"
#include "spin/app/app.h"
#include "spin/factor/factor.h"

namespace whirl::spin {

// Every factor whirl has, in linking order (the table).
std::span<const Factor* const> all_factors();

struct AppRuntimeOptions {
  std::filesystem::path runtime_config;  // empty: none (every factor's defaults)
  std::filesystem::path state_dir;       // empty: the runtime config's `state_dir`, else `.spin` in the app's directory
  // The environment variable providers read (SPIN_VARIABLE_*): empty for
  // the process's; the shim gives the container's.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  StringPairs variables;  // `whirl up --variable` values (spin/variables/providers.h)
};

class AppRuntime {
 public:
  static Expected<std::shared_ptr<const AppRuntime>> create(std::shared_ptr<const LoadedApp> app,
                                                           const AppRuntimeOptions& options,
                                                           std::span<const Factor* const> factors = all_factors());

  const component::runtime::Linker& linker() const { return *linker_; }
  const LoadedApp& app() const { return *app_; }
  const RuntimeConfig& config() const { return config_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  // The runtime config's own top-level keys, as Spin reads them: `log_dir`
  // (empty: unset) and `max_instance_memory` (bytes; 0: unset).
  const std::filesystem::path& log_dir() const { return log_dir_; }
  uint64_t max_instance_memory() const { return max_instance_memory_; }
  // The per-app state factor `f` made (null if none or not in the table),
  // e.g. for variables::app_variables.
  std::shared_ptr<void> app_state(const Factor& f) const;

  // Attaches every factor's per-instance state for component `c` to a new
  // instance's WASI context, before it is instantiated.
  Expected<void> prepare_instance(const LoadedComponent& c, wasi::p2::WasiP2& instance) const;

  // Every interface component `c` imports is defined here (at a compatible
  // version); else an error naming each missing one.
  Expected<void> check_imports(const LoadedComponent& c) const;

 private:
  AppRuntime() = default;
  std::shared_ptr<const LoadedApp> app_;
  RuntimeConfig config_;
  std::filesystem::path state_dir_, log_dir_;
  uint64_t max_instance_memory_ = 0;
  // Every factor's interfaces: the same for every app with the same
  // factors, so built once per process and shared (linking depends on no
  // app; per-app and per-instance state reach the host functions through
  // the instance).
  std::shared_ptr<const component::runtime::Linker> linker_;
  struct Prepared {
    const Factor* factor;
    std::shared_ptr<void> state;
  };
  std::vector<Prepared> factors_;
};

}  // namespace whirl::spin
