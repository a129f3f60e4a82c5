// Linear memories that start from a copy-on-write image of their data
// segments (memory_image.h): what instances see is exactly what copying
// the segments gave, writes stay private to an instance, growth, bulk
// memory and bounds behave as before, and the segments an image cannot
// hold (a global's offset, out of bounds, an imported memory) are copied
// and trap as the spec says.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

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

bool from_image(Instance* inst, uint32_t memory = 0) {
  return static_cast<rt::MemoryImpl*>(inst->memory(memory))->from_image;
}

std::string module_with(const std::string& decls) { return "(module " + decls + kAccess + ")"; }

TEST(MemoryImage, DataIsVisibleAndWritesArePrivate) {
  auto m = load(module_with(R"((memory 2) (data (i32.const 10) "hello") (data (i32.const 70000) "world"))"));
  auto s1 = Store::create(), s2 = Store::create();
  auto a = s1->instantiate(m, {});
  auto b = s2->instantiate(m, {});
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(from_image(*a));
  EXPECT_EQ(call(*s1, *a, "load8", {Value::i32(10)}), 'h');
  EXPECT_EQ(call(*s1, *a, "load8", {Value::i32(70004)}), 'd');
  EXPECT_EQ(call(*s1, *a, "load8", {Value::i32(9)}), 0);
  EXPECT_EQ(call(*s1, *a, "load8", {Value::i32(70005)}), 0);  // past the image's bytes, same page
  EXPECT_EQ(call(*s1, *a, "load8", {Value::i32(2 * 65536 - 1)}), 0);
  call(*s1, *a, "store8", {Value::i32(10), Value::i32('J')});
  call(*s1, *a, "store8", {Value::i32(100000), Value::i32(7)});
  EXPECT_EQ(call(*s1, *a, "load8", {Value::i32(10)}), 'J');
  EXPECT_EQ(call(*s2, *b, "load8", {Value::i32(10)}), 'h');  // the other instance's copy
  EXPECT_EQ(call(*s2, *b, "load8", {Value::i32(100000)}), 0);
  // A later instance still starts from the image, not from a's writes.
  auto s3 = Store::create();
  auto c = s3->instantiate(m, {});
  ASSERT_TRUE(c);
  EXPECT_EQ(call(*s3, *c, "load8", {Value::i32(10)}), 'h');
  EXPECT_EQ((*c)->memory(0)->data()[70000], 'w');  // the host sees it too
}

TEST(MemoryImage, LaterSegmentsOverwriteEarlierOnes) {
  auto m = load(module_with(R"((memory 1) (data (i32.const 0) "aaaa") (data (i32.const 2) "bb") (data (i32.const 0) ""))"));
  auto s = Store::create();
  auto i = s->instantiate(m, {});
  ASSERT_TRUE(i);
  EXPECT_TRUE(from_image(*i));
  std::string got(reinterpret_cast<const char*>((*i)->memory(0)->data()), 4);
  EXPECT_EQ(got, "aabb");
}

TEST(MemoryImage, BoundsAndGrowthBeyondTheImage) {
  auto m = load(module_with(R"((memory 1 3) (data (i32.const 65530) "tail!!"))"));
  auto s = Store::create();
  auto i = s->instantiate(m, {});
  ASSERT_TRUE(i);
  EXPECT_TRUE(from_image(*i));
  EXPECT_EQ(call(*s, *i, "load8", {Value::i32(65535)}), '!');
  EXPECT_EQ(call(*s, *i, "load8", {Value::i32(65536)}), kOob);  // the guard pages still bound it
  EXPECT_EQ(call(*s, *i, "grow", {Value::i32(1)}), 1);
  EXPECT_EQ(call(*s, *i, "load8", {Value::i32(65536)}), 0);
  call(*s, *i, "store8", {Value::i32(65536 + 5), Value::i32(42)});
  EXPECT_EQ(call(*s, *i, "load8", {Value::i32(65536 + 5)}), 42);
  EXPECT_EQ(call(*s, *i, "load8", {Value::i32(65530)}), 't');
  EXPECT_EQ(call(*s, *i, "grow", {Value::i32(2)}), -1);  // over the maximum
  EXPECT_EQ(call(*s, *i, "size"), 2);
}

TEST(MemoryImage, TheBudgetStillCountsTheWholeMemory) {
  auto m = load(module_with(R"((memory 2) (data (i32.const 0) "x"))"));
  StoreConfig c;
  c.max_memory_bytes = kPageSize;
  auto s = Store::create(c);
  auto i = s->instantiate(m, {});
  ASSERT_FALSE(i);
  EXPECT_NE(i.error().message.find("exceeds the instance memory limit"), std::string::npos) << i.error().message;
  c.max_memory_bytes = 3 * kPageSize;
  auto s2 = Store::create(c);
  auto j = s2->instantiate(m, {});
  ASSERT_TRUE(j);
  EXPECT_EQ(call(*s2, *j, "grow", {Value::i32(1)}), 2);
  EXPECT_EQ(call(*s2, *j, "grow", {Value::i32(1)}), -1);
}

