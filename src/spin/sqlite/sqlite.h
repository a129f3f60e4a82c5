// SQLite for Spin apps (Spin's factor-sqlite): a component opens the
// databases its manifest grants (`sqlite_databases = ["default", ...]`) and
// runs statements with parameters. Interfaces, every version Spin links:
//   fermyon:spin/sqlite@2.0.0   resource connection: open, execute
//   spin:sqlite/sqlite@3.1.0    also last-insert-rowid, changes (3.0.0
//                               imports link to it); the *-async functions
//                               need component-model async and trap
//   fermyon:spin/sqlite         (unversioned, Spin 1.x) open/execute/close on u32 ids
// Databases: src/spin/sqlite/config.h. Behaviour: docs/spin.md, "SQLite".
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "common/expected.h"
#include "spin/factor/factor.h"

namespace whirl::spin::sqlite {

const Factor& sqlite_factor();

// `whirl up --sqlite ...` as `spin up --sqlite` runs them before serving:
// "SQL" is one statement against `default`; "@FILE" or "@FILE:LABEL" runs
// every statement of the file against that database. The first failure is
// an error naming the statement or file.
Expected<void> run_startup_statements(const RuntimeConfig& config, const std::filesystem::path& state_dir,
                                      std::span<const std::string> statements);

}  // namespace whirl::spin::sqlite
