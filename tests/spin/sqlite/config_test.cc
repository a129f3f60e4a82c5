// [sqlite_database.*] of the runtime config, the startup check of granted
// databases and `--sqlite` statements, as Spin resolves and runs them
// (crates/sqlite, crates/factor-sqlite, crates/trigger/src/cli/sqlite_statements.rs).
#include <gtest/gtest.h>

#include <fstream>

#include "../../scratch_dir.h"
#include "spin/manifest/manifest.h"
#include "spin/runtime/app_runtime.h"
#include "spin/sqlite/config.h"
#include "spin/sqlite/sqlite.h"

namespace whirl::spin::sqlite {
namespace {

namespace fs = std::filesystem;

class SqliteConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = whirl::testing::scratch_dir("whirl-sqlite-config") /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  Expected<RuntimeConfig> config(const std::string& text) {
    std::ofstream(dir_ / "rc.toml") << text;
    return RuntimeConfig::load(dir_ / "rc.toml");
  }
  std::string error_of(const std::string& text) {
    auto c = config(text);
    EXPECT_TRUE(c) << c.error().message;
    auto d = resolve_databases(*c, dir_ / "state", dir_ / "cwd");
    EXPECT_FALSE(d);
    return d ? "" : d.error().message;
  }
  std::string at(int line, int column) {
    return (dir_ / "rc.toml").string() + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  }
  fs::path dir_;
};

TEST_F(SqliteConfig, DefaultIsInTheStateDirectory) {
  auto d = resolve_databases(RuntimeConfig(), dir_ / "state", dir_);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 1u);
  const DatabaseConfig& def = d->at("default");
  EXPECT_EQ(def.location.path, dir_ / "state" / "sqlite_db.db");
  EXPECT_FALSE(def.location.in_memory);
  EXPECT_FALSE(def.allow_attach_file);
  // Spin makes the state directory when a connection is made, not before.
  EXPECT_FALSE(fs::exists(dir_ / "state"));
  auto c = connect(def);
  ASSERT_TRUE(c);
  EXPECT_TRUE(fs::is_directory(dir_ / "state"));
}

TEST_F(SqliteConfig, SpinDatabasesWithPathsRelativeToTheCurrentDirectory) {
  auto c = config(R"([sqlite_database.rel]
type = "spin"
path = "data/rel.db"

[sqlite_database.abs]
type = "spin"
path = ")" + (dir_ / "abs" / "x.db").string() + R"("
allow_attach_file = true

[sqlite_database.mem]
type = "spin"
)");
  ASSERT_TRUE(c) << c.error().message;
  auto d = resolve_databases(*c, dir_ / "state", dir_ / "cwd");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->size(), 4u);
  EXPECT_EQ(d->at("rel").location.path, dir_ / "cwd" / "data" / "rel.db");
  EXPECT_TRUE(fs::is_directory(dir_ / "cwd" / "data"));  // made at startup, as Spin does
  EXPECT_EQ(d->at("abs").location.path, dir_ / "abs" / "x.db");
  EXPECT_TRUE(d->at("abs").allow_attach_file);
  EXPECT_TRUE(d->at("mem").location.in_memory);
  EXPECT_EQ(d->at("default").location.path, dir_ / "state" / "sqlite_db.db");
}

TEST_F(SqliteConfig, DefaultCanBeReplaced) {
  auto c = config("[sqlite_database.default]\ntype = \"spin\"\npath = \"" + (dir_ / "mine.db").string() + "\"\n");
  ASSERT_TRUE(c);
  auto d = resolve_databases(*c, dir_ / "state", dir_);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->at("default").location.path, dir_ / "mine.db");
}

