// The SQLite factor's per-app and per-instance state (internal).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "component/runtime/linker.h"
#include "spin/sqlite/config.h"
#include "spin/sqlite/database.h"
#include "wasi/p2/ctx.h"

namespace whirl::spin::sqlite {

using Labels = std::set<std::string, std::less<>>;

struct AppState {
  Databases databases;
  std::map<std::string, std::shared_ptr<const Labels>, std::less<>> allowed;  // by component id
};

// Spin's per-instance limit on connections open at once.
inline constexpr size_t kMaxConnections = 256;

struct InstanceState {
  std::shared_ptr<const AppState> app;
  std::shared_ptr<const Labels> allowed;
  // One table for every interface version, as in Spin: a connection's
  // representation is its index.
  wasi::p2::Table<std::shared_ptr<Connection>> connections;
};

// Defines every interface version on `l`.
void add_to_linker(component::runtime::Linker& l);

}  // namespace whirl::spin::sqlite
