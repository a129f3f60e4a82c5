#include "spin/outbound/outbound.h"

#include <chrono>

#include "spin/manifest/toml_reader.h"
#include "spin/variables/variables.h"
#include "wasm/runtime/runtime.h"

namespace whirl::spin::outbound {

ComponentHosts::ComponentHosts(const FactorContext& ctx) {
  auto vars = variables::app_variables(ctx);
  for (const auto& c : ctx.app.components) {
    std::vector<std::string> entries;
    if (c.config) entries = c.config->allowed_outbound_hosts;
    auto parsed = AllowedHosts::parse(entries, [&vars](std::string_view name) -> std::optional<std::string> {
      if (!vars) return std::nullopt;
      auto v = vars->variable(name);
      if (!v) return std::nullopt;
      return std::move(*v);
    });
    if (!parsed && vars)
      for (const auto& e : entries)
        if (auto names = template_variables(e))
          for (const auto& n : *names)
            if (vars->is_secret(n))
              parsed = make_error("allowed_outbound_hosts entry \"" + e +
                                  "\" is not valid (it uses a secret variable, whose value is not shown)");
    hosts_[c.id] = std::make_shared<const Expected<AllowedHosts>>(std::move(parsed));
  }
}

std::shared_ptr<const Expected<AllowedHosts>> ComponentHosts::of(const std::string& id) const {
  if (auto it = hosts_.find(id); it != hosts_.end()) return it->second;
  // A component the app did not load (none in practice): nothing allowed.
  static const auto none = std::make_shared<const Expected<AllowedHosts>>(
      AllowedHosts::parse({}, [](std::string_view) { return std::optional<std::string>(); }));
  return none;
}

bool allows(const AllowedHosts& hosts, std::string_view address, std::string_view scheme) {
  auto url = parse_outbound_url(address, scheme);
  return url && hosts.allows(*url);
}

void ConnectionLimit::Permit::release() {
  if (!limit_) return;
  {
    std::lock_guard lock(limit_->mu_);
    --limit_->used_;
  }
  limit_->cv_.notify_one();
  limit_.reset();
}

std::optional<ConnectionLimit::Permit> ConnectionLimit::acquire(const std::shared_ptr<ConnectionLimit>& l,
                                                                wasm::Store& store) {
  std::unique_lock lock(l->mu_);
  while (l->max_ && l->used_ >= *l->max_) {
    if (store.interrupted()) return std::nullopt;
    l->cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
  ++l->used_;
  return Permit(l);
}

size_t ConnectionLimit::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

Expected<std::map<std::string, uint64_t>> read_limits(const RuntimeConfig& config, std::string_view name,
                                                      const std::vector<std::string_view>& keys) {
  std::map<std::string, uint64_t> out;
  const toml::node* node = config.section(name);
  if (!node) return out;
  const toml::table* table = node->as_table();
  if (!table) return unexpected(config.error_at(*node, "`" + std::string(name) + "` must be a table"));
  detail::Diag diag(config.path().empty() ? std::string("runtime config") : config.path().string());
  detail::Fields fields(*table, "[" + std::string(name) + "]", diag);
  for (auto key : keys) {
    const toml::node* v = fields.get(key);
    if (!v) continue;
    if (!v->is_integer() || v->as_integer()->get() < 0) {
      return unexpected(config.error_at(*v, "[" + std::string(name) + "] " + std::string(key) +
                                                " must be a non-negative integer"));
    }
    out[std::string(key)] = uint64_t(v->as_integer()->get());
  }
  fields.check_unknown();
  if (diag.failed()) return unexpected(diag.error());
  return out;
}

}  // namespace whirl::spin::outbound
