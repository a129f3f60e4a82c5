// The interpreter's value stacks come from a pool (value_stack.h): a store
// starts with the shallow part and deepens it when a call needs more, so
// recursion deeper than the shallow part runs as before; a deepened stack
// goes back with its deep pages dropped, and the pool stays bounded.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "memory_access.h"
#include "wasm/runtime/objects.h"
#include "wasm/runtime/value_stack.h"

namespace whirl::wasm {
namespace {

using rt::ValueStackPool;

// sum(n) = n + sum(n - 1), not a tail call: each level keeps a frame.
constexpr const char* kRecursion = R"((module
  (func $sum (export "sum") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (local.get 0) (call $sum (i32.sub (local.get 0) (i32.const 1))))))))
)";

// Pages of [p, p + bytes) resident now.
size_t resident_pages(const void* p, size_t bytes) {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> v((bytes + page - 1) / page);
  EXPECT_EQ(mincore(const_cast<void*>(p), bytes, v.data()), 0);
  size_t n = 0;
  for (unsigned char c : v) n += c & 1;
  return n;
}

bool on_interpreter() {
  auto m = testing::load("(module)");
  return m && m->tier_name() == "interp";
}

TEST(ValueStack, RecursionPastTheShallowPartRunsAndItsPagesAreDroppedAfter) {
  if (!on_interpreter()) GTEST_SKIP() << "compiled code runs on the native stack";
  auto m = testing::load(kRecursion);
  ASSERT_TRUE(m);
  // Deep enough that its frames pass the shallow part many times over.
  const uint32_t depth = uint32_t(ValueStackPool::kShallowSlots);
  const uint64_t* stack = nullptr;
  {
    StoreConfig config;
    config.max_call_depth = depth + 100;
    auto s = Store::create(config);
    auto inst = s->instantiate(m, {});
    ASSERT_TRUE(inst);
    auto* store = static_cast<rt::StoreImpl*>(s.get());
    stack = store->stack;
    EXPECT_EQ(testing::call(*s, *inst, "sum", {Value::i32(100)}), 5050);
    EXPECT_FALSE(store->stack_deep()) << "a shallow call deepened the stack";
    EXPECT_EQ(testing::call(*s, *inst, "sum", {Value::i32(depth)}), int64_t(int32_t(uint64_t(depth) * (depth + 1) / 2)));
    EXPECT_TRUE(store->stack_deep());
    const size_t deep_bytes = (ValueStackPool::kSlots - ValueStackPool::kShallowSlots) * sizeof(uint64_t);
    EXPECT_GT(resident_pages(stack + ValueStackPool::kShallowSlots, deep_bytes), 16u);
  }
  // The pool hands out the stack given back last.
  uint64_t* again = ValueStackPool::global().take();
  EXPECT_EQ(again, stack);
  const size_t deep_bytes = (ValueStackPool::kSlots - ValueStackPool::kShallowSlots) * sizeof(uint64_t);
  EXPECT_EQ(resident_pages(again + ValueStackPool::kShallowSlots, deep_bytes), 0u);
  ValueStackPool::global().give(again, false);
}

TEST(ValueStack, TheWholeStackStillEndsInATrap) {
  auto m = testing::load(kRecursion);
  ASSERT_TRUE(m);
  StoreConfig config;
  config.max_call_depth = 100'000'000;  // the stack's end, not the depth limit, stops it
  auto s = Store::create(config);
  auto inst = s->instantiate(m, {});
  ASSERT_TRUE(inst);
  EXPECT_EQ(testing::call(*s, *inst, "sum", {Value::i32(50'000'000)}),
            -1000 - int(TrapCode::StackExhausted));
  // The store works on after the trap.
  EXPECT_EQ(testing::call(*s, *inst, "sum", {Value::i32(10)}), 55);
}

TEST(ValueStack, ThePoolIsBounded) {
  std::vector<std::unique_ptr<Store>> stores;
  for (size_t i = 0; i < ValueStackPool::kMax + 5; ++i) stores.push_back(Store::create());
  stores.clear();
  EXPECT_EQ(ValueStackPool::global().size(), ValueStackPool::kMax);
}

}  // namespace
}  // namespace whirl::wasm
