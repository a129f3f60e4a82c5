// The database layer against real SQLite files: values of every kind in
// and out, column names, the errors Spin gives (rusqlite's texts for
// SQLite's messages), one statement per query, batches, ATTACH refused.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sqlite3.h>

#include "../../scratch_dir.h"
#include "spin/sqlite/database.h"

namespace whirl::spin::sqlite {
namespace {

namespace fs = std::filesystem;

fs::path fresh(const std::string& name) {
  fs::path d = whirl::testing::scratch_dir("whirl-sqlite-db") / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

DatabaseLocation file(const fs::path& p) { return DatabaseLocation{false, p}; }

// Runs `sql` and fails the test on an error.
QueryResult run(Connection& c, std::string_view sql, std::vector<SqlValue> params = {}) {
  auto r = c.query(sql, params);
  EXPECT_TRUE(r) << sql << ": " << (r ? "" : r.error().message);
  return r ? *r : QueryResult{};
}
std::string error_of(Connection& c, std::string_view sql, std::vector<SqlValue> params = {}) {
  auto r = c.query(sql, params);
  EXPECT_FALSE(r) << sql << " succeeded";
  if (r) return "";
  EXPECT_EQ(r.error().kind, DbError::Kind::Io);
  return r.error().message;
}

TEST(SqliteDatabase, EveryValueKindRoundTrips) {
  auto dir = fresh("values");
  Connection c(file(dir / "a.db"), false);
  run(c, "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)");
  std::string blob("\x00\x01\xff\x7f", 4);
  std::vector<SqlValue> row = {SqlValue::of_integer(INT64_MIN), SqlValue::of_real(-2.5),
                               SqlValue::of_text("h\xc3\xa9llo\n'\"x"), SqlValue::of_blob(blob), SqlValue::null()};
  run(c, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", row);
  run(c, "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)",
      {SqlValue::of_integer(INT64_MAX), SqlValue::of_real(1e300), SqlValue::of_text(""), SqlValue::of_blob(""),
       SqlValue::of_integer(0)});
  QueryResult r = run(c, "SELECT i, r, s AS text_col, b, n FROM t ORDER BY rowid");
  EXPECT_EQ(r.columns, (std::vector<std::string>{"i", "r", "text_col", "b", "n"}));
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0], row);
  EXPECT_EQ(r.rows[1][0], SqlValue::of_integer(INT64_MAX));
  EXPECT_EQ(r.rows[1][1], SqlValue::of_real(1e300));
  EXPECT_EQ(r.rows[1][2], SqlValue::of_text(""));
  // SQLite keeps a zero-length blob as a blob.
  EXPECT_EQ(r.rows[1][3], SqlValue::of_blob(""));
  EXPECT_EQ(r.rows[1][4], SqlValue::of_integer(0));
  // Expressions: SQLite's own typing.
  r = run(c, "SELECT 1 + 1, 7 / 2.0, 'a' || 'b', x'00ff', NULL");
  EXPECT_EQ(r.columns, (std::vector<std::string>{"1 + 1", "7 / 2.0", "'a' || 'b'", "x'00ff'", "NULL"}));
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0], (std::vector<SqlValue>{SqlValue::of_integer(2), SqlValue::of_real(3.5), SqlValue::of_text("ab"),
                                              SqlValue::of_blob(std::string("\x00\xff", 2)), SqlValue::null()}));
}

TEST(SqliteDatabase, StatementsWithoutRowsHaveNoColumns) {
  auto dir = fresh("norows");
  Connection c(file(dir / "a.db"), false);
  QueryResult r = run(c, "CREATE TABLE t (x)");
  EXPECT_TRUE(r.columns.empty());
  EXPECT_TRUE(r.rows.empty());
  r = run(c, "SELECT x FROM t");
  EXPECT_EQ(r.columns, std::vector<std::string>{"x"});
  EXPECT_TRUE(r.rows.empty());
}

TEST(SqliteDatabase, ErrorsAreSqlitesMessages) {
  auto dir = fresh("errors");
  Connection c(file(dir / "a.db"), false);
  EXPECT_EQ(error_of(c, "SELECT * FROM nowhere"), "no such table: nowhere");
  EXPECT_EQ(error_of(c, "SELEC 1"), "near \"SELEC\": syntax error in SELEC 1 at offset 0");
  run(c, "CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)");
  run(c, "INSERT INTO u (v) VALUES ('a')");
  EXPECT_EQ(error_of(c, "SELECT nope FROM u"), "no such column: nope in SELECT nope FROM u at offset 7");
  EXPECT_EQ(error_of(c, "INSERT INTO u (v) VALUES ('a')"), "UNIQUE constraint failed: u.v");
  EXPECT_EQ(error_of(c, "INSERT INTO u (v) VALUES (NULL)"), "NOT NULL constraint failed: u.v");
  // rusqlite's count check: a missing value, and one too many.
  EXPECT_EQ(error_of(c, "SELECT ?, ?", {SqlValue::of_integer(1)}),
            "Wrong number of parameters passed to query. Got 1, needed 2");
  EXPECT_EQ(error_of(c, "SELECT ?", {SqlValue::of_integer(1), SqlValue::of_integer(2), SqlValue::of_integer(3)}),
            "Wrong number of parameters passed to query. Got 2, needed 1");
  EXPECT_EQ(error_of(c, "   -- nothing\n"), "bad parameter or other API misuse");
}

