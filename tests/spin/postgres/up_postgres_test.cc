// Spin's PostgreSQL interfaces end to end: `whirl up` serves the JS guest
// (tests/spin/outbound_guest), which talks to a real PostgreSQL started
// here (initdb + postgres on 127.0.0.1, a private data directory; as
// `nobody` when the tests run as root, since initdb refuses root), and the
// test checks what the guest wrote by reading the server with libpq, and
// what the guest read against values the test wrote. Expected values are
// Spin's (factor-outbound-pg over tokio-postgres): each parameter-value
// case for the column types that accept it, each column type's db-value,
// the older interfaces' narrowing, and the error case of every failure.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "../outbound_guest/outbound_guest.h"

namespace whirl::test::outbound {
namespace {

// The directory of initdb and postgres (Debian: /usr/lib/postgresql/N/bin).
fs::path pg_bin() {
  if (std::system("command -v initdb > /dev/null 2>&1") == 0) return {};
  fs::path best;
  std::error_code ec;
  for (auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(e.path() / "bin" / "initdb") && e.path() > best) best = e.path();
  return best.empty() ? best : best / "bin";
}

class PgServer {
 public:
  // `tls`: the server offers TLS with a certificate for 127.0.0.1 signed by
  // a CA made here (ca_pem), which no system trusts.
  explicit PgServer(bool tls = false) : dir_("whirl-pg-") {
    fs::path bin = pg_bin();
    auto tool = [&](const char* name) { return bin.empty() ? std::string(name) : (bin / name).string(); };
    auto user = nobody();
    std::vector<std::string> ssl;
    if (tls) {
      fs::path d = dir_.path(), log = d / "openssl.log";
      std::ofstream(d / "san.ext") << "subjectAltName=IP:127.0.0.1\n";
      bool ok = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", (d / "ca.key").string(), "-out",
                     (d / "ca.crt").string(), "-days", "2", "-subj", "/CN=whirl test CA"}, log, 60) == 0 &&
                run({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", (d / "server.key").string(), "-out",
                     (d / "server.csr").string(), "-subj", "/CN=127.0.0.1"}, log, 60) == 0 &&
                run({"openssl", "x509", "-req", "-in", (d / "server.csr").string(), "-CA", (d / "ca.crt").string(),
                     "-CAkey", (d / "ca.key").string(), "-CAcreateserial", "-out", (d / "server.crt").string(), "-days",
                     "2", "-extfile", (d / "san.ext").string()}, log, 60) == 0;
      if (!ok) {
        error = "openssl failed: " + read_file(log);
        return;
      }
      ca_pem = read_file(d / "ca.crt");
      fs::permissions(d / "server.key", fs::perms::owner_read | fs::perms::owner_write);
      ssl = {"-c", "ssl=on", "-c", "ssl_cert_file=" + (d / "server.crt").string(), "-c",
             "ssl_key_file=" + (d / "server.key").string()};
    }
    if (user) chown_tree(dir_.path(), user->first, user->second);
    fs::path data = dir_.path() / "data", log = dir_.path() / "server.log";
    int rc = run({tool("initdb"), "-D", data.string(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8",
                  "--locale=C"},
                 log, 180, user);
    if (rc != 0) {
      error = "initdb failed (" + std::to_string(rc) + "): " + read_file(log);
      return;
    }
    port = free_port();
    std::vector<std::string> argv = {tool("postgres"), "-D", data.string(), "-k", dir_.path().string(), "-h",
                                     "127.0.0.1", "-p", std::to_string(port), "-F", "-c", "max_connections=40"};
    argv.insert(argv.end(), ssl.begin(), ssl.end());
    server_ = std::make_unique<Server>(argv, log, user);
    if (!wait_until([&] { return ping(); }, 60)) error = "postgres did not start: " + read_file(log);
  }
  bool ping() {
    PGconn* c = PQconnectdb(conninfo().c_str());
    bool ok = PQstatus(c) == CONNECTION_OK;
    PQfinish(c);
    return ok;
  }
  std::string conninfo() const { return "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=postgres"; }

  // Runs SQL as the test (the server's own view); the first value as text.
  std::string sql(const std::string& q) {
    PGconn* c = PQconnectdb(conninfo().c_str());
    PQclear(PQexec(c, "SET TimeZone = 'UTC'"));
    PGresult* r = PQexec(c, q.c_str());
    std::string out;
    auto st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0);
    else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) out = std::string("ERROR ") + PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    return out;
  }

  std::string error;
  uint16_t port = 0;
  std::string ca_pem;

 private:
  TempDir dir_;
  std::unique_ptr<Server> server_;
};

