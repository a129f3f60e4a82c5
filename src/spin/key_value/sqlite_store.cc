#include "spin/key_value/sqlite_store.h"

#include <sqlite3.h>

#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <system_error>

namespace whirl::spin::key_value {
namespace {

// One connection, used under its mutex by every store of the provider
// (SQLite's own locking covers other connections to the same file).
class Db {
 public:
  ~Db() {
    for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
    if (db_) sqlite3_close_v2(db_);
  }

  static StoreResult<std::shared_ptr<Db>> open(const std::filesystem::path& path) {
    auto d = std::make_shared<Db>();
    std::string name = path.empty() ? std::string(":memory:") : path.string();
    if (!path.empty() && path.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) return store_error("cannot create the directory of key-value store " + name + ": " + ec.message());
    }
    int rc = sqlite3_open_v2(name.c_str(), &d->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = d->db_ ? sqlite3_errmsg(d->db_) : sqlite3_errstr(rc);
      return store_error("cannot open key-value store " + name + ": " + msg);
    }
    sqlite3_busy_timeout(d->db_, 5000);  // another connection to the file holds its lock
    // WAL: a commit is one append; synchronous=NORMAL keeps every commit
    // through a killed process (only power loss may lose the last ones).
    const char* setup = path.empty() ? "" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
    if (auto ok = d->exec(setup); !ok) return unexpected(ok.error());
    if (auto ok = d->exec("CREATE TABLE IF NOT EXISTS spin_key_value ("
                          " store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
                          " PRIMARY KEY (store, key))");
        !ok)
      return store_error("cannot open key-value store " + name + ": " + ok.error().message);
    return d;
  }

  std::mutex mu;

  StoreResult<void> exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) == SQLITE_OK) return {};
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return store_error("SQLite: " + msg);
  }

  // A prepared statement (kept for reuse), reset and bound to `args`:
  // strings as text, except those whose 1-based index has its bit in
  // `blobs` set, as blobs (values are blobs, as Spin writes them).
  StoreResult<sqlite3_stmt*> stmt(const char* sql, std::initializer_list<const std::string*> args, unsigned blobs = 0) {
    sqlite3_stmt*& st = stmts_[sql];
    if (!st && sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) return failure();
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    int i = 1;
    for (const std::string* a : args) {
      int rc = (blobs >> i) & 1 ? sqlite3_bind_blob(st, i, a->data(), int(a->size()), SQLITE_TRANSIENT)
                               : sqlite3_bind_text(st, i, a->data(), int(a->size()), SQLITE_TRANSIENT);
      if (rc != SQLITE_OK) return failure();
      ++i;
    }
    return st;
  }

  Unexpected<StoreError> failure() { return store_error(std::string("SQLite: ") + sqlite3_errmsg(db_)); }
  int changes() { return sqlite3_changes(db_); }

  // Runs a statement that returns no rows.
  StoreResult<void> run(const char* sql, std::initializer_list<const std::string*> args, unsigned blobs = 0) {
    auto st = stmt(sql, args, blobs);
    if (!st) return unexpected(st.error());
    int rc = sqlite3_step(*st);
    sqlite3_reset(*st);
    if (rc != SQLITE_DONE) return failure();
    return {};
  }

  // The value column of the first row (none: no row).
  StoreResult<std::optional<Bytes>> value(const std::string& store, const std::string& key) {
    auto st = stmt("SELECT value FROM spin_key_value WHERE store=?1 AND key=?2", {&store, &key});
    if (!st) return unexpected(st.error());
    int rc = sqlite3_step(*st);
    std::optional<Bytes> out;
    if (rc == SQLITE_ROW) {
      const void* p = sqlite3_column_blob(*st, 0);
      out = Bytes(static_cast<const char*>(p), size_t(sqlite3_column_bytes(*st, 0)));
      rc = SQLITE_DONE;
    }
    sqlite3_reset(*st);
    if (rc != SQLITE_DONE) return failure();
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
  std::map<const char*, sqlite3_stmt*> stmts_;  // by the SQL literal's address
};

