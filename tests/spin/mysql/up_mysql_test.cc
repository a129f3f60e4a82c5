// Spin's MySQL interface (fermyon:spin/mysql@2.0.0) end to end: `whirl up`
// serves the JS guest (tests/spin/outbound_guest) against a MariaDB server
// started here (mariadbd on 127.0.0.1, a private, empty data directory,
// grant tables skipped). The test reads what the guest wrote with
// libmariadb and checks what the guest read against Spin's mapping
// (factor-outbound-mysql over mysql_async): each parameter-value case,
// the db-value of each column type, `value-conversion-failed` for column
// types Spin cannot convert, and the error case of every failure.
#include <gtest/gtest.h>
#include <mysql.h>

#include "../outbound_guest/outbound_guest.h"
#include "spin/mysql/my_client.h"

namespace whirl::test::outbound {
namespace {

std::string find_mariadbd() {
  for (const char* p : {"/usr/sbin/mariadbd", "/usr/sbin/mysqld", "/usr/libexec/mariadbd"})
    if (fs::exists(p)) return p;
  return "mariadbd";
}

class MariaDb {
 public:
  MariaDb() : dir_("whirl-mariadb-") {
    fs::create_directories(dir_.path() / "data");
    port = free_port();
    std::vector<std::string> argv = {find_mariadbd(), "--no-defaults", "--datadir=" + (dir_.path() / "data").string(),
                                     "--socket=" + (dir_.path() / "sock").string(), "--port=" + std::to_string(port),
                                     "--bind-address=127.0.0.1", "--skip-grant-tables", "--skip-name-resolve",
                                     "--innodb-buffer-pool-size=16M", "--skip-log-bin",
                                     "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
                                     "--pid-file=" + (dir_.path() / "pid").string()};
    if (geteuid() == 0) argv.push_back("--user=root");
    server_ = std::make_unique<Server>(argv, dir_.path() / "server.log");
    if (!wait_until([&] { return sql("SELECT 1") == "1"; }, 60))
      error = "mariadbd did not start: " + read_file(dir_.path() / "server.log");
  }

  // The first value of a statement's result as text (the server's own view).
  std::string sql(const std::string& q) {
    MYSQL* m = mysql_init(nullptr);
    unsigned proto = MYSQL_PROTOCOL_TCP;
    mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto);
    mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    std::string out;
    if (!mysql_real_connect(m, "127.0.0.1", "root", nullptr, nullptr, port, nullptr, 0)) {
      out = std::string("ERROR ") + mysql_error(m);
    } else if (mysql_query(m, q.c_str())) {
      out = std::string("ERROR ") + mysql_error(m);
    } else if (MYSQL_RES* r = mysql_store_result(m)) {
      if (MYSQL_ROW row = mysql_fetch_row(r)) {
        unsigned long* len = mysql_fetch_lengths(r);
        out = row[0] ? std::string(row[0], len[0]) : "NULL";
      }
      mysql_free_result(r);
    }
    mysql_close(m);
    return out;
  }

  std::string error;
  uint16_t port = 0;

