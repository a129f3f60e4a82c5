// `whirl up` serving a JS guest (componentize-js, built here from
// js/guest.js) that imports every SQLite interface version Spin links:
// values of every kind through parameters and rows, access-denied for a
// database not granted, `--sqlite` seeding (read back with the sqlite3
// library), data surviving a restart, startup errors. Expected values
// follow Spin's behaviour (crates/factor-sqlite, crates/sqlite-inproc).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <nlohmann/json.hpp>

#include "../support/js_guest.h"
#include "../support/up_app.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kManifest = R"(spin_manifest_version = 2
[application]
name = "sqlite-app"

[[trigger.http]]
route = "/granted/..."
component = "granted"

[[trigger.http]]
route = "/bare/..."
component = "bare"

[component.granted]
source = "guest.wasm"
sqlite_databases = ["default", "other"]

[component.bare]
source = "guest.wasm"
)";

// The guest, built once per test process.
const Expected<fs::path>& sqlite_guest() {
  static const Expected<fs::path> built = build_js_guest(
      {"tests/spin/sqlite/js",
       {"tests/spin/sqlite/js/guest.js", "wit/spin-fermyon-2.0.0/sqlite.wit", "wit/spin-fermyon-v1/sqlite.wit",
        "wit/spin-sqlite-3.1.0/sqlite.wit"},
       WHIRL_SQLITE_GUEST_DIR,
       fs::path(WHIRL_SQLITE_GUEST_DIR) / "guest.wasm"});
  return built;
}

class UpSqlite : public ::testing::Test {
 protected:
  void SetUp() override {
    WHIRL_REQUIRE_JS_GUEST(sqlite_guest());
    app_ = std::make_unique<UpApp>("sqlite", kManifest, *sqlite_guest(), "guest.wasm");
    dir_ = app_->dir();
    app_->write("rc.toml", "[sqlite_database.other]\ntype = \"spin\"\npath = \"other.db\"\n");
  }

  // `whirl up` in the app's directory (relative runtime-config paths start
  // there, as Spin's do at its current directory).
  static std::vector<std::string> args(const std::vector<std::string>& extra) {
    std::vector<std::string> a{"--listen", "127.0.0.1:0", "--runtime-config-file", "rc.toml"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  void serve(const std::vector<std::string>& extra = {}) {
    ASSERT_NE(app_->serve({}, args(extra)), 0) << app_->stderr_text();
  }
  // Stops the server with SIGTERM and waits for it.
  void stop() { EXPECT_EQ(app_->stop(SIGTERM, std::chrono::seconds(20)), 0); }
  // Startup fails: the exit code is 1 and it says why.
  std::string startup_error(const std::vector<std::string>& extra = {}) { return app_->startup_error({}, args(extra)); }

  // POST the steps to /COMPONENT/VERSION and parse the guest's answer.
  json run(const std::string& component, const std::string& version, const std::string& db, json steps) {
    return app_->post_json("/" + component + "/" + version, json{{"db", db}, {"steps", std::move(steps)}});
  }
  static json step(const std::string& sql, json params = json::array()) {
    return json{{"sql", sql}, {"params", std::move(params)}};
  }

  // The rows of `sql` on the database file, read with the sqlite3 library.
  static std::vector<std::string> file_rows(const fs::path& db, const std::string& sql) {
    std::vector<std::string> out;
    sqlite3* h = nullptr;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(h);
      return {"<cannot open " + db.string() + ">"};
    }
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) out.push_back(sqlite3_errmsg(h));
    while (s && sqlite3_step(s) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        auto t = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
        row += (i ? "|" : "") + std::string(t ? t : "NULL");
      }
      out.push_back(row);
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
    return out;
  }

  std::unique_ptr<UpApp> app_;
  fs::path dir_;  // the app's
};

