#include "spin/runtime/app_runtime.h"

#include <set>

#include "component/runtime/component.h"

namespace whirl::spin {

Expected<std::shared_ptr<const AppRuntime>> AppRuntime::create(std::shared_ptr<const LoadedApp> app,
                                                              const AppRuntimeOptions& options,
                                                              std::span<const Factor* const> factors) {
  std::shared_ptr<AppRuntime> rt(new AppRuntime());
  rt->app_ = std::move(app);
  if (!options.runtime_config.empty()) {
    auto c = RuntimeConfig::load(options.runtime_config);
    if (!c) return unexpected(c.error());
    rt->config_ = std::move(*c);
  }
  rt->state_dir_ = options.state_dir.empty() ? rt->app_->manifest.dir / ".spin" : options.state_dir;

  // Every top-level key belongs to some factor.
  std::set<std::string_view> known;
  for (const Factor* f : factors)
    for (auto s : f->config_sections()) known.insert(s);
  for (const auto& [key, node] : rt->config_.root()) {
    if (known.count(key.str())) continue;
    std::string list;
    for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    return unexpected(rt->config_.error_at(node, "unknown runtime config section `" + std::string(key.str()) +
                                                     "` (known: " + (list.empty() ? "none" : list) + ")"));
  }

  FactorContext ctx{*rt->app_, rt->config_, rt->state_dir_, options.getenv, options.variables,
                    [raw = rt.get()](const Factor& f) { return raw->app_state(f); }};
  for (const Factor* f : factors) {
    auto state = f->prepare_app(ctx);
    if (!state) return unexpected(state.error());
    f->link(rt->linker_);
    rt->factors_.push_back({f, std::move(*state)});
  }
  return std::shared_ptr<const AppRuntime>(std::move(rt));
}

std::shared_ptr<void> AppRuntime::app_state(const Factor& f) const {
  for (const auto& p : factors_)
    if (p.factor == &f) return p.state;
  return nullptr;
}

Expected<void> AppRuntime::prepare_instance(const LoadedComponent& c, wasi::p2::WasiP2& instance) const {
  for (const auto& p : factors_)
    if (auto ok = p.factor->prepare_instance(p.state, c, instance); !ok)
      return make_error("component `" + c.id + "`: " + std::string(p.factor->name()) + ": " + ok.error().message);
  return {};
}

Expected<void> AppRuntime::check_imports(const LoadedComponent& c) const {
  if (!c.component) return {};
  std::string missing;
  for (const auto& imp : component::runtime::component_type(*c.component).imports) {
    // The host provides interfaces (instances) only.
    if (imp.type.kind == component::ExternType::Kind::Instance && linker_.find(imp.name).def) continue;
    missing += (missing.empty() ? "`" : ", `") + imp.name + "`";
  }
  if (missing.empty()) return {};
  std::string have;
  for (const auto& p : factors_) have += (have.empty() ? "" : ", ") + std::string(p.factor->name());
  return make_error("component `" + c.id + "` imports " + missing + ", which whirl does not provide (it provides " +
                    have + "; docs/spin.md lists each interface and version)");
}

}  // namespace whirl::spin
