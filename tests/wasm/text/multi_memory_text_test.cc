// Multiple memories in the text format (3.0): memory indices and $ids on
// loads, stores and memory instructions, data segments for any memory,
// shared memory types. Each module goes through the decoder and validator
// and the decoded immediates are checked.
#include <gtest/gtest.h>

#include "wasm/binary/decoder.h"
#include "wasm/text/wat.h"
#include "wasm/validate/validator.h"

namespace whirl::wasm::text {
namespace {

Module load(std::string_view wat) {
  auto b = wat_to_binary(wat);
  EXPECT_TRUE(b) << b.error().message;
  if (!b) return {};
  auto m = decode_module(*b, nullptr, Features{});
  EXPECT_TRUE(m) << m.error().message;
  if (!m) return {};
  auto v = validate_module(*m, Features{});
  EXPECT_TRUE(v) << v.error().message;
  return std::move(*m);
}

// The body's instructions of `op`, in order.
std::vector<Instr> find(const Module& m, Op op) {
  std::vector<Instr> out;
  for (const Instr& in : m.functions.at(0).body)
    if (in.op == op) out.push_back(in);
  return out;
}

TEST(MultiMemoryText, Instructions) {
  Module m = load(R"((module
    (memory $a 1) (memory $b 2 3 shared) (memory $c (data "xy"))
    (data $d "abc")
    (func (param i32)
      (drop (i32.load $b offset=4 align=2 (local.get 0)))
      (i64.store 2 (local.get 0) (i64.const 1))
      (drop (i32.load (local.get 0)))
      local.get 0 i32.load8_u $c offset=1 drop
      (drop (memory.size $c))
      (drop (memory.grow 1 (i32.const 0)))
      (drop (memory.size))
      (memory.fill $b (i32.const 0) (i32.const 0) (i32.const 0))
      (memory.copy $c $a (i32.const 0) (i32.const 0) (i32.const 0))
      (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))
      (memory.init $b $d (i32.const 0) (i32.const 0) (i32.const 0))
      (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))
      i32.const 0 i32.const 0 i32.const 0 memory.copy 2 1)))");
  ASSERT_EQ(m.memories.size(), 3u);
  EXPECT_TRUE(m.memories[1].shared);
  EXPECT_EQ(m.memories[1].limits.max, 3u);
  EXPECT_FALSE(m.memories[0].shared);
  EXPECT_EQ(m.memories[2].limits.min, 1u);  // from its inline data
  auto loads = find(m, Op::I32Load);
  ASSERT_EQ(loads.size(), 2u);
  EXPECT_EQ(loads[0].imm, 1u);
  EXPECT_EQ(loads[0].b, 4u);
  EXPECT_EQ(loads[0].a, 1u);
  EXPECT_EQ(loads[1].imm, 0u);
  EXPECT_EQ(find(m, Op::I64Store).at(0).imm, 2u);
  EXPECT_EQ(find(m, Op::I32Load8U).at(0).imm, 2u);
  EXPECT_EQ(find(m, Op::I32Load8U).at(0).b, 1u);
  auto sizes = find(m, Op::MemorySize);
  EXPECT_EQ(sizes.at(0).a, 2u);
  EXPECT_EQ(sizes.at(1).a, 0u);
  EXPECT_EQ(find(m, Op::MemoryGrow).at(0).a, 1u);
  EXPECT_EQ(find(m, Op::MemoryFill).at(0).a, 1u);
  auto copies = find(m, Op::MemoryCopy);
  ASSERT_EQ(copies.size(), 3u);
  EXPECT_EQ(copies[0].a, 2u);
  EXPECT_EQ(copies[0].b, 0u);
  EXPECT_EQ(copies[1].a, 0u);
  EXPECT_EQ(copies[1].b, 0u);
  EXPECT_EQ(copies[2].a, 2u);
  EXPECT_EQ(copies[2].b, 1u);
  auto inits = find(m, Op::MemoryInit);
  EXPECT_EQ(inits.at(0).a, 1u);  // data $d (the inline one is data 0)
  EXPECT_EQ(inits.at(0).b, 1u);
  EXPECT_EQ(inits.at(1).a, 1u);
  EXPECT_EQ(inits.at(1).b, 0u);
}

TEST(MultiMemoryText, DataSegmentsAndImports) {
  Module m = load(R"((module
    (import "m" "x" (memory $x 1 2 shared))
    (memory $y (import "m" "y") 1)
    (memory $z 1)
    (data (memory $z) (i32.const 4) "z")
    (data (memory 1) (offset (i32.const 1)) "w")
    (data (i32.const 0) "v")))");
  ASSERT_EQ(m.imports.size(), 2u);
  EXPECT_TRUE(m.imports[0].memory.shared);
  EXPECT_FALSE(m.imports[1].memory.shared);
  ASSERT_EQ(m.datas.size(), 3u);
  EXPECT_EQ(m.datas[0].memory, 2u);
  EXPECT_EQ(m.datas[1].memory, 1u);
  EXPECT_EQ(m.datas[2].memory, 0u);
}

TEST(MultiMemoryText, Errors) {
  auto b = wat_to_binary("(module (memory 1) (func (drop (i32.load $nope (i32.const 0)))))");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("unknown memory $nope"), std::string::npos) << b.error().message;
  // An index the module lacks is the validator's "unknown memory".
  auto v = wat_to_binary("(module (memory 1) (func (drop (i32.load 1 (i32.const 0)))))");
  ASSERT_TRUE(v);
  auto m = decode_module(*v, nullptr, Features{});
  ASSERT_TRUE(m);
  auto r = validate_module(*m, Features{});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unknown memory 1"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace whirl::wasm::text