json P(const std::string& tag, json val) { return json{{"tag", tag}, {"val", std::move(val)}}; }
json P(const std::string& tag) { return json{{"tag", tag}}; }
json V(const std::string& tag, json val) { return json{{"tag", tag}, {"val", std::move(val)}}; }
json V(const std::string& tag) { return json{{"tag", tag}, {"val", nullptr}}; }
json bytes(const std::string& s) {
  json a = json::array();
  for (unsigned char c : s) a.push_back(int(c));
  return a;
}

// A db-value as the guest reports it, with a missing payload as null.
json cell(const json& v) {
  json out = v;
  if (!out.contains("val")) out["val"] = nullptr;
  return out;
}

class UpPostgres : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip, error;
    wasm_ = new fs::path(guest(&skip, &error));
    if (!skip.empty()) skip_ = new std::string(skip);
    if (!error.empty()) error_ = new std::string(error);
    if (wasm_->empty()) return;
    pg_ = new PgServer();
    if (!pg_->error.empty()) return;
    closed_port_ = free_port();
    app_ = new App(*wasm_, {"postgres://127.0.0.1:" + std::to_string(pg_->port),
                            "postgres://127.0.0.1:" + std::to_string(closed_port_)});
  }
  static void TearDownTestSuite() {
    delete app_;
    delete pg_;
    delete wasm_;
    delete skip_;
    delete error_;
    app_ = nullptr, pg_ = nullptr, wasm_ = nullptr, skip_ = nullptr, error_ = nullptr;
  }
  void SetUp() override {
    if (skip_) GTEST_SKIP() << *skip_;
    ASSERT_FALSE(error_) << *error_;
    ASSERT_TRUE(pg_->error.empty()) << pg_->error;
    ASSERT_NE(app_->port(), 0) << app_->log();
  }
  static std::string address() {
    return "host=127.0.0.1 port=" + std::to_string(pg_->port) + " user=postgres dbname=postgres application_name=whirl-guest";
  }
  static json open() { return json{{"op", "open"}, {"address", address()}}; }
  static json query(const std::string& s, json params = json::array()) {
    return json{{"op", "query"}, {"statement", s}, {"params", std::move(params)}};
  }
  static json execute(const std::string& s, json params = json::array()) {
    return json{{"op", "execute"}, {"statement", s}, {"params", std::move(params)}};
  }
  // The guest's connections are gone once its instance is.
  static bool guest_connections_closed() {
    return wait_until([] { return pg_->sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'whirl-guest'") == "0"; }, 10);
  }

  static fs::path* wasm_;
  static std::string* skip_;
  static std::string* error_;
  static PgServer* pg_;
  static App* app_;
  static uint16_t closed_port_;
};
fs::path* UpPostgres::wasm_ = nullptr;
std::string* UpPostgres::skip_ = nullptr;
std::string* UpPostgres::error_ = nullptr;
PgServer* UpPostgres::pg_ = nullptr;
App* UpPostgres::app_ = nullptr;
uint16_t UpPostgres::closed_port_ = 0;

const char* kTable =
    "CREATE TABLE IF NOT EXISTS t4 (id int4 PRIMARY KEY, b bool, c \"char\", i2 int2, i4 int4, i8 int8, f4 float4, "
    "f8 float8, s text, vc varchar(20), bp char(5), by bytea, d date, t time, ts timestamp, tz timestamptz, u uuid, "
    "j jsonb, js json, n numeric, r4 int4range, r8 int8range, rn numrange, a4 int4[], a8 int8[], an numeric[], "
    "at text[], iv interval, nul text)";
const char* kColumns = "id, b, c, i2, i4, i8, f4, f8, s, vc, bp, by, d, t, ts, u, j, js, n, r4, r8, rn, a4, a8, an, at, iv, nul";

// Every parameter-value case of spin:postgres@4 into the column that accepts it.
json all_params(int id) {
  return json::array({
      P("int32", id), P("boolean", true), P("int8", 65), P("int16", -12345), P("int32", 2147483647),
      P("int64", "-9223372036854775808"), P("floating32", 1.5), P("floating64", -2.25e10), P("str", "h\u00e9llo \u2603"),
      P("str", "vc"), P("str", "ab"), P("binary", json::array({0, 1, 2, 255})), P("date", {2024, 2, 29}),
      P("time", {13, 45, 30, 123456000}), P("datetime", {1999, 12, 31, 23, 59, 59, 500000000}),
      P("timestamp", "86400"), P("uuid", "67E55044-10B1-426F-9247-BB680E5FE0C8"),
      P("jsonb", R"({"b": [1, 2], "a": "x"})"), P("jsonb", R"({"z":1,  "a":2})"), P("decimal", "-12345.6780"),
      P("range-int32", {{1, "exclusive"}, {5, "inclusive"}}), P("range-int64", {nullptr, {"9000000000", "exclusive"}}),
      P("range-decimal", {{"1.5", "inclusive"}, nullptr}), P("array-int32", {1, nullptr, 3}),
      P("array-int64", {"-1", "2"}), P("array-decimal", {"1.10", nullptr}), P("array-str", {"a b", nullptr, "c"}),
      P("interval", {{"micros", "3000000"}, {"days", 2}, {"months", 1}}), P("db-null")});
}

std::string insert_sql() {
  std::string s = "INSERT INTO t4 (id, b, c, i2, i4, i8, f4, f8, s, vc, bp, by, d, t, ts, tz, u, j, js, n, r4, r8, rn, "
                  "a4, a8, an, at, iv, nul) VALUES (";
  for (int i = 1; i <= 29; ++i) s += (i > 1 ? ", $" : "$") + std::to_string(i);
  return s + ")";
}

TEST_F(UpPostgres, EveryParameterTypeReachesTheServer) {
  pg_->sql(kTable);
  pg_->sql("DELETE FROM t4 WHERE id = 1");
  json r = app_->call("pg4", {open(), execute(insert_sql(), all_params(1))});
  ASSERT_EQ(r.size(), 2u) << r.dump();
  EXPECT_EQ(r[1], json({{"ok", "1"}})) << r.dump();
  // The server's own text of each value.
  auto col = [](const std::string& c) { return pg_->sql("SELECT " + c + "::text FROM t4 WHERE id = 1"); };
  EXPECT_EQ(col("b"), "true");
  EXPECT_EQ(col("c"), "A");
  EXPECT_EQ(col("i2"), "-12345");
  EXPECT_EQ(col("i4"), "2147483647");
  EXPECT_EQ(col("i8"), "-9223372036854775808");
  EXPECT_EQ(col("f4"), "1.5");
  EXPECT_EQ(col("f8"), "-22500000000");
  EXPECT_EQ(col("s"), "h\u00e9llo \u2603");
  EXPECT_EQ(col("bp"), "ab");  // char(5): padded, the padding cut by ::text
  EXPECT_EQ(col("encode(by, 'hex')"), "000102ff");
  EXPECT_EQ(col("d"), "2024-02-29");
  EXPECT_EQ(col("t"), "13:45:30.123456");
  EXPECT_EQ(col("ts"), "1999-12-31 23:59:59.5");
  EXPECT_EQ(col("tz"), "1970-01-02 00:00:00+00");
  EXPECT_EQ(col("u"), "67e55044-10b1-426f-9247-bb680e5fe0c8");
  EXPECT_EQ(col("j"), R"({"a": "x", "b": [1, 2]})");
  EXPECT_EQ(col("js"), R"({"a":2,"z":1})");  // re-serialized, as serde_json does
  EXPECT_EQ(col("n"), "-12345.6780");
  EXPECT_EQ(col("r4"), "[2,6)");
  EXPECT_EQ(col("r8"), "(,9000000000)");
  EXPECT_EQ(col("rn"), "[1.5,)");
  EXPECT_EQ(col("a4"), "{1,NULL,3}");
  EXPECT_EQ(col("a8"), "{-1,2}");
  EXPECT_EQ(col("an"), "{1.10,NULL}");
  EXPECT_EQ(col("at"), R"({"a b",NULL,c})");
  EXPECT_EQ(col("iv"), "1 mon 2 days 00:00:03");
  EXPECT_EQ(col("nul"), "NULL");
  EXPECT_TRUE(guest_connections_closed());
}

// The row EveryParameterTypeReachesTheServer writes, read back: the
// db-value of each column type (types Spin does not map: `other(name)`
// and `unsupported` with the raw bytes).
TEST_F(UpPostgres, EveryColumnTypeReadsBack) {
  pg_->sql(kTable);
  pg_->sql("DELETE FROM t4 WHERE id = 3");
  json r = app_->call("pg4", {open(), execute(insert_sql(), all_params(3)),
                              query(std::string("SELECT ") + kColumns + " FROM t4 WHERE id = $1", {P("int32", 3)})});
  ASSERT_EQ(r.size(), 3u) << r.dump();
  ASSERT_TRUE(r[2].contains("ok")) << r.dump();
  const json& rs = r[2]["ok"];
  std::vector<std::string> names, types;
  for (const json& c : rs["columns"]) {
    names.push_back(c["name"]);
    types.push_back(c["dataType"]["tag"]);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"int32", "boolean", "other", "int16", "int32", "int64", "floating32",
                                             "floating64", "str", "str", "str", "binary", "date", "time", "datetime",
                                             "uuid", "jsonb", "other", "decimal", "range-int32", "range-int64",
                                             "range-decimal", "array-int32", "array-int64", "array-decimal",
                                             "array-str", "interval", "str"}));
  EXPECT_EQ(rs["columns"][2]["dataType"]["val"], "char");
  EXPECT_EQ(rs["columns"][17]["dataType"]["val"], "json");
  ASSERT_EQ(rs["rows"].size(), 1u);
  json row = json::array();
  for (const json& v : rs["rows"][0]) row.push_back(cell(v));
  json want = json::array({
      V("int32", 3), V("boolean", true), V("unsupported", {65}), V("int16", -12345), V("int32", 2147483647),
      V("int64", "-9223372036854775808"), V("floating32", 1.5), V("floating64", -2.25e10),
      V("str", "h\u00e9llo \u2603"), V("str", "vc"), V("str", "ab   "), V("binary", {0, 1, 2, 255}),
      V("date", {2024, 2, 29}), V("time", {13, 45, 30, 123456000}),
      V("datetime", {1999, 12, 31, 23, 59, 59, 500000000}), V("uuid", "67e55044-10b1-426f-9247-bb680e5fe0c8"),
      V("jsonb", bytes(R"({"a":"x","b":[1,2]})")), V("unsupported", bytes(R"({"a":2,"z":1})")),
      V("decimal", "-12345.6780"), V("range-int32", {{2, "inclusive"}, {6, "exclusive"}}),
      V("range-int64", {nullptr, {"9000000000", "exclusive"}}), V("range-decimal", {{"1.5", "inclusive"}, nullptr}),
      V("array-int32", {1, nullptr, 3}), V("array-int64", {"-1", "2"}), V("array-decimal", {"1.10", nullptr}),
      V("array-str", {"a b", nullptr, "c"}), V("interval", {{"micros", "3000000"}, {"days", 2}, {"months", 1}}),
      V("db-null")});
  ASSERT_EQ(row.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(row[i], want[i]) << "column " << names[i];
}

