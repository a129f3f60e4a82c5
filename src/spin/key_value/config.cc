// The key-value factor's per-app setup: the runtime config's
// `[key_value_store.NAME]` tables as Spin's runtime-config resolver reads
// them (crates/runtime-config, crates/key-value-spin, key-value-redis),
// the `default` store, and Spin's startup check of key_value_stores.
#include "spin/key_value/app_state.h"
#include "spin/key_value/redis_store.h"
#include "spin/key_value/sqlite_store.h"
#include "spin/manifest/toml_reader.h"

namespace whirl::spin::key_value {
namespace {

// Spin's default store: SQLite in the state directory.
constexpr const char* kDefaultLabel = "default";
constexpr const char* kDefaultFile = "sqlite_key_value.db";

// The string value of `key` in `t` (none: absent); an error if it is not a string.
Expected<std::optional<std::string>> string_field(const RuntimeConfig& rc, const toml::table& t, const std::string& label,
                                                  std::string_view key) {
  const toml::node* n = t.get(key);
  if (!n) return std::optional<std::string>();
  if (const auto* s = n->as_string()) return std::optional<std::string>(s->get());
  return unexpected(rc.error_at(*n, "key-value store `" + label + "`: `" + std::string(key) + "` must be a string, not " +
                                        detail::type_name(*n)));
}

Expected<std::shared_ptr<StoreProvider>> make_store(const RuntimeConfig& rc, const std::string& label,
                                                    const toml::node& node) {
  const toml::table* t = node.as_table();
  if (!t)
    return unexpected(rc.error_at(node, "key-value store `" + label + "` must be a table ([key_value_store." + label +
                                            "] with a `type`), not " + detail::type_name(node)));
  const toml::node* type_node = t->get("type");
  if (!type_node)
    return unexpected(rc.error_at(node, "key-value store `" + label + "` has no `type` (\"spin\" or \"redis\")"));
  const auto* type_str = type_node->as_string();
  if (!type_str)
    return unexpected(rc.error_at(*type_node, "key-value store `" + label + "`: `type` must be a string, not " +
                                                  detail::type_name(*type_node)));
  const std::string type = type_str->get();
  // Other keys are ignored, as Spin's serde structs ignore them.
  if (type == "spin") {
    auto path = string_field(rc, *t, label, "path");
    if (!path) return unexpected(path.error());
    // No path: in memory, as Spin. A relative path is relative to the
    // runtime config file's directory.
    return sqlite_provider(*path ? rc.resolve(**path) : std::filesystem::path());
  }
  if (type == "redis") {
    auto url = string_field(rc, *t, label, "url");
    if (!url) return unexpected(url.error());
    if (!*url)
      return unexpected(rc.error_at(node, "key-value store `" + label + "` of type \"redis\" has no `url` (redis://host:port)"));
    // Spin's rules (redis-rs's parse_redis_url): redis://, rediss://,
    // redis+unix:// and unix://. The URL is the user's own text: shown.
    auto parsed = redis::parse_redis_address(**url);
    if (!parsed)
      return unexpected(rc.error_at(*t->get("url"), "key-value store `" + label + "`: invalid Redis URL \"" + **url +
                                                        "\": " + parsed.error().message));
    return redis_provider(std::move(*parsed));
  }
  std::string why = type == "azure_cosmos" || type == "aws_dynamo" ? "a Spin store type whirl does not support"
                                                                    : "not a key-value store type";
  return unexpected(rc.error_at(*type_node, "key-value store `" + label + "`: type \"" + type + "\" is " + why +
                                                " (whirl has \"spin\" and \"redis\")"));
}

}  // namespace

Expected<std::shared_ptr<KeyValueApp>> configure(const FactorContext& ctx) {
  auto app = std::make_shared<KeyValueApp>();
  const RuntimeConfig& rc = ctx.config;
  if (const toml::node* section = rc.section("key_value_store")) {
    const toml::table* t = section->as_table();
    if (!t)
      return unexpected(rc.error_at(*section, std::string("`key_value_store` must be a table of stores "
                                                          "([key_value_store.NAME]), not ") +
                                                  detail::type_name(*section)));
    for (const auto& [k, v] : *t) {
      std::string label(k.str());
      auto s = make_store(rc, label, v);
      if (!s) return unexpected(s.error());
      app->stores[label] = std::move(*s);
    }
  }
  if (!app->stores.count(kDefaultLabel)) app->stores[kDefaultLabel] = sqlite_provider(ctx.state_dir / kDefaultFile);

  // Every component of the app, used by a trigger or not, as Spin checks.
  for (const Component& c : ctx.app.manifest.components) {
    auto& granted = app->granted[c.id];
    for (const auto& label : c.key_value_stores) {
      if (!app->stores.count(label)) {
        std::string where = c.pos.line ? c.pos.str() : ctx.app.manifest.path.string();
        std::string in = rc.path().empty() ? std::string("no runtime config file was given")
                                           : "add [key_value_store." + label + "] to " + rc.path().string();
        return make_error(where + ": component `" + c.id + "` is granted key-value store `" + label +
                          "` (key_value_stores), which is not defined: only `default` is defined unless the "
                          "runtime config defines it (" + in + ")");
      }
      granted.insert(label);
    }
  }
  return app;
}

StoreResult<uint32_t> KeyValueInstance::open(const std::string& label) {
  if (!granted_ || !granted_->count(label)) return unexpected(StoreError{StoreError::Kind::AccessDenied, {}});
  auto it = app_->stores.find(label);
  if (it == app_->stores.end()) return unexpected(StoreError{StoreError::Kind::NoSuchStore, {}});
  auto s = it->second->open(label);
  if (!s) return unexpected(s.error());
  return stores.add(std::move(*s));
}

}  // namespace whirl::spin::key_value
