// `whirl up` serving a JS guest (componentize-js) that imports
// fermyon:spin/key-value@2.0.0 and wasi:keyvalue store, atomics and batch
// @0.2.0-draft2: every function against the default store (SQLite in
// `.spin/sqlite_key_value.db`), permissions as Spin checks them, and the
// results Spin gives (crates/factor-key-value/src/host.rs,
// crates/key-value-spin/src/store.rs).
#include <sqlite3.h>

#include "up_app.h"

namespace whirl::test {
namespace {

// Another connection's view of the default store's file.
std::optional<std::string> row(const fs::path& db, const std::string& key) {
  sqlite3* h = nullptr;
  std::optional<std::string> out;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT value FROM spin_key_value WHERE store='default' AND key=?1", -1, &st, nullptr) ==
        SQLITE_OK) {
      sqlite3_bind_text(st, 1, key.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(st) == SQLITE_ROW)
        out = std::string(static_cast<const char*>(sqlite3_column_blob(st, 0)), size_t(sqlite3_column_bytes(st, 0)));
      sqlite3_finalize(st);
    }
  }
  sqlite3_close(h);
  return out;
}

// One server for the tests of this suite: `web` is granted `default` and
// `shared`; `admin` only `shared` (a store defined in the runtime config).
class UpKeyValue : public ::testing::Test {
 protected:
  void SetUp() override {
    WHIRL_REQUIRE_JS_GUEST(kv_guest());
    app_ = std::make_unique<KvApp>("fn", kv_manifest(R"(["default", "shared"])", R"(["shared"])"),
                                   "[key_value_store.shared]\ntype = \"spin\"\npath = \"shared.db\"\n");
    ASSERT_NE(app_->start(), 0) << app_->stderr_text();
  }
  std::unique_ptr<KvApp> app_;
};

TEST_F(UpKeyValue, SpinKeyValueV2) {
  json r = app_->run(json::parse(R"([
    {"api":"v2","op":"open","store":"default"},
    {"api":"v2","op":"get","h":0,"key":"a"},
    {"api":"v2","op":"exists","h":0,"key":"a"},
    {"api":"v2","op":"delete","h":0,"key":"a"},
    {"api":"v2","op":"set","h":0,"key":"a","value":"one"},
    {"api":"v2","op":"set","h":0,"key":"b","value":"two"},
    {"api":"v2","op":"get","h":0,"key":"a"},
    {"api":"v2","op":"exists","h":0,"key":"a"},
    {"api":"v2","op":"set","h":0,"key":"a","value":"uno"},
    {"api":"v2","op":"get","h":0,"key":"a"},
    {"api":"v2","op":"keys","h":0},
    {"api":"v2","op":"delete","h":0,"key":"b"},
    {"api":"v2","op":"keys","h":0},
    {"api":"v2","op":"open","store":"default"},
    {"api":"v2","op":"get","h":1,"key":"a"}
  ])"));
  ASSERT_TRUE(r.is_array()) << r;
  json want = json::array({ok(0), ok(nullptr), ok(false), ok(nullptr), ok(nullptr), ok(nullptr), ok("one"), ok(true),
                           ok(nullptr), ok("uno"), ok(json::array({"a", "b"})), ok(nullptr), ok(json::array({"a"})),
                           ok(1), ok("uno")});
  EXPECT_EQ(r, want) << r.dump(1);
  // In Spin's file, committed.
  EXPECT_EQ(row(app_->dir() / ".spin" / "sqlite_key_value.db", "a").value_or("<none>"), "uno");
}

TEST_F(UpKeyValue, WasiKeyValueStoreAndBatch) {
  json r = app_->run(json::parse(R"([
    {"api":"wasi","op":"open","store":"default"},
    {"api":"wasi","op":"get","h":0,"key":"w"},
    {"api":"wasi","op":"set","h":0,"key":"w","value":"1"},
    {"api":"wasi","op":"exists","h":0,"key":"w"},
    {"api":"wasi","op":"get","h":0,"key":"w"},
    {"api":"wasi","op":"list","h":0},
    {"api":"wasi","op":"list","h":0,"cursor":"0"},
    {"api":"wasi","op":"delete","h":0,"key":"w"},
    {"api":"wasi","op":"exists","h":0,"key":"w"},
    {"api":"wasi","op":"set-many","h":0,"pairs":[["x","10"],["y","20"],["z","30"]]},
    {"api":"wasi","op":"get-many","h":0,"keys":["z","nope","x"]},
    {"api":"wasi","op":"get-many","h":0,"keys":[]},
    {"api":"wasi","op":"delete-many","h":0,"keys":["x","z","nope"]},
    {"api":"wasi","op":"list","h":0},
    {"api":"wasi","op":"set-many","h":0,"pairs":[]},
    {"api":"wasi","op":"delete-many","h":0,"keys":[]}
  ])"));
  ASSERT_TRUE(r.is_array()) << r;
  json want = json::array({ok(0), ok(nullptr), ok(nullptr), ok(true), ok("1"),
                           ok(json{{"keys", json::array({"w"})}, {"cursor", nullptr}}),
                           json{{"err", {{"tag", "other"}, {"val", "list_keys: cursor not supported"}}}}, ok(nullptr),
                           ok(false), ok(nullptr),
                           // Spin: only the keys that exist, in the order asked
                           ok(json::array({json::array({"z", "30"}), json::array({"x", "10"})})), ok(json::array()),
                           ok(nullptr), ok(json{{"keys", json::array({"y"})}, {"cursor", nullptr}}), ok(nullptr),
                           ok(nullptr)});
  EXPECT_EQ(r, want) << r.dump(1);
}