 private:
  TempDir dir_;
  std::unique_ptr<Server> server_;
};

json P(const std::string& tag, json val) { return json{{"tag", tag}, {"val", std::move(val)}}; }
json V(const std::string& tag, json val) { return json{{"tag", tag}, {"val", std::move(val)}}; }
json V(const std::string& tag) { return json{{"tag", tag}, {"val", nullptr}}; }
json cell(const json& v) {
  json out = v;
  if (!out.contains("val")) out["val"] = nullptr;
  return out;
}

class UpMysql : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip, error;
    wasm_ = new fs::path(guest(&skip, &error));
    if (!skip.empty()) skip_ = new std::string(skip);
    if (!error.empty()) error_ = new std::string(error);
    if (wasm_->empty()) return;
    db_ = new MariaDb();
    if (!db_->error.empty()) return;
    db_->sql("CREATE DATABASE IF NOT EXISTS whirl");
    closed_port_ = free_port();
    app_ = new App(*wasm_, {"mysql://127.0.0.1:" + std::to_string(db_->port), "mysql://127.0.0.1:" + std::to_string(closed_port_)});
  }
  static void TearDownTestSuite() {
    delete app_;
    delete db_;
    delete wasm_;
    delete skip_;
    delete error_;
    app_ = nullptr, db_ = nullptr, wasm_ = nullptr, skip_ = nullptr, error_ = nullptr;
  }
  void SetUp() override {
    if (skip_) GTEST_SKIP() << *skip_;
    ASSERT_FALSE(error_) << *error_;
    ASSERT_TRUE(db_->error.empty()) << db_->error;
    ASSERT_NE(app_->port(), 0) << app_->log();
  }
  static std::string address() { return "mysql://root@127.0.0.1:" + std::to_string(db_->port) + "/whirl"; }
  static json open() { return json{{"op", "open"}, {"address", address()}}; }
  static json query(const std::string& s, json params = json::array()) {
    return json{{"op", "query"}, {"statement", s}, {"params", std::move(params)}};
  }
  static json execute(const std::string& s, json params = json::array()) {
    return json{{"op", "execute"}, {"statement", s}, {"params", std::move(params)}};
  }
  static bool guest_connections_closed() {
    return wait_until([] { return db_->sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = 'whirl'") == "0"; }, 10);
  }

  static fs::path* wasm_;
  static std::string* skip_;
  static std::string* error_;
  static MariaDb* db_;
  static App* app_;
  static uint16_t closed_port_;
};
fs::path* UpMysql::wasm_ = nullptr;
std::string* UpMysql::skip_ = nullptr;
std::string* UpMysql::error_ = nullptr;
MariaDb* UpMysql::db_ = nullptr;
App* UpMysql::app_ = nullptr;
uint16_t UpMysql::closed_port_ = 0;

const char* kTable =
    "CREATE TABLE IF NOT EXISTS whirl.m (id INT PRIMARY KEY, b BOOLEAN, i8 TINYINT, u8 TINYINT UNSIGNED, i16 SMALLINT, "
    "u16 SMALLINT UNSIGNED, i24 MEDIUMINT, i32 INT, u32 INT UNSIGNED, i64 BIGINT, u64 BIGINT UNSIGNED, f32 FLOAT, "
    "f64 DOUBLE, s VARCHAR(50), t TEXT, c CHAR(5), vb VARBINARY(10), bl BLOB, bn BINARY(4), num DECIMAL(10,2), "
    "d DATE, nul INT)";

json all_params(int id) {
  return json::array({P("int32", id), P("boolean", true), P("int8", -128), P("uint8", 255), P("int16", -32768),
                      P("uint16", 65535), P("int32", -8388608), P("int32", -2147483648LL), P("uint32", 4294967295LL),
                      P("int64", "-9223372036854775808"), P("uint64", "18446744073709551615"), P("floating32", 1.5),
                      P("floating64", -2.25e10), P("str", "h\u00e9llo \u2603"), P("str", "long text"), P("str", "ab"),
                      P("binary", json::array({0, 1, 2, 255})), P("binary", json::array({9, 8})),
                      P("binary", json::array({1, 2, 3, 4})), P("str", "12.50"), P("str", "2024-02-29"),
                      json{{"tag", "db-null"}}});
}
const char* kInsert =
    "INSERT INTO m (id, b, i8, u8, i16, u16, i24, i32, u32, i64, u64, f32, f64, s, t, c, vb, bl, bn, num, d, nul) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

TEST_F(UpMysql, EveryParameterTypeReachesTheServer) {
  db_->sql(kTable);
  db_->sql("DELETE FROM whirl.m WHERE id = 1");
  json r = app_->call("mysql", {open(), execute(kInsert, all_params(1))});
  ASSERT_EQ(r.size(), 2u) << r.dump();
  EXPECT_EQ(r[1], json({{"ok", nullptr}})) << r.dump();
  EXPECT_EQ(db_->sql("SELECT CONCAT_WS('|', b, i8, u8, i16, u16, i24, i32, u32, i64, u64, f32, f64, s, t, c, HEX(vb), "
                     "HEX(bl), HEX(bn), num, d, IFNULL(nul, 'NULL')) FROM whirl.m WHERE id = 1"),
            "1|-128|255|-32768|65535|-8388608|-2147483648|4294967295|-9223372036854775808|18446744073709551615|1.5|"
            "-22500000000|h\u00e9llo \u2603|long text|ab|000102FF|0908|01020304|12.50|2024-02-29|NULL");
  EXPECT_TRUE(guest_connections_closed());
}

TEST_F(UpMysql, EveryColumnTypeReadsBack) {
  db_->sql(kTable);
  db_->sql("DELETE FROM whirl.m WHERE id = 2");
  json r = app_->call("mysql", {open(), execute(kInsert, all_params(2)),
                                query("SELECT b, i8, u8, i16, u16, i24, i32, u32, i64, u64, f32, f64, s, t, c, vb, bl, "
                                      "bn, nul FROM m WHERE id = ?", {P("uint8", 2)})});
  ASSERT_TRUE(r[2].contains("ok")) << r.dump();
  std::vector<std::string> types;
  for (const json& c : r[2]["ok"]["columns"]) types.push_back(c["dataType"]);
  EXPECT_EQ(types, (std::vector<std::string>{"int8", "int8", "uint8", "int16", "uint16", "int32", "int32", "uint32",
                                             "int64", "uint64", "floating32", "floating64", "str", "str", "str",
                                             "binary", "binary", "binary", "int32"}));
  json row = json::array();
  for (const json& v : r[2]["ok"]["rows"][0]) row.push_back(cell(v));
  EXPECT_EQ(row, json::array({V("int8", 1), V("int8", -128), V("uint8", 255), V("int16", -32768), V("uint16", 65535),
                              V("int32", -8388608), V("int32", -2147483648LL), V("uint32", 4294967295LL),
                              V("int64", "-9223372036854775808"), V("uint64", "18446744073709551615"),
                              V("floating32", 1.5), V("floating64", -2.25e10), V("str", "h\u00e9llo \u2603"),
                              V("str", "long text"), V("str", "ab"), V("binary", {0, 1, 2, 255}), V("binary", {9, 8}),
                              V("binary", {1, 2, 3, 4}), V("db-null")}));
  // Columns without rows keep their types (mysql_async reads them first).
  json none = app_->call("mysql", {open(), query("SELECT s FROM m WHERE id = -1")});
  EXPECT_EQ(none[1], json({{"ok", {{"columns", {{{"name", "s"}, {"dataType", "str"}}}}, {"rows", json::array()}}}}))
      << none.dump();
  // DECIMAL and DATE are types Spin does not convert: an error for a value, db-null for NULL.
  json dec = app_->call("mysql", {open(), query("SELECT num FROM m WHERE id = 2"), query("SELECT d FROM m WHERE id = 2"),
                                  query("SELECT CAST(NULL AS DECIMAL(4,1)) AS x")});
  EXPECT_EQ(dec[1], json({{"err", {{"tag", "value-conversion-failed"},
                                   {"val", "Cannot convert value Bytes(\"12.50\") in column num data type Other"}}}}));
  EXPECT_EQ(dec[2]["err"]["tag"], "value-conversion-failed");
  EXPECT_EQ(cell(dec[3]["ok"]["rows"][0][0]), V("db-null")) << dec.dump();
}

TEST_F(UpMysql, Errors) {
  db_->sql(kTable);
  json r = app_->call("mysql", {open(), query("SELEC 1"), query("SELECT ? + 1"), execute("INSERT INTO nowhere VALUES (1)")});
  ASSERT_EQ(r.size(), 4u) << r.dump();
  EXPECT_EQ(r[1]["err"]["tag"], "query-failed");
  EXPECT_NE(r[1]["err"]["val"].get<std::string>().find("Server(ServerError { code: 1064"), std::string::npos) << r.dump();
  EXPECT_EQ(r[2], json({{"err", {{"tag", "query-failed"}, {"val", "Driver(StmtParamsMismatch { required: 1, supplied: 0 })"}}}}));
  EXPECT_EQ(r[3]["err"]["tag"], "query-failed");
  EXPECT_NE(r[3]["err"]["val"].get<std::string>().find("code: 1146"), std::string::npos) << r.dump();
}

TEST_F(UpMysql, DeniedHostsAndConnectionErrors) {
  Listener other;
  std::string denied = "mysql://root@127.0.0.1:" + std::to_string(other.port()) + "/whirl";
  json r = app_->call("mysql", {{{"op", "open"}, {"address", denied}}});
  EXPECT_EQ(r[0], json({{"err", {{"tag", "connection-failed"}, {"val", "address " + denied + " is not permitted"}}}}));
  json host = app_->call("mysql", {{{"op", "open"}, {"address", "mysql://root@localhost:" + std::to_string(db_->port) + "/whirl"}}});
  EXPECT_EQ(host[0]["err"]["tag"], "connection-failed");
  EXPECT_EQ(other.accepted(), 0);
  json closed = app_->call("mysql", {{{"op", "open"}, {"address", "mysql://root@127.0.0.1:" + std::to_string(closed_port_) + "/whirl"}}});
  EXPECT_EQ(closed[0]["err"]["tag"], "connection-failed") << closed.dump();
  json param = app_->call("mysql", {{{"op", "open"}, {"address", address() + "?colour=blue"}}});
  EXPECT_EQ(param[0], json({{"err", {{"tag", "connection-failed"}, {"val", "UrlError { UnknownParameter { param: \"colour\" } }"}}}}));
  json db = app_->call("mysql", {{{"op", "open"}, {"address", "mysql://root@127.0.0.1:" + std::to_string(db_->port) + "/no_such_db"}}});
  EXPECT_EQ(db[0]["err"]["tag"], "connection-failed");
  EXPECT_NE(db[0]["err"]["val"].get<std::string>().find("no_such_db"), std::string::npos) << db.dump();
}

// A statement still running at the request's deadline: the request is
// answered 500 and the connection closed.
TEST_F(UpMysql, DeadlineStopsAStatement) {
  App app(*wasm_, {"mysql://127.0.0.1:" + std::to_string(db_->port)}, "", "", {"--timeout", "1"});
  ASSERT_NE(app.port(), 0) << app.log();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(app.status("mysql", {open(), query("SELECT SLEEP(60)")}), 500u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  EXPECT_TRUE(guest_connections_closed());
}

// Spin 1's fermyon:spin/mysql: the address in every call, a connection each.
TEST_F(UpMysql, Spin1Interface) {
  db_->sql(kTable);
  db_->sql("DELETE FROM whirl.m WHERE id = 3");
  auto call = [](const std::string& op, const std::string& addr, const std::string& s, json params = json::array()) {
    return json{{"op", op}, {"address", addr}, {"statement", s}, {"params", std::move(params)}};
  };
  json r = app_->call("mysql1", {call("execute", address(), "INSERT INTO m (id, u16, s) VALUES (?, ?, ?)",
                                      {P("int32", 3), P("uint16", 7), P("str", "one")}),
                                 call("query", address(), "SELECT u16, s FROM m WHERE id = 3"),
                                 call("query", address(), "SELEC 1"),
                                 call("query", "mysql://root@127.0.0.1:1/whirl", "SELECT 1")});
  ASSERT_EQ(r.size(), 4u) << r.dump();
  EXPECT_EQ(r[0], json({{"ok", nullptr}})) << r.dump();
  json row = json::array();
  for (const json& v : r[1]["ok"]["rows"][0]) row.push_back(cell(v));
  EXPECT_EQ(row, json::array({V("uint16", 7), V("str", "one")})) << r.dump();
  EXPECT_EQ(r[2]["err"]["tag"], "query-failed");
  EXPECT_EQ(r[3], json({{"err", {{"tag", "connection-failed"}, {"val", "address mysql://root@127.0.0.1:1/whirl is not permitted"}}}}));
  EXPECT_TRUE(guest_connections_closed());
}

TEST(MysqlAddress, AsMysqlAsync) {
  auto a = spin::mysql::parse_mysql_address("mysql://me:p%40ss@db.example.com:3307/shop?ssl-mode=REQUIRED&pool_max=4");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "db.example.com");
  EXPECT_EQ(a->port, 3307);
  EXPECT_EQ(a->user, "me");
  EXPECT_EQ(a->password, "p@ss");
  EXPECT_EQ(a->db, "shop");
  EXPECT_TRUE(a->tls);
  EXPECT_FALSE(spin::mysql::parse_mysql_address("mysql://h/db?SslMode=disabled")->tls);
  EXPECT_EQ(spin::mysql::parse_mysql_address("mysql://h")->port, 3306);
  EXPECT_FALSE(spin::mysql::parse_mysql_address("postgres://h/db"));
  EXPECT_FALSE(spin::mysql::parse_mysql_address("h:3306"));
}

}  // namespace
}  // namespace whirl::test::outbound
