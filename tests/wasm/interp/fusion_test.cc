// Superinstructions against the plain forms they replace. Each case has a
// function the compiler fuses ("fused") and the same computation written so
// that it cannot fuse ("plain": operands routed through locals or split by an
// empty block, a branch target). The test checks that the fused form really
// appears (and not in the plain one), then runs both over edge-case inputs
// (wrap-around addresses, out-of-bounds accesses, NaNs) in fresh instances
// and requires equal results, equal traps and equal memory afterwards. The
// plain forms are the ones the spec suite checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "wasm/binary/decoder.h"
#include "wasm/interp/code.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

// The plain slot code, from a fresh decode: load_module's module keeps no
// bodies to compile again.
Expected<std::shared_ptr<const CompiledModule>> compile_plain(const std::vector<uint8_t>& bytes) {
  auto m = decode_module(bytes);
  if (!m) return unexpected(std::move(m).error());
  return compile_module(std::make_shared<const Module>(std::move(*m)),
                        {.superinstructions = false, .translation = CompileOptions::Translation::Eager});
}

struct Case {
  const char* name;
  const char* fused_op;  // slot op that must appear in "fused" only
  const char* locals;    // shared local declarations
  const char* fused;     // body, (param i32 i32) (result i64)
  const char* plain;
};

const uint32_t kInputs[] = {0, 1, 2, 7, 8, 255, 1000, 65528, 65532, 65535, 65536, 0x7fffffff, 0x80000000,
                            0xfffffff0, 0xfffffffc, 0xffffffff};

std::string module_text(const Case& c) {
  return std::string("(module (memory (export \"mem\") 1)\n"
                     "  (data (i32.const 0) \"\\01\\02\\03\\04\\05\\06\\07\\08\\f0\\e1\\d2\\c3\\b4\\a5\\96\\87\")\n"
                     "  (data (i32.const 65520) \"\\11\\22\\33\\44\\55\\66\\77\\88\\99\\aa\\bb\\cc\\dd\\ee\\ff\\00\")\n"
                     "  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))\n"
                     "  (func (export \"fused\") (param i32 i32) (result i64) ") +
         c.locals + "\n    " + c.fused + ")\n  (func (export \"plain\") (param i32 i32) (result i64) " + c.locals +
         "\n    " + c.plain + "))";
}

std::vector<std::string> op_names(const CompiledModule& m, const char* export_name) {
  const auto& impl = static_cast<const interp::CompiledModuleImpl&>(m);
  for (const Export& e : impl.mod->exports) {
    if (e.name != export_name) continue;
    const interp::CompiledFunc& f = impl.funcs[e.index - impl.mod->num_imported_funcs];
    std::vector<std::string> names;
    for (uint16_t op : f.ops) names.push_back(interp::slot_op_name(op));
    return names;
  }
  return {};
}

struct Outcome {
  bool trapped = false;
  TrapCode code = TrapCode::Unreachable;
  uint64_t result = 0;
  std::vector<uint8_t> memory;
  bool operator==(const Outcome&) const = default;
};

Outcome run(const std::shared_ptr<const CompiledModule>& m, const char* fn, uint32_t x, uint32_t y,
            uint64_t fuel = 0) {
  StoreConfig config;
  config.fuel = fuel;
  auto store = Store::create(config);
  auto inst = store->instantiate(m, {});
  EXPECT_TRUE(inst);
  Outcome o;
  if (!inst) return o;
  auto r = store->invoke((*inst)->find_export(fn)->as_func(), std::vector<Value>{Value::i32(x), Value::i32(y)});
  if (r) o.result = (*r)[0].bits;
  else o.trapped = true, o.code = r.error().code;
  MemoryInst* mem = (*inst)->find_export("mem")->as_memory();
  o.memory.assign(mem->data(), mem->data() + mem->size_bytes());
  return o;
}

