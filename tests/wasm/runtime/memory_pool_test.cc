// Reused memory reservations (memory_pool.h): a memory taken from the pool
// starts exactly as a fresh one (its image's data, zeros elsewhere, its
// initial size), whatever the instance before it wrote or grew, and
// memories of different modules never see each other's contents.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <sys/mman.h>

#include "memory_access.h"
#include "platform/vm.h"
#include "wasm/runtime/memory_pool.h"
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

bool resident(const uint8_t* p) {
  unsigned char v = 0;
  return mincore(const_cast<uint8_t*>(p), platform::page_size(), &v) == 0 && (v & 1);
}

TEST(MemoryPool, PagesJustPastTheImageAreZeroedInPlaceAndTheRestDropped) {
  // The image is the first page; kKeepResident bytes after it are zeroed
  // in place (and stay present), the pages after those are dropped.
  auto m = load(std::string("(module (memory 32) (data (i32.const 10) \"hello\")") + kAccess + ")");
  const uint32_t page = uint32_t(platform::page_size());
  const uint32_t kept_end = page + uint32_t(rt::MemoryPool::kKeepResident);
  const uint32_t kept[] = {page, page + 17, kept_end - 1};
  for (int round = 0; round < 4; ++round) {
    auto s = Store::create();
    auto i = s->instantiate(m, {});
    ASSERT_TRUE(i) << i.error().message;
    uint8_t* base = base_of(*i);
    if (round > 0) {
      EXPECT_TRUE(resident(base + page)) << "round " << round << ": the page written last time was dropped";
      EXPECT_FALSE(resident(base + kept_end)) << "round " << round << ": the page past the kept part stayed";
    }
    EXPECT_EQ(call(*s, *i, "load8", {Value::i32(10)}), 'h') << "round " << round;
    for (uint32_t at : kept) EXPECT_EQ(call(*s, *i, "load8", {Value::i32(at)}), 0) << "round " << round << ", at " << at;
    EXPECT_EQ(call(*s, *i, "load8", {Value::i32(kept_end)}), 0) << "round " << round;
    call(*s, *i, "store8", {Value::i32(10), Value::i32('X')});
    for (uint32_t at : kept) call(*s, *i, "store8", {Value::i32(at), Value::i32(0x5a)});
    call(*s, *i, "store8", {Value::i32(kept_end), Value::i32(0x5a)});
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

TEST(MemoryPool, ASlotOfAnotherImageOrSizeIsPreparedAgain) {
  // Slots passed from module to module (each store gone before the next;
  // every image new, so a slot of another image is prepared again):
  // images larger and smaller than the last, none, and initial sizes up
  // and down. Each must see exactly its own data, zeros elsewhere, and its
  // own bounds.
  struct Case {
    int pages;
    uint32_t at;  // its data's address (0: no data)
    char byte;
  };
  const Case cases[] = {{3, 2 * 65536 + 7, 'a'}, {1, 0, 0}, {2, 9, 'b'}, {5, 4 * 65536 + 1, 'c'},
                        {1, 100, 'd'}, {4, 0, 0}, {2, 65536 + 3, 'e'}};
  for (int round = 0; round < 2; ++round) {
    for (const Case& c : cases) {
      std::string data = c.at ? "(data (i32.const " + std::to_string(c.at) + ") \"" + std::string(1, c.byte) + "\")" : "";
      // A distinct module per round: no slot is ever kept for its image.
      auto m = load("(module (memory " + std::to_string(c.pages) + ") " + data + kAccess + " (func (export \"r" +
                    std::to_string(round) + "\")))");
      ASSERT_TRUE(m);
      auto s = Store::create();
      auto i = s->instantiate(m, {});
      ASSERT_TRUE(i) << i.error().message;
      const std::string what = std::to_string(c.pages) + " pages, data at " + std::to_string(c.at);
      EXPECT_EQ(call(*s, *i, "size"), c.pages) << what;
      if (c.at) EXPECT_EQ(call(*s, *i, "load8", {Value::i32(c.at)}), c.byte) << what;
      // Where the other cases put theirs: zero here, or out of bounds.
      for (const Case& o : cases) {
        if (!o.at || o.at == c.at) continue;
        const int64_t want = o.at < uint32_t(c.pages) * 65536 ? 0 : kOob;
        EXPECT_EQ(call(*s, *i, "load8", {Value::i32(o.at)}), want) << what << ", at " << o.at;
      }
      EXPECT_EQ(call(*s, *i, "load8", {Value::i32(uint32_t(c.pages) * 65536)}), kOob) << what;
      EXPECT_EQ(call(*s, *i, "load8", {Value::i32(uint32_t(c.pages) * 65536 - 1)}), 0) << what;
      // Dirty it everywhere it may.
      for (int p = 0; p < c.pages; ++p) call(*s, *i, "store8", {Value::i32(uint32_t(p) * 65536 + 5000), Value::i32(1)});
      EXPECT_EQ(call(*s, *i, "grow", {Value::i32(1)}), c.pages);
      call(*s, *i, "store8", {Value::i32(uint32_t(c.pages) * 65536 + 3), Value::i32(1)});
    }
  }
}

}  // namespace
}  // namespace whirl::wasm