// Values the server wrote, read by the guest: edge cases of the
// conversions (a BC date, 24:00 wrapping as chrono does, an empty range,
// empty arrays, a negative interval, NULLs of every type).
TEST_F(UpPostgres, ServerValuesReadByTheGuest) {
  pg_->sql(kTable);
  pg_->sql("DELETE FROM t4 WHERE id = 2");
  ASSERT_EQ(pg_->sql("INSERT INTO t4 (id, b, d, t, n, r4, a4, at, iv) VALUES (2, false, '0044-03-15 BC', "
                     "'24:00:00', '0.000', 'empty', '{}', '{}', '-1 year -2 days 0.5 seconds')"),
            "");
  json r = app_->call("pg4", {open(), query("SELECT b, d, t, n, r4, a4, at, iv, u, i8, s FROM t4 WHERE id = 2")});
  ASSERT_TRUE(r[1].contains("ok")) << r.dump();
  json row = json::array();
  for (const json& v : r[1]["ok"]["rows"][0]) row.push_back(cell(v));
  EXPECT_EQ(row, json::array({V("boolean", false), V("date", {-43, 3, 15}), V("time", {0, 0, 0, 0}),
                              V("decimal", "0.000"), V("range-int32", {nullptr, nullptr}), V("array-int32", json::array()),
                              V("array-str", json::array()),
                              V("interval", {{"micros", "500000"}, {"days", -2}, {"months", -12}}), V("db-null"),
                              V("db-null"), V("db-null")}));
  // No rows: Spin reports no columns either (it takes them from the first row).
  json empty = app_->call("pg4", {open(), query("SELECT b FROM t4 WHERE id = -1")});
  EXPECT_EQ(empty[1], json({{"ok", {{"columns", json::array()}, {"rows", json::array()}}}})) << empty.dump();
}

