// SQLite databases as Spin's in-process backend (crates/sqlite-inproc)
// uses them: every `open` is a new connection, opened at its first use; a
// statement is prepared alone (text after the first statement is ignored),
// its parameters bound by position, every row read whole into values of
// the interface's five kinds. Error texts are those Spin gives the guest
// (rusqlite's, from SQLite's own messages) inside the `io` case.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

struct sqlite3;

namespace whirl::spin::sqlite {

// The interface's `value` variant.
struct SqlValue {
  enum class Kind : uint8_t { Integer, Real, Text, Blob, Null };
  Kind kind = Kind::Null;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  // Text (UTF-8) or Blob

  static SqlValue null() { return {}; }
  static SqlValue of_integer(int64_t v) { return {Kind::Integer, v, 0, {}}; }
  static SqlValue of_real(double v) { return {Kind::Real, 0, v, {}}; }
  static SqlValue of_text(std::string v) { return {Kind::Text, 0, 0, std::move(v)}; }
  static SqlValue of_blob(std::string v) { return {Kind::Blob, 0, 0, std::move(v)}; }
  bool operator==(const SqlValue&) const = default;
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;
};

// The interface's `error` variant.
struct DbError {
  enum class Kind : uint8_t { NoSuchDatabase, AccessDenied, InvalidConnection, DatabaseFull, Io };
  Kind kind = Kind::Io;
  std::string message;  // Io
  static DbError io(std::string m) { return {Kind::Io, std::move(m)}; }
  std::string label() const;  // "no-such-database", ..., "io"
};

// Where a database lives: a file, or (a `type = "spin"` entry without
// `path`) a private in-memory database per connection, as in Spin.
struct DatabaseLocation {
  bool in_memory = false;
  std::filesystem::path path;
  std::string describe() const;  // "\"PATH\"" or "a temporary in-memory database"
};

// The largest result Spin buffers for the guest (spin_world::MAX_HOST_BUFFERED_BYTES),
// counted as Spin counts it.
inline constexpr size_t kMaxResultBytes = size_t(128) << 20;

class Connection {
 public:
  // `allow_attach_file`: false refuses `ATTACH` of a file (a new temporary
  // or `:memory:` database may still be attached), Spin's default.
  Connection(DatabaseLocation location, bool allow_attach_file);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs the first statement of `sql` with `params` bound to ?1..?N and
  // returns its column names and every row. `stop`, asked now and then
  // while SQLite works, ends the statement early (an `interrupted` error).
  Expected<QueryResult, DbError> query(std::string_view sql, std::span<const SqlValue> params,
                                       size_t max_result_bytes = kMaxResultBytes,
                                       const std::function<bool()>& stop = {});
  // Runs every statement of `sql` in turn (each stepped once), as
  // rusqlite's execute_batch does for `spin up --sqlite @file`.
  Expected<void, DbError> execute_batch(std::string_view sql);
  Expected<uint64_t, DbError> changes();
  Expected<int64_t, DbError> last_insert_rowid();

  const DatabaseLocation& location() const { return location_; }

 private:
  Expected<sqlite3*, DbError> db();  // opens at first use; called with mu_ held

  DatabaseLocation location_;
  bool allow_attach_file_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

}  // namespace whirl::spin::sqlite
