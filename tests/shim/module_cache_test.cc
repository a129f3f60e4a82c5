#include "shim/module_cache.h"

#include <gtest/gtest.h>

#include "wasm/runtime/runtime.h"

namespace whirl::shim {
namespace {

// The smallest valid module, and one with a different (empty) custom section.
const std::vector<uint8_t> kEmpty = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
const std::vector<uint8_t> kOther = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x78};

TEST(ModuleCache, SameBytesShareAnEntry) {
  ModuleCache cache;
  auto a = cache.lookup(kEmpty);
  auto b = cache.lookup(kEmpty);
  auto c = cache.lookup(kOther);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ModuleCache, CompilesOnlyWhatATaskProcessCompiledFirst) {
  ModuleCache cache;
  auto e = cache.lookup(kEmpty);
  EXPECT_EQ(ModuleCache::compiled(e), nullptr);  // first use: the task process compiles
  ModuleCache::mark_verified(e);
  auto m = ModuleCache::compiled(e);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ModuleCache::compiled(cache.lookup(kEmpty)), m);  // compiled once
}

TEST(ModuleCache, BadBytesNeverCompile) {
  ModuleCache cache;
  const std::vector<uint8_t> bad = {0x00, 0x61, 0x73, 0x6d, 0x02};
  auto e = cache.lookup(bad);
  ModuleCache::mark_verified(e);  // even if told so
  EXPECT_EQ(ModuleCache::compiled(e), nullptr);
}

TEST(ModuleCache, EntriesLiveWhileATaskHoldsThem) {
  ModuleCache cache;
  {
    auto e = cache.lookup(kEmpty);
    ModuleCache::mark_verified(e);
    ASSERT_NE(ModuleCache::compiled(e), nullptr);
    EXPECT_EQ(cache.size(), 1u);
  }
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(ModuleCache::compiled(cache.lookup(kEmpty)), nullptr);  // forgotten: verified again first
}

}  // namespace
}  // namespace whirl::shim
