// ChunkedList (common/chunked_list.h): elements keep their addresses as
// the list grows past several chunks, hold what they were built with, and
// are destroyed once each, first to last, when the list goes or is cleared.
#include "common/chunked_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace whirl {
namespace {

struct Tracked {
  Tracked(int v, std::vector<int>* log) : v(v), log(log) {}
  Tracked(const Tracked&) = delete;
  ~Tracked() { log->push_back(v); }
  int v;
  std::vector<int>* log;
  std::string padding = std::string(40, 'x');  // not small: heap-owning members are destroyed too
};

TEST(ChunkedList, ElementsStayWhereTheyWereMadeAcrossChunks) {
  std::vector<int> destroyed;
  std::vector<const Tracked*> where;
  {
    ChunkedList<Tracked, 2> list;
    EXPECT_TRUE(list.empty());
    for (int i = 0; i < 100; ++i) where.push_back(&list.emplace_back(i, &destroyed));
    EXPECT_EQ(list.size(), 100u);
    for (int i = 0; i < 100; ++i) {
      EXPECT_EQ(where[i]->v, i);
      EXPECT_EQ(where[i]->padding.size(), 40u);
    }
    EXPECT_TRUE(destroyed.empty());
  }
  ASSERT_EQ(destroyed.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(destroyed[i], i) << "destroyed out of order";
}

TEST(ChunkedList, ClearDestroysAllAndTheListIsUsableAgain) {
  std::vector<int> destroyed;
  ChunkedList<Tracked, 4> list;
  for (int i = 0; i < 13; ++i) list.emplace_back(i, &destroyed);
  list.clear();
  EXPECT_EQ(destroyed.size(), 13u);
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(list.emplace_back(7, &destroyed).v, 7);
  EXPECT_EQ(list.size(), 1u);
}

}  // namespace
}  // namespace whirl