// spin:postgres@3.0.0 and fermyon:spin/postgres@2.0.0 see the same row
// narrowed: cases they lack are `unsupported`, column types `other`.
TEST_F(UpPostgres, OlderInterfacesNarrowValues) {
  pg_->sql(kTable);
  pg_->sql("DELETE FROM t4 WHERE id = 4");
  json w = app_->call("pg4", {open(), execute(insert_sql(), all_params(4))});
  ASSERT_EQ(w[1], json({{"ok", "1"}})) << w.dump();
  std::string q = "SELECT i2, d, t, ts, u, n, a4, by, nul FROM t4 WHERE id = $1";
  json v3 = app_->call("pg3", {open(), query(q, {P("int32", 4)})});
  ASSERT_TRUE(v3[1].contains("ok")) << v3.dump();
  std::vector<std::string> t3;
  for (const json& c : v3[1]["ok"]["columns"]) t3.push_back(c["dataType"]);
  EXPECT_EQ(t3, (std::vector<std::string>{"int16", "date", "time", "datetime", "other", "other", "other", "binary", "str"}));
  json row3 = json::array();
  for (const json& v : v3[1]["ok"]["rows"][0]) row3.push_back(cell(v));
  EXPECT_EQ(row3, json::array({V("int16", -12345), V("date", {2024, 2, 29}), V("time", {13, 45, 30, 123456000}),
                               V("datetime", {1999, 12, 31, 23, 59, 59, 500000000}), V("unsupported"),
                               V("unsupported"), V("unsupported"), V("binary", {0, 1, 2, 255}), V("db-null")}));
  json v2 = app_->call("pg2", {open(), query(q, {P("int32", 4)})});
  ASSERT_TRUE(v2[1].contains("ok")) << v2.dump();
  std::vector<std::string> t2;
  for (const json& c : v2[1]["ok"]["columns"]) t2.push_back(c["dataType"]);
  EXPECT_EQ(t2, (std::vector<std::string>{"int16", "other", "other", "other", "other", "other", "other", "binary", "str"}));
  json row2 = json::array();
  for (const json& v : v2[1]["ok"]["rows"][0]) row2.push_back(cell(v));
  EXPECT_EQ(row2, json::array({V("int16", -12345), V("unsupported"), V("unsupported"), V("unsupported"),
                               V("unsupported"), V("unsupported"), V("unsupported"), V("binary", {0, 1, 2, 255}),
                               V("db-null")}));
  // Their parameters: @3 has dates and times; @2's unsigned integers are refused.
  json p3 = app_->call("pg3", {open(), execute("UPDATE t4 SET d = $1, ts = $2 WHERE id = 4",
                                               {P("date", {2001, 1, 2}), P("datetime", {2001, 1, 2, 3, 4, 5, 0})})});
  EXPECT_EQ(p3[1], json({{"ok", "1"}})) << p3.dump();
  EXPECT_EQ(pg_->sql("SELECT d::text || ' ' || ts::text FROM t4 WHERE id = 4"), "2001-01-02 2001-01-02 03:04:05");
  json p2 = app_->call("pg2", {open(), execute("UPDATE t4 SET i4 = $1 WHERE id = 4", {P("uint32", 5)}),
                               execute("UPDATE t4 SET i4 = $1, s = $2 WHERE id = 4", {P("int32", 6), P("str", "two")})});
  EXPECT_EQ(p2[1], json({{"err", {{"tag", "value-conversion-failed"}, {"val", "Postgres does not support unsigned integers"}}}}))
      << p2.dump();
  EXPECT_EQ(p2[2], json({{"ok", "1"}})) << p2.dump();
  EXPECT_EQ(pg_->sql("SELECT i4::text || s FROM t4 WHERE id = 4"), "6two");
}

