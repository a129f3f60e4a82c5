#include "spin/sqlite/config.h"

#include <memory>
#include <system_error>

namespace whirl::spin::sqlite {
namespace {

namespace fs = std::filesystem;

std::string ticked(std::string_view s) { return "`" + std::string(s) + "`"; }

// Spin's InProcDatabaseLocation::from_path: the file's directory exists
// before a connection is made.
Expected<void> make_parent(const fs::path& path) {
  if (!path.has_parent_path()) return {};
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec)
    return make_error("failed to create sqlite database directory '" + path.parent_path().string() +
                      "': " + ec.message());
  return {};
}

Expected<DatabaseConfig> read_spin_database(const RuntimeConfig& config, std::string_view label,
                                            const toml::table& t, const fs::path& base_dir) {
  DatabaseConfig db;
  db.location.in_memory = true;
  std::string where = "[" + std::string(kConfigSection) + "." + std::string(label) + "]";
  for (const auto& [key, value] : t) {
    std::string_view k = key.str();
    if (k == "type") continue;
    if (k == "path") {
      auto p = value.value<std::string>();
      if (!value.is_string()) return unexpected(config.error_at(value, where + " `path` must be a string"));
      fs::path path(*p);
      db.location.in_memory = false;
      db.location.path = path.is_absolute() ? path : base_dir / path;
    } else if (k == "allow_attach_file") {
      if (!value.is_boolean())
        return unexpected(config.error_at(value, where + " `allow_attach_file` must be true or false"));
      db.allow_attach_file = *value.value<bool>();
    } else {
      return unexpected(config.error_at(value, where + ": unknown field " + ticked(k) +
                                                   " (a `spin` database has `path` and `allow_attach_file`)"));
    }
  }
  if (!db.location.in_memory)
    if (auto ok = make_parent(db.location.path); !ok) return unexpected(config.error_at(t, ok.error().message));
  return db;
}

}  // namespace

Expected<Databases> resolve_databases(const RuntimeConfig& config, const fs::path& state_dir,
                                      const fs::path& base_dir) {
  Databases out;
  if (const toml::node* section = config.section(kConfigSection)) {
    const toml::table* all = section->as_table();
    if (!all)
      return unexpected(config.error_at(*section, "`" + std::string(kConfigSection) +
                                                      "` must be a table of databases: [sqlite_database.NAME]"));
    for (const auto& [key, value] : *all) {
      std::string label(key.str());
      std::string where = "[" + std::string(kConfigSection) + "." + label + "]";
      const toml::table* t = value.as_table();
      if (!t) return unexpected(config.error_at(value, where + " must be a table with `type`"));
      const toml::node* type = t->get("type");
      if (!type) return unexpected(config.error_at(value, where + " has no `type` (whirl supports type = \"spin\")"));
      auto kind = type->value<std::string>();
      if (!type->is_string()) return unexpected(config.error_at(*type, where + " `type` must be a string"));
      if (*kind == "spin") {
        auto db = read_spin_database(config, label, *t, base_dir);
        if (!db) return unexpected(db.error());
        out[label] = std::move(*db);
      } else if (*kind == "libsql") {
        return unexpected(config.error_at(*type, where + ": database type `libsql` is not supported by whirl "
                                                         "(supported: `spin`, a local SQLite file)"));
      } else {
        return unexpected(config.error_at(*type, where + ": unknown database type " + ticked(*kind) +
                                                     " (whirl supports `spin`)"));
      }
    }
  }
  if (!out.count(kDefaultLabel)) {
    DatabaseConfig d;
    d.location.path = state_dir / kDefaultFileName;
    d.create_parent_on_open = true;
    out[kDefaultLabel] = std::move(d);
  }
  return out;
}

Expected<std::shared_ptr<Connection>, DbError> connect(const DatabaseConfig& db) {
  // Spin maps a failure to make the default database's directory to
  // invalid-connection (its connection factory's error).
  if (db.create_parent_on_open && !db.location.in_memory && !make_parent(db.location.path))
    return unexpected(DbError{DbError::Kind::InvalidConnection, {}});
  return std::make_shared<Connection>(db.location, db.allow_attach_file);
}

}  // namespace whirl::spin::sqlite