TEST_F(SqliteConfig, BadEntriesNameFileLineAndColumn) {
  EXPECT_EQ(error_of("[sqlite_database.x]\ntype = \"libsql\"\nurl = \"https://example.com\"\ntoken = \"t\"\n"),
            at(2, 8) + "[sqlite_database.x]: database type `libsql` is not supported by whirl (supported: `spin`, a "
                       "local SQLite file)");
  EXPECT_EQ(error_of("\n[sqlite_database.x]\ntype = \"postgres\"\n"),
            at(3, 8) + "[sqlite_database.x]: unknown database type `postgres` (whirl supports `spin`)");
  EXPECT_EQ(error_of("[sqlite_database.x]\npath = \"a.db\"\n"),
            at(1, 1) + "[sqlite_database.x] has no `type` (whirl supports type = \"spin\")");
  EXPECT_EQ(error_of("[sqlite_database.x]\ntype = \"spin\"\npaht = \"a.db\"\n"),
            at(3, 8) + "[sqlite_database.x]: unknown field `paht` (a `spin` database has `path` and `allow_attach_file`)");
  EXPECT_EQ(error_of("[sqlite_database.x]\ntype = \"spin\"\npath = 3\n"), at(3, 8) + "[sqlite_database.x] `path` must be a string");
  EXPECT_EQ(error_of("[sqlite_database.x]\ntype = \"spin\"\nallow_attach_file = \"yes\"\n"),
            at(3, 21) + "[sqlite_database.x] `allow_attach_file` must be true or false");
  EXPECT_EQ(error_of("sqlite_database = 1\n"),
            at(1, 19) + "`sqlite_database` must be a table of databases: [sqlite_database.NAME]");
  EXPECT_EQ(error_of("[sqlite_database]\nx = 1\n"), at(2, 5) + "[sqlite_database.x] must be a table with `type`");
}

// The factor in an AppRuntime: granted databases must be defined.
class SqliteFactorSetup : public SqliteConfig {
 protected:
  Expected<std::shared_ptr<const AppRuntime>> runtime(std::vector<std::pair<std::string, std::vector<std::string>>> grants,
                                                      const std::string& rc = "") {
    auto app = std::make_shared<LoadedApp>();
    app->manifest.dir = dir_;
    app->manifest.path = dir_ / "spin.toml";
    uint32_t line = 1;
    for (auto& [id, dbs] : grants) {
      Component c;
      c.id = id;
      c.sqlite_databases = dbs;
      c.pos = SourcePos{(dir_ / "spin.toml").string(), line++, 1};
      app->manifest.components.push_back(std::move(c));
    }
    AppRuntimeOptions o;
    if (!rc.empty()) {
      std::ofstream(dir_ / "rc.toml") << rc;
      o.runtime_config = dir_ / "rc.toml";
    }
    const Factor* const fs[] = {&sqlite_factor()};
    return AppRuntime::create(app, o, fs);
  }
};

