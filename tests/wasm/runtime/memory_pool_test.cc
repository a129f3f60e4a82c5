// Reused memory reservations (memory_pool.h): a memory taken from the pool
// starts exactly as a fresh one (its image's data, zeros elsewhere, its
// initial size), whatever the instance before it wrote or grew, and
// memories of different modules never see each other's contents.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wasm/runtime/memory_pool.h"
#include "memory_access.h"
#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

using testing::call;
using testing::kAccess;
using testing::kOob;
using testing::load;

uint8_t* base_of(Instance* inst) { return inst->memory(0)->data(); }

TEST(MemoryPool, AReusedMemoryStartsFresh) {
  auto m = load(std::string("(module (memory 2) (data (i32.const 10) \"hello\")") + kAccess + ")");
  uint8_t* first = nullptr;
  for (int round = 0; round < 5; ++round) {
    auto s = Store::create();
    auto i = s->instantiate(m, {});
    ASSERT_TRUE(i) << i.error().message;
    if (round == 0) first = base_of(*i);
    else EXPECT_EQ(base_of(*i), first) << "round " << round << ": the reservation was not reused";
    EXPECT_EQ(call(*s, *i, "size"), 2) << "round " << round;
    EXPECT_EQ(call(*s, *i, "load8", {Value::i32(10)}), 'h') << "round " << round;
    EXPECT_EQ(call(*s, *i, "load8", {Value::i32(100000)}), 0) << "round " << round;
    EXPECT_EQ(call(*s, *i, "load8", {Value::i32(2 * 65536)}), kOob);
    // Dirty it: the image page, an anonymous page, and grown pages.
    call(*s, *i, "store8", {Value::i32(10), Value::i32('X')});
    call(*s, *i, "store8", {Value::i32(100000), Value::i32(9)});
    EXPECT_EQ(call(*s, *i, "grow", {Value::i32(3)}), 2);
    call(*s, *i, "store8", {Value::i32(4 * 65536 + 5), Value::i32(7)});
  }
}

TEST(MemoryPool, DifferentModulesDoNotShareContents) {
  auto a = load(std::string("(module (memory 1) (data (i32.const 0) \"aaaa\")") + kAccess + ")");
  auto b = load(std::string("(module (memory 1) (data (i32.const 0) \"bbbb\")") + kAccess + ")");
  auto z = load(std::string("(module (memory 1)") + kAccess + ")");
  for (int round = 0; round < 4; ++round) {
    for (const auto& [mod, want] : {std::pair{a, 'a'}, std::pair{b, 'b'}, std::pair{z, '\0'}}) {
      auto s = Store::create();
      auto i = s->instantiate(mod, {});
      ASSERT_TRUE(i) << i.error().message;
      EXPECT_EQ(call(*s, *i, "load8", {Value::i32(1)}), want) << "round " << round;
      call(*s, *i, "store8", {Value::i32(1), Value::i32('Q')});
    }
  }
}

TEST(MemoryPool, ImagesOfFreedModulesAreNotConfused) {
  // A module's image is freed with it; a later module whose image happens to
  // get the same file descriptor must not be given the old contents.
  for (int round = 0; round < 6; ++round) {
    std::string data(5, char('a' + round));
    auto m = load("(module (memory 1) (data (i32.const 0) \"" + data + "\")" + kAccess + ")");
    auto s = Store::create();
    auto i = s->instantiate(m, {});
    ASSERT_TRUE(i) << i.error().message;
    EXPECT_EQ(call(*s, *i, "load8", {Value::i32(0)}), 'a' + round);
  }
}

TEST(MemoryPool, IsBounded) {
  auto m = load(std::string("(module (memory 1)") + kAccess + ")");
  std::vector<std::unique_ptr<Store>> stores;
  for (size_t n = 0; n < rt::MemoryPool::kMaxSlots + 8; ++n) {
    stores.push_back(Store::create());
    ASSERT_TRUE(stores.back()->instantiate(m, {}));
  }
  stores.clear();
  EXPECT_LE(rt::MemoryPool::global().size(), rt::MemoryPool::kMaxSlots);
}

}  // namespace
}  // namespace whirl::wasm
