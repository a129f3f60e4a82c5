// The SQLite host functions called as the component runtime calls them
// (through the app's Linker, on an instance whose WASI context carries the
// factor's per-instance state): Spin's error for each case, values of
// every kind, every interface version sharing one connection table.
#include <gtest/gtest.h>

#include <fstream>

#include "../support/host_calls.h"
#include "spin/runtime/app_runtime.h"
#include "spin/sqlite/sqlite.h"
#include "wasi/p2/ctx.h"

namespace whirl::spin::sqlite {
namespace {

namespace fs = std::filesystem;
namespace rt = component::runtime;
using component::TypeKind;
using component::abi::Value;

constexpr const char* kV1 = "fermyon:spin/sqlite";
constexpr const char* kV2 = "fermyon:spin/sqlite@2.0.0";
constexpr const char* kV3 = "spin:sqlite/sqlite@3.0.0";

Value text(std::string s) { return Value::variant("text", Value::string(std::move(s))); }
Value integer(int64_t v) { return Value::variant("integer", Value::sint(TypeKind::S64, v)); }
Value real(double v) { return Value::variant("real", Value::float64(v)); }
Value blob(std::string b) { return Value::variant("blob", Value::byte_list(std::move(b))); }
Value null() { return Value::variant("null"); }
Value list(std::vector<Value> v) { return Value::list(std::move(v)); }

class SqliteHost : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = whirl::testing::scratch_dir("whirl-sqlite-host") /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto app = std::make_shared<LoadedApp>();
    app->manifest.dir = dir_;
    Component c;
    c.id = "granted";
    c.sqlite_databases = {"default", "mem"};
    app->manifest.components.push_back(c);
    c.id = "bare";
    c.sqlite_databases = {};
    app->manifest.components.push_back(c);
    LoadedComponent lc;
    lc.id = "granted";
    app->components.push_back(lc);
    lc.id = "bare";
    app->components.push_back(lc);
    std::ofstream(dir_ / "rc.toml") << "[sqlite_database.mem]\ntype = \"spin\"\n";
    AppRuntimeOptions o;
    o.runtime_config = dir_ / "rc.toml";
    const Factor* const fs[] = {&sqlite_factor()};
    auto r = AppRuntime::create(app, o, fs);
    ASSERT_TRUE(r) << r.error().message;
    rt_ = *r;
    instance("granted");
  }

  // A fresh instance of component `id`.
  void instance(const std::string& id) {
    auto w = wasi::p2::create_wasi_p2(wasi::WasiConfig{});
    ASSERT_TRUE(w);
    ctx_ = *w;
    ASSERT_TRUE(rt_->prepare_instance(*rt_->app().find(id), *ctx_));
    inst_.host_data = ctx_;
  }

  whirl::test::HostResults call(const std::string& iface, const std::string& func, std::vector<Value> args) {
    return whirl::test::call_host(rt_->linker(), inst_, iface, func, std::move(args));
  }
  Value call1(const std::string& iface, const std::string& func, std::vector<Value> args) {
    return whirl::test::call_host1(rt_->linker(), inst_, iface, func, std::move(args));
  }
  void drop(const std::string& iface, uint32_t rep) {
    whirl::test::drop_host_resource(rt_->linker(), inst_, iface, "connection", rep);
  }
  // open's ok handle, failing the test on an error.
  uint32_t open(const char* iface, const std::string& db) {
    Value r = call1(iface, std::string(iface) == kV1 ? "open" : "[static]connection.open", {Value::string(db)});
    EXPECT_FALSE(r.is_err) << component::abi::to_string(r);
    return r.payload() ? uint32_t(r.payload()->u) : 0;
  }
  Value execute(const char* iface, uint32_t conn, const std::string& sql, std::vector<Value> params = {}) {
    bool v1 = std::string(iface) == kV1;
    Value handle = v1 ? Value::uint(TypeKind::U32, conn) : Value::borrow(conn);
    return call1(iface, v1 ? "execute" : "[method]connection.execute",
                 {handle, Value::string(sql), list(std::move(params))});
  }

  fs::path dir_;
  std::shared_ptr<const AppRuntime> rt_;
  wasi::p2::testing::FakeInstance inst_;
  std::shared_ptr<wasi::p2::WasiP2> ctx_;
};