TEST_F(SqliteFactorSetup, GrantedDatabasesMustBeDefined) {
  auto ok = runtime({{"a", {"default"}}, {"b", {}}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE((*ok)->linker().find("fermyon:spin/sqlite@2.0.0").def);
  EXPECT_TRUE((*ok)->linker().find("spin:sqlite/sqlite@3.0.0").def);  // links to 3.1.0
  EXPECT_TRUE((*ok)->linker().find("spin:sqlite/sqlite@3.1.0").def);
  EXPECT_TRUE((*ok)->linker().find("fermyon:spin/sqlite").def);

  auto bad = runtime({{"a", {"default", "orders"}}, {"b", {"default"}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "One or more components use SQLite databases which are not defined.\n"
            "Check the spelling, or pass a runtime configuration file that defines these stores.\n"
            "See https://spinframework.dev/dynamic-configuration#sqlite-storage-runtime-configuration\n"
            "Details:\n- Component a uses database 'orders' (" +
                (dir_ / "spin.toml").string() + ":1:1)");

  auto defined = runtime({{"a", {"default", "orders"}}}, "[sqlite_database.orders]\ntype = \"spin\"\n");
  EXPECT_TRUE(defined) << defined.error().message;
}

TEST_F(SqliteFactorSetup, RuntimeConfigErrorsStopStartup) {
  auto bad = runtime({{"a", {"default"}}}, "[sqlite_database.db]\ntype = \"libsql\"\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind(at(2, 8), 0), 0u) << bad.error().message;
}

// --sqlite, as Spin's SqlStatementExecutorHook runs it.
TEST_F(SqliteConfig, StartupStatements) {
  auto c = config("[sqlite_database.other]\ntype = \"spin\"\npath = \"" + (dir_ / "other.db").string() + "\"\n");
  ASSERT_TRUE(c);
  std::ofstream(dir_ / "seed.sql") << "CREATE TABLE s (x);\nINSERT INTO s VALUES (1);\nINSERT INTO s VALUES (2);\n";
  std::vector<std::string> st = {"CREATE TABLE t (x TEXT)", "INSERT INTO t VALUES ('a'); INSERT INTO t VALUES ('b')",
                                 "@" + (dir_ / "seed.sql").string(), "@ " + (dir_ / "seed.sql").string() + " : other"};
  auto ok = run_startup_statements(*c, dir_ / "state", st);
  ASSERT_TRUE(ok) << ok.error().message;
  Connection def(DatabaseLocation{false, dir_ / "state" / "sqlite_db.db"}, false);
  // One statement per raw --sqlite: the second INSERT of that argument did not run.
  EXPECT_EQ(def.query("SELECT group_concat(x) FROM t", {})->rows.at(0).at(0), SqlValue::of_text("a"));
  EXPECT_EQ(def.query("SELECT sum(x) FROM s", {})->rows.at(0).at(0), SqlValue::of_integer(3));
  Connection other(DatabaseLocation{false, dir_ / "other.db"}, false);
  EXPECT_EQ(other.query("SELECT sum(x) FROM s", {})->rows.at(0).at(0), SqlValue::of_integer(3));

  auto fail = [&](std::vector<std::string> s) {
    auto r = run_startup_statements(*c, dir_ / "state", s);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(fail({"INSERT INTO nowhere VALUES (1)"}),
            "--sqlite: failed to execute the following sql statement against the default database: 'INSERT INTO "
            "nowhere VALUES (1)': no such table: nowhere");
  std::string missing = (dir_ / "missing.sql").string();
  EXPECT_EQ(fail({"@" + missing}), "--sqlite @" + missing + ": could not read file '" + missing +
                                       "' containing sql statements: No such file or directory");
  EXPECT_EQ(fail({"@" + (dir_ / "seed.sql").string() + ":nope"}).find("a database named 'nope' was expected"),
            std::string("--sqlite @" + (dir_ / "seed.sql").string() + ":nope: ").size());
  // seed.sql again: its CREATE TABLE fails now.
  EXPECT_EQ(fail({"@" + (dir_ / "seed.sql").string()}),
            "--sqlite @" + (dir_ / "seed.sql").string() + ": failed to execute sql against database 'default' from file '" +
                (dir_ / "seed.sql").string() + "': table s already exists in CREATE TABLE s (x);\nINSERT INTO s VALUES "
                "(1);\nINSERT INTO s VALUES (2);\n at offset 13");
  EXPECT_EQ(fail({"@"}), "--sqlite @: the file name is empty");
  EXPECT_EQ(fail({"@x.sql:"}), "--sqlite @x.sql:: the database label after ':' is empty");
  EXPECT_EQ(fail({"@:other"}), "--sqlite @:other: the file name before ':' is empty");
}

// sqlite_databases labels in a v2 manifest: Spin's kebab-case or snake_case ids.
TEST(SqliteManifest, LabelsAreKebabOrSnakeCase) {
  auto parse = [](const std::string& labels) {
    return parse_manifest("spin_manifest_version = 2\n[application]\nname = \"a\"\n[[trigger.http]]\nroute = \"/\"\n"
                          "component = \"c\"\n[component.c]\nsource = \"c.wasm\"\nsqlite_databases = " +
                              labels + "\n",
                          "spin.toml");
  };
  auto ok = parse(R"(["default", "snake_case", "kebab-case", "UPPER-words", "x1-y2"])");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->components.at(0).sqlite_databases,
            (std::vector<std::string>{"default", "snake_case", "kebab-case", "UPPER-words", "x1-y2"}));
  for (const char* bad : {"b@d", "mixed-case_delims", "1st", "double--dash", "camelCase", ""}) {
    auto r = parse(std::string("[\"default\", \"") + bad + "\"]");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message, std::string("spin.toml:9:32: `sqlite_databases` in [component.c]: \"") + bad +
                                     "\" is not a valid label: expected kebab-case or snake_case");
  }
}

}  // namespace
}  // namespace whirl::spin::sqlite