const Case kCases[] = {
    {"load_constant_address", "I32Load_abs", "(local $a i32)",
     "(i64.extend_i32_u (i32.add (local.get 0) (i32.load offset=4 (i32.const 8))))",
     "(local.set $a (i32.const 8)) (i64.extend_i32_u (i32.add (local.get 0) (i32.load offset=4 (local.get $a))))"},
    {"load_constant_address_beyond_4GiB", "I64Load_abs", "(local $a i32)",
     "(if (result i64) (local.get 0) (then (i64.load offset=4294967295 (i32.const 8))) (else (i64.const 3)))",
     "(local.set $a (i32.const 8)) (if (result i64) (local.get 0) (then (i64.load offset=4294967295 (local.get $a))) "
     "(else (i64.const 3)))"},
    {"store_constant_address", "I32Store_abs", "(local $a i32)",
     "(i32.store offset=4 (i32.const 32) (local.get 0)) (i64.load (i32.const 32))",
     "(local.set $a (i32.const 32)) (i32.store offset=4 (local.get $a) (local.get 0)) (i64.load (i32.const 32))"},
    {"store_constant_value", "I64Store_val", "(local $v i64)",
     "(i64.store offset=2 (local.get 1) (i64.const 0x1122334455667788)) (i64.const 5)",
     "(local.set $v (i64.const 0x1122334455667788)) (i64.store offset=2 (local.get 1) (local.get $v)) (i64.const 5)"},
    {"store_constant_value_and_address", "I32Store16_abs_val", "(local $v i32)",
     "(i32.store16 offset=65533 (i32.const 1) (i32.const 0xabcd)) (i64.const 1)",
     "(local.set $v (i32.const 0xabcd)) (i32.store16 offset=65533 (i32.const 1) (local.get $v)) (i64.const 1)"},
    {"test_and_branch", "br_unless_test_imm", "(local $t i32)",
     "(if (result i64) (i32.and (local.get 0) (i32.const 0x80)) (then (i64.const 1)) (else (i64.const 2)))",
     "(local.set $t (i32.and (local.get 0) (i32.const 0x80))) "
     "(if (result i64) (local.get $t) (then (i64.const 1)) (else (i64.const 2)))"},
    {"test_for_zero_and_branch", "br_unless_test", "(local $t i32)",
     "(block (br_if 0 (i32.eqz (i32.and (local.get 0) (local.get 1)))) (return (i64.const 9))) (i64.const 4)",
     "(block (local.set $t (i32.and (local.get 0) (local.get 1))) (br_if 0 (i32.eqz (local.get $t))) "
     "(return (i64.const 9))) (i64.const 4)"},
    {"move_bytes", "move1", "(local $v i32)",
     "(i32.store8 offset=3 (local.get 1) (i32.load8_u offset=1 (local.get 0))) (i64.load (i32.const 0))",
     "(local.set $v (i32.load8_u offset=1 (local.get 0))) (i32.store8 offset=3 (local.get 1) (local.get $v)) "
     "(i64.load (i32.const 0))"},
    {"move_words", "move8", "(local $v i64)",
     "(i64.store offset=3 (local.get 1) (i64.load offset=5 (local.get 0))) (i64.load (i32.const 0))",
     "(local.set $v (i64.load offset=5 (local.get 0))) (i64.store offset=3 (local.get 1) (local.get $v)) "
     "(i64.load (i32.const 0))"},
    {"read_modify_write", "I64Add_mem_st", "(local $v i64)",
     "(i64.store offset=8 (local.get 0) (i64.add (i64.extend_i32_u (local.get 1)) (i64.load offset=8 (local.get 0)))) "
     "(i64.load (i32.const 8))",
     "(local.set $v (i64.add (i64.extend_i32_u (local.get 1)) (i64.load offset=8 (local.get 0)))) "
     "(i64.store offset=8 (local.get 0) (local.get $v)) (i64.load (i32.const 8))"},
    {"read_modify_write_float", "F64Sub_mem_st", "(local $v f64)",
     "(f64.store (local.get 0) (f64.sub (f64.convert_i32_s (local.get 1)) (f64.load (local.get 0)))) "
     "(i64.load (local.get 0))",
     "(local.set $v (f64.sub (f64.convert_i32_s (local.get 1)) (f64.load (local.get 0)))) "
     "(f64.store (local.get 0) (local.get $v)) (i64.load (local.get 0))"},
    {"switch_on_loaded_word", "br_table_load", "(local $t i32)",
     "(block $d (block $b (block $a (br_table $a $b $d (i32.load offset=2 (local.get 0)))) (return (i64.const 7))) "
     "(return (i64.const 8))) (i64.const 9)",
     "(local.set $t (i32.load offset=2 (local.get 0))) "
     "(block $d (block $b (block $a (br_table $a $b $d (local.get $t))) (return (i64.const 7))) "
     "(return (i64.const 8))) (i64.const 9)"},
    {"switch_on_loaded_byte_with_value", "br_table_load8_u", "(local $t i32)",
     "(block $d (result i64) (i64.add (block $b (result i64) (br_table $b $d (i64.extend_i32_u (local.get 1)) "
     "(i32.load8_u offset=1 (local.get 0)))) (i64.const 100)))",
     "(local.set $t (i32.load8_u offset=1 (local.get 0))) "
     "(block $d (result i64) (i64.add (block $b (result i64) (br_table $b $d (i64.extend_i32_u (local.get 1)) "
     "(local.get $t))) (i64.const 100)))"},
    {"loop_step_and_test", "inc_br_ne", "(local $i i32) (local $acc i32)",
     "(local.set $i (local.get 0)) (loop (local.set $acc (i32.add (local.get $acc) (local.get $i))) "
     "(local.set $i (i32.add (local.get $i) (i32.const 0x40000000))) (br_if 0 (i32.ne (local.get 0) (local.get $i)))) "
     "(i64.or (i64.extend_i32_u (local.get $acc)) (i64.shl (i64.extend_i32_u (local.get $i)) (i64.const 32)))",
     "(local.set $i (local.get 0)) (loop (local.set $acc (i32.add (local.get $acc) (local.get $i))) "
     "(local.set $i (i32.add (local.get $i) (i32.const 0x40000000))) (block) "
     "(br_if 0 (i32.ne (local.get 0) (local.get $i)))) "
     "(i64.or (i64.extend_i32_u (local.get $acc)) (i64.shl (i64.extend_i32_u (local.get $i)) (i64.const 32)))"},
    {"loop_step_and_test_imm", "inc_br_ne_imm", "(local $i i32) (local $acc i32)",
     "(local.set $i (i32.and (local.get 1) (i32.const 7))) (loop (local.set $acc (i32.xor (local.get $acc) "
     "(i32.const 3))) (local.set $i (i32.add (local.get $i) (i32.const -1))) "
     "(br_if 0 (i32.ne (local.get $i) (i32.const -9)))) "
     "(i64.or (i64.extend_i32_u (local.get $acc)) (i64.shl (i64.extend_i32_u (local.get $i)) (i64.const 32)))",
     "(local.set $i (i32.and (local.get 1) (i32.const 7))) (loop (local.set $acc (i32.xor (local.get $acc) "
     "(i32.const 3))) (local.set $i (i32.add (local.get $i) (i32.const -1))) (block) "
     "(br_if 0 (i32.ne (local.get $i) (i32.const -9)))) "
     "(i64.or (i64.extend_i32_u (local.get $acc)) (i64.shl (i64.extend_i32_u (local.get $i)) (i64.const 32)))"},
    {"result_computed_in_place", "return_in_place", "(local $v i64)",
     "(i64.add (i64.load offset=3 (local.get 0)) (i64.extend_i32_u (call $sq (local.get 1))))",
     "(local.set $v (i64.add (i64.load offset=3 (local.get 0)) (i64.extend_i32_u (call $sq (local.get 1))))) "
     "(local.get $v)"},
    {"paired_increments", "i32.inc2", "(local $n i32)",
     "(local.set $n (i32.and (local.get 1) (i32.const 63))) "
     "(loop (local.set 0 (i32.add (local.get 0) (i32.const 7))) (local.set $n (i32.add (local.get $n) (i32.const -1))) "
     "(br_if 0 (i32.gt_s (local.get $n) (i32.const 0)))) (i64.extend_i32_u (local.get 0))",
     "(local.set $n (i32.and (local.get 1) (i32.const 63))) "
     "(loop (local.set 0 (i32.add (local.get 0) (i32.const 7))) (block) (local.set $n (i32.add (local.get $n) "
     "(i32.const -1))) (br_if 0 (i32.gt_s (local.get $n) (i32.const 0)))) (i64.extend_i32_u (local.get 0))"},
    {"paired_copies", "copy2", "(local $t i32) (local $n i32) (local $u i32)",
     "(local.set $n (i32.and (local.get 1) (i32.const 15))) (local.set $u (i32.const 5)) "
     "(loop (local.set $t (i32.add (local.get 0) (i32.const 1))) (local.set 0 (local.get 1)) (local.set 1 (local.get $t)) "
     "(local.set $n (i32.add (local.get $n) (i32.const -1))) (br_if 0 (i32.gt_s (local.get $n) (i32.const 0)))) "
     "(i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (i32.add (local.get 1) (local.get $u))))",
     "(local.set $n (i32.and (local.get 1) (i32.const 15))) (local.set $u (i32.const 5)) "
     "(loop (local.set $t (i32.add (local.get 0) (i32.const 1))) (local.set 0 (local.get 1)) (block) (local.set 1 (local.get $t)) "
     "(local.set $n (i32.add (local.get $n) (i32.const -1))) (br_if 0 (i32.gt_s (local.get $n) (i32.const 0)))) "
     "(i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (i32.add (local.get 1) (local.get $u))))"},
    {"three_copies", "copy3", "(local $t i32) (local $n i32) (local $u i32)",
     "(local.set $n (i32.and (local.get 1) (i32.const 15))) (local.set $u (i32.const 5)) "
     "(loop (local.set $t (local.get 0)) (local.set 0 (local.get 1)) (local.set 1 (local.get $t)) "
     "(local.set $n (i32.add (local.get $n) (i32.const -1))) (br_if 0 (i32.gt_s (local.get $n) (i32.const 0)))) "
     "(i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (i32.add (local.get 1) (local.get $u))))",
     "(local.set $n (i32.and (local.get 1) (i32.const 15))) (local.set $u (i32.const 5)) "
     "(loop (local.set $t (local.get 0)) (block) (local.set 0 (local.get 1)) (block) (local.set 1 (local.get $t)) "
     "(local.set $n (i32.add (local.get $n) (i32.const -1))) (br_if 0 (i32.gt_s (local.get $n) (i32.const 0)))) "
     "(i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (i32.add (local.get 1) (local.get $u))))"},
    {"four_copies", "copy4", "(local $t i32) (local $n i32) (local $u i32)",
     "(local.set $n (i32.and (local.get 1) (i32.const 15))) (local.set $u (i32.const 5)) "
     "(loop (local.set $t (local.get 0)) (local.set 0 (local.get 1)) (local.set 1 (local.get $u)) (local.set $u (local.get $t)) "
     "(local.set $n (i32.add (local.get $n) (i32.const -1))) (br_if 0 (i32.gt_s (local.get $n) (i32.const 0)))) "
     "(i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (i32.add (local.get 1) (local.get $u))))",
     "(local.set $n (i32.and (local.get 1) (i32.const 15))) (local.set $u (i32.const 5)) "
     "(loop (local.set $t (local.get 0)) (local.set 0 (local.get 1)) (block) (local.set 1 (local.get $u)) (local.set $u (local.get $t)) "
     "(local.set $n (i32.add (local.get $n) (i32.const -1))) (br_if 0 (i32.gt_s (local.get $n) (i32.const 0)))) "
     "(i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (i32.add (local.get 1) (local.get $u))))"},
    {"increment_pair_then_zero_test", "inc2_br_nz", "(local $n i32) (local $t i32)",
     "(local.set $n (i32.add (i32.and (local.get 1) (i32.const 15)) (i32.const 1))) "
     "(loop (local.set 0 (i32.add (local.get 0) (i32.const 3))) (local.set $n (i32.add (local.get $n) (i32.const -1))) "
     "(br_if 0 (local.get $n))) (i64.extend_i32_u (i32.add (local.get 0) (local.get $n)))",
     "(local.set $n (i32.add (i32.and (local.get 1) (i32.const 15)) (i32.const 1))) "
     "(loop (local.set 0 (i32.add (local.get 0) (i32.const 3))) (local.set $n (i32.add (local.get $n) (i32.const -1))) "
     "(br_if 0 (local.tee $t (local.get $n)))) (i64.extend_i32_u (i32.add (local.get 0) (local.get $n)))"},
    {"increment_pair_tests_its_first_slot", "inc2_br_nz", "(local $n i32) (local $t i32)",
     "(local.set 0 (i32.add (i32.and (local.get 0) (i32.const 31)) (i32.const 1))) "
     "(loop (local.set 0 (i32.add (local.get 0) (i32.const -1))) (local.set 1 (i32.add (local.get 1) (i32.const 5))) "
     "(br_if 0 (local.get 0))) (i64.extend_i32_u (i32.add (local.get 0) (local.get 1)))",
     "(local.set 0 (i32.add (i32.and (local.get 0) (i32.const 31)) (i32.const 1))) "
     "(loop (local.set 0 (i32.add (local.get 0) (i32.const -1))) (local.set 1 (i32.add (local.get 1) (i32.const 5))) "
     "(br_if 0 (local.tee $t (local.get 0)))) (i64.extend_i32_u (i32.add (local.get 0) (local.get 1)))"},
    {"increment_pair_then_exit_on_zero", "inc2_br_z", "(local $n i32) (local $t i32)",
     "(local.set $n (i32.add (i32.and (local.get 1) (i32.const 15)) (i32.const 1))) "
     "(block (loop (local.set 0 (i32.add (local.get 0) (i32.const 3))) (local.set $n (i32.add (local.get $n) (i32.const -1))) "
     "(br_if 1 (i32.eqz (local.get $n))) (br 0))) (i64.extend_i32_u (i32.add (local.get 0) (local.get $n)))",
     "(local.set $n (i32.add (i32.and (local.get 1) (i32.const 15)) (i32.const 1))) "
     "(block (loop (local.set 0 (i32.add (local.get 0) (i32.const 3))) (local.set $n (i32.add (local.get $n) (i32.const -1))) "
     "(br_if 1 (i32.eqz (local.tee $t (local.get $n)))) (br 0))) (i64.extend_i32_u (i32.add (local.get 0) (local.get $n)))"},
    {"indexed_address_any_shift", "i32.add_shl_imm", "(local $b i32)",
     "(i64.load16_u (i32.add (i32.add (local.get 0) (i32.const 7)) (i32.shl (local.get 1) (i32.const 1))))",
     "(local.set $b (i32.add (local.get 0) (i32.const 7))) "
     "(i64.load16_u (i32.add (local.get $b) (i32.shl (local.get 1) (i32.const 1))))"},
    {"indexed_address_wraps", "i32.add_shl2_imm", "(local $b i32)",
     "(i64.load32_u (i32.add (i32.add (local.get 0) (i32.const 1000)) (i32.shl (local.get 1) (i32.const 2))))",
     "(local.set $b (i32.add (local.get 0) (i32.const 1000))) "
     "(i64.load32_u (i32.add (local.get $b) (i32.shl (local.get 1) (i32.const 2))))"},
    {"indexed_address_around_an_increment", "i32.add_shl3_imm", "(local $b i32)",
     "(i64.load8_u (i32.add (i32.add (local.get 0) (i32.const 16)) "
     "(i32.shl (local.tee 1 (i32.add (local.get 1) (i32.const -1))) (i32.const 3))))",
     "(local.set $b (i32.add (local.get 0) (i32.const 16))) "
     "(i64.load8_u (i32.add (local.get $b) (i32.shl (local.tee 1 (i32.add (local.get 1) (i32.const -1))) "
     "(i32.const 3))))"},
    {"shift_then_offset_base_and_constant", "i32.add_shl3_imm", "(local $s i32) (local $b i32)",
     "(i64.extend_i32_u (call $sq (i32.add (i32.add (i32.shl (local.get 1) (i32.const 3)) "
     "(i32.add (local.get 0) (i32.const 8432))) (i32.const -16))))",
     "(local.set $s (i32.shl (local.get 1) (i32.const 3))) (local.set $b (i32.add (local.get 0) (i32.const 8432))) "
     "(local.set $b (i32.add (local.get $s) (local.get $b))) "
     "(i64.extend_i32_u (call $sq (i32.add (local.get $b) (i32.const -16))))"},
    {"memory_operand_with_address_add", "I32Sub_mem_imm", "(local $v i32)",
     "(i64.extend_i32_u (i32.sub (local.get 1) (i32.load (i32.add (local.get 0) (i32.const -4)))))",
     "(local.set $v (i32.load (i32.add (local.get 0) (i32.const -4)))) "
     "(i64.extend_i32_u (i32.sub (local.get 1) (local.get $v)))"},
    {"float_memory_operand_with_address_add", "F64Mul_mem_imm", "(local $v f64)",
     "(i64.reinterpret_f64 (f64.mul (f64.convert_i32_s (local.get 1)) (f64.load (i32.add (local.get 0) (i32.const 8)))))",
     "(local.set $v (f64.load (i32.add (local.get 0) (i32.const 8)))) "
     "(i64.reinterpret_f64 (f64.mul (f64.convert_i32_s (local.get 1)) (local.get $v)))"},
    {"multiply_accumulate_f64", "f64.mul_add_mem_st", "(local $t f64)",
     "(f64.store (local.get 1) (f64.add (f64.mul (f64.convert_i32_s (local.get 0)) (f64.load offset=8 (local.get 0))) "
     "(f64.load (local.get 1)))) (i64.load (local.get 1))",
     "(local.set $t (f64.mul (f64.convert_i32_s (local.get 0)) (f64.load offset=8 (local.get 0)))) "
     "(f64.store (local.get 1) (f64.add (local.get $t) (f64.load (local.get 1)))) (i64.load (local.get 1))"},
    {"multiply_accumulate_f64_address_add", "f64.mul_add_mem_st_imm", "(local $t f64)",
     "(f64.store (local.get 1) (f64.add (f64.mul (f64.convert_i32_u (local.get 1)) "
     "(f64.load (i32.add (local.get 0) (i32.const 8)))) (f64.load (local.get 1)))) (i64.load (local.get 1))",
     "(local.set $t (f64.mul (f64.convert_i32_u (local.get 1)) (f64.load (i32.add (local.get 0) (i32.const 8))))) "
     "(f64.store (local.get 1) (f64.add (local.get $t) (f64.load (local.get 1)))) (i64.load (local.get 1))"},
    {"multiply_accumulate_f32", "f32.mul_add_mem_st", "(local $t f32)",
     "(f32.store (local.get 0) (f32.add (f32.mul (f32.convert_i32_s (local.get 1)) (f32.load offset=4 (local.get 1))) "
     "(f32.load (local.get 0)))) (i64.load32_u (local.get 0))",
     "(local.set $t (f32.mul (f32.convert_i32_s (local.get 1)) (f32.load offset=4 (local.get 1)))) "
     "(f32.store (local.get 0) (f32.add (local.get $t) (f32.load (local.get 0)))) (i64.load32_u (local.get 0))"},
    {"multiply_accumulate_f32_address_add", "f32.mul_add_mem_st_imm", "(local $t f32)",
     "(f32.store (local.get 0) (f32.add (f32.mul (f32.reinterpret_i32 (local.get 1)) "
     "(f32.load (i32.add (local.get 1) (i32.const -4)))) (f32.load (local.get 0)))) (i64.load32_u (local.get 0))",
     "(local.set $t (f32.mul (f32.reinterpret_i32 (local.get 1)) (f32.load (i32.add (local.get 1) (i32.const -4))))) "
     "(f32.store (local.get 0) (f32.add (local.get $t) (f32.load (local.get 0)))) (i64.load32_u (local.get 0))"},
    {"select_constant_first_arm", "select_imm_x", "(local $k i32)",
     "(i64.extend_i32_s (select (i32.const -1) (local.get 0) (i32.lt_u (local.get 0) (local.get 1))))",
     "(local.set $k (i32.const -1)) "
     "(i64.extend_i32_s (select (local.get $k) (local.get 0) (i32.lt_u (local.get 0) (local.get 1))))"},
    {"select_constant_second_arm_i64", "select_imm_y", "(local $k i64)",
     "(select (i64.extend_i32_s (local.get 1)) (i64.const 0xfffffff0) (local.get 0))",
     "(local.set $k (i64.const 0xfffffff0)) (select (i64.extend_i32_s (local.get 1)) (local.get $k) (local.get 0))"},
    {"negate", "I32Sub_imm_x", "(local $k i32)",
     "(i64.extend_i32_u (i32.sub (i32.const 5) (local.get 0)))",
     "(local.set $k (i32.const 5)) (i64.extend_i32_u (i32.sub (local.get $k) (local.get 0)))"},
    {"bit_from_constant", "I32Shl_imm_x", "(local $k i32) (local $m i32)",
     "(i64.extend_i32_u (i32.xor (i32.shl (i32.const 1) (local.get 1)) (i32.rotl (i32.const -2) (local.get 0))))",
     "(local.set $k (i32.const 1)) (local.set $m (i32.const -2)) (i64.extend_i32_u (i32.xor "
     "(i32.shl (local.get $k) (local.get 1)) (i32.rotl (local.get $m) (local.get 0))))"},
    {"rotate_constant", "I32Rotl_imm_x", "(local $k i32)",
     "(i64.extend_i32_u (i32.rotl (i32.const -2) (local.get 0)))",
     "(local.set $k (i32.const -2)) (i64.extend_i32_u (i32.rotl (local.get $k) (local.get 0)))"},
    {"constant_shifted_right_i64", "I64ShrS_imm_x", "(local $k i64) (local $m i64)",
     "(i64.sub (i64.shr_s (i64.const -0x12345678) (i64.extend_i32_u (local.get 0))) "
     "(i64.shr_u (i64.const 0x7fff0000) (i64.extend_i32_u (local.get 1))))",
     "(local.set $k (i64.const -0x12345678)) (local.set $m (i64.const 0x7fff0000)) "
     "(i64.sub (i64.shr_s (local.get $k) (i64.extend_i32_u (local.get 0))) "
     "(i64.shr_u (local.get $m) (i64.extend_i32_u (local.get 1))))"},
    {"constant_first_compare", "br_if_I32GtU_imm", "(local $k i32)",
     "(block (br_if 0 (i32.lt_u (i32.const 1000) (local.get 0))) (return (i64.const 1))) "
     "(i64.extend_i32_u (i32.ge_s (i32.const -7) (local.get 1)))",
     "(local.set $k (i32.const 1000)) (block (br_if 0 (i32.lt_u (local.get $k) (local.get 0))) (return (i64.const 1))) "
     "(i64.extend_i32_u (i32.ge_s (i32.or (local.get $k) (i32.const -7)) (local.get 1)))"},
    {"product_f64_mul_mul", "f64.mul_mul", "(local $x f64) (local $y f64) (local $z f64) (local $p f64)",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(i64.reinterpret_f64 (f64.mul (f64.mul (local.get $x) (local.get $y)) (local.get $z)))",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(local.set $p (f64.mul (local.get $x) (local.get $y))) (i64.reinterpret_f64 (f64.mul (local.get $p) (local.get $z)))"},
    {"product_f64_mul_mul_r", "f64.mul_mul_r", "(local $x f64) (local $y f64) (local $z f64) (local $p f64)",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(i64.reinterpret_f64 (f64.mul (local.get $z) (f64.mul (local.get $x) (local.get $y))))",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(local.set $p (f64.mul (local.get $x) (local.get $y))) (i64.reinterpret_f64 (f64.mul (local.get $z) (local.get $p)))"},
    {"product_f64_mul_add", "f64.mul_add", "(local $x f64) (local $y f64) (local $z f64) (local $p f64)",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(i64.reinterpret_f64 (f64.add (f64.mul (local.get $x) (local.get $y)) (local.get $z)))",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(local.set $p (f64.mul (local.get $x) (local.get $y))) (i64.reinterpret_f64 (f64.add (local.get $p) (local.get $z)))"},
    {"product_f64_add_mul", "f64.add_mul", "(local $x f64) (local $y f64) (local $z f64) (local $p f64)",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(i64.reinterpret_f64 (f64.add (local.get $z) (f64.mul (local.get $x) (local.get $y))))",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(local.set $p (f64.mul (local.get $x) (local.get $y))) (i64.reinterpret_f64 (f64.add (local.get $z) (local.get $p)))"},
    {"product_f64_mul_sub", "f64.mul_sub", "(local $x f64) (local $y f64) (local $z f64) (local $p f64)",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(i64.reinterpret_f64 (f64.sub (f64.mul (local.get $x) (local.get $y)) (local.get $z)))",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(local.set $p (f64.mul (local.get $x) (local.get $y))) (i64.reinterpret_f64 (f64.sub (local.get $p) (local.get $z)))"},
    {"product_f64_sub_mul", "f64.sub_mul", "(local $x f64) (local $y f64) (local $z f64) (local $p f64)",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(i64.reinterpret_f64 (f64.sub (local.get $z) (f64.mul (local.get $x) (local.get $y))))",
     "(local.set $x (f64.convert_i32_s (local.get 0))) (local.set $y (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32)))) (local.set $z (f64.convert_i32_u (local.get 1))) "
     "(local.set $p (f64.mul (local.get $x) (local.get $y))) (i64.reinterpret_f64 (f64.sub (local.get $z) (local.get $p)))"},
    {"product_f32_mul_mul", "f32.mul_mul", "(local $x f32) (local $y f32) (local $z f32) (local $p f32)",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(i64.extend_i32_u (i32.reinterpret_f32 (f32.mul (f32.mul (local.get $x) (local.get $y)) (local.get $z))))",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(local.set $p (f32.mul (local.get $x) (local.get $y))) (i64.extend_i32_u (i32.reinterpret_f32 (f32.mul (local.get $p) (local.get $z))))"},
    {"product_f32_mul_mul_r", "f32.mul_mul_r", "(local $x f32) (local $y f32) (local $z f32) (local $p f32)",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(i64.extend_i32_u (i32.reinterpret_f32 (f32.mul (local.get $z) (f32.mul (local.get $x) (local.get $y)))))",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(local.set $p (f32.mul (local.get $x) (local.get $y))) (i64.extend_i32_u (i32.reinterpret_f32 (f32.mul (local.get $z) (local.get $p))))"},
    {"product_f32_mul_add", "f32.mul_add", "(local $x f32) (local $y f32) (local $z f32) (local $p f32)",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(i64.extend_i32_u (i32.reinterpret_f32 (f32.add (f32.mul (local.get $x) (local.get $y)) (local.get $z))))",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(local.set $p (f32.mul (local.get $x) (local.get $y))) (i64.extend_i32_u (i32.reinterpret_f32 (f32.add (local.get $p) (local.get $z))))"},
    {"product_f32_add_mul", "f32.add_mul", "(local $x f32) (local $y f32) (local $z f32) (local $p f32)",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(i64.extend_i32_u (i32.reinterpret_f32 (f32.add (local.get $z) (f32.mul (local.get $x) (local.get $y)))))",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(local.set $p (f32.mul (local.get $x) (local.get $y))) (i64.extend_i32_u (i32.reinterpret_f32 (f32.add (local.get $z) (local.get $p))))"},
    {"product_f32_mul_sub", "f32.mul_sub", "(local $x f32) (local $y f32) (local $z f32) (local $p f32)",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(i64.extend_i32_u (i32.reinterpret_f32 (f32.sub (f32.mul (local.get $x) (local.get $y)) (local.get $z))))",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(local.set $p (f32.mul (local.get $x) (local.get $y))) (i64.extend_i32_u (i32.reinterpret_f32 (f32.sub (local.get $p) (local.get $z))))"},
    {"product_f32_sub_mul", "f32.sub_mul", "(local $x f32) (local $y f32) (local $z f32) (local $p f32)",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(i64.extend_i32_u (i32.reinterpret_f32 (f32.sub (local.get $z) (f32.mul (local.get $x) (local.get $y)))))",
     "(local.set $x (f32.reinterpret_i32 (local.get 0))) (local.set $y (f32.reinterpret_i32 (local.get 1))) (local.set $z (f32.convert_i32_s (local.get 1))) "
     "(local.set $p (f32.mul (local.get $x) (local.get $y))) (i64.extend_i32_u (i32.reinterpret_f32 (f32.sub (local.get $z) (local.get $p))))"},
    {"xor_rotate", "i32.xor_rotl", "(local $r i32)",
     "(i64.extend_i32_u (i32.xor (local.get 0) (i32.rotl (local.get 1) (i32.const 7))))",
     "(local.set $r (i32.rotl (local.get 1) (i32.const 7))) (i64.extend_i32_u (i32.xor (local.get 0) (local.get $r)))"},
    {"or_shift_right", "i32.or_shr_u", "(local $r i32)",
     "(i64.extend_i32_u (i32.or (i32.shr_u (local.get 1) (i32.const 35)) (local.get 0)))",
     "(local.set $r (i32.shr_u (local.get 1) (i32.const 35))) (i64.extend_i32_u (i32.or (local.get $r) (local.get 0)))"},
    {"add_shift_left", "i32.add_shl", "(local $r i32)",
     "(i64.extend_i32_u (call $sq (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 31)))))",
     "(local.set $r (i32.shl (local.get 1) (i32.const 31))) "
     "(i64.extend_i32_u (call $sq (i32.add (local.get 0) (local.get $r))))"},
    {"float_immediate", "F64Mul_imm", "(local $k f64)",
     "(i64.reinterpret_f64 (f64.mul (f64.convert_i32_s (local.get 0)) (f64.const 0.1)))",
     "(local.set $k (f64.const 0.1)) (i64.reinterpret_f64 (f64.mul (f64.convert_i32_s (local.get 0)) (local.get $k)))"},
    {"float_immediate_nan", "F32Div_imm", "(local $k f32)",
     "(i64.extend_i32_u (i32.reinterpret_f32 (f32.div (f32.reinterpret_i32 (local.get 0)) (f32.const -nan:0x200001))))",
     "(local.set $k (f32.const -nan:0x200001)) "
     "(i64.extend_i32_u (i32.reinterpret_f32 (f32.div (f32.reinterpret_i32 (local.get 0)) (local.get $k))))"},
};