TEST_F(UpKeyValue, WasiKeyValueAtomics) {
  json r = app_->run(json::parse(R"([
    {"api":"wasi","op":"open","store":"default"},
    {"api":"wasi","op":"incr","h":0,"key":"n","delta":10},
    {"api":"wasi","op":"incr","h":0,"key":"n","delta":246},
    {"api":"wasi","op":"set","h":0,"key":"c","value":"v1"},
    {"api":"wasi","op":"cas-new","h":0,"key":"c"},
    {"api":"wasi","op":"cas-current","c":0},
    {"api":"wasi","op":"swap","c":0,"value":"v2"},
    {"api":"wasi","op":"get","h":0,"key":"c"},
    {"api":"wasi","op":"cas-new","h":0,"key":"c"},
    {"api":"wasi","op":"cas-current","c":1},
    {"api":"wasi","op":"set","h":0,"key":"c","value":"theirs"},
    {"api":"wasi","op":"swap","c":1,"value":"mine"},
    {"api":"wasi","op":"get","h":0,"key":"c"},
    {"api":"wasi","op":"cas-current","c":2},
    {"api":"wasi","op":"swap","c":2,"value":"mine"},
    {"api":"wasi","op":"get","h":0,"key":"c"},
    {"api":"wasi","op":"set","h":0,"key":"text","value":"abc"},
    {"api":"wasi","op":"incr","h":0,"key":"text","delta":1}
  ])"));
  ASSERT_TRUE(r.is_array() && r.size() == 18) << r;
  json want = json::array({ok(0), ok("10"), ok("256"), ok(nullptr), ok(0), ok("v1"), ok(nullptr), ok("v2"), ok(1),
                           ok("v2"), ok(nullptr),
                           // the write in between: cas-failed with a fresh cas that has read "theirs"
                           json{{"err", {{"tag", "cas-failed"}, {"val", {{"cas", 2}}}}}}, ok("theirs"), ok("theirs"),
                           ok(nullptr), ok("mine"), ok(nullptr)});
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(r[i], want[i]) << "step " << i;
  EXPECT_EQ(err_tag(r[17]), "other") << r[17];  // not a counter (Spin's host panics here)
  // Spin's SQLite counters: 8 little-endian bytes.
  EXPECT_EQ(row(app_->dir() / ".spin" / "sqlite_key_value.db", "n").value_or("<none>"),
            std::string("\0\x01\0\0\0\0\0\0", 8));
}

// A store not in the component's key_value_stores is access-denied in
// every interface, whether it exists (`default` for admin) or not.
TEST_F(UpKeyValue, StoresNotGrantedAreAccessDenied) {
  json r = app_->run(json::parse(R"([
    {"api":"v2","op":"open","store":"default"},
    {"api":"wasi","op":"open","store":"default"},
    {"api":"v2","op":"open","store":"nosuch"},
    {"api":"wasi","op":"open","store":"nosuch"},
    {"api":"v2","op":"open","store":"shared"},
    {"api":"v2","op":"set","h":0,"key":"from-admin","value":"hi"}
  ])"),
                     "/admin");
  ASSERT_TRUE(r.is_array() && r.size() == 6) << r;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(err_tag(r[i]), "access-denied") << i << ": " << r[i];
  EXPECT_EQ(r[4], ok(0));
  EXPECT_EQ(r[5], ok(nullptr));
  json w = app_->run(json::parse(R"([
    {"api":"v2","op":"open","store":"nosuch"},
    {"api":"wasi","op":"open","store":"shared"},
    {"api":"wasi","op":"get","h":0,"key":"from-admin"}
  ])"));
  ASSERT_TRUE(w.is_array() && w.size() == 3) << w;
  EXPECT_EQ(err_tag(w[0]), "access-denied");
  EXPECT_EQ(w[2], ok("hi"));
  // The `spin` store's path is relative to the runtime config's directory.
  EXPECT_TRUE(fs::exists(app_->dir() / "shared.db"));
}

// Labels are namespaces in one file, and each store its own file.
TEST_F(UpKeyValue, StoresAreSeparate) {
  json r = app_->run(json::parse(R"([
    {"api":"v2","op":"open","store":"default"},
    {"api":"v2","op":"open","store":"shared"},
    {"api":"v2","op":"set","h":0,"key":"k","value":"in default"},
    {"api":"v2","op":"get","h":1,"key":"k"},
    {"api":"v2","op":"keys","h":1}
  ])"));
  ASSERT_TRUE(r.is_array() && r.size() == 5) << r;
  EXPECT_EQ(r[3], ok(nullptr));
  EXPECT_EQ(r[4], ok(json::array()));
}

}  // namespace
}  // namespace whirl::test