// Spin 1's fermyon:spin/postgres: the address in every call, a connection each.
TEST_F(UpPostgres, Spin1Interface) {
  pg_->sql(kTable);
  pg_->sql("DELETE FROM t4 WHERE id = 5");
  auto call = [](const std::string& op, const std::string& addr, const std::string& s, json params = json::array()) {
    return json{{"op", op}, {"address", addr}, {"statement", s}, {"params", std::move(params)}};
  };
  json r = app_->call("pg1", {call("execute", address(), "INSERT INTO t4 (id, i8, s, d) VALUES ($1, $2, $3, $4)",
                                   {P("int32", 5), P("int64", "-7"), P("str", "one"), P("db-null")}),
                              call("query", address(), "SELECT i8, s, d, b FROM t4 WHERE id = $1", {P("int32", 5)}),
                              call("query", address(), "SELECT $1::int4", {P("uint8", 1)}),
                              call("query", address(), "SELEC 1"),
                              call("query", "host=127.0.0.1 port=1 user=postgres", "SELECT 1")});
  ASSERT_EQ(r.size(), 5u) << r.dump();
  EXPECT_EQ(r[0], json({{"ok", "1"}})) << r.dump();
  const json& rs = r[1]["ok"];
  EXPECT_EQ(rs["columns"][0], json({{"name", "i8"}, {"dataType", "int64"}})) << r.dump();
  EXPECT_EQ(rs["columns"][2], json({{"name", "d"}, {"dataType", "other"}}));
  json row = json::array();
  for (const json& v : rs["rows"][0]) row.push_back(cell(v));
  EXPECT_EQ(row, json::array({V("int64", "-7"), V("str", "one"), V("db-null"), V("db-null")}));
  EXPECT_EQ(r[2], json({{"err", {{"tag", "value-conversion-failed"}, {"val", "Postgres does not support unsigned integers"}}}}));
  EXPECT_EQ(r[3]["err"]["tag"], "query-failed");
  EXPECT_EQ(r[4], json({{"err", {{"tag", "connection-failed"}, {"val", "address postgres://127.0.0.1:1 is not permitted"}}}}));
  EXPECT_TRUE(guest_connections_closed());
}

