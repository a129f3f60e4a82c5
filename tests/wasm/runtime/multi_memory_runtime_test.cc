// Instances with several memories: each has its own address-space
// reservation, all of them count against the store's byte budget, imports
// link by index and shared types must match.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "memory_access.h"
#include "platform/guard.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

using testing::load;

StoreConfig limit(uint64_t bytes) {
  StoreConfig c;
  c.max_memory_bytes = bytes;
  return c;
}

int64_t call(Store& s, Instance* inst, const char* name, std::vector<Value> args = {}) {
  auto r = s.invoke(inst->find_export(name)->as_func(), args);
  if (!r) return -1000 - int(r.error().code);
  return r->empty() ? 0 : int64_t(int32_t((*r)[0].as_u32()));
}

TEST(MultiMemory, EachMemoryHasItsOwnReservation) {
  auto m = load("(module (memory 1) (memory 2) (memory 0))");
  auto store = Store::create();
  auto inst = store->instantiate(m, {});
  ASSERT_TRUE(inst);
  std::vector<uint8_t*> bases;
  for (uint32_t i = 0; i < 3; ++i) bases.push_back((*inst)->memory(i)->data());
  EXPECT_EQ((*inst)->memory(1)->size_bytes(), 2u * kPageSize);
  for (size_t i = 0; i < bases.size(); ++i)
    for (size_t j = i + 1; j < bases.size(); ++j)
      EXPECT_GE(uint64_t(std::llabs(bases[i] - bases[j])), platform::kGuardedReservation);
}

TEST(MultiMemory, AllMemoriesShareTheBudget) {
  // Three pages: two memories of one page each, then one page of growth.
  auto m = load(R"((module (memory 1) (memory $b 1)
    (func (export "grow0") (result i32) (memory.grow (i32.const 1)))
    (func (export "grow1") (result i32) (memory.grow $b (i32.const 1)))
    (func (export "size1") (result i32) (memory.size $b))))");
  auto store = Store::create(limit(3 * kPageSize));
  auto inst = store->instantiate(m, {});
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*store, *inst, "grow1"), 1);
  EXPECT_EQ(call(*store, *inst, "size1"), 2);
  EXPECT_EQ(call(*store, *inst, "grow0"), -1);
  EXPECT_EQ(call(*store, *inst, "grow1"), -1);
  // Initial sizes over the budget: nothing is allocated.
  auto big = load("(module (memory 2) (memory 2))");
  auto s2 = Store::create(limit(3 * kPageSize));
  auto i2 = s2->instantiate(big, {});
  ASSERT_FALSE(i2);
  EXPECT_EQ(i2.error().kind, InstantiationError::Kind::Resource);
  EXPECT_NE(i2.error().message.find("exceeds the instance memory limit"), std::string::npos) << i2.error().message;
}

TEST(MultiMemory, BoundsOfAnotherMemory) {
  auto m = load(R"((module (memory 1) (memory $b 1)
    (func (export "load") (param i32) (result i32) (i32.load $b (local.get 0)))
    (func (export "store") (param i32) (i32.store $b offset=2 (local.get 0) (i32.const 0x01020304)))))");
  auto store = Store::create();
  auto inst = store->instantiate(m, {});
  ASSERT_TRUE(inst);
  const int64_t oob = -1000 - int(TrapCode::MemoryOutOfBounds);
  EXPECT_EQ(call(*store, *inst, "store", {Value::i32(65530)}), 0);
  EXPECT_EQ(call(*store, *inst, "load", {Value::i32(65532)}), 0x01020304);
  EXPECT_EQ(call(*store, *inst, "load", {Value::i32(65533)}), oob);
  EXPECT_EQ(call(*store, *inst, "store", {Value::i32(65531)}), oob);
  EXPECT_EQ(call(*store, *inst, "load", {Value::i32(0xffffffff)}), oob);
  EXPECT_EQ((*inst)->memory(0)->data()[65532], 0);  // memory 0 untouched
}

TEST(MultiMemory, ImportsByIndexAndSharedFlag) {
  auto store = Store::create();
  auto a = store->create_memory(MemoryType{Limits{1, 2}});
  auto b = store->create_memory(MemoryType{Limits{1, 2}, true});
  ASSERT_TRUE(a && b);
  auto m = load(R"((module (import "m" "a" (memory 1)) (import "m" "b" (memory $b 1 2 shared))
    (func (export "put") (i32.store8 $b (i32.const 3) (i32.const 9)))))");
  auto inst = store->instantiate(m, std::vector<ExternVal>{ExternVal::memory(*a), ExternVal::memory(*b)});
  ASSERT_TRUE(inst) << inst.error().message;
  EXPECT_EQ(call(*store, *inst, "put"), 0);
  EXPECT_EQ((*b)->data()[3], 9);
  EXPECT_EQ((*a)->data()[3], 0);
  EXPECT_TRUE((*b)->type().shared);
  // A shared import needs a shared memory, and the other way round.
  auto wrong = store->instantiate(m, std::vector<ExternVal>{ExternVal::memory(*a), ExternVal::memory(*a)});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("incompatible import type"), std::string::npos);
  auto wrong2 = store->instantiate(m, std::vector<ExternVal>{ExternVal::memory(*b), ExternVal::memory(*b)});
  ASSERT_FALSE(wrong2);
}

}  // namespace
}  // namespace whirl::wasm