TEST(MemoryImage, MemoryInitAndDataDropAfterTheImage) {
  auto m = load(module_with(R"((memory 1)
    (data $active (i32.const 0) "abc")
    (data $passive "xyz")
    (func (export "init_passive") (memory.init $passive (i32.const 100) (i32.const 0) (i32.const 3)))
    (func (export "init_active") (param i32) (memory.init $active (i32.const 200) (i32.const 0) (local.get 0)))
    (func (export "drop_passive") (data.drop $passive)))"));
  auto s = Store::create();
  auto i = s->instantiate(m, {});
  ASSERT_TRUE(i);
  EXPECT_TRUE(from_image(*i));
  EXPECT_EQ(call(*s, *i, "init_passive"), 0);
  EXPECT_EQ(call(*s, *i, "load8", {Value::i32(102)}), 'z');
  // An active segment is dropped once applied, whether copied or imaged.
  EXPECT_EQ(call(*s, *i, "init_active", {Value::i32(1)}), kOob);
  EXPECT_EQ(call(*s, *i, "init_active", {Value::i32(0)}), 0);
  EXPECT_EQ(call(*s, *i, "drop_passive"), 0);
  EXPECT_EQ(call(*s, *i, "init_passive"), kOob);
  EXPECT_EQ(call(*s, *i, "load8", {Value::i32(0)}), 'a');
}

TEST(MemoryImage, GlobalOffsetsAreCopied) {
  auto m = load(module_with(R"((import "env" "off" (global $off i32)) (memory 1)
    (data (i32.const 0) "first") (data (global.get $off) "second"))"));
  auto s = Store::create();
  GlobalInst* g = s->create_global({ValType::I32, false}, Value::i32(2));
  ExternVal imports[] = {ExternVal::global(g)};
  auto i = s->instantiate(m, imports);
  ASSERT_TRUE(i);
  EXPECT_FALSE(from_image(*i));
  std::string got(reinterpret_cast<const char*>((*i)->memory(0)->data()), 8);
  EXPECT_EQ(got, "fisecond");
}

TEST(MemoryImage, OutOfBoundsSegmentsStillTrap) {
  auto m = load(module_with(R"((memory 1) (data (i32.const 0) "ok") (data (i32.const 65535) "xx"))"));
  auto s = Store::create();
  auto i = s->instantiate(m, {});
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().message, "out of bounds memory access");
  // An empty segment just past the end traps too.
  auto e = load(module_with(R"((memory 1) (data (i32.const 65537) ""))"));
  auto s2 = Store::create();
  EXPECT_FALSE(s2->instantiate(e, {}));
}

TEST(MemoryImage, ImportedMemoriesGetTheirSegmentsInOrder) {
  // Segments before the one that traps stay written in an imported memory.
  auto m = load(R"((module (import "env" "mem" (memory 1)) (memory $own 1)
    (data (memory 0) (i32.const 0) "kept") (data (memory $own) (i32.const 0) "own")
    (data (memory 0) (i32.const 65535) "xx")))");
  auto s = Store::create();
  auto mem = s->create_memory({Limits{1, std::nullopt}, false});
  ASSERT_TRUE(mem);
  ExternVal imports[] = {ExternVal::memory(*mem)};
  auto i = s->instantiate(m, imports);
  ASSERT_FALSE(i);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*mem)->data()), 4), "kept");

  auto ok = load(R"((module (import "env" "mem" (memory 1)) (memory $own 1)
    (data (memory 0) (i32.const 8) "imported") (data (memory $own) (i32.const 3) "own")
    (func (export "own3") (result i32) (i32.load8_u $own (i32.const 3)))))");
  auto s2 = Store::create();
  auto mem2 = s2->create_memory({Limits{1, std::nullopt}, false});
  ExternVal imports2[] = {ExternVal::memory(*mem2)};
  auto j = s2->instantiate(ok, imports2);
  ASSERT_TRUE(j);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*mem2)->data()) + 8, 8), "imported");
  EXPECT_TRUE(from_image(*j, 1));
  EXPECT_EQ(call(*s2, *j, "own3"), 'o');
}

TEST(MemoryImage, LargeDataAndManyInstancesAtOnce) {
  // 2 MB of data: a pattern checked at page boundaries by several threads,
  // each instance writing its own marks.
  std::string data;
  for (int k = 0; k < 2 * 1024 * 1024; ++k) data += "\\" + std::string(1, "0123456789abcdef"[(k >> 12) & 15]) + "0";
  auto m = load(module_with("(memory 64) (data (i32.const 4096) \"" + data + "\")"));
  ASSERT_TRUE(m);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 25; ++round) {
        auto s = Store::create();
        auto i = s->instantiate(m, {});
        if (!i || !from_image(*i)) {
          ++failures[t];
          continue;
        }
        for (uint32_t page = 0; page < 2 * 256; page += 37) {
          uint32_t at = 4096 + page * 4096 + 123;
          int64_t expect = (page & 15) << 4;
          if (call(*s, *i, "load8", {Value::i32(at)}) != expect) ++failures[t];
          call(*s, *i, "store8", {Value::i32(at), Value::i32(t + 1)});
          if (call(*s, *i, "load8", {Value::i32(at)}) != t + 1) ++failures[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace whirl::wasm