TEST_F(UpSqlite, EveryValueKindThroughEveryVersion) {
  ASSERT_NO_FATAL_FAILURE(serve());
  const json values = json::array({json::array({"integer", "-9223372036854775808"}), json::array({"real", 2.5}),
                                   json::array({"text", "h\u00e9llo 'x'"}), json::array({"blob", "00ff10"}),
                                   json::array({"null"})});
  for (const char* v : {"v1", "v2", "v3"}) {
    SCOPED_TRACE(v);
    json r = run("granted", v, "default",
                 json::array({step("CREATE TABLE IF NOT EXISTS t (i INTEGER, r REAL, s TEXT, b BLOB, n)"),
                              step("DELETE FROM t"), step("INSERT INTO t VALUES (?, ?, ?, ?, ?)", values),
                              step("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)",
                                   json::array({json::array({"integer", "9223372036854775807"}),
                                                json::array({"real", -0.125}), json::array({"text", ""}),
                                                json::array({"blob", ""}), json::array({"integer", "7"})})),
                              step("SELECT i, r, s AS label, b, n FROM t ORDER BY rowid")}));
    ASSERT_EQ(r["results"].size(), 5u) << r.dump();
    for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(r["results"][i].contains("ok")) << r.dump();
    json sel = r["results"][4]["ok"];
    EXPECT_EQ(sel["columns"], json::array({"i", "r", "label", "b", "n"}));
    ASSERT_EQ(sel["rows"].size(), 2u) << sel.dump();
    EXPECT_EQ(sel["rows"][0], values);
    EXPECT_EQ(sel["rows"][1], json::array({json::array({"integer", "9223372036854775807"}), json::array({"real", -0.125}),
                                           json::array({"text", ""}), json::array({"blob", ""}),
                                           json::array({"integer", "7"})}));
    if (std::string(v) == "v3") {
      // changes / last-insert-rowid after the second INSERT, and after the SELECT (unchanged).
      EXPECT_EQ(r["results"][3]["changes"], "1");
      EXPECT_EQ(r["results"][3]["rowid"], "2");
      EXPECT_EQ(r["results"][4]["rowid"], "2");
    }
  }
  // What the guest wrote is in the default database, <app>/.spin/sqlite_db.db.
  EXPECT_EQ(file_rows(dir_ / ".spin" / "sqlite_db.db", "SELECT i, typeof(r), s, hex(b), typeof(n) FROM t ORDER BY rowid"),
            (std::vector<std::string>{"-9223372036854775808|real|h\u00e9llo 'x'|00FF10|null", "9223372036854775807|real||"
                                                                                              "|integer"}));
}

TEST_F(UpSqlite, ErrorsAsSpinGivesThem) {
  ASSERT_NO_FATAL_FAILURE(serve());
  // Not granted: access-denied, whether the database exists or not.
  for (const char* v : {"v1", "v2", "v3"}) {
    SCOPED_TRACE(v);
    EXPECT_EQ(run("bare", v, "default", json::array())["open"], json({{"tag", "access-denied"}}));
    EXPECT_EQ(run("granted", v, "nope", json::array())["open"], json({{"tag", "access-denied"}}));
  }
  json r = run("granted", "v2", "default",
               json::array({step("SELECT * FROM missing"), step("SELECT ?, ?", json::array({json::array({"null"})})),
                            step("SELEC 1")}));
  EXPECT_EQ(r["results"][0]["err"],
            json({{"tag", "io"}, {"val", "no such table: missing"}}));
  EXPECT_EQ(r["results"][1]["err"],
            json({{"tag", "io"}, {"val", "Wrong number of parameters passed to query. Got 1, needed 2"}}));
  EXPECT_EQ(r["results"][2]["err"], json({{"tag", "io"}, {"val", "near \"SELEC\": syntax error in SELEC 1 at offset 0"}}));
}

TEST_F(UpSqlite, SqliteOptionSeedsTheDefaultDatabase) {
  std::ofstream(dir_ / "seed.sql") << "CREATE TABLE pets (name TEXT, age INTEGER);\n"
                                      "INSERT INTO pets VALUES ('rex', 3);\nINSERT INTO pets VALUES ('tom', 5);\n";
  std::ofstream(dir_ / "other.sql") << "CREATE TABLE o (x); INSERT INTO o VALUES ('in other');\n";
  ASSERT_NO_FATAL_FAILURE(
      serve({"--sqlite", "@seed.sql", "--sqlite", "INSERT INTO pets VALUES ('kit', 1)", "--sqlite", "@other.sql:other"}));
  EXPECT_EQ(file_rows(dir_ / ".spin" / "sqlite_db.db", "SELECT name, age FROM pets ORDER BY age"),
            (std::vector<std::string>{"kit|1", "rex|3", "tom|5"}));
  EXPECT_EQ(file_rows(dir_ / "other.db", "SELECT x FROM o"), std::vector<std::string>{"in other"});
  json r = run("granted", "v2", "default", json::array({step("SELECT sum(age) FROM pets")}));
  EXPECT_EQ(r["results"][0]["ok"]["rows"], json::array({json::array({json::array({"integer", "9"})})}));
  r = run("granted", "v3", "other", json::array({step("SELECT x FROM o")}));
  EXPECT_EQ(r["results"][0]["ok"]["rows"], json::array({json::array({json::array({"text", "in other"})})}));
}