// Each failure as Spin reports it.
TEST_F(UpPostgres, QueryErrors) {
  pg_->sql(kTable);
  json r = app_->call("pg4", {open(), query("SELEC 1"), query("SELECT i8 FROM t4 WHERE i8 = $1", {P("int32", 1)}),
                              query("SELECT $1::int4"), query("SELECT now()"),
                              query("SELECT $1::uuid", {P("uuid", "nope")}),
                              execute("UPDATE t4 SET u = $1", {P("uuid", "nope")}),
                              execute("UPDATE t4 SET d = $1", {P("date", {2023, 2, 30})}),
                              query("SELECT 'infinity'::date")});
  ASSERT_EQ(r.size(), 9u) << r.dump();
  // A server error: its fields.
  const json& db = r[1]["err"]["val"];
  EXPECT_EQ(r[1]["err"]["tag"], "query-failed");
  EXPECT_EQ(db["tag"], "db-error");
  EXPECT_EQ(db["val"]["code"], "42601");
  EXPECT_EQ(db["val"]["severity"], "ERROR");
  EXPECT_EQ(db["val"]["message"], "syntax error at or near \"SELEC\"");
  EXPECT_NE(db["val"]["asText"].get<std::string>().find("syntax error"), std::string::npos);
  // A parameter whose type does not accept the value: tokio-postgres's error, as text.
  EXPECT_EQ(r[2]["err"]["tag"], "query-failed");
  EXPECT_EQ(r[2]["err"]["val"]["tag"], "text");
  EXPECT_NE(r[2]["err"]["val"]["val"].get<std::string>().find("cannot convert between the Rust type `i32` and the Postgres type `int8`"),
            std::string::npos) << r[2].dump();
  EXPECT_EQ(r[3]["err"]["val"]["val"], "expected 1 parameters but got 0");
  // timestamptz columns: Spin reads them as naive date-times and fails.
  EXPECT_EQ(r[4]["err"]["tag"], "query-failed");
  EXPECT_NE(r[4].dump().find("timestamptz"), std::string::npos);
  // An unconvertible parameter: bad-parameter from query, value-conversion-failed from execute.
  EXPECT_EQ(r[5], json({{"err", {{"tag", "bad-parameter"}, {"val", "invalid UUID nope"}}}}));
  EXPECT_EQ(r[6], json({{"err", {{"tag", "value-conversion-failed"}, {"val", "invalid UUID nope"}}}}));
  EXPECT_EQ(r[7], json({{"err", {{"tag", "value-conversion-failed"}, {"val", "invalid date y=2023, m=2, d=30"}}}}));
  EXPECT_EQ(r[8]["err"]["tag"], "query-failed");
  // The older interfaces: the error's text.
  json v3 = app_->call("pg3", {open(), query("SELEC 1")});
  EXPECT_EQ(v3[1]["err"]["tag"], "query-failed");
  EXPECT_NE(v3[1]["err"]["val"].get<std::string>().find("syntax error at or near"), std::string::npos) << v3.dump();
  json v2 = app_->call("pg2", {open(), query("SELECT nope FROM t4")});
  EXPECT_EQ(v2[1]["err"]["tag"], "query-failed");
  EXPECT_NE(v2[1]["err"]["val"].get<std::string>().find("column \"nope\" does not exist"), std::string::npos);
}

