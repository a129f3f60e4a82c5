// Key-value stores in SQLite (runtime config `type = "spin"`, and the
// `default` store in `<state dir>/sqlite_key_value.db`). Spin's table
// layout (spin_key_value: store, key, value; the label is the store
// column), so a `.spin` directory moves between spin and whirl. Each
// change commits before the call returns, in WAL mode, so what a guest
// wrote survives a restart or a killed process.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "spin/key_value/store.h"

namespace whirl::spin::key_value {

// `path` empty: an in-memory database (Spin's `type = "spin"` without a
// path), shared by the labels of this provider and gone at exit. The file
// and its directory are made at the first open.
std::shared_ptr<StoreProvider> sqlite_provider(std::filesystem::path path);

}  // namespace whirl::spin::key_value
