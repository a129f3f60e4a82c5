// Spin's key-value capability as a factor: `key_value_stores = [...]` in
// the manifest grants stores, `[key_value_store.NAME]` in the runtime
// config defines them (`type = "spin"` SQLite, `type = "redis"`), and the
// `default` store is SQLite in `<state dir>/sqlite_key_value.db`. It links
// fermyon:spin/key-value (Spin 1's unversioned interface and @2.0.0) and
// wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2. spin:key-value@3.0.0
// needs the async ABI (streams, futures), which whirl does not have yet.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <utility>

#include "spin/factor/factor.h"

namespace whirl::spin {

const Factor& key_value_factor();

namespace key_value {

// `whirl up --key-value KEY=VALUE`, as spin up's: split at the first `=`.
Expected<std::pair<std::string, std::string>> parse_key_value_arg(const std::string& arg);

// Sets each pair in the app's `default` store (overwriting) before
// serving, as spin up --key-value does. `state` is the factor's per-app
// state (AppRuntime::app_state(key_value_factor())).
Expected<void> set_default_values(const std::shared_ptr<void>& state,
                                  std::span<const std::pair<std::string, std::string>> pairs);

// The line spin up prints at startup when some component is granted the
// default store ("Storing default key-value data to \"PATH\"."); empty
// when none is.
std::string default_store_line(const std::shared_ptr<void>& state);

}  // namespace key_value
}  // namespace whirl::spin
