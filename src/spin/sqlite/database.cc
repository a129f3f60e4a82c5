#include "spin/sqlite/database.h"

#include <sqlite3.h>

namespace whirl::spin::sqlite {
namespace {

// rusqlite's text for a failed call: SQLite's message for the connection
// when it is about this failure, else the generic text of the code.
std::string message_of(sqlite3* db, int code) {
  if (db && sqlite3_errcode(db) == code) return sqlite3_errmsg(db);
  const char* s = sqlite3_errstr(code);
  return s ? s : "Error code " + std::to_string(code);
}

// A failed prepare: a syntax error (plain SQLITE_ERROR with a known
// offset) reads "MSG in SQL at offset N", as rusqlite's SqlInputError.
std::string prepare_message(sqlite3* db, int code, std::string_view sql) {
  std::string msg = message_of(db, code);
  if ((code & 0xff) == SQLITE_ERROR) {
    int offset = sqlite3_error_offset(db);
    if (offset >= 0) return msg + " in " + std::string(sql) + " at offset " + std::to_string(offset);
  }
  return msg;
}

// Spin refuses ATTACH of an existing file unless `allow_attach_file`.
int deny_attach_file(void*, int action, const char* file, const char*, const char*, const char*) {
  if (action != SQLITE_ATTACH) return SQLITE_OK;
  std::string_view f = file ? file : "";
  return f.empty() || f == ":memory:" ? SQLITE_OK : SQLITE_DENY;
}

struct Statement {
  sqlite3_stmt* s = nullptr;
  ~Statement() { sqlite3_finalize(s); }
};

int bind(sqlite3_stmt* s, int i, const SqlValue& v) {
  switch (v.kind) {
    case SqlValue::Kind::Integer: return sqlite3_bind_int64(s, i, v.integer);
    case SqlValue::Kind::Real: return sqlite3_bind_double(s, i, v.real);
    case SqlValue::Kind::Text:
      return sqlite3_bind_text64(s, i, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    case SqlValue::Kind::Blob: return sqlite3_bind_blob64(s, i, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
    case SqlValue::Kind::Null: return sqlite3_bind_null(s, i);
  }
  return SQLITE_MISUSE;
}

SqlValue column(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: return SqlValue::of_integer(sqlite3_column_int64(s, i));
    case SQLITE_FLOAT: return SqlValue::of_real(sqlite3_column_double(s, i));
    case SQLITE_TEXT: {
      auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      return SqlValue::of_text(std::string(p ? p : "", size_t(sqlite3_column_bytes(s, i))));
    }
    case SQLITE_BLOB: {
      auto p = static_cast<const char*>(sqlite3_column_blob(s, i));
      return SqlValue::of_blob(std::string(p ? p : "", size_t(sqlite3_column_bytes(s, i))));
    }
    default: return SqlValue::null();
  }
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = s[i + k];
      if ((d >> 6) != 2) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

// Spin's accounting (Value::memory_size): each value is the enum's size
// (32 bytes) plus its text or blob; the result itself is 48.
constexpr size_t kValueSize = 32, kResultSize = 48;

}  // namespace

std::string DbError::label() const {
  switch (kind) {
    case Kind::NoSuchDatabase: return "no-such-database";
    case Kind::AccessDenied: return "access-denied";
    case Kind::InvalidConnection: return "invalid-connection";
    case Kind::DatabaseFull: return "database-full";
    case Kind::Io: return "io";
  }
  return "io";
}

std::string DatabaseLocation::describe() const {
  return in_memory ? "a temporary in-memory database" : "\"" + path.string() + "\"";
}

Connection::Connection(DatabaseLocation location, bool allow_attach_file)
    : location_(std::move(location)), allow_attach_file_(allow_attach_file) {}

Connection::~Connection() {
  if (db_) sqlite3_close_v2(db_);
}

Expected<sqlite3*, DbError> Connection::db() {
  if (db_) return db_;
  const std::string name = location_.in_memory ? ":memory:" : location_.path.string();
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  int r = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  if (r != SQLITE_OK) {
    std::string msg = db ? message_of(db, r) : name;
    if (db && (r & 0xff) == SQLITE_CANTOPEN) msg += ": " + name;
    sqlite3_close_v2(db);
    return unexpected(DbError::io(msg));
  }
  sqlite3_extended_result_codes(db, 1);
  // rusqlite waits up to 5 s for another connection's lock.
  sqlite3_busy_timeout(db, 5000);
  if (!allow_attach_file_) sqlite3_set_authorizer(db, deny_attach_file, nullptr);
  db_ = db;
  return db_;
}

Expected<QueryResult, DbError> Connection::query(std::string_view sql, std::span<const SqlValue> params,
                                                 size_t max_result_bytes, const std::function<bool()>& stop) {
  std::lock_guard lock(mu_);
  auto db = this->db();
  if (!db) return unexpected(db.error());
  struct Progress {
    sqlite3* db;
    ~Progress() { sqlite3_progress_handler(db, 0, nullptr, nullptr); }
  } progress{*db};
  if (stop)
    sqlite3_progress_handler(
        *db, 10000, [](void* f) { return (*static_cast<const std::function<bool()>*>(f))() ? 1 : 0; },
        const_cast<std::function<bool()>*>(&stop));
  Statement st;
  int r = sqlite3_prepare_v2(*db, sql.data(), int(sql.size()), &st.s, nullptr);
  if (r != SQLITE_OK) return unexpected(DbError::io(prepare_message(*db, r, sql)));
  QueryResult out;
  int ncols = st.s ? sqlite3_column_count(st.s) : 0;
  for (int i = 0; i < ncols; ++i) {
    const char* n = sqlite3_column_name(st.s, i);
    out.columns.emplace_back(n ? n : "");
  }
  // As rusqlite binds: every declared parameter gets one value, no more.
  size_t expected = st.s ? size_t(sqlite3_bind_parameter_count(st.s)) : 0;
  size_t given = 0;
  for (const SqlValue& v : params) {
    if (++given > expected) break;
    if (int b = bind(st.s, int(given), v); b != SQLITE_OK) return unexpected(DbError::io(message_of(*db, b)));
  }
  if (given != expected)
    return unexpected(DbError::io("Wrong number of parameters passed to query. Got " + std::to_string(given) +
                                  ", needed " + std::to_string(expected)));
  // Empty text (only whitespace or comments) has no statement: stepping
  // it is SQLite's misuse error, as Spin reports it.
  if (!st.s) return unexpected(DbError::io(sqlite3_errstr(SQLITE_MISUSE)));
  size_t bytes = kResultSize;
  while (true) {
    r = sqlite3_step(st.s);
    if (r == SQLITE_DONE) break;
    if (r != SQLITE_ROW) return unexpected(DbError::io(message_of(*db, r)));
    std::vector<SqlValue> row;
    row.reserve(size_t(ncols));
    for (int i = 0; i < ncols; ++i) {
      row.push_back(column(st.s, i));
      // Spin's conversion of text that is not UTF-8 panics in its worker,
      // which the guest sees as this error.
      if (row.back().kind == SqlValue::Kind::Text && !valid_utf8(row.back().bytes))
        return unexpected(DbError::io("internal runtime error"));
      bytes += kValueSize + row.back().bytes.size();
    }
    if (bytes > max_result_bytes)
      return unexpected(DbError::io("query result exceeds limit of " + std::to_string(max_result_bytes) + " bytes"));
    out.rows.push_back(std::move(row));
  }
  return out;
}

Expected<void, DbError> Connection::execute_batch(std::string_view sql) {
  std::lock_guard lock(mu_);
  auto db = this->db();
  if (!db) return unexpected(db.error());
  while (!sql.empty()) {
    Statement st;
    const char* tail = nullptr;
    int r = sqlite3_prepare_v2(*db, sql.data(), int(sql.size()), &st.s, &tail);
    if (r != SQLITE_OK) return unexpected(DbError::io(prepare_message(*db, r, sql)));
    if (st.s) {
      r = sqlite3_step(st.s);
      if (r != SQLITE_ROW && r != SQLITE_DONE) return unexpected(DbError::io(message_of(*db, r)));
    }
    size_t used = tail ? size_t(tail - sql.data()) : 0;
    if (used == 0 || used >= sql.size()) break;
    sql.remove_prefix(used);
  }
  return {};
}

Expected<uint64_t, DbError> Connection::changes() {
  std::lock_guard lock(mu_);
  auto db = this->db();
  if (!db) return unexpected(db.error());
  return uint64_t(sqlite3_changes64(*db));
}

Expected<int64_t, DbError> Connection::last_insert_rowid() {
  std::lock_guard lock(mu_);
  auto db = this->db();
  if (!db) return unexpected(db.error());
  return int64_t(sqlite3_last_insert_rowid(*db));
}

}  // namespace whirl::spin::sqlite
