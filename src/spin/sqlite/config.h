// Which SQLite databases an app can name, as Spin resolves them
// (crates/sqlite): every `[sqlite_database.LABEL]` of the runtime config,
// plus `default` — `<state dir>/sqlite_db.db` — unless the file defines it.
//
//   [sqlite_database.LABEL]
//   type = "spin"               # the only backend whirl has (Spin also has "libsql")
//   path = "data/app.db"        # optional: without it, an in-memory database per connection
//   allow_attach_file = false   # optional: ATTACH of existing files
//
// A relative `path` is resolved against the current directory, as Spin
// does for SQLite (unlike its key-value stores, which resolve against the
// runtime config's directory).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "common/expected.h"
#include "spin/factor/runtime_config.h"
#include "spin/sqlite/database.h"

namespace whirl::spin::sqlite {

inline constexpr const char* kConfigSection = "sqlite_database";
inline constexpr const char* kDefaultLabel = "default";
inline constexpr const char* kDefaultFileName = "sqlite_db.db";

struct DatabaseConfig {
  DatabaseLocation location;
  bool allow_attach_file = false;
  // `default` without a runtime-config entry: Spin creates the state
  // directory when a connection is made, not at startup.
  bool create_parent_on_open = false;
};

using Databases = std::map<std::string, DatabaseConfig, std::less<>>;

// Reads the `sqlite_database` section (errors: FILE:LINE:COLUMN and what is
// wrong) and adds `default`. Creates the directories of configured files,
// as Spin does at startup. `base_dir`: where relative paths start.
Expected<Databases> resolve_databases(const RuntimeConfig& config, const std::filesystem::path& state_dir,
                                      const std::filesystem::path& base_dir);

// A new connection to `db` (opened at its first use); the `default`
// database's directory is made here. Errors are the interface's.
Expected<std::shared_ptr<Connection>, DbError> connect(const DatabaseConfig& db);

}  // namespace whirl::spin::sqlite
