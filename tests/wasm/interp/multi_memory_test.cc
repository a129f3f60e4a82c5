// Memories other than 0 in the interpreter: their accesses get the generic
// *_multi ops and never a fused form built for memory 0 (a move, a
// read-modify-write, a memory operand, a switch on a loaded value, ...).
// Each case is a computation on memory 0 that fuses ("zero") and the same
// one with some or all of its accesses on memory 1 ("other"); both memories
// start with the same bytes, so both must give the same results, traps and
// final bytes (memory 0's of "zero" against the one "other" writes), under
// the fused and the plain compilation. Memory 0's code must not change for
// a second memory being there.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wasm/binary/decoder.h"
#include "wasm/interp/code.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

struct Case {
  const char* name;
  const char* fused_op;  // in "zero" only ("" for none)
  uint32_t written;      // the memory "other" writes
  const char* zero;      // body, (param i32 i32) (result i64)
  const char* other;
};

const char* const kData =
    "  (data (memory $M) (i32.const 0) \"\\01\\02\\03\\04\\05\\06\\07\\08\\f0\\e1\\d2\\c3\\b4\\a5\\96\\87\")\n"
    "  (data (memory $M) (i32.const 65520) \"\\11\\22\\33\\44\\55\\66\\77\\88\\99\\aa\\bb\\cc\\dd\\ee\\ff\\00\")\n";

std::string data_for(const char* mem) {
  std::string d = kData;
  for (size_t at; (at = d.find("$M")) != std::string::npos;) d.replace(at, 2, mem);
  return d;
}

std::string two_memories(const Case& c) {
  return std::string("(module (memory $a (export \"m0\") 1) (memory $b (export \"m1\") 1)\n") + data_for("$a") +
         data_for("$b") + "  (data $d \"\\aa\\bb\\cc\")\n" +
         "  (func (export \"zero\") (param i32 i32) (result i64) " + c.zero + ")\n" +
         "  (func (export \"other\") (param i32 i32) (result i64) " + c.other + "))";
}

std::string one_memory(const Case& c) {
  return std::string("(module (memory $a (export \"m0\") 1)\n") + data_for("$a") + "  (data $d \"\\aa\\bb\\cc\")\n" +
         "  (func (export \"zero\") (param i32 i32) (result i64) " + c.zero + "))";
}

std::shared_ptr<const CompiledModule> compile(const std::string& wat, bool fuse) {
  auto bytes = text::wat_to_binary(wat);
  EXPECT_TRUE(bytes) << bytes.error().message;
  if (!bytes) return nullptr;
  auto m = decode_module(*bytes, nullptr, Features{});
  EXPECT_TRUE(m) << m.error().message;
  if (!m) return nullptr;
  auto c = compile_module(std::make_shared<const Module>(std::move(*m)),
                          {.superinstructions = fuse, .translation = CompileOptions::Translation::Eager});
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : nullptr;
}

std::vector<std::string> op_names(const CompiledModule& m, const char* export_name) {
  const auto& impl = static_cast<const interp::CompiledModuleImpl&>(m);
  for (const Export& e : impl.mod->exports) {
    if (e.name != export_name) continue;
    std::vector<std::string> names;
    for (uint16_t op : impl.funcs[e.index - impl.mod->num_imported_funcs].ops) names.push_back(interp::slot_op_name(op));
    return names;
  }
  return {};
}

bool has(const std::vector<std::string>& ops, const std::string& op) {
  for (const auto& o : ops)
    if (o == op) return true;
  return false;
}

struct Outcome {
  bool trapped = false;
  TrapCode code = TrapCode::Unreachable;
  uint64_t result = 0;
  std::vector<uint8_t> memory[2];
};

Outcome run(const std::shared_ptr<const CompiledModule>& m, const char* fn, uint32_t x, uint32_t y) {
  auto store = Store::create();
  auto inst = store->instantiate(m, {});
  EXPECT_TRUE(inst);
  Outcome o;
  if (!inst) return o;
  auto r = store->invoke((*inst)->find_export(fn)->as_func(), std::vector<Value>{Value::i32(x), Value::i32(y)});
  if (r) o.result = (*r)[0].bits;
  else o.trapped = true, o.code = r.error().code;
  for (int k = 0; k < 2; ++k) {
    MemoryInst* mem = (*inst)->memory(k);
    if (mem) o.memory[k].assign(mem->data(), mem->data() + mem->size_bytes());
  }
  return o;
}

const uint32_t kInputs[] = {0, 1, 7, 8, 255, 1000, 65520, 65528, 65532, 65535, 65536, 0x7fffffff, 0xfffffffc, 0xffffffff};

