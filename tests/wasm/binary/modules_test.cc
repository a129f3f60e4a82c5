// Whole modules written out by hand, robustness against truncated and
// corrupted input, and a large module.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

#include "test_util.h"

namespace whirl::wasm::testing {
namespace {

// (module $fac
//   (type (func (param i64) (result i64)))
//   (type (func (param i32)))
//   (type (func))
//   (import "env" "print" (func $print (type 1)))
//   (table 2 funcref)
//   (memory 1 2)
//   (global $count (mut i32) (i32.const 0))
//   (export "fac" (func $fac))
//   (export "mem" (memory 0))
//   (start $init)
//   (elem (i32.const 0) func $fac $init)
//   (func $fac (type 0)
//     (if (result i64) (i64.eqz (local.get 0))
//       (then (i64.const 1))
//       (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
//   (func $init (type 2) (local i32)
//     (call $print (i32.const 42))
//     (global.set $count (i32.add (global.get $count) (i32.const 1)))
//     (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 5))
//     (data.drop 0))
//   (data "hello"))
// plus a name section.
Bytes fac_module() {
  return module({
      section(1, vec({{0x60, 0x01, 0x7e, 0x01, 0x7e}, {0x60, 0x01, 0x7f, 0x00}, {0x60, 0x00, 0x00}})),
      section(2, vec({cat({str("env"), str("print"), {0x00, 0x01}})})),
      section(3, vec({{0x00}, {0x02}})),
      section(4, vec({{0x70, 0x00, 0x02}})),
      section(5, vec({{0x01, 0x01, 0x02}})),
      section(6, vec({{0x7f, 0x01, 0x41, 0x00, 0x0b}})),
      section(7, vec({cat({str("fac"), {0x00, 0x01}}), cat({str("mem"), {0x02, 0x00}})})),
      section(8, {0x02}),
      section(9, vec({cat({{0x00, 0x41, 0x00, 0x0b}, vec({{0x01}, {0x02}})})})),
      section(12, {0x01}),
      section(10, vec({body({0x00, 0x20, 0x00, 0x50, 0x04, 0x7e, 0x42, 0x01, 0x05, 0x20, 0x00, 0x20,
                             0x00, 0x42, 0x01, 0x7d, 0x10, 0x01, 0x7e, 0x0b, 0x0b}),
                       body({0x01, 0x01, 0x7f, 0x41, 0x2a, 0x10, 0x00, 0x23, 0x00, 0x41, 0x01, 0x6a,
                             0x24, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x05, 0xfc, 0x08, 0x00,
                             0x00, 0xfc, 0x09, 0x00, 0x0b})})),
      section(11, vec({cat({{0x01}, str("hello")})})),
      section(0, cat({str("name"), section(0, str("fac")),
                      section(1, vec({cat({{0x01}, str("fac")}), cat({{0x02}, str("init")})}))})),
  });
}

// (module
//   (type (func (param i32) (result i32)))
//   (table $t 0 externref)
//   (elem declare funcref (ref.func 0))
//   (func (type 0)
//     (block (block (block (br_table 0 1 2 (local.get 0)))
//       (return (i32.const 10)))
//       (return (i32.const 20)))
//     (drop (table.grow $t (ref.null extern) (i32.const 1)))
//     (select (result i32) (i32.const 30) (i32.const 31) (local.get 0))
//     (loop $l (br_if $l (i32.eqz (i32.const 1))))))
Bytes switch_module() {
  return module({
      section(1, vec({{0x60, 0x01, 0x7f, 0x01, 0x7f}})),
      section(3, vec({{0x00}})),
      section(4, vec({{0x6f, 0x00, 0x00}})),
      section(9, vec({cat({{0x07, 0x70}, vec({{0xd2, 0x00, 0x0b}})})})),
      section(10, vec({body({0x00,                                            // no locals
                             0x02, 0x40, 0x02, 0x40, 0x02, 0x40,              // block block block
                             0x20, 0x00, 0x0e, 0x02, 0x00, 0x01, 0x02, 0x0b,  // br_table 0 1 2; end
                             0x41, 0x0a, 0x0f, 0x0b,                          // i32.const 10 return end
                             0x41, 0x14, 0x0f, 0x0b,                          // i32.const 20 return end
                             0xd0, 0x6f, 0x41, 0x01, 0xfc, 0x0f, 0x00, 0x1a,  // table.grow 0, drop
                             0x41, 0x1e, 0x41, 0x1f, 0x20, 0x00, 0x1c, 0x01, 0x7f,  // select (result i32)
                             0x03, 0x40, 0x41, 0x01, 0x45, 0x0d, 0x00, 0x0b,  // loop br_if end
                             0x0b})})),
  });
}

void maybe_dump(const char* name, const Bytes& b) {
  // WHIRL_DUMP_DIR=dir writes the modules out (to cross-check them with
  // another engine).
  if (const char* dir = std::getenv("WHIRL_DUMP_DIR")) {
    std::ofstream out(std::string(dir) + "/" + name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
}

TEST(Modules, Factorial) {
  Bytes b = fac_module();
  maybe_dump("fac.wasm", b);
  auto r = decode_module(b);
  ASSERT_TRUE(r) << r.error().message;
  const Module& m = *r;
  EXPECT_EQ(m.types.size(), 3u);
  EXPECT_EQ(m.num_imported_funcs, 1u);
  EXPECT_EQ(m.total_funcs(), 3u);
  ASSERT_EQ(m.functions.size(), 2u);
  EXPECT_EQ(m.func_type_index(0), 1u);
  EXPECT_EQ(m.func_type_index(1), 0u);
  EXPECT_EQ(m.func_type_index(2), 2u);
  EXPECT_EQ(m.tables.size(), 1u);
  EXPECT_EQ(m.memories[0].limits.max, 2u);
  EXPECT_TRUE(m.globals[0].type.mut);
  EXPECT_EQ(m.exports.size(), 2u);
  EXPECT_EQ(m.start, 2u);
  ASSERT_EQ(m.elems.size(), 1u);
  EXPECT_EQ(m.elems[0].inits.size(), 2u);
  EXPECT_EQ(m.data_count, 1u);
  ASSERT_EQ(m.datas.size(), 1u);
  EXPECT_EQ(m.datas[0].mode, SegmentMode::Passive);
  EXPECT_EQ(m.module_name, "fac");
  EXPECT_EQ(m.func_name(1), "fac");
  EXPECT_EQ(m.func_name(2), "init");

  const Function& fac = m.functions[0];
  EXPECT_TRUE(fac.locals.empty());
  std::vector<Op> want = {Op::LocalGet, Op::I64Eqz, Op::If,    Op::I64Const, Op::Else,
                          Op::LocalGet, Op::LocalGet, Op::I64Const, Op::I64Sub, Op::Call,
                          Op::I64Mul,   Op::End,    Op::End};
  ASSERT_EQ(fac.body.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(fac.body[i].op, want[i]) << i;
  EXPECT_EQ(fac.body[9].a, 1u);
  const Function& init = m.functions[1];
  EXPECT_EQ(std::vector<ValType>(init.locals.begin(), init.locals.end()), std::vector<ValType>{ValType::I32});
  EXPECT_EQ(init.body.back().op, Op::End);
  EXPECT_EQ(init.body[init.body.size() - 3].op, Op::MemoryInit);
  EXPECT_EQ(init.body[init.body.size() - 2].op, Op::DataDrop);
}

TEST(Modules, Switch) {
  Bytes b = switch_module();
  maybe_dump("switch.wasm", b);
  auto r = decode_module(b);
  ASSERT_TRUE(r) << r.error().message;
  const Function& f = r->functions[0];
  EXPECT_EQ(std::vector<uint32_t>(f.br_tables.begin(), f.br_tables.end()), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(f.body[4].op, Op::BrTable);
  EXPECT_EQ(f.body[4].b, 2u);
  EXPECT_EQ(f.body[4].imm, 2u);
  EXPECT_EQ(r->elems[0].mode, SegmentMode::Declarative);
  EXPECT_EQ(r->tables[0].elem, ValType::ExternRef);
}

TEST(Robustness, Truncations) {
  // Every prefix decodes cleanly one way or the other. Prefixes ending between
  // two sections can be well-formed modules; all others must fail, in
  // particular every cut through the function bodies.
  for (const Bytes& full : {fac_module(), switch_module()}) {
    auto whole = decode_module(full);
    ASSERT_TRUE(whole);
    size_t code_start = whole->functions.front().code_offset;
    size_t code_end = whole->functions.back().body.back().offset + 1;
    for (size_t n = 0; n < full.size(); ++n) {
      Bytes b(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      auto r = decode_module(b);
      if (n < 8 || (n >= code_start && n < code_end)) {
        EXPECT_FALSE(r) << n;
      } else if (n == 8) {
        EXPECT_TRUE(r);
      }
    }
  }
}

TEST(Robustness, HugeCountsAreRejectedBeforeAllocating) {
  Bytes huge = uleb(0xffffffff);
  for (uint8_t id : {1, 2, 3, 4, 5, 6, 7, 9, 10, 11})
    EXPECT_DECODE_ERROR(module({section(id, huge)}), "length out of bounds");
  EXPECT_DECODE_ERROR(func_module(cat({{0x0e}, huge, {0x0b}})), "length out of bounds");
  EXPECT_DECODE_ERROR(func_module(cat({{0x1c}, huge, {0x0b}})), "length out of bounds");
  EXPECT_DECODE_ERROR(module({section(11, cat({{0x01, 0x01}, huge}))}), "length out of bounds");
  EXPECT_DECODE_ERROR(module({section(0, huge)}), "length out of bounds");
}

// Random corruption must give a clean result either way (run under ASan:
// `make test-asan`). Deterministic seed.
TEST(Robustness, RandomMutations) {
  std::mt19937 rng(12345);
  int decoded = 0;
  for (const Bytes& base : {fac_module(), switch_module()}) {
    for (int iter = 0; iter < 20000; ++iter) {
      Bytes b = base;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !b.empty(); ++e) {
        size_t pos = rng() % b.size();
        switch (rng() % 4) {
          case 0: b[pos] = static_cast<uint8_t>(rng()); break;
          case 1: b[pos] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
          case 2: b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<uint8_t>(rng())); break;
          case 3: b.erase(b.begin() + static_cast<std::ptrdiff_t>(pos)); break;
        }
      }
      auto r = decode_module(b);
      if (r) ++decoded;
      else EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_GT(decoded, 0);
}

// A large module of typical code decodes completely. Speed is measured in
// bench/, never asserted here.
TEST(LargeModule, ManyFunctionsDecode) {
  const size_t kFuncs = 4000;
  // One body of ~500 bytes: locals, loads/stores, arithmetic, calls, blocks.
  Bytes code = {0x02, 0x02, 0x7f, 0x01, 0x7e};  // 2 i32, 1 i64
  for (int i = 0; i < 30; ++i) {
    append(code, {0x02, 0x40,                                   // block
                  0x20, 0x00, 0x28, 0x02, 0x10,                 // local.get 0; i32.load offset=16
                  0x41, 0xe4, 0x00, 0x6a,                       // i32.const 100; i32.add
                  0x22, 0x01, 0x45, 0x0d, 0x00,                 // local.tee 1; i32.eqz; br_if 0
                  0x20, 0x01, 0x10, 0x00, 0x1a,                 // local.get 1; call 0; drop
                  0x0b});                                       // end
  }
  append(code, {0x41, 0x00, 0x0b});
  Bytes fbody = body(code);
  Bytes code_section = uleb(kFuncs);
  code_section.reserve(kFuncs * fbody.size() + 8);
  for (size_t i = 0; i < kFuncs; ++i) append(code_section, fbody);
  Bytes funcs = uleb(kFuncs);
  funcs.resize(funcs.size() + kFuncs, 0x00);
  Bytes b = module({section(1, vec({{0x60, 0x01, 0x7f, 0x01, 0x7f}})), section(3, funcs),
                    section(5, vec({{0x00, 0x01}})), section(10, code_section)});
  ASSERT_GT(b.size(), 2u << 20);

  auto r = decode_module(b);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->functions.size(), kFuncs);
  EXPECT_EQ(r->functions.back().body.size(), r->functions.front().body.size());
}

}  // namespace
}  // namespace whirl::wasm::testing
