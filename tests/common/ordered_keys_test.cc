// OrderedKeys (common/ordered_keys.h): each key is found at the position
// it was added at, with or without a right hint, below and past the size
// from which it keeps a hash index; a missing key is not found.
#include "common/ordered_keys.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace whirl {
namespace {

TEST(OrderedKeys, FindsEachKeyWhereItWasAddedBelowAndPastTheIndexedSize) {
  for (size_t n : {size_t(1), OrderedKeys<std::string>::kIndexedFrom - 1, OrderedKeys<std::string>::kIndexedFrom,
                   size_t(300)}) {
    OrderedKeys<std::string> keys;
    for (size_t i = 0; i < n; ++i) keys.push_back("k" + std::to_string(i * 7));
    ASSERT_EQ(keys.size(), n);
    for (uint32_t i = 0; i < n; ++i) {
      const std::string k = "k" + std::to_string(i * 7);
      EXPECT_EQ(keys.find(k), i) << n << " keys, no hint";
      EXPECT_EQ(keys.find(k, i), i) << n << " keys, the right hint";
      EXPECT_EQ(keys.find(k, uint32_t((i + 1) % n)), i) << n << " keys, a wrong hint";
      EXPECT_EQ(keys.find(k, uint32_t(n + 5)), i) << n << " keys, a hint past the end";
      EXPECT_EQ(keys[i], k);
    }
    EXPECT_FALSE(keys.find("k1"));  // 1 is no multiple of 7
    EXPECT_FALSE(keys.find("absent", 0));
  }
}

}  // namespace
}  // namespace whirl