TEST_F(SqliteHost, ValuesOfEveryKindThroughEachVersion) {
  for (const char* iface : {kV2, kV3, kV1}) {
    SCOPED_TRACE(iface);
    uint32_t c = open(iface, "default");
    ASSERT_NE(c, 0u);
    Value r = execute(iface, c, "CREATE TABLE IF NOT EXISTS t (i, r, s, b, n)");
    ASSERT_FALSE(r.is_err) << component::abi::to_string(r);
    execute(iface, c, "DELETE FROM t");
    r = execute(iface, c, "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                {integer(-42), real(0.25), text("sn\xc3\xb8w"), blob(std::string("\0\x01\xfe", 3)), null()});
    ASSERT_FALSE(r.is_err) << component::abi::to_string(r);
    r = execute(iface, c, "SELECT i, r, s, b, n FROM t WHERE i = ?", {integer(-42)});
    ASSERT_FALSE(r.is_err) << component::abi::to_string(r);
    EXPECT_EQ(component::abi::to_string(r),
              "ok({columns: [\"i\", \"r\", \"s\", \"b\", \"n\"], rows: [{values: [integer(-42), real(0.25), "
              "text(\"sn\u00f8w\"), blob([0, 1, 254]), null]}]})");
  }
}

TEST_F(SqliteHost, ChangesAndLastInsertRowidOf3x) {
  uint32_t c = open(kV3, "default");
  execute(kV3, c, "CREATE TABLE t (x)");
  execute(kV3, c, "INSERT INTO t VALUES (1), (2)");
  EXPECT_EQ(call1(kV3, "[method]connection.changes", {Value::borrow(c)}).u, 2u);
  EXPECT_EQ(call1(kV3, "[method]connection.last-insert-rowid", {Value::borrow(c)}).s, 2);
  execute(kV3, c, "DELETE FROM t WHERE x = 1");
  EXPECT_EQ(call1(kV3, "[method]connection.changes", {Value::borrow(c)}).u, 1u);
  // Another connection has its own counts.
  uint32_t d = open(kV3, "default");
  EXPECT_EQ(call1(kV3, "[method]connection.changes", {Value::borrow(d)}).u, 0u);
  EXPECT_EQ(call1(kV3, "[method]connection.last-insert-rowid", {Value::borrow(d)}).s, 0);
  // 3.1.0's async functions lowered synchronously answer the same.
  EXPECT_EQ(call1("spin:sqlite/sqlite@3.1.0", "[method]connection.changes-async", {Value::borrow(c)}).u, 1u);
  auto r = call("spin:sqlite/sqlite@3.1.0", "[method]connection.execute-async",
                {Value::borrow(c), Value::string("SELECT 1"), list({})});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("component-model async"), std::string::npos);
}

TEST_F(SqliteHost, OpenChecksTheGrantFirst) {
  for (const char* iface : {kV2, kV3}) {
    SCOPED_TRACE(iface);
    // Not granted, whether or not it exists: access-denied (Spin's order).
    EXPECT_EQ(component::abi::to_string(call1(iface, "[static]connection.open", {Value::string("nope")})),
              "err(access-denied)");
    instance("bare");
    EXPECT_EQ(component::abi::to_string(call1(iface, "[static]connection.open", {Value::string("default")})),
              "err(access-denied)");
    instance("granted");
  }
  EXPECT_EQ(component::abi::to_string(call1(kV1, "open", {Value::string("other")})), "err(access-denied)");
}

TEST_F(SqliteHost, StatementErrorsAreIo) {
  uint32_t c = open(kV2, "default");
  EXPECT_EQ(component::abi::to_string(execute(kV2, c, "SELECT * FROM missing")),
            "err(io(\"no such table: missing\"))");
  EXPECT_EQ(component::abi::to_string(execute(kV2, c, "SELECT ?", {})),
            "err(io(\"Wrong number of parameters passed to query. Got 0, needed 1\"))");
}

TEST_F(SqliteHost, InMemoryDatabasesAreFreshPerConnection) {
  uint32_t a = open(kV2, "mem"), b = open(kV2, "mem");
  execute(kV2, a, "CREATE TABLE t (x)");
  EXPECT_FALSE(execute(kV2, a, "SELECT * FROM t").is_err);
  EXPECT_TRUE(execute(kV2, b, "SELECT * FROM t").is_err);
}

TEST_F(SqliteHost, ClosedConnectionsAreInvalidAndTheLimitIs256) {
  uint32_t c = open(kV1, "default");
  call1(kV1, "close", {Value::uint(TypeKind::U32, c)});
  EXPECT_EQ(component::abi::to_string(execute(kV1, c, "SELECT 1")), "err(invalid-connection)");
  EXPECT_EQ(component::abi::to_string(execute(kV1, 999, "SELECT 1")), "err(invalid-connection)");
  std::vector<uint32_t> open_ones;
  for (int i = 0; i < 256; ++i) open_ones.push_back(open(kV2, "default"));
  EXPECT_EQ(component::abi::to_string(call1(kV2, "[static]connection.open", {Value::string("default")})),
            "err(io(\"too many connections opened\"))");
  drop(kV2, open_ones.back());
  EXPECT_NE(open(kV2, "default"), 0u);
}

}  // namespace
}  // namespace whirl::spin::sqlite