const Case kCases[] = {
    {"load_add", "I32Load_add", 1, "(i64.extend_i32_u (i32.load offset=4 (i32.add (local.get 0) (local.get 1))))",
     "(i64.extend_i32_u (i32.load 1 offset=4 (i32.add (local.get 0) (local.get 1))))"},
    {"load_add_imm", "I64Load_add_imm", 1, "(i64.load offset=3 (i32.add (local.get 0) (i32.const 5)))",
     "(i64.load $b offset=3 (i32.add (local.get 0) (i32.const 5)))"},
    {"load_constant_address", "I32Load_abs", 1, "(i64.extend_i32_u (i32.add (local.get 0) (i32.load offset=4 (i32.const 8))))",
     "(i64.extend_i32_u (i32.add (local.get 0) (i32.load 1 offset=4 (i32.const 8))))"},
    {"load_beyond_4GiB", "I64Load_abs", 1,
     "(if (result i64) (local.get 0) (then (i64.load offset=4294967295 (i32.const 8))) (else (i64.const 3)))",
     "(if (result i64) (local.get 0) (then (i64.load 1 offset=4294967295 (i32.const 8))) (else (i64.const 3)))"},
    {"store_constant_value", "I64Store_val", 1,
     "(i64.store offset=2 (local.get 1) (i64.const 0x1122334455667788)) (i64.load (local.get 1))",
     "(i64.store 1 offset=2 (local.get 1) (i64.const 0x1122334455667788)) (i64.load 1 (local.get 1))"},
    {"store_constant_value_and_address", "I32Store16_abs_val", 1,
     "(i32.store16 offset=65533 (i32.const 1) (i32.const 0xabcd)) (i64.extend_i32_u (local.get 0))",
     "(i32.store16 1 offset=65533 (i32.const 1) (i32.const 0xabcd)) (i64.extend_i32_u (local.get 0))"},
    {"store_added_address", "I32Store_add", 1,
     "(i32.store offset=1 (i32.add (local.get 0) (local.get 1)) (local.get 1)) (i64.const 2)",
     "(i32.store 1 offset=1 (i32.add (local.get 0) (local.get 1)) (local.get 1)) (i64.const 2)"},
    {"move", "move8", 1, "(i64.store offset=3 (local.get 1) (i64.load offset=5 (local.get 0))) (i64.load (i32.const 0))",
     "(i64.store 1 offset=3 (local.get 1) (i64.load 1 offset=5 (local.get 0))) (i64.load 1 (i32.const 0))"},
    {"move_from_other_memory", "move4", 0,
     "(i32.store offset=3 (local.get 1) (i32.load offset=5 (local.get 0))) (i64.load (i32.const 0))",
     "(i32.store offset=3 (local.get 1) (i32.load 1 offset=5 (local.get 0))) (i64.load (i32.const 0))"},
    {"move_to_other_memory", "move1", 1,
     "(i32.store8 offset=3 (local.get 1) (i32.load8_u offset=5 (local.get 0))) (i64.load (i32.const 0))",
     "(i32.store8 1 offset=3 (local.get 1) (i32.load8_u offset=5 (local.get 0))) (i64.load 1 (i32.const 0))"},
    {"read_modify_write", "I64Add_mem_st", 1,
     "(i64.store offset=8 (local.get 0) (i64.add (i64.extend_i32_u (local.get 1)) (i64.load offset=8 (local.get 0)))) "
     "(i64.load (i32.const 8))",
     "(i64.store 1 offset=8 (local.get 0) (i64.add (i64.extend_i32_u (local.get 1)) (i64.load 1 offset=8 (local.get 0)))) "
     "(i64.load 1 (i32.const 8))"},
    {"read_other_memory_modify_write", "I64Add_mem_st", 0,
     "(i64.store offset=8 (local.get 0) (i64.add (i64.extend_i32_u (local.get 1)) (i64.load offset=8 (local.get 0)))) "
     "(i64.load (i32.const 8))",
     "(i64.store offset=8 (local.get 0) (i64.add (i64.extend_i32_u (local.get 1)) (i64.load 1 offset=8 (local.get 0)))) "
     "(i64.load (i32.const 8))"},
    {"memory_operand", "I64Add_mem", 1, "(i64.add (i64.extend_i32_u (local.get 1)) (i64.load offset=8 (local.get 0)))",
     "(i64.add (i64.extend_i32_u (local.get 1)) (i64.load 1 offset=8 (local.get 0)))"},
    {"memory_operand_imm", "I32Add_mem_imm", 1,
     "(i64.extend_i32_u (i32.add (local.get 1) (i32.load (i32.add (local.get 0) (i32.const 4)))))",
     "(i64.extend_i32_u (i32.add (local.get 1) (i32.load 1 (i32.add (local.get 0) (i32.const 4)))))"},
    {"multiply_accumulate", "f64.mul_add_mem_st", 1,
     "(f64.store (local.get 0) (f64.add (f64.mul (f64.convert_i32_u (local.get 1)) (f64.load (local.get 1))) "
     "(f64.load (local.get 0)))) (i64.load (local.get 0))",
     "(f64.store 1 (local.get 0) (f64.add (f64.mul (f64.convert_i32_u (local.get 1)) (f64.load 1 (local.get 1))) "
     "(f64.load 1 (local.get 0)))) (i64.load 1 (local.get 0))"},
    {"switch_on_loaded_word", "br_table_load", 1,
     "(block $d (block $b (block $a (br_table $a $b $d (i32.load offset=2 (local.get 0)))) (return (i64.const 7))) "
     "(return (i64.const 8))) (i64.const 9)",
     "(block $d (block $b (block $a (br_table $a $b $d (i32.load 1 offset=2 (local.get 0)))) (return (i64.const 7))) "
     "(return (i64.const 8))) (i64.const 9)"},
    {"switch_on_loaded_byte", "br_table_load8_u", 1,
     "(block $d (block $b (block $a (br_table $a $b $d (i32.load8_u offset=1 (local.get 0)))) (return (i64.const 7))) "
     "(return (i64.const 8))) (i64.const 9)",
     "(block $d (block $b (block $a (br_table $a $b $d (i32.load8_u 1 offset=1 (local.get 0)))) (return (i64.const 7))) "
     "(return (i64.const 8))) (i64.const 9)"},
    {"branch_on_load", "", 1,
     "(if (result i64) (i32.lt_u (i32.load16_s (local.get 0)) (local.get 1)) (then (i64.const 1)) (else (i64.const 2)))",
     "(if (result i64) (i32.lt_u (i32.load16_s 1 (local.get 0)) (local.get 1)) (then (i64.const 1)) (else (i64.const 2)))"},
    {"bulk", "", 1,
     "(memory.fill (local.get 0) (i32.const 0x5a) (i32.and (local.get 1) (i32.const 255))) "
     "(memory.copy (i32.and (local.get 1) (i32.const 0xffff)) (local.get 0) (i32.const 16)) "
     "(memory.init $d (local.get 1) (i32.const 1) (i32.const 2)) "
     "(i64.extend_i32_u (i32.add (memory.size) (i32.mul (i32.const 16) (memory.grow (i32.const 1)))))",
     "(memory.fill 1 (local.get 0) (i32.const 0x5a) (i32.and (local.get 1) (i32.const 255))) "
     "(memory.copy $b $b (i32.and (local.get 1) (i32.const 0xffff)) (local.get 0) (i32.const 16)) "
     "(memory.init $b $d (local.get 1) (i32.const 1) (i32.const 2)) "
     "(i64.extend_i32_u (i32.add (memory.size $b) (i32.mul (i32.const 16) (memory.grow $b (i32.const 1)))))"},
    {"copy_between_memories", "", 1, "(memory.copy (local.get 0) (local.get 1) (i32.const 8)) (i64.load (local.get 0))",
     "(memory.copy 1 0 (local.get 0) (local.get 1) (i32.const 8)) (i64.load 1 (local.get 0))"},
    {"copy_from_other_memory", "", 0, "(memory.copy (local.get 0) (local.get 1) (i32.const 8)) (i64.load (local.get 0))",
     "(memory.copy 0 1 (local.get 0) (local.get 1) (i32.const 8)) (i64.load (local.get 0))"},
};

