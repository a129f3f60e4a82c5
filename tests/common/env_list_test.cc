// "KEY=VALUE" lookups as a container's process sees its environment.
#include "common/env_list.h"

#include <gtest/gtest.h>

namespace whirl {
namespace {

TEST(EnvList, TheLastEntryOfAKeyWinsAndOnlyWholeKeysMatch) {
  const std::vector<std::string> env{"A=1", "AB=2", "A=3", "EMPTY=", "NOEQUALS", "X==y"};
  EXPECT_EQ(env_value(env, "A"), "3");
  EXPECT_EQ(env_value(env, "AB"), "2");
  EXPECT_EQ(env_value(env, "EMPTY"), "");
  EXPECT_EQ(env_value(env, "NOEQUALS"), std::nullopt);
  EXPECT_EQ(env_value(env, "X"), "=y");
  EXPECT_EQ(env_value(env, "B"), std::nullopt);
  auto getenv = getenv_from(env);
  EXPECT_EQ(getenv("A"), "3");
  EXPECT_EQ(getenv("MISSING"), std::nullopt);
}

}  // namespace
}  // namespace whirl