class Fusion : public testing::TestWithParam<Case> {};

TEST_P(Fusion, MatchesPlainForm) {
  const Case& c = GetParam();
  std::string text = module_text(c);
  auto bytes = text::wat_to_binary(text);
  ASSERT_TRUE(bytes) << bytes.error().message << "\n" << text;
  auto m = load_module(*bytes, nullptr, {.translation = CompileOptions::Translation::Eager});
  ASSERT_TRUE(m) << m.error().message;
  auto has = [&](const char* fn) {
    auto names = op_names(**m, fn);
    return std::find(names.begin(), names.end(), c.fused_op) != names.end();
  };
  EXPECT_TRUE(has("fused")) << c.fused_op << " not emitted";
  EXPECT_FALSE(has("plain")) << c.fused_op << " emitted for the plain form";
  int traps = 0;
  for (uint32_t x : kInputs) {
    for (uint32_t y : kInputs) {
      Outcome f = run(*m, "fused", x, y), p = run(*m, "plain", x, y);
      traps += p.trapped;
      ASSERT_EQ(f.trapped, p.trapped) << "x=" << x << " y=" << y;
      if (p.trapped) EXPECT_EQ(f.code, p.code) << "x=" << x << " y=" << y;
      else EXPECT_EQ(f.result, p.result) << "x=" << x << " y=" << y;
      ASSERT_TRUE(f.memory == p.memory) << "memory differs, x=" << x << " y=" << y;
    }
  }
  RecordProperty("traps", traps);
}