TEST(SqliteDatabase, OnlyTheFirstStatementRuns) {
  auto dir = fresh("first");
  Connection c(file(dir / "a.db"), false);
  QueryResult r = run(c, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
  EXPECT_TRUE(r.rows.empty());
  r = run(c, "SELECT count(*) FROM t");
  EXPECT_EQ(r.rows.at(0).at(0), SqlValue::of_integer(0));
}

TEST(SqliteDatabase, ChangesAndLastInsertRowid) {
  auto dir = fresh("changes");
  Connection c(file(dir / "a.db"), false);
  EXPECT_EQ(*c.changes(), 0u);
  EXPECT_EQ(*c.last_insert_rowid(), 0);
  run(c, "CREATE TABLE t (x)");
  run(c, "INSERT INTO t VALUES (1), (2), (3)");
  EXPECT_EQ(*c.changes(), 3u);
  EXPECT_EQ(*c.last_insert_rowid(), 3);
  run(c, "UPDATE t SET x = x + 1 WHERE x > 1");
  EXPECT_EQ(*c.changes(), 2u);
  EXPECT_EQ(*c.last_insert_rowid(), 3);
}

TEST(SqliteDatabase, ConnectionsShareTheFileAndDataPersists) {
  auto dir = fresh("persist");
  {
    Connection a(file(dir / "a.db"), false);
    run(a, "CREATE TABLE t (x)");
    run(a, "INSERT INTO t VALUES ('kept')");
  }
  Connection b(file(dir / "a.db"), false);
  EXPECT_EQ(run(b, "SELECT x FROM t").rows.at(0).at(0), SqlValue::of_text("kept"));
  // Checked with the sqlite3 library directly as well.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir / "a.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT x FROM t", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "kept");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST(SqliteDatabase, InMemoryDatabasesArePrivateToAConnection) {
  Connection a(DatabaseLocation{true, {}}, false), b(DatabaseLocation{true, {}}, false);
  run(a, "CREATE TABLE t (x)");
  EXPECT_EQ(error_of(b, "SELECT * FROM t"), "no such table: t");
}

TEST(SqliteDatabase, AttachOfAFileIsRefusedUnlessAllowed) {
  auto dir = fresh("attach");
  std::string other = (dir / "other.db").string();
  Connection denied(file(dir / "a.db"), false);
  EXPECT_EQ(error_of(denied, "ATTACH DATABASE '" + other + "' AS o"), "not authorized");
  EXPECT_FALSE(fs::exists(other));
  run(denied, "ATTACH DATABASE ':memory:' AS m");
  run(denied, "ATTACH DATABASE '' AS tmp");
  Connection allowed(file(dir / "b.db"), true);
  run(allowed, "ATTACH DATABASE '" + other + "' AS o");
  run(allowed, "CREATE TABLE o.t (x)");
  EXPECT_TRUE(fs::exists(other));
}

TEST(SqliteDatabase, AFileThatCannotBeOpenedIsAnIoErrorNamingIt) {
  auto dir = fresh("cannot");
  Connection c(file(dir / "missing-dir" / "a.db"), false);
  EXPECT_EQ(error_of(c, "SELECT 1"), "unable to open database file: " + (dir / "missing-dir" / "a.db").string());
}

TEST(SqliteDatabase, ResultsLargerThanTheLimitAreRefused) {
  auto dir = fresh("limit");
  Connection c(file(dir / "a.db"), false);
  // 48 for the result, 32 + 10 per value.
  auto r = c.query("SELECT '0123456789' UNION ALL SELECT 'abcdefghij'", {}, 48 + 42 * 2);
  EXPECT_TRUE(r);
  r = c.query("SELECT '0123456789' UNION ALL SELECT 'abcdefghij'", {}, 48 + 42 * 2 - 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "query result exceeds limit of 131 bytes");
}

TEST(SqliteDatabase, TextThatIsNotUtf8IsAnError) {
  auto dir = fresh("utf8");
  Connection c(file(dir / "a.db"), false);
  EXPECT_EQ(error_of(c, "SELECT CAST(x'ff00' AS TEXT)"), "internal runtime error");
}

TEST(SqliteDatabase, BatchesRunEveryStatement) {
  auto dir = fresh("batch");
  Connection c(file(dir / "a.db"), false);
  ASSERT_TRUE(c.execute_batch("CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n-- a comment\n"
                              "INSERT INTO t VALUES (2); SELECT * FROM t;\n"));
  EXPECT_EQ(run(c, "SELECT sum(x) FROM t").rows.at(0).at(0), SqlValue::of_integer(3));
  auto bad = c.execute_batch("INSERT INTO t VALUES (3); INSERT INTO nowhere VALUES (1); INSERT INTO t VALUES (4)");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("no such table: nowhere", 0), 0u) << bad.error().message;
  EXPECT_EQ(run(c, "SELECT sum(x) FROM t").rows.at(0).at(0), SqlValue::of_integer(6));
}

TEST(SqliteDatabase, AStopRequestEndsALongStatement) {
  Connection c(DatabaseLocation{true, {}}, false);
  int asked = 0;
  auto r = c.query(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n", {}, kMaxResultBytes,
      [&] { return ++asked > 3; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "interrupted");
}

}  // namespace
}  // namespace whirl::spin::sqlite
