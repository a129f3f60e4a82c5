// The backends behind Spin's key-value interfaces: a Store is one labelled
// store (`default`, or a `[key_value_store.NAME]` of the runtime config),
// shared by every instance of the app and safe to use from many threads; a
// StoreProvider makes it at the first `open`, as Spin's store managers
// connect lazily. SQLite (`type = "spin"`) and Redis (`type = "redis"`)
// implement them (sqlite_store.h, redis_store.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/expected.h"

namespace whirl::spin::key_value {

// The `error` variant of Spin's key-value interfaces. wasi:keyvalue has no
// store-table-full (Spin maps it to other("store table full")).
struct StoreError {
  enum class Kind { StoreTableFull, NoSuchStore, AccessDenied, Other };
  Kind kind = Kind::Other;
  std::string message;  // Other's payload

  static StoreError other(std::string m) { return {Kind::Other, std::move(m)}; }
};

template <class T>
using StoreResult = Expected<T, StoreError>;

inline Unexpected<StoreError> store_error(std::string message) {
  return Unexpected<StoreError>{StoreError::other(std::move(message))};
}

// Values are bytes; a std::string holds them.
using Bytes = std::string;
using KeyValue = std::pair<std::string, Bytes>;
using MaybeKeyValue = std::pair<std::string, std::optional<Bytes>>;

// Spin refuses results bigger than this (spin_world::MAX_HOST_BUFFERED_BYTES,
// 128 MiB), counted as Rust sizes them: 24 bytes per Vec/String/Option<Vec>
// header plus the bytes.
inline constexpr size_t kMaxResultBytes = size_t(128) << 20;
inline constexpr size_t kRustVecHeader = 24;
std::string result_too_large_message();  // "query result exceeds limit of 134217728 bytes"

// A compare-and-swap of one key (wasi:keyvalue/atomics `cas`).
class Cas {
 public:
  virtual ~Cas() = default;
  const std::string& key() const { return key_; }
  // The key's value now (none: absent); what swap compares against.
  virtual StoreResult<std::optional<Bytes>> current() = 0;
  // Sets the key to `value` if it still holds what current() returned
  // (absent: if it is still absent); without a current() first, sets it.
  // false: the key changed meanwhile (cas-failed).
  virtual StoreResult<bool> swap(const Bytes& value) = 0;

 protected:
  explicit Cas(std::string key) : key_(std::move(key)) {}

 private:
  std::string key_;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual StoreResult<std::optional<Bytes>> get(const std::string& key) = 0;
  virtual StoreResult<void> set(const std::string& key, const Bytes& value) = 0;
  virtual StoreResult<void> del(const std::string& key) = 0;  // absent: not an error
  virtual StoreResult<bool> exists(const std::string& key) = 0;
  virtual StoreResult<std::vector<std::string>> keys() = 0;
  // A pair per key asked that exists, in the order asked, each once:
  // Spin's SQLite store selects `key IN (...)`, so absent keys are left
  // out rather than paired with none as the interface text says.
  virtual StoreResult<std::vector<MaybeKeyValue>> get_many(const std::vector<std::string>& keys) = 0;
  virtual StoreResult<void> set_many(const std::vector<KeyValue>& pairs) = 0;
  virtual StoreResult<void> delete_many(const std::vector<std::string>& keys) = 0;
  // Atomically adds `delta` (an absent key counts as 0) and returns the
  // new value; atomic across instances, threads and connections.
  virtual StoreResult<int64_t> increment(const std::string& key, int64_t delta) = 0;
  virtual StoreResult<std::unique_ptr<Cas>> new_cas(const std::string& key) = 0;
};

// How one label's store is reached; made at startup from the runtime
// config (errors there stop startup), connected at the first open.
class StoreProvider {
 public:
  virtual ~StoreProvider() = default;
  virtual StoreResult<std::shared_ptr<Store>> open(const std::string& label) = 0;
  // Spin's summary: `"…/sqlite_key_value.db"` (quoted), `a temporary
  // in-memory store`, `Redis at host:port`.
  virtual std::string summary() const = 0;
};

// The result-size checks Spin makes (kMaxResultBytes).
bool value_too_large(const std::optional<Bytes>& v);
bool keys_too_large(const std::vector<std::string>& keys);
bool pairs_too_large(const std::vector<MaybeKeyValue>& pairs);
// One pair's share of the total (Rust's (String, Option<Vec<u8>>) is 48 bytes).
inline size_t pair_bytes(const MaybeKeyValue& p) { return 2 * kRustVecHeader + p.first.size() + (p.second ? p.second->size() : 0); }

}  // namespace whirl::spin::key_value
