// Checks every backend passes (SQLite and Redis): the Store operations as
// Spin's interfaces define them, and increments from many threads counted
// exactly.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "spin/key_value/store.h"

namespace whirl::test {

namespace kv = spin::key_value;

inline std::shared_ptr<kv::Store> open_ok(kv::StoreProvider& p, const std::string& label) {
  auto s = p.open(label);
  EXPECT_TRUE(s) << s.error().message;
  return s ? *s : nullptr;
}

// get/set/delete/exists/keys and the batch operations on an empty store.
inline void check_basic_operations(kv::Store& s) {
  auto g = s.get("a");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_FALSE(*g);
  ASSERT_TRUE(s.exists("a"));
  EXPECT_FALSE(*s.exists("a"));
  ASSERT_TRUE(s.del("a")) << "deleting an absent key is not an error";

  ASSERT_TRUE(s.set("a", "one"));
  ASSERT_TRUE(s.set("b", std::string("\0\xff\x01", 3)));  // bytes, not text
  EXPECT_EQ(s.get("a")->value_or("<none>"), "one");
  EXPECT_EQ(s.get("b")->value_or("<none>"), std::string("\0\xff\x01", 3));
  EXPECT_TRUE(*s.exists("a"));
  ASSERT_TRUE(s.set("a", "two"));  // overwrite
  EXPECT_EQ(s.get("a")->value_or("<none>"), "two");
  ASSERT_TRUE(s.set("empty", ""));
  EXPECT_EQ(s.get("empty")->value_or("<none>"), "");
  EXPECT_TRUE(*s.exists("empty"));

  auto keys = s.keys();
  ASSERT_TRUE(keys) << keys.error().message;
  std::sort(keys->begin(), keys->end());
  EXPECT_EQ(*keys, (std::vector<std::string>{"a", "b", "empty"}));

  ASSERT_TRUE(s.del("a"));
  EXPECT_FALSE(*s.exists("a"));
  EXPECT_FALSE(*s.get("a"));

  ASSERT_TRUE(s.set_many({{"x", "1"}, {"y", "2"}, {"z", "3"}}));
  auto many = s.get_many({"z", "missing", "x", "z"});
  ASSERT_TRUE(many) << many.error().message;
  // Spin's get-many: the keys that exist, each once, in the order asked.
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ((*many)[0].first, "z");
  EXPECT_EQ((*many)[0].second.value_or("<none>"), "3");
  EXPECT_EQ((*many)[1].first, "x");
  EXPECT_EQ((*many)[1].second.value_or("<none>"), "1");
  ASSERT_TRUE(s.delete_many({"x", "z", "missing"}));
  EXPECT_FALSE(*s.exists("x"));
  EXPECT_TRUE(*s.exists("y"));
  EXPECT_FALSE(*s.exists("z"));
}

// Counters: absent counts as 0, negative deltas.
inline void check_increment(kv::Store& s) {
  auto a = s.increment("n", 5);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(*a, 5);
  EXPECT_EQ(*s.increment("n", -7), -2);
  EXPECT_EQ(*s.increment("n", 0), -2);
}

// Compare-and-swap: success, a conflict from a write in between, and an
// insert of an absent key that someone else wrote meanwhile.
inline void check_cas(kv::Store& s) {
  ASSERT_TRUE(s.set("c", "v1"));
  auto c = s.new_cas("c");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ((*c)->current()->value_or("<none>"), "v1");
  auto ok = (*c)->swap("v2");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE(*ok);
  EXPECT_EQ(s.get("c")->value_or("<none>"), "v2");

  auto c2 = s.new_cas("c");
  ASSERT_TRUE(c2);
  EXPECT_EQ((*c2)->current()->value_or("<none>"), "v2");
  ASSERT_TRUE(s.set("c", "other"));  // someone else writes
  auto failed = (*c2)->swap("mine");
  ASSERT_TRUE(failed) << failed.error().message;
  EXPECT_FALSE(*failed);
  EXPECT_EQ(s.get("c")->value_or("<none>"), "other");

  auto c3 = s.new_cas("fresh");
  ASSERT_TRUE(c3);
  EXPECT_FALSE(*(*c3)->current());
  ASSERT_TRUE(s.set("fresh", "theirs"));
  EXPECT_FALSE(*(*c3)->swap("mine"));
  EXPECT_EQ(s.get("fresh")->value_or("<none>"), "theirs");
}

// `threads` threads each increment `key` `each` times, through stores
// opened from `providers` in turn: every increment is counted.
inline void check_concurrent_increments(const std::vector<std::shared_ptr<kv::Store>>& stores, const std::string& key,
                                        int threads, int each) {
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      auto& s = *stores[size_t(t) % stores.size()];
      for (int i = 0; i < each; ++i)
        if (!s.increment(key, 1)) ++failures;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto final_value = stores[0]->increment(key, 0);
  ASSERT_TRUE(final_value) << final_value.error().message;
  EXPECT_EQ(*final_value, int64_t(threads) * each);
}

}  // namespace whirl::test