class MultiMemory : public ::testing::TestWithParam<Case> {};

TEST_P(MultiMemory, OtherMemoryIsNeverFusedAsMemoryZero) {
  const Case& c = GetParam();
  auto fused = compile(two_memories(c), true);
  auto plain = compile(two_memories(c), false);
  auto single = compile(one_memory(c), true);
  ASSERT_TRUE(fused && plain && single);
  auto zero_ops = op_names(*fused, "zero"), other_ops = op_names(*fused, "other");
  if (*c.fused_op) {
    EXPECT_TRUE(has(zero_ops, c.fused_op)) << c.name << ": the memory-0 pattern no longer fuses";
    EXPECT_FALSE(has(other_ops, c.fused_op)) << c.name << ": memory 1 fused as memory 0";
  }
  EXPECT_EQ(zero_ops, op_names(*single, "zero")) << c.name << ": memory 0's code changed for a second memory";
  bool multi = false;
  for (const auto& op : other_ops) multi |= op.ends_with("_multi");
  EXPECT_TRUE(multi) << c.name;
  // A written memory that is not memory 1 means memory 1 is only read.
  const uint32_t untouched = 1 - c.written;
  for (uint32_t x : kInputs) {
    for (uint32_t y : {0u, 3u, 65530u, 0xfffffff8u}) {
      Outcome z = run(fused, "zero", x, y);
      for (const auto& m : {fused, plain}) {
        Outcome o = run(m, "other", x, y);
        std::string where = std::string(c.name) + " x=" + std::to_string(x) + " y=" + std::to_string(y) +
                            (m == fused ? " fused" : " plain");
        EXPECT_EQ(o.trapped, z.trapped) << where;
        EXPECT_EQ(o.code, z.code) << where;
        EXPECT_EQ(o.result, z.result) << where;
        EXPECT_TRUE(o.memory[c.written] == z.memory[0]) << where << ": written memory differs";
        EXPECT_TRUE(o.memory[untouched] == z.memory[1]) << where << ": the other memory changed";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, MultiMemory, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace whirl::wasm