// allowed_outbound_hosts decides before any connection is made.
TEST_F(UpPostgres, DeniedHostsAreNeverReached) {
  Listener other;
  std::string port = std::to_string(other.port());
  json r = app_->call("pg4", {{{"op", "open"}, {"address", "host=127.0.0.1 port=" + port + " user=postgres"}}});
  EXPECT_EQ(r[0], json({{"err", {{"tag", "connection-failed"}, {"val", "address postgres://127.0.0.1:" + port + " is not permitted"}}}}));
  // The URL form; a host name the list does not name (even one that resolves to an allowed address).
  json u = app_->call("pg3", {{{"op", "open"}, {"address", "postgres://postgres@localhost:" + std::to_string(pg_->port) + "/postgres"}}});
  EXPECT_EQ(u[0], json({{"err", {{"tag", "connection-failed"}, {"val", "address postgres://localhost:" + std::to_string(pg_->port) + " is not permitted"}}}}));
  // Any host of a multi-host address.
  json m = app_->call("pg2", {{{"op", "open"}, {"address", "host=127.0.0.1,127.0.0.1 port=" + std::to_string(pg_->port) + "," + port + " user=postgres"}}});
  EXPECT_EQ(m[0]["err"]["tag"], "connection-failed");
  EXPECT_EQ(m[0]["err"]["val"], "address postgres://127.0.0.1:" + port + " is not permitted");
  json sock = app_->call("pg4", {{{"op", "open"}, {"address", "host=/tmp user=postgres"}}});
  EXPECT_EQ(sock[0], json({{"err", {{"tag", "connection-failed"}, {"val", "Unix sockets are not supported on WebAssembly"}}}}));
  json bad = app_->call("pg4", {{{"op", "open"}, {"address", "host=127.0.0.1 flavour=mint"}}});
  EXPECT_EQ(bad[0], json({{"err", {{"tag", "connection-failed"}, {"val", "invalid configuration: unknown option `flavour`"}}}}));
  EXPECT_EQ(other.accepted(), 0);
}

TEST_F(UpPostgres, ConnectionErrors) {
  // Allowed, but nothing listens there.
  json r = app_->call("pg4", {{{"op", "open"}, {"address", "host=127.0.0.1 port=" + std::to_string(closed_port_) + " user=postgres"}}});
  EXPECT_EQ(r[0]["err"]["tag"], "connection-failed") << r.dump();
  EXPECT_NE(r[0]["err"]["val"].get<std::string>().find("refused"), std::string::npos) << r.dump();
  // A user the server does not know.
  json u = app_->call("pg2", {{{"op", "open"}, {"address", "host=127.0.0.1 port=" + std::to_string(pg_->port) + " user=nobody_here"}}});
  EXPECT_EQ(u[0]["err"]["tag"], "connection-failed") << u.dump();
  EXPECT_NE(u[0]["err"]["val"].get<std::string>().find("nobody_here"), std::string::npos) << u.dump();
}