INSTANTIATE_TEST_SUITE_P(Interp, Fusion, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// Tail duplication: the cases of a small bytecode loop each end in a jump to
// the shared "advance and test" tail, whose back-edge leads to the fetch and
// br_table; the compiler copies tail and dispatch into each case (inverted
// loop test, a fuel tick, a br_table copy). Same results as the plain
// compilation, and with a fuel budget the same traps at the same points.
// `test` is the loop condition; `leave` the inverted branch expected in each
// copy and `ticks` the separate kTick ops (a plain test ticks itself).
void check_tail_duplication(const std::string& test, const char* leave, long ticks,
                            const std::string& index = "(i32.rem_u (local.get 0) (i32.const 3))",
                            const char* table_copy = "br_table_copy") {
  const std::string wat = R"((module (memory (export "mem") 1)
    (func (export "fused") (param i32 i32) (result i64) (local $acc i64) (local $n i32)
      (local.set $n (i32.add (i32.and (local.get 1) (i32.const 255)) (i32.const 1)))
      (block $done
        (loop $next
          (block $tail
            (block $c2 (block $c1 (block $c0
              (br_table $c0 $c1 $c2 )" + index + R"())
              (local.set $acc (i64.add (local.get $acc) (i64.const 3))) (br $tail))
              (local.set $acc (i64.mul (local.get $acc) (i64.const 5))) (br $tail))
            (local.set $acc (i64.xor (local.get $acc) (i64.extend_i32_u (local.get $n)))))
          (local.set 0 (i32.add (local.get 0) (i32.const 7)))
          (local.set $n (i32.add (local.get $n) (i32.const -1)))
          (br_if $next )" + test + R"()))
      (local.get $acc))
    (func (export "plain") (param i32 i32) (result i64) (i64.const 0))))";
  auto bytes = text::wat_to_binary(wat);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto fused = load_module(*bytes, nullptr, {.translation = CompileOptions::Translation::Eager});
  ASSERT_TRUE(fused) << fused.error().message;
  auto plain = compile_plain(*bytes);
  ASSERT_TRUE(plain);
  auto names = op_names(**fused, "fused");
  auto count = [&](const char* op) { return std::count(names.begin(), names.end(), std::string(op)); };
  EXPECT_EQ(count(table_copy), 2);
  EXPECT_EQ(count(leave), 2);
  EXPECT_EQ(count("tick"), ticks);
  for (uint32_t x : kInputs) {
    for (uint32_t y : kInputs) {
      ASSERT_EQ(run(*fused, "fused", x, y), run(*plain, "fused", x, y)) << x << " " << y;
      for (uint64_t fuel : {1, 2, 3, 4, 5, 6, 9, 17, 40}) {
        Outcome f = run(*fused, "fused", x, y, fuel), p = run(*plain, "fused", x, y, fuel);
        ASSERT_EQ(f, p) << x << " " << y << " fuel " << fuel;
      }
    }
  }
}