TEST_F(UpSqlite, DataSurvivesARestart) {
  ASSERT_NO_FATAL_FAILURE(serve());
  json r = run("granted", "v2", "other",
               json::array({step("CREATE TABLE k (v TEXT)"), step("INSERT INTO k VALUES (?)",
                                                                   json::array({json::array({"text", "kept"})}))}));
  EXPECT_TRUE(r["results"][1].contains("ok")) << r.dump();
  run("granted", "v3", "default", json::array({step("CREATE TABLE d (v)"), step("INSERT INTO d VALUES (42)")}));
  stop();
  ASSERT_NO_FATAL_FAILURE(serve());
  r = run("granted", "v3", "other", json::array({step("SELECT v FROM k")}));
  EXPECT_EQ(r["results"][0]["ok"]["rows"], json::array({json::array({json::array({"text", "kept"})})})) << r.dump();
  r = run("granted", "v1", "default", json::array({step("SELECT v FROM d")}));
  EXPECT_EQ(r["results"][0]["ok"]["rows"], json::array({json::array({json::array({"integer", "42"})})})) << r.dump();
  EXPECT_EQ(file_rows(dir_ / "other.db", "SELECT v FROM k"), std::vector<std::string>{"kept"});
}

TEST_F(UpSqlite, ConcurrentUpdatesAreNotLost) {
  ASSERT_NO_FATAL_FAILURE(serve({"--sqlite", "CREATE TABLE c (n INTEGER)", "--sqlite", "INSERT INTO c VALUES (0)"}));
  // Each request its own instance and connection; SQLite's lock (and the
  // 5 s busy wait Spin's connections have) serializes the writers.
  constexpr int kRequests = 30;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kRequests; ++i)
    threads.emplace_back([&] {
      json r = run("granted", "v2", "default", json::array({step("UPDATE c SET n = n + 1")}));
      if (r.contains("results") && r["results"][0].contains("ok")) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kRequests);
  EXPECT_EQ(file_rows(dir_ / ".spin" / "sqlite_db.db", "SELECT n FROM c"), std::vector<std::string>{"30"});
}

TEST_F(UpSqlite, StartupErrors) {
  // A runtime-config database of a type whirl does not have: FILE:LINE:COLUMN.
  std::ofstream(dir_ / "rc.toml") << "[sqlite_database.other]\ntype = \"libsql\"\nurl = \"https://db.example\"\n"
                                     "token = \"t\"\n";
  std::string err = startup_error();
  EXPECT_NE(err.find("rc.toml:2:8: [sqlite_database.other]: database type `libsql` is not supported by whirl"),
            std::string::npos)
      << err;
  // A granted database nobody defined: Spin's message.
  std::ofstream(dir_ / "rc.toml") << "";
  err = startup_error();
  EXPECT_NE(err.find("One or more components use SQLite databases which are not defined."), std::string::npos) << err;
  EXPECT_NE(err.find("- Component granted uses database 'other'"), std::string::npos) << err;
  // A failing --sqlite statement stops startup, naming it.
  std::ofstream(dir_ / "rc.toml") << "[sqlite_database.other]\ntype = \"spin\"\npath = \"other.db\"\n";
  err = startup_error({"--sqlite", "INSERT INTO nowhere VALUES (1)"});
  EXPECT_NE(err.find("failed to execute the following sql statement against the default database: 'INSERT INTO "
                     "nowhere VALUES (1)': no such table: nowhere"),
            std::string::npos)
      << err;
  err = startup_error({"--sqlite", "@missing.sql"});
  EXPECT_NE(err.find("--sqlite @missing.sql: could not read file 'missing.sql'"), std::string::npos) << err;
}

}  // namespace
}  // namespace whirl::test
