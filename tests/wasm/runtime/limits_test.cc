// Resource limits of a store: memories and tables share one byte budget
// (StoreConfig::max_memory_bytes), checked before anything is allocated;
// tables have an absolute size cap; trap backtraces stay bounded.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

std::shared_ptr<const CompiledModule> load(const std::string& wat) {
  auto bytes = text::wat_to_binary(wat);
  EXPECT_TRUE(bytes) << bytes.error().message;
  auto m = load_module(*bytes);
  EXPECT_TRUE(m) << m.error().message;
  return *m;
}

StoreConfig limit(uint64_t bytes) {
  StoreConfig c;
  c.max_memory_bytes = bytes;
  return c;
}

int32_t call_i32(Store& s, Instance* inst, const char* name, std::vector<Value> args) {
  auto r = s.invoke(inst->find_export(name)->as_func(), args);
  EXPECT_TRUE(r);
  return r ? int32_t((*r)[0].as_u32()) : 0;
}

TEST(StoreLimits, HugeTableIsAnErrorNotAnAllocation) {
  // The spec allows a table of 2^32 - 1 elements: 32 GiB at 8 bytes each.
  auto m = load("(module (table 0xffffffff funcref))");
  auto store = Store::create();
  auto inst = store->instantiate(m, {});
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().kind, InstantiationError::Kind::Resource);
  EXPECT_EQ(inst.error().message, "table of 4294967295 elements exceeds the implementation limit of 10000000 elements");
}

TEST(StoreLimits, TableCountsAgainstTheByteLimit) {
  auto m = load("(module (table 200000 funcref))");
  auto store = Store::create(limit(1 << 20));
  auto inst = store->instantiate(m, {});
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().kind, InstantiationError::Kind::Resource);
  EXPECT_EQ(inst.error().message, "table of 200000 elements (1.526 MiB) exceeds the instance memory limit of 1 MiB");
  // The same through the API.
  auto t = store->create_table(TableType{ValType::FuncRef, Limits{200000, std::nullopt}}, Value::null(ValType::FuncRef));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("exceeds the instance memory limit of 1 MiB"), std::string::npos);
  EXPECT_TRUE(store->create_table(TableType{ValType::FuncRef, Limits{100000, std::nullopt}}, Value::null(ValType::FuncRef)));
}

TEST(StoreLimits, MemoriesAndTablesShareTheLimit) {
  // 2 pages = 131072 bytes: one page plus 8000 elements (64000 bytes) fit,
  // one page plus 10000 elements (80000 bytes) do not.
  auto fits = load("(module (memory 1) (table 8000 funcref))");
  auto over = load("(module (memory 1) (table 10000 funcref))");
  EXPECT_TRUE(Store::create(limit(2 * kPageSize))->instantiate(fits, {}));
  auto inst = Store::create(limit(2 * kPageSize))->instantiate(over, {});
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().kind, InstantiationError::Kind::Resource);
  // Checked as a whole before either is allocated.
  EXPECT_EQ(inst.error().message,
            "the initial size of the module's tables and memories (142.1 KiB) exceeds the instance memory limit of 128 KiB");
  // A table or memory made through the API first counts too.
  auto store = Store::create(limit(2 * kPageSize));
  ASSERT_TRUE(store->create_table(TableType{ValType::FuncRef, Limits{10000, std::nullopt}}, Value::null(ValType::FuncRef)));
  auto second = store->instantiate(load("(module (memory 1))"), {});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message,
            "memory of 1 page (64 KiB) exceeds the instance memory limit of 128 KiB "
            "(78.12 KiB already in use by memories and tables)");
  auto big_memory = Store::create(limit(2 * kPageSize))->instantiate(load("(module (memory 3))"), {});
  ASSERT_FALSE(big_memory);
  EXPECT_EQ(big_memory.error().message, "memory of 3 pages (192 KiB) exceeds the instance memory limit of 128 KiB");
}

TEST(StoreLimits, GrowthReturnsMinusOneOverTheLimit) {
  auto m = load(R"((module (memory 1) (table 0 funcref)
    (func (export "mem") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "tab") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))))");
  auto store = Store::create(limit(3 * kPageSize));
  auto inst = store->instantiate(m, {});
  ASSERT_TRUE(inst) << inst.error().message;
  // Tables grow by doubling their capacity; the budget is charged for it.
  EXPECT_EQ(call_i32(*store, *inst, "tab", {Value::i32(8192)}), 0);    // 64 KiB
  EXPECT_EQ(call_i32(*store, *inst, "mem", {Value::i32(1)}), 1);       // 192 KiB in all
  EXPECT_EQ(call_i32(*store, *inst, "mem", {Value::i32(1)}), -1);
  EXPECT_EQ(call_i32(*store, *inst, "tab", {Value::i32(1)}), -1);
  EXPECT_EQ(call_i32(*store, *inst, "tab", {Value::i32(0)}), 8192);
  // Past the absolute table cap, whatever the byte limit.
  auto roomy = Store::create();
  auto inst2 = roomy->instantiate(m, {});
  ASSERT_TRUE(inst2);
  EXPECT_EQ(call_i32(*roomy, *inst2, "tab", {Value::i32(kMaxTableElements + 1)}), -1);
  EXPECT_EQ(call_i32(*roomy, *inst2, "tab", {Value::i32(1000)}), 0);
}