constexpr unsigned kBlob3 = 1u << 3;  // the third parameter is the value
constexpr const char* kUpsert =
    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)"
    " ON CONFLICT(store, key) DO UPDATE SET value=excluded.value";

// BEGIN ... COMMIT, rolled back when `body` fails. IMMEDIATE (a writer)
// takes the write lock at the start, so no other connection changes what
// the body read before it writes.
template <class F>
auto transaction(Db& db, F body, bool immediate = true) -> decltype(body()) {
  if (auto ok = db.exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN"); !ok) return unexpected(ok.error());
  auto r = body();
  if (!r) {
    (void)db.exec("ROLLBACK");
    return r;
  }
  if (auto ok = db.exec("COMMIT"); !ok) {
    (void)db.exec("ROLLBACK");
    return unexpected(ok.error());
  }
  return r;
}

class SqliteCas final : public Cas {
 public:
  SqliteCas(std::shared_ptr<Db> db, std::string store, std::string key)
      : Cas(std::move(key)), db_(std::move(db)), store_(std::move(store)) {}

  StoreResult<std::optional<Bytes>> current() override {
    std::lock_guard lock(db_->mu);
    auto v = db_->value(store_, key());
    if (!v) return v;
    seen_ = *v;
    if (value_too_large(*v)) return store_error(result_too_large_message());
    return v;
  }

  StoreResult<bool> swap(const Bytes& value) override {
    std::lock_guard lock(db_->mu);
    const std::string& k = key();
    if (!seen_) {  // nothing read to compare with: a plain set
      if (auto ok = db_->run(kUpsert, {&store_, &k, &value}, kBlob3); !ok) return unexpected(ok.error());
      return true;
    }
    if (*seen_) {
      const Bytes& old = **seen_;
      auto ok = db_->run("UPDATE spin_key_value SET value=?1 WHERE store=?2 AND key=?3 AND value=?4",
                         {&value, &store_, &k, &old}, (1u << 1) | (1u << 4));
      if (!ok) return unexpected(ok.error());
      return db_->changes() == 1;
    }
    // It was absent: insert, but never over a value written since.
    auto ok = db_->run("INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                       {&store_, &k, &value}, kBlob3);
    if (!ok) return unexpected(ok.error());
    return db_->changes() == 1;
  }

 private:
  std::shared_ptr<Db> db_;
  std::string store_;
  std::optional<std::optional<Bytes>> seen_;  // what current() read
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::shared_ptr<Db> db, std::string label) : db_(std::move(db)), label_(std::move(label)) {}

  StoreResult<std::optional<Bytes>> get(const std::string& key) override {
    std::lock_guard lock(db_->mu);
    auto v = db_->value(label_, key);
    if (v && value_too_large(*v)) return store_error(result_too_large_message());
    return v;
  }
  StoreResult<void> set(const std::string& key, const Bytes& value) override {
    std::lock_guard lock(db_->mu);
    return db_->run(kUpsert, {&label_, &key, &value}, kBlob3);
  }
  StoreResult<void> del(const std::string& key) override {
    std::lock_guard lock(db_->mu);
    return db_->run("DELETE FROM spin_key_value WHERE store=?1 AND key=?2", {&label_, &key});
  }
  StoreResult<bool> exists(const std::string& key) override {
    std::lock_guard lock(db_->mu);
    auto v = db_->value(label_, key);
    if (!v) return unexpected(v.error());
    return v->has_value();
  }
  StoreResult<std::vector<std::string>> keys() override {
    std::lock_guard lock(db_->mu);
    auto st = db_->stmt("SELECT key FROM spin_key_value WHERE store=?1", {&label_});
    if (!st) return unexpected(st.error());
    std::vector<std::string> out;
    size_t total = kRustVecHeader;
    int rc;
    while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
      const unsigned char* p = sqlite3_column_text(*st, 0);
      out.emplace_back(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(*st, 0)));
      total += kRustVecHeader + out.back().size();
      if (total > kMaxResultBytes) {
        sqlite3_reset(*st);
        return store_error(result_too_large_message());
      }
    }
    sqlite3_reset(*st);
    if (rc != SQLITE_DONE) return db_->failure();
    return out;
  }
  StoreResult<std::vector<MaybeKeyValue>> get_many(const std::vector<std::string>& keys) override {
    std::lock_guard lock(db_->mu);
    // One read transaction: the values are of one moment.
    return transaction(*db_, [&]() -> StoreResult<std::vector<MaybeKeyValue>> {
      std::vector<MaybeKeyValue> out;
      std::set<std::string_view> seen;
      size_t total = kRustVecHeader;
      for (const auto& k : keys) {
        if (!seen.insert(k).second) continue;
        auto v = db_->value(label_, k);
        if (!v) return unexpected(v.error());
        if (!*v) continue;
        out.emplace_back(k, std::move(*v));
        total += pair_bytes(out.back());
        if (total > kMaxResultBytes) return store_error(result_too_large_message());
      }
      return out;
    }, false);
  }
  StoreResult<void> set_many(const std::vector<KeyValue>& pairs) override {
    std::lock_guard lock(db_->mu);
    return transaction(*db_, [&]() -> StoreResult<void> {
      for (const auto& [k, v] : pairs)
        if (auto ok = db_->run(kUpsert, {&label_, &k, &v}, kBlob3); !ok) return ok;
      return {};
    });
  }
  StoreResult<void> delete_many(const std::vector<std::string>& keys) override {
    std::lock_guard lock(db_->mu);
    return transaction(*db_, [&]() -> StoreResult<void> {
      for (const auto& k : keys)
        if (auto ok = db_->run("DELETE FROM spin_key_value WHERE store=?1 AND key=?2", {&label_, &k}); !ok) return ok;
      return {};
    });
  }
  // As Spin's SQLite store keeps counters: 8 little-endian bytes.
  StoreResult<int64_t> increment(const std::string& key, int64_t delta) override {
    std::lock_guard lock(db_->mu);
    return transaction(*db_, [&]() -> StoreResult<int64_t> {
      auto v = db_->value(label_, key);
      if (!v) return unexpected(v.error());
      uint64_t n = 0;
      if (*v) {
        if ((*v)->size() != 8)
          return store_error("the value of key `" + key + "` is not a counter (increment keeps 8 little-endian bytes; it has " +
                             std::to_string((*v)->size()) + ")");
        for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t((**v)[size_t(i)]);
      }
      n += uint64_t(delta);  // two's complement wrap, as Rust's release build
      Bytes out(8, '\0');
      for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
      if (auto ok = db_->run(kUpsert, {&label_, &key, &out}, kBlob3); !ok) return unexpected(ok.error());
      return int64_t(n);
    });
  }
  StoreResult<std::unique_ptr<Cas>> new_cas(const std::string& key) override {
    return std::unique_ptr<Cas>(new SqliteCas(db_, label_, key));
  }

 private:
  std::shared_ptr<Db> db_;
  std::string label_;
};

class SqliteProvider final : public StoreProvider {
 public:
  explicit SqliteProvider(std::filesystem::path path) : path_(std::move(path)) {}

  StoreResult<std::shared_ptr<Store>> open(const std::string& label) override {
    std::lock_guard lock(mu_);
    if (!db_) {  // not kept on failure: the next open tries again, as Spin's does
      auto d = Db::open(path_);
      if (!d) return unexpected(d.error());
      db_ = std::move(*d);
    }
    return std::shared_ptr<Store>(std::make_shared<SqliteStore>(db_, label));
  }
  std::string summary() const override {
    return path_.empty() ? std::string("a temporary in-memory store") : "\"" + path_.string() + "\"";
  }

 private:
  std::filesystem::path path_;
  std::mutex mu_;
  std::shared_ptr<Db> db_;
};

}  // namespace

std::shared_ptr<StoreProvider> sqlite_provider(std::filesystem::path path) {
  return std::make_shared<SqliteProvider>(std::move(path));
}

}  // namespace whirl::spin::key_value
