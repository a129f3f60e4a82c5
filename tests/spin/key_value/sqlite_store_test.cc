// The SQLite backend (`type = "spin"` and the default store) against
// store_checks.h, and what a second reader of the file sees: Spin's table
// (spin_key_value: store, key, value), counters as 8 little-endian bytes,
// one namespace per label, data kept across providers (a restart).
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "spin/key_value/sqlite_store.h"
#include "store_checks.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;

class SqliteStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("whirl-kv-sqlite-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // What another connection reads from the file: value of (store, key).
  std::optional<std::string> read_row(const fs::path& db, const std::string& store, const std::string& key) {
    sqlite3* h = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(h, "SELECT value FROM spin_key_value WHERE store=?1 AND key=?2", -1, &st, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(h);
    sqlite3_bind_text(st, 1, store.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key.c_str(), -1, SQLITE_TRANSIENT);
    std::optional<std::string> out;
    if (sqlite3_step(st) == SQLITE_ROW)
      out = std::string(static_cast<const char*>(sqlite3_column_blob(st, 0)), size_t(sqlite3_column_bytes(st, 0)));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
  }

  fs::path dir_;
};

TEST_F(SqliteStore, Operations) {
  auto p = kv::sqlite_provider(dir_ / "state" / "sqlite_key_value.db");
  auto s = open_ok(*p, "default");
  ASSERT_TRUE(s);
  check_basic_operations(*s);
  check_increment(*s);
  check_cas(*s);
}

TEST_F(SqliteStore, InMemory) {
  auto p = kv::sqlite_provider({});
  auto s = open_ok(*p, "mem");
  ASSERT_TRUE(s);
  check_basic_operations(*s);
  check_cas(*s);
  EXPECT_FALSE(fs::exists(dir_));
}

// The file and its directories appear at the first open, not before.
TEST_F(SqliteStore, FileMadeAtFirstOpen) {
  fs::path db = dir_ / "a" / "b" / "kv.db";
  auto p = kv::sqlite_provider(db);
  EXPECT_FALSE(fs::exists(dir_));
  EXPECT_NE(p->summary().find(db.string()), std::string::npos);
  auto s = open_ok(*p, "default");
  ASSERT_TRUE(s);
  EXPECT_TRUE(fs::exists(db));
}

// Spin's layout, read by a separate connection: labels are namespaces,
// counters 8 little-endian bytes.
TEST_F(SqliteStore, SpinTableLayout) {
  fs::path db = dir_ / "kv.db";
  auto p = kv::sqlite_provider(db);
  auto a = open_ok(*p, "default");
  auto b = open_ok(*p, "other");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->set("k", "from default"));
  ASSERT_TRUE(b->set("k", "from other"));
  EXPECT_EQ(a->get("k")->value_or(""), "from default");
  EXPECT_EQ(*b->keys(), std::vector<std::string>{"k"});
  ASSERT_TRUE(a->increment("n", 258));
  EXPECT_EQ(read_row(db, "default", "k").value_or("<none>"), "from default");
  EXPECT_EQ(read_row(db, "other", "k").value_or("<none>"), "from other");
  EXPECT_EQ(read_row(db, "default", "n").value_or("<none>"), std::string("\x02\x01\0\0\0\0\0\0", 8));
  ASSERT_TRUE(b->del("k"));
  EXPECT_FALSE(read_row(db, "other", "k"));
  EXPECT_TRUE(read_row(db, "default", "k"));
}

// Written values are in the file when the call returns: a new provider
// (another process) reads them.
TEST_F(SqliteStore, SurvivesReopening) {
  fs::path db = dir_ / "kv.db";
  {
    auto p = kv::sqlite_provider(db);
    auto s = open_ok(*p, "default");
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->set("kept", "yes"));
    ASSERT_TRUE(s->set_many({{"m1", "1"}, {"m2", "2"}}));
    ASSERT_TRUE(s->increment("count", 3));
    EXPECT_EQ(read_row(db, "default", "kept").value_or("<none>"), "yes");  // committed, not only cached
  }
  auto p = kv::sqlite_provider(db);
  auto s = open_ok(*p, "default");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->get("kept")->value_or("<none>"), "yes");
  EXPECT_EQ(s->get("m2")->value_or("<none>"), "2");
  EXPECT_EQ(*s->increment("count", 1), 4);
}

// A value increment cannot read as a counter: an `other` error, the
// value untouched (Spin's host panics here).
TEST_F(SqliteStore, IncrementOfNonCounter) {
  auto p = kv::sqlite_provider(dir_ / "kv.db");
  auto s = open_ok(*p, "default");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->set("text", "abc"));
  auto r = s->increment("text", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, kv::StoreError::Kind::Other);
  EXPECT_NE(r.error().message.find("not a counter"), std::string::npos) << r.error().message;
  EXPECT_EQ(s->get("text")->value_or(""), "abc");
}

// A path that cannot be a database: the open fails with `other`, and a
// later open tries again.
TEST_F(SqliteStore, OpenFailureIsOther) {
  fs::create_directories(dir_ / "is-a-dir.db");
  auto p = kv::sqlite_provider(dir_ / "is-a-dir.db");
  auto s = p->open("default");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, kv::StoreError::Kind::Other);
  EXPECT_FALSE(s.error().message.empty());
  fs::remove_all(dir_ / "is-a-dir.db");
  EXPECT_TRUE(p->open("default")) << "not remembered as failed";
}

// 50 threads, two providers on one file (two connections, as two labels
// on one path or two processes would have): no increment lost.
TEST_F(SqliteStore, ConcurrentIncrements) {
  fs::path db = dir_ / "kv.db";
  auto p1 = kv::sqlite_provider(db), p2 = kv::sqlite_provider(db);
  std::vector<std::shared_ptr<kv::Store>> stores{open_ok(*p1, "default"), open_ok(*p2, "default")};
  ASSERT_TRUE(stores[0] && stores[1]);
  check_concurrent_increments(stores, "counter", 50, 20);
}

// Concurrent cas loops (get, compute, swap, retry on conflict): exact.
TEST_F(SqliteStore, ConcurrentCasLoops) {
  auto p = kv::sqlite_provider(dir_ / "kv.db");
  auto s = open_ok(*p, "default");
  ASSERT_TRUE(s);
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        bool done = false;
        for (int tries = 0; tries < 10000 && !done; ++tries) {
          auto c = s->new_cas("v");
          auto cur = c ? (*c)->current() : kv::StoreResult<std::optional<kv::Bytes>>(kv::store_error("new_cas"));
          if (!cur) break;
          int n = *cur ? std::stoi(**cur) : 0;
          auto ok = (*c)->swap(std::to_string(n + 1));
          if (!ok) break;
          done = *ok;
        }
        if (!done) ++failures;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(s->get("v")->value_or(""), "200");
}

}  // namespace
}  // namespace whirl::test