// spin:postgres@4.1's connection-builder, and several connections in one instance.
TEST_F(UpPostgres, ConnectionBuilderAndConnections) {
  json r = app_->call("pg4", {{{"op", "build"}, {"address", address()}}, query("SELECT 40 + 2")});
  EXPECT_EQ(cell(r[1]["ok"]["rows"][0][0]), V("int32", 42)) << r.dump();
  json ca = app_->call("pg4", {{{"op", "build"}, {"address", address()}, {"ca", "not a certificate"}}});
  EXPECT_EQ(ca[0], json({{"err", {{"tag", "other"}, {"val", "invalid root certificate: invalid root certificate"}}}}));
  // Each open is a connection of its own, closed with the instance.
  std::vector<json> steps;
  for (int i = 0; i < 3; ++i) steps.push_back(open());
  steps.push_back(query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'whirl-guest'"));
  json many = app_->call("pg3", steps);
  EXPECT_EQ(cell(many[3]["ok"]["rows"][0][0]), V("int64", "3")) << many.dump();
  EXPECT_TRUE(guest_connections_closed());
  // A connection the guest drops is closed then, before its instance ends.
  json dropped = app_->call("pg4", {open(), {{"op", "close"}},
                                    {{"op", "open"}, {"address", "host=127.0.0.1 port=" + std::to_string(pg_->port) + " user=postgres"}},
                                    query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'whirl-guest'")});
  EXPECT_EQ(cell(dropped[3]["ok"]["rows"][0][0]), V("int64", "0")) << dropped.dump();
}

// TLS as Spin's native-tls gives it: used whenever the server offers it
// (sslmode=prefer, the default) and then verified against the system's
// roots and the host name, so a server whose CA only the guest knows needs
// the connection-builder's set-ca-root; require refuses a server without
// TLS; disable never asks.
TEST_F(UpPostgres, TlsAsSpin) {
  PgServer tls(true);
  ASSERT_TRUE(tls.error.empty()) << tls.error;
  App app(*wasm_, {"postgres://127.0.0.1:" + std::to_string(tls.port), "postgres://127.0.0.1:" + std::to_string(pg_->port)});
  ASSERT_NE(app.port(), 0) << app.log();
  std::string base = "host=127.0.0.1 user=postgres port=";
  std::string on_tls = base + std::to_string(tls.port), on_plain = base + std::to_string(pg_->port);
  json ssl = query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  json prefer = app.call("pg4", {{{"op", "open"}, {"address", on_tls}}});
  EXPECT_EQ(prefer[0]["err"]["tag"], "connection-failed") << prefer.dump();
  EXPECT_NE(prefer[0].dump().find("certificate"), std::string::npos) << prefer.dump();
  json trusted = app.call("pg4", {{{"op", "build"}, {"address", on_tls}, {"ca", tls.ca_pem}}, ssl});
  EXPECT_EQ(cell(trusted[1]["ok"]["rows"][0][0]), V("boolean", true)) << trusted.dump();
  json required = app.call("pg4", {{{"op", "build"}, {"address", on_tls + " sslmode=require"}, {"ca", tls.ca_pem}}, ssl});
  EXPECT_EQ(cell(required[1]["ok"]["rows"][0][0]), V("boolean", true)) << required.dump();
  json plain = app.call("pg4", {{{"op", "open"}, {"address", on_tls + " sslmode=disable"}}, ssl});
  EXPECT_EQ(cell(plain[1]["ok"]["rows"][0][0]), V("boolean", false)) << plain.dump();
  json no_tls = app.call("pg4", {{{"op", "open"}, {"address", on_plain + " sslmode=require"}}});
  EXPECT_EQ(no_tls[0]["err"]["tag"], "connection-failed") << no_tls.dump();
  json fallback = app.call("pg4", {{{"op", "open"}, {"address", on_plain}}, ssl});
  EXPECT_EQ(cell(fallback[1]["ok"]["rows"][0][0]), V("boolean", false)) << fallback.dump();
}

// allowed_outbound_hosts templates resolve through the app's variables.
TEST_F(UpPostgres, AllowedHostsFromVariables) {
  App app(*wasm_, {"postgres://{{ db_host }}:{{ db_port }}"}, "",
          "db_host = { default = \"127.0.0.1\" }\ndb_port = { default = \"" + std::to_string(pg_->port) + "\" }\n");
  ASSERT_NE(app.port(), 0) << app.log();
  json r = app.call("pg4", {open(), query("SELECT 1")});
  EXPECT_TRUE(r[1].contains("ok")) << r.dump();
  json denied = app.call("pg4", {{{"op", "open"}, {"address", "host=127.0.0.1 port=" + std::to_string(closed_port_) + " user=x"}}});
  EXPECT_EQ(denied[0]["err"]["tag"], "connection-failed") << denied.dump();
}

// A statement still running at the request's deadline is cancelled, the
// connection closed, and the request answered 500.
TEST_F(UpPostgres, DeadlineStopsAStatement) {
  App app(*wasm_, {"postgres://127.0.0.1:" + std::to_string(pg_->port)}, "", "", {"--timeout", "1"});
  ASSERT_NE(app.port(), 0) << app.log();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(app.status("pg4", {open(), query("SELECT pg_sleep(60)")}), 500u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  EXPECT_TRUE(guest_connections_closed());
  EXPECT_EQ(pg_->sql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%'"), "0");
}

// [outbound_pg] in the runtime config: max_connections read, anything else refused.
TEST_F(UpPostgres, RuntimeConfig) {
  App bad(*wasm_, {}, "[outbound_pg]\nmax_connection = 2\n");
  EXPECT_EQ(bad.port(), 0);
  EXPECT_NE(bad.log().find("runtime-config.toml:2:1"), std::string::npos) << bad.log();
  EXPECT_NE(bad.log().find("unknown field `max_connection`"), std::string::npos) << bad.log();
  App limited(*wasm_, {"postgres://127.0.0.1:" + std::to_string(pg_->port)}, "[outbound_pg]\nmax_connections = 2\n");
  ASSERT_NE(limited.port(), 0) << limited.log();
  json r = limited.call("pg4", {open(), {{"op", "close"}}, open(), query("SELECT 1")});
  EXPECT_TRUE(r[3].contains("ok")) << r.dump();
}

}  // namespace
}  // namespace whirl::test::outbound
