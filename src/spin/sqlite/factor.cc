// The SQLite factor: permissions from the manifest, databases from the
// runtime config, checked together at startup as Spin's configure_app does.
#include <system_error>

#include "spin/sqlite/sqlite.h"
#include "spin/sqlite/state.h"

namespace whirl::spin::sqlite {
namespace {

namespace fs = std::filesystem;

// Relative paths of [sqlite_database.*] start at the current directory (Spin's rule).
fs::path current_dir() {
  std::error_code ec;
  fs::path p = fs::current_path(ec);
  return ec ? fs::path(".") : p;
}

class SqliteFactor final : public Factor {
 public:
  std::string_view name() const override { return "SQLite"; }
  std::vector<std::string_view> config_sections() const override { return {kConfigSection}; }
  void link(component::runtime::Linker& l) const override { add_to_linker(l); }

  Expected<std::shared_ptr<void>> prepare_app(const FactorContext& ctx) const override {
    auto dbs = resolve_databases(ctx.config, ctx.state_dir, current_dir());
    if (!dbs) return unexpected(dbs.error());
    auto state = std::make_shared<AppState>();
    state->databases = std::move(*dbs);
    // Every database a component is granted must exist (Spin's
    // ensure_allowed_databases_are_configured), with Spin's message.
    std::string missing;
    for (const Component& c : ctx.app.manifest.components) {
      auto labels = std::make_shared<Labels>(c.sqlite_databases.begin(), c.sqlite_databases.end());
      for (const auto& l : *labels)
        if (!state->databases.count(l))
          missing += "\n- Component " + c.id + " uses database '" + l + "' (" + c.pos.str() + ")";
      state->allowed[c.id] = std::move(labels);
    }
    if (!missing.empty())
      return make_error(
          "One or more components use SQLite databases which are not defined.\n"
          "Check the spelling, or pass a runtime configuration file that defines these stores.\n"
          "See https://spinframework.dev/dynamic-configuration#sqlite-storage-runtime-configuration\n"
          "Details:" +
          missing);
    return std::shared_ptr<void>(std::move(state));
  }

  Expected<void> prepare_instance(const std::shared_ptr<void>& app_state, const LoadedComponent& c,
                                  wasi::p2::WasiP2& instance) const override {
    auto app = std::static_pointer_cast<const AppState>(app_state);
    auto st = std::make_shared<InstanceState>();
    auto it = app->allowed.find(c.id);
    st->allowed = it != app->allowed.end() ? it->second : std::make_shared<const Labels>();
    st->app = std::move(app);
    instance.set_extension(std::move(st));
    return {};
  }
};

const SqliteFactor factor;

}  // namespace

const Factor& sqlite_factor() { return factor; }

Expected<void> run_startup_statements(const RuntimeConfig& config, const fs::path& state_dir,
                                      std::span<const std::string> statements) {
  if (statements.empty()) return {};
  auto dbs = resolve_databases(config, state_dir, current_dir());
  if (!dbs) return unexpected(dbs.error());
  auto connect_to = [&](std::string_view label) -> Expected<std::shared_ptr<Connection>> {
    auto it = dbs->find(label);
    if (it == dbs->end()) return make_error("no database named '" + std::string(label) + "'");
    auto c = connect(it->second);
    if (!c) return make_error("failed to connect to database with label '" + std::string(label) + "'");
    return *c;
  };
  for (const std::string& s : statements) {
    if (s.rfind('@', 0) == 0) {
      // @FILE or @FILE:LABEL, parsed as Spin does (crates/trigger/src/cli/sqlite_statements.rs).
      auto trim = [](std::string_view v) {
        while (!v.empty() && isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
        while (!v.empty() && isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
        return v;
      };
      std::string_view spec = trim(std::string_view(s).substr(1));
      if (spec.empty()) return make_error("--sqlite " + s + ": the file name is empty");
      std::string_view file = spec, label = kDefaultLabel;
      if (auto colon = spec.find(':'); colon != std::string_view::npos) {
        file = trim(spec.substr(0, colon));
        label = trim(spec.substr(colon + 1));
        if (label.empty()) return make_error("--sqlite " + s + ": the database label after ':' is empty");
        if (file.empty()) return make_error("--sqlite " + s + ": the file name before ':' is empty");
      }
      auto db = connect_to(label);
      if (!db)
        return make_error("--sqlite " + s + ": a database named '" + std::string(label) +
                          "' was expected but not found: " + db.error().message);
      std::string text;
      {
        FILE* f = fopen(std::string(file).c_str(), "rb");
        if (!f) return make_error("--sqlite " + s + ": could not read file '" + std::string(file) +
                                  "' containing sql statements: " + std::generic_category().message(errno));
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
        fclose(f);
      }
      if (auto ok = (*db)->execute_batch(text); !ok)
        return make_error("--sqlite " + s + ": failed to execute sql against database '" + std::string(label) +
                          "' from file '" + std::string(file) + "': " + ok.error().message);
    } else {
      auto db = connect_to(kDefaultLabel);
      if (!db) return make_error("--sqlite: " + db.error().message);
      if (auto r = (*db)->query(s, {}); !r)
        return make_error("--sqlite: failed to execute the following sql statement against the default database: '" +
                          s + "': " + r.error().message);
    }
  }
  return {};
}

}  // namespace whirl::spin::sqlite