TEST(TailDuplication, CopiesShortTailsAndKeepsBehaviour) {
  check_tail_duplication("(i32.gt_s (local.get $n) (i32.const 0))", "br_unless_I32GtS_imm", 2);
}

TEST(TailDuplication, PlainLoopTestTicksOnItsFallThrough) {
  check_tail_duplication("(local.get $n)", "br_if_z_else_tick", 0);
}

// The copied tests follow the pair of increments: each copy fuses them (and
// still ticks once per iteration, on the fall-through).
TEST(TailDuplication, FusesIncrementsWithCopiedTest) {
  check_tail_duplication("(local.get $n)", "inc2_br_z_else_tick", 0);
}

// A switch on a fetched byte (the load fused into the br_table) is copied
// the same way; addresses walk past the memory's end, so traps are compared too.
TEST(TailDuplication, CopiesSwitchOnLoadedIndex) {
  check_tail_duplication("(local.get $n)", "br_if_z_else_tick", 0, "(i32.load8_u (local.get 0))",
                         "br_table_load8_u_copy");
}

// f64.copysign's immediate form holds 32 bits: a constant sign operand
// needing more (-2.0 is 0xc000000000000000) stays in its slot. The sign
// came out + before (fuzzing the tiers against each other found it).
TEST(FusionImmediates, CopysignWithAWideConstantKeepsItsSign) {
  const char* text = R"((module (memory (export "mem") 1)
    (func (export "k") (param i32 i32) (result i64)
      (i64.reinterpret_f64 (f64.copysign (f64.convert_i32_s (local.get 0)) (f64.const -2))))
    (func (export "p") (param i32 i32) (result i64) (local $k f64)
      (local.set $k (f64.const -2))
      (i64.reinterpret_f64 (f64.copysign (f64.convert_i32_s (local.get 0)) (local.get $k))))))";
  auto bytes = text::wat_to_binary(text);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto m = load_module(*bytes, nullptr, {.translation = CompileOptions::Translation::Eager});
  ASSERT_TRUE(m) << m.error().message;
  for (uint32_t x : {1u, 7u, uint32_t(-3)}) {
    Outcome k = run(*m, "k", x, 0), p = run(*m, "p", x, 0);
    EXPECT_EQ(k.result, p.result) << x;
    EXPECT_EQ(k.result >> 63, 1u) << x;
  }
}

}  // namespace
}  // namespace whirl::wasm
