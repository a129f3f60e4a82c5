#include "spin/runtime/app_runtime.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "component/runtime/component.h"

namespace whirl::spin {

namespace {

// A top-level string key naming a directory: empty if absent or "" (unset,
// as Spin reads it); relative to the runtime config file's directory.
Expected<std::filesystem::path> path_key(const RuntimeConfig& c, std::string_view key) {
  const auto* n = c.section(key);
  if (!n) return std::filesystem::path();
  auto s = n->value<std::string>();
  if (!n->is_string() || !s) return unexpected(c.error_at(*n, "`" + std::string(key) + "` must be a string (a directory)"));
  if (s->empty()) return std::filesystem::path();
  return c.resolve(*s);
}

}  // namespace

namespace {

// Keyed by the factors' addresses: factors live as long as the process
// (the table's are static objects).
std::shared_ptr<const component::runtime::Linker> shared_linker(std::span<const Factor* const> factors) {
  static std::mutex mu;
  static std::vector<std::pair<std::vector<const Factor*>, std::shared_ptr<const component::runtime::Linker>>> made;
  std::lock_guard lock(mu);
  for (const auto& [list, linker] : made)
    if (std::equal(list.begin(), list.end(), factors.begin(), factors.end())) return linker;
  auto linker = std::make_shared<component::runtime::Linker>();
  for (const Factor* f : factors) f->link(*linker);
  made.emplace_back(std::vector<const Factor*>(factors.begin(), factors.end()), linker);
  return linker;
}

}  // namespace

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
  // The keys of the file itself (not of a factor), as Spin's runtime config.
  std::set<std::string_view> known = {"log_dir", "max_instance_memory"};
  std::filesystem::path state_dir = options.state_dir;
  if (state_dir.empty()) {
    known.insert("state_dir");  // as Spin: with --state-dir given, the key is not read
    auto dir = path_key(rt->config_, "state_dir");
    if (!dir) return unexpected(dir.error());
    state_dir = *dir;
  }
  rt->state_dir_ = state_dir.empty() ? rt->app_->manifest.dir / ".spin" : state_dir;
  auto log_dir = path_key(rt->config_, "log_dir");
  if (!log_dir) return unexpected(log_dir.error());
  rt->log_dir_ = *log_dir;
  if (const auto* m = rt->config_.section("max_instance_memory")) {
    auto v = m->value<int64_t>();
    if (!m->is_integer() || !v || *v <= 0)
      return unexpected(rt->config_.error_at(*m, "`max_instance_memory` must be a positive number of bytes"));
    rt->max_instance_memory_ = uint64_t(*v);
  }

  // Every other top-level key belongs to some factor.
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
    rt->factors_.push_back({f, std::move(*state)});
  }
  rt->linker_ = shared_linker(factors);
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
  auto code = c.component.load();
  if (!code) return {};
  std::string missing;
  for (const auto& imp : component::runtime::component_type(*code).imports) {
    // The host provides interfaces (instances) only.
    if (imp.type.kind == component::ExternType::Kind::Instance && linker_->find(imp.name).def) continue;
    missing += (missing.empty() ? "`" : ", `") + imp.name + "`";
  }
  if (missing.empty()) return {};
  std::string have;
  for (const auto& p : factors_) have += (have.empty() ? "" : ", ") + std::string(p.factor->name());
  return make_error("component `" + c.id + "` imports " + missing + ", which whirl does not provide (it provides " +
                    have + "; docs/spin.md lists each interface and version)");
}

}  // namespace whirl::spin