TEST(StoreLimits, DeepRecursionBacktraceIsBounded) {
  auto m = load(R"((module
    (func $rec (param i32) (result i32) (call $rec (i32.add (local.get 0) (i32.const 1))))
    (func $main (export "main") (result i32) (call $rec (i32.const 0)))))");
  StoreConfig c;
  c.max_call_depth = 10000;
  auto store = Store::create(c);
  auto inst = store->instantiate(m, {});
  ASSERT_TRUE(inst);
  auto r = store->invoke((*inst)->find_export("main")->as_func(), {});
  ASSERT_FALSE(r);
  const Trap& t = r.error();
  EXPECT_EQ(t.code, TrapCode::StackExhausted);
  ASSERT_EQ(t.backtrace.size(), 2 * kBacktraceEnds);
  EXPECT_GT(t.omitted_frames, 9000u);
  EXPECT_LT(t.omitted_frames, 10000u);
  EXPECT_EQ(t.backtrace.front().name, "rec");
  EXPECT_EQ(t.backtrace[t.backtrace.size() - 2].name, "rec");
  EXPECT_EQ(t.backtrace.back().name, "main");
  std::string text = format_backtrace(t);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), long(2 * kBacktraceEnds + 1));
  uint64_t total = t.omitted_frames + 2 * kBacktraceEnds;
  EXPECT_NE(text.find("  19: rec\n  ... " + std::to_string(t.omitted_frames) + " frames omitted ...\n  " +
                      std::to_string(total - kBacktraceEnds) + ": rec\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  " + std::to_string(total - 1) + ": main\n"), std::string::npos) << text;
}

Trap frames(const std::string& prefix, size_t n) {
  Trap t;
  for (size_t i = 0; i < n; ++i) t.backtrace.push_back({uint32_t(i), prefix + std::to_string(i)});
  return t;
}

TEST(StoreLimits, AppendedBacktracesStayBounded) {
  Trap small = frames("a", 3);
  append_backtrace(small, frames("b", 2));
  EXPECT_EQ(format_backtrace_inline(small), "a0 a1 a2 b0 b1");
  EXPECT_EQ(small.omitted_frames, 0u);

  // A host trap (itself cut) seen through the frames that called the host.
  Trap inner = frames("a", 2 * kBacktraceEnds);
  inner.omitted_frames = 100;
  Trap outer = frames("b", 30);
  append_backtrace(inner, outer);
  ASSERT_EQ(inner.backtrace.size(), 2 * kBacktraceEnds);
  EXPECT_EQ(inner.backtrace[kBacktraceEnds - 1].name, "a19");
  EXPECT_EQ(inner.backtrace[kBacktraceEnds].name, "b10");
  EXPECT_EQ(inner.backtrace.back().name, "b29");
  // 100 omitted, then a20..a39 and b0..b9 left out too.
  EXPECT_EQ(inner.omitted_frames, 100u + 20u + 10u);
  std::string line = format_backtrace_inline(inner);
  EXPECT_NE(line.find("a19 ... 130 frames omitted ... b10"), std::string::npos) << line;
}

// Stores drawing on one SharedMemoryBudget (an app's requests in the node
// host): what one holds, the others cannot take, until it goes.
TEST(StoreLimits, StoresSharingABudgetSeeEachOthersMemory) {
  auto m = load(R"((module (memory (export "mem") 2)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))");
  auto shared = std::make_shared<SharedMemoryBudget>(5 * kPageSize);
  StoreConfig c;
  c.shared_budget = shared;
  auto first = Store::create(c);
  auto a = first->instantiate(m, {});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(shared->used(), 2 * kPageSize);
  auto second = Store::create(c);
  auto b = second->instantiate(m, {});
  ASSERT_TRUE(b) << b.error().message;
  // 4 of 5 pages in use: growing by two fails, by one succeeds.
  EXPECT_EQ(call_i32(*second, *b, "grow", {Value::i32(2)}), -1);
  EXPECT_EQ(call_i32(*second, *b, "grow", {Value::i32(1)}), 2);
  auto third = Store::create(c);
  auto over = third->instantiate(m, {});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind, InstantiationError::Kind::Resource);
  EXPECT_NE(over.error().message.find("exceeds the memory shared with other instances of the app: 320 KiB of 320 KiB in use"),
            std::string::npos)
      << over.error().message;
  // A store that goes gives back all it took, grown pages included.
  second.reset();
  EXPECT_EQ(shared->used(), 2 * kPageSize);
  third = Store::create(c);
  EXPECT_TRUE(third->instantiate(m, {}));
  first.reset();
  third.reset();
  EXPECT_EQ(shared->used(), 0u);
  // Each store's own limit still holds within the shared one.
  c.max_memory_bytes = kPageSize;
  auto small = Store::create(c)->instantiate(m, {});
  ASSERT_FALSE(small);
  EXPECT_NE(small.error().message.find("instance memory limit of 64 KiB"), std::string::npos) << small.error().message;
  EXPECT_EQ(shared->used(), 0u);
}

}  // namespace
}  // namespace whirl::wasm
