// Function bodies: locals, every immediate kind, block structure, body size.
#include <gtest/gtest.h>

#include <deque>

#include "test_util.h"

namespace whirl::wasm::testing {
namespace {

const Bytes kMemory = section(5, vec({{0x00, 0x01}}));
const Bytes kTable = section(4, vec({{0x70, 0x00, 0x01}}));

// Decodes a one-function module with `code` as the body (no locals) and
// returns that function.
// The function's spans point into its module: the modules stay alive.
Function decode_body(const Bytes& code, std::initializer_list<Bytes> extra = {kTable, kMemory}) {
  static std::deque<Module> kept;
  auto m = decode_module(func_module(code, extra));
  EXPECT_TRUE(m.has_value()) << m.error().message;
  if (!m || m->functions.empty()) return {};
  return kept.emplace_back(std::move(*m)).functions[0];
}

std::vector<Op> ops(const Function& f) {
  std::vector<Op> out;
  for (const auto& i : f.body) out.push_back(i.op);
  return out;
}

TEST(Code, EmptyBodyIsJustEnd) {
  Function f = decode_body({0x0b});
  ASSERT_EQ(f.body.size(), 1u);
  EXPECT_EQ(f.body[0].op, Op::End);
  EXPECT_TRUE(f.locals.empty());
}

TEST(Code, OffsetsAreModuleOffsets) {
  Bytes b = func_module({0x01, 0x01, 0x0b});
  auto m = decode_module(b);
  ASSERT_TRUE(m) << m.error().message;
  const Function& f = m->functions[0];
  ASSERT_EQ(f.body.size(), 3u);
  // The body is the last 4 bytes: locals count (0), nop, nop, end.
  size_t body_start = b.size() - 4;
  EXPECT_EQ(f.code_offset, body_start);
  EXPECT_EQ(f.body[0].offset, body_start + 1);
  EXPECT_EQ(f.body[1].offset, body_start + 2);
  EXPECT_EQ(f.body[2].offset, body_start + 3);
  for (size_t i = 0; i < f.body.size(); ++i) EXPECT_EQ(b[f.body[i].offset], i < 2 ? 0x01 : 0x0b);
}

TEST(Code, Locals) {
  Bytes b = cat({header(), void_type_section(), func_section(1),
                 section(10, vec({body({0x03, 0x02, 0x7f, 0x00, 0x7e, 0x01, 0x70, 0x0b})}))});
  auto m = decode_module(b);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(std::vector<ValType>(m->functions[0].locals.begin(), m->functions[0].locals.end()),
            (std::vector<ValType>{ValType::I32, ValType::I32, ValType::FuncRef}));
}

TEST(Code, TooManyLocals) {
  auto with_locals = [](const Bytes& locals) {
    return cat({header(), void_type_section(), func_section(1),
                section(10, vec({body(cat({locals, {0x0b}}))}))});
  };
  // 2^32 - 1 + 2 overflows the 32-bit total: counted in 64 bits, not wrapped.
  EXPECT_DECODE_ERROR(with_locals(cat({{0x02}, uleb(0xffffffff), {0x7f}, {0x02, 0x7e}})),
                      "too many locals");
  // Four runs of 2^30 add up to exactly 2^32.
  EXPECT_DECODE_ERROR(with_locals(cat({{0x04}, uleb(1u << 30), {0x7f}, uleb(1u << 30), {0x7e},
                                       uleb(1u << 30), {0x7d}, uleb(1u << 30), {0x7c}})),
                      "too many locals");
  // A count beyond u32.
  EXPECT_DECODE_ERROR(with_locals(cat({{0x01}, {0x80, 0x80, 0x80, 0x80, 0x10}, {0x7f}})),
                      "integer too large");
  // Legal for the spec, but beyond the implementation limit: rejected before
  // anything is expanded.
  EXPECT_DECODE_ERROR(with_locals(cat({{0x01}, uleb(0xfffffffe), {0x7f}})), "too many locals");
  EXPECT_DECODE_ERROR(with_locals(cat({{0x01}, uleb(50001), {0x7f}})), "implementation limit");
  EXPECT_DECODES(with_locals(cat({{0x01}, uleb(50000), {0x7f}})));
  EXPECT_DECODES(with_locals(cat({{0x03}, {0x00, 0x7f}, {0x00, 0x7e}, {0x02, 0x7d}})));
  EXPECT_DECODE_ERROR(with_locals(cat({{0x01}, {0x01, 0x7b}})), "SIMD is not supported");
  EXPECT_DECODE_ERROR(with_locals(cat({{0x01}, {0x01, 0x60}})), "malformed reference type");
}

TEST(Code, ModuleWideLocalsLimit) {
  // 1400 functions with 50000 locals each exceed the module-wide limit.
  const size_t n = 1400;
  Bytes fbody = body(cat({{0x01}, uleb(50000), {0x7f, 0x0b}}));
  Bytes code = uleb(n);
  for (size_t i = 0; i < n; ++i) code.insert(code.end(), fbody.begin(), fbody.end());
  Bytes b = cat({header(), void_type_section(), func_section(n), section(10, code)});
  EXPECT_DECODE_ERROR(b, "too many locals");
}

TEST(Code, BlockTypes) {
  Function f = decode_body({0x02, 0x40, 0x0b,                                // block
                            0x03, 0x7f, 0x41, 0x00, 0x0b, 0x1a,              // loop (result i32)
                            0x41, 0x01, 0x04, 0x00, 0x05, 0x0b,              // if (type 0) else end
                            0x02, 0x6f, 0xd0, 0x6f, 0x0b, 0x1a,              // block (result externref)
                            0x02, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b,        // type 0, 5 bytes
                            0x0b});
  ASSERT_GE(f.body.size(), 16u);
  EXPECT_EQ(BlockType::from_imm(f.body[0].imm).kind, BlockType::Empty);
  auto loop = BlockType::from_imm(f.body[2].imm);
  EXPECT_EQ(loop.kind, BlockType::Value);
  EXPECT_EQ(loop.value, ValType::I32);
  EXPECT_EQ(f.body[2].op, Op::Loop);
  EXPECT_EQ(f.body[7].op, Op::If);
  auto ift = BlockType::from_imm(f.body[7].imm);
  EXPECT_EQ(ift.kind, BlockType::TypeIndex);
  EXPECT_EQ(ift.type_index, 0u);
  EXPECT_EQ(f.body[8].op, Op::Else);
  EXPECT_EQ(BlockType::from_imm(f.body[10].imm).value, ValType::ExternRef);
  EXPECT_EQ(BlockType::from_imm(f.body[14].imm).kind, BlockType::TypeIndex);
  EXPECT_EQ(f.body.back().op, Op::End);
}

TEST(Code, BlockTypeErrors) {
  EXPECT_DECODE_ERROR(func_module({0x02, 0x7b, 0x0b, 0x0b}), "SIMD is not supported");
  EXPECT_DECODE_ERROR(func_module({0x02, 0x7a, 0x0b, 0x0b}), "malformed reference type");
  EXPECT_DECODE_ERROR(func_module({0x02, 0x60, 0x0b, 0x0b}), "malformed reference type");
  // Negative s33 other than the one-byte forms.
  EXPECT_DECODE_ERROR(func_module({0x02, 0xc0, 0x7f, 0x0b, 0x0b}), "integer representation too long");
  EXPECT_DECODE_ERROR(func_module({0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b, 0x0b}),
                      "integer representation too long");
  EXPECT_DECODE_ERROR(func_module({0x02}), "unexpected end");
  // Large type indices decode (the validator reports "unknown type").
  Function f = decode_body({0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b, 0x0b});
  EXPECT_EQ(BlockType::from_imm(f.body[0].imm).type_index, 0xffffffffu);
}

TEST(Code, Structure) {
  // else outside of an if, a second else, a missing end.
  EXPECT_DECODE_ERROR(func_module({0x05, 0x0b}), "END opcode expected");
  EXPECT_DECODE_ERROR(func_module({0x02, 0x40, 0x05, 0x0b, 0x0b}), "END opcode expected");
  EXPECT_DECODE_ERROR(func_module({0x41, 0x00, 0x04, 0x40, 0x05, 0x05, 0x0b, 0x0b}), "END opcode expected");
  EXPECT_DECODE_ERROR(func_module({0x02, 0x40, 0x0b}), "unexpected end");
  EXPECT_DECODES(func_module({0x41, 0x00, 0x04, 0x40, 0x05, 0x0b, 0x0b}));
  EXPECT_DECODES(func_module({0x41, 0x00, 0x04, 0x40, 0x0b, 0x0b}));
  // Deep nesting.
  Bytes deep;
  for (int i = 0; i < 10000; ++i) deep.insert(deep.end(), {0x02, 0x40});
  for (int i = 0; i < 10001; ++i) deep.push_back(0x0b);
  EXPECT_DECODES(func_module(deep));
}

TEST(Code, BodySize) {
  // Declared size larger than the body: the next function's bytes are read
  // as instructions (like the reference interpreter).
  EXPECT_DECODE_ERROR(cat({header(), void_type_section(), func_section(2),
                           section(10, {0x02, 0x04, 0x00, 0x41, 0x01, 0x1a, 0x05, 0x00, 0x41, 0x01,
                                        0x1a, 0x0b})}),
                      "END opcode expected");
  // Body continues after its end: size mismatch.
  EXPECT_DECODE_ERROR(cat({header(), void_type_section(), func_section(1),
                           section(10, {0x01, 0x03, 0x00, 0x0b, 0x01})}),
                      "section size mismatch");
  // End reached before the declared size.
  EXPECT_DECODE_ERROR(cat({header(), void_type_section(), func_section(1),
                           section(10, {0x01, 0x04, 0x00, 0x0b, 0x01, 0x0b})}),
                      "section size mismatch");
  // Missing end at the end of the module.
  EXPECT_DECODE_ERROR(cat({header(), void_type_section(), func_section(1),
                           section(10, {0x01, 0x04, 0x00, 0x41, 0x01, 0x1a})}),
                      "unexpected end of section or function");
}

TEST(Code, IllegalOpcodes) {
  for (uint8_t b : {0x06, 0x07, 0x09, 0x12, 0x13, 0x14, 0x17, 0x1d, 0x27, 0xc5, 0xcf, 0xd3, 0xe0, 0xfb, 0xfe, 0xff}) {
    char want[32];
    std::snprintf(want, sizeof want, "illegal opcode %02x", b);
    EXPECT_DECODE_ERROR(func_module({b, 0x0b}), want);
  }
  // throw, throw_ref and try_table: exception handling (3.0), not 2.0.
  for (uint8_t b : {0x08, 0x0a, 0x1f}) {
    char want[32];
    std::snprintf(want, sizeof want, "illegal opcode %02x", b);
    EXPECT_DECODE_ERROR_IN(kWasm2, func_module({b, 0x0b}), want);
  }
  EXPECT_DECODE_ERROR(func_module({0xfc, 0x12, 0x0b}), "illegal opcode fc 12");
  EXPECT_DECODE_ERROR(func_module({0xfc, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b}), "illegal opcode fc ffffffff");
  EXPECT_DECODE_ERROR(func_module({0xfc, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b}),
                      "integer representation too long");
  EXPECT_DECODE_ERROR(func_module({0xfd, 0x0c, 0x0b}), "SIMD is not supported");
}

TEST(Code, Variables) {
  Function f = decode_body({0x20, 0x00, 0x21, 0x85, 0x01, 0x22, 0x02, 0x23, 0x03, 0x24, 0x04,
                            0x25, 0x00, 0x26, 0x00, 0x0b});
  ASSERT_EQ(f.body.size(), 8u);
  EXPECT_EQ(ops(f), (std::vector<Op>{Op::LocalGet, Op::LocalSet, Op::LocalTee, Op::GlobalGet,
                                     Op::GlobalSet, Op::TableGet, Op::TableSet, Op::End}));
  EXPECT_EQ(f.body[1].a, 133u);
  EXPECT_EQ(f.body[4].a, 4u);
}

TEST(Code, Branches) {
  Function f = decode_body({0x02, 0x40, 0x0c, 0x00, 0x0d, 0x01,
                            0x0e, 0x03, 0x00, 0x01, 0x00, 0x01,   // br_table [0 1 0] 1
                            0x0e, 0x00, 0x00,                     // br_table [] 0
                            0x0b, 0x0f, 0x0b});
  ASSERT_EQ(f.body.size(), 8u);
  EXPECT_EQ(f.body[1].op, Op::Br);
  EXPECT_EQ(f.body[2].op, Op::BrIf);
  EXPECT_EQ(f.body[2].a, 1u);
  const Instr& bt = f.body[3];
  EXPECT_EQ(bt.op, Op::BrTable);
  EXPECT_EQ(bt.a, 0u);
  EXPECT_EQ(bt.b, 3u);
  EXPECT_EQ(bt.imm, 1u);
  EXPECT_EQ(f.body[4].a, 3u);
  EXPECT_EQ(f.body[4].b, 0u);
  EXPECT_EQ(f.body[4].imm, 0u);
  EXPECT_EQ(std::vector<uint32_t>(f.br_tables.begin(), f.br_tables.end()), (std::vector<uint32_t>{0, 1, 0}));
  EXPECT_EQ(f.body[6].op, Op::Return);
  EXPECT_DECODE_ERROR(func_module({0x0e, 0x7f, 0x00, 0x0b}), "length out of bounds");
}

TEST(Code, Calls) {
  Function f = decode_body({0x10, 0x07, 0x11, 0x00, 0x00, 0x11, 0x02, 0x05, 0x0b});
  EXPECT_EQ(f.body[0].op, Op::Call);
  EXPECT_EQ(f.body[0].a, 7u);
  EXPECT_EQ(f.body[1].op, Op::CallIndirect);
  EXPECT_EQ(f.body[2].a, 2u);  // type
  EXPECT_EQ(f.body[2].b, 5u);  // table (a full u32 with reference types)
  // A multi-byte table index is fine.
  EXPECT_DECODES(func_module({0x11, 0x00, 0x80, 0x00, 0x0b}, {kTable}));
}

TEST(Code, Parametric) {
  Function f = decode_body({0x1a, 0x1b, 0x1c, 0x01, 0x7e, 0x1c, 0x00, 0x1c, 0x02, 0x7f, 0x7f, 0x0b});
  EXPECT_EQ(ops(f), (std::vector<Op>{Op::Drop, Op::Select, Op::SelectT, Op::SelectT, Op::SelectT, Op::End}));
  EXPECT_EQ(f.body[2].a, 1u);
  EXPECT_EQ(f.body[2].imm, 0x7eu);
  EXPECT_EQ(f.body[3].a, 0u);
  EXPECT_EQ(f.body[4].a, 2u);  // arity is the validator's business
  EXPECT_DECODE_ERROR(func_module({0x1c, 0x01, 0x7b, 0x0b}), "SIMD is not supported");
  EXPECT_DECODE_ERROR(func_module({0x1c, 0x01, 0x00, 0x0b}), "malformed reference type");
}

TEST(Code, MemArg) {
  Function f = decode_body({0x28, 0x02, 0x10, 0x37, 0x03, 0xff, 0xff, 0xff, 0xff, 0x0f,
                            0x2c, 0x1f, 0x00, 0x0b});
  EXPECT_EQ(f.body[0].op, Op::I32Load);
  EXPECT_EQ(f.body[0].a, 2u);
  EXPECT_EQ(f.body[0].b, 16u);
  EXPECT_EQ(f.body[1].op, Op::I64Store);
  EXPECT_EQ(f.body[1].b, 0xffffffffu);
  EXPECT_EQ(f.body[2].a, 31u);  // too large for i32.load8_s, but only invalid
  EXPECT_EQ(f.body[0].imm, 0u);  // memory 0
  EXPECT_DECODE_ERROR_IN(kWasm2, func_module({0x28, 0x20, 0x00, 0x0b}, {kMemory}), "malformed memop flags");
  EXPECT_DECODE_ERROR_IN(kWasm2, func_module({0x28, 0x40, 0x00, 0x0b}, {kMemory}), "malformed memop flags");
  EXPECT_DECODE_ERROR(func_module({0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10, 0x0b}, {kMemory}),
                      "integer too large");
}

// 3.0: flag bit 6 says a memory index follows the flags; exponents up to 63
// decode (the validator rejects them), flags from 128 on are malformed.
TEST(Code, MemArgMemoryIndex) {
  Function f = decode_body({0x28, 0x42, 0x01, 0x08,        // i32.load 1 offset=8 align=4
                            0x36, 0x40, 0x80, 0x00, 0x00,  // i32.store 0 (a long 0) align=1
                            0x28, 0x20, 0x00, 0x0b});      // i32.load align=2^32
  EXPECT_EQ(f.body[0].a, 2u);
  EXPECT_EQ(f.body[0].imm, 1u);
  EXPECT_EQ(f.body[0].b, 8u);
  EXPECT_EQ(f.body[1].a, 0u);
  EXPECT_EQ(f.body[1].imm, 0u);
  EXPECT_EQ(f.body[1].b, 0u);
  EXPECT_EQ(f.body[2].a, 32u);
  EXPECT_DECODE_ERROR(func_module({0x28, 0x80, 0x01, 0x00, 0x00, 0x0b}, {kMemory}), "malformed memop flags");
  EXPECT_DECODE_ERROR(func_module({0x28, 0x40, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x0b}, {kMemory}),
                      "integer too large");
}

TEST(Code, MemoryIndices) {
  Function f = decode_body({0x3f, 0x02, 0x40, 0x80, 0x00, 0xfc, 0x0b, 0x03, 0xfc, 0x0a, 0x04, 0x05,
                            0xfc, 0x08, 0x03, 0x06, 0x0b},
                           {kMemory, section(12, {0x00})});
  EXPECT_EQ(f.body[0].a, 2u);  // memory.size 2
  EXPECT_EQ(f.body[1].a, 0u);  // memory.grow 0 (a long zero)
  EXPECT_EQ(f.body[2].a, 3u);  // memory.fill 3
  EXPECT_EQ(f.body[3].a, 4u);  // memory.copy 4 5
  EXPECT_EQ(f.body[3].b, 5u);
  EXPECT_EQ(f.body[4].a, 3u);  // memory.init 3 (data) 6 (memory)
  EXPECT_EQ(f.body[4].b, 6u);
}

// 2.0's memory instructions have a zero byte where 3.0 has memory indices.
TEST(Code, ReservedZeroBytes) {
  Function f = decode_body({0x3f, 0x00, 0x40, 0x00, 0xfc, 0x0b, 0x00, 0xfc, 0x0a, 0x00, 0x00,
                            0xfc, 0x08, 0x03, 0x00, 0x0b},
                           {kMemory, section(12, {0x00})});
  EXPECT_EQ(ops(f), (std::vector<Op>{Op::MemorySize, Op::MemoryGrow, Op::MemoryFill, Op::MemoryCopy,
                                     Op::MemoryInit, Op::End}));
  EXPECT_EQ(f.body[4].a, 3u);
  EXPECT_EQ(f.body[4].b, 0u);
  for (Bytes code : {Bytes{0x3f, 0x01, 0x0b}, Bytes{0x40, 0x80, 0x00, 0x0b}, Bytes{0xfc, 0x0b, 0x01, 0x0b},
                     Bytes{0xfc, 0x0a, 0x00, 0x01, 0x0b}, Bytes{0xfc, 0x0a, 0x01, 0x00, 0x0b},
                     Bytes{0xfc, 0x08, 0x00, 0x01, 0x0b}})
    EXPECT_DECODE_ERROR_IN(kWasm2, func_module(code, {kMemory}), "zero byte expected");
}

TEST(Code, Constants) {
  Function f = decode_body({0x41, 0x7f,                                            // i32 -1
                            0x41, 0x80, 0x80, 0x80, 0x80, 0x78,                    // i32 min
                            0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f,  // i64 min
                            0x43, 0x00, 0x00, 0xc0, 0x7f,                          // f32 nan
                            0x44, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // f64 bits
                            0x0b});
  EXPECT_EQ(static_cast<int32_t>(f.body[0].imm), -1);
  EXPECT_EQ(static_cast<int32_t>(f.body[1].imm), INT32_MIN);
  EXPECT_EQ(static_cast<int64_t>(f.body[2].imm), INT64_MIN);
  EXPECT_EQ(f.body[3].imm, 0x7fc00000u);
  EXPECT_EQ(f.body[4].imm, 0x0807060504030201ull);
  EXPECT_DECODE_ERROR(func_module({0x43, 0x00, 0x00}), "unexpected end");
  EXPECT_DECODE_ERROR(func_module({0x41, 0x80, 0x80, 0x80, 0x80, 0x70, 0x0b}), "integer too large");
}

TEST(Code, NumericOpsFromTheTable) {
  // Every single-byte opcode without immediates between 0x45 and 0xc4.
  Bytes code;
  for (int b = 0x45; b <= 0xc4; ++b) code.push_back(static_cast<uint8_t>(b));
  code.push_back(0x0b);
  Function f = decode_body(code);
  ASSERT_EQ(f.body.size(), code.size());
  for (size_t i = 0; i + 1 < code.size(); ++i) {
    EXPECT_EQ(op_info(f.body[i].op).code, code[i]);
    EXPECT_EQ(op_info(f.body[i].op).prefix, 0);
  }
  EXPECT_EQ(f.body[0].op, Op::I32Eqz);
  EXPECT_EQ(f.body[0x6a - 0x45].op, Op::I32Add);
  EXPECT_EQ(f.body[0xc4 - 0x45].op, Op::I64Extend32S);
}

TEST(Code, PrefixedOps) {
  Function f = decode_body({0xfc, 0x00, 0xfc, 0x87, 0x80, 0x80, 0x80, 0x00,  // trunc_sat, 5-byte sub-opcode
                            0xfc, 0x09, 0x01,                                // data.drop 1
                            0xfc, 0x0c, 0x02, 0x00,                          // table.init elem 2 table 0
                            0xfc, 0x0d, 0x03,                                // elem.drop 3
                            0xfc, 0x0e, 0x04, 0x05,                          // table.copy dst 4 src 5
                            0xfc, 0x0f, 0x06, 0xfc, 0x10, 0x07, 0xfc, 0x11, 0x08,  // grow size fill
                            0x0b},
                           {kTable, kMemory, section(12, {0x00})});
  EXPECT_EQ(ops(f), (std::vector<Op>{Op::I32TruncSatF32S, Op::I64TruncSatF64U, Op::DataDrop, Op::TableInit,
                                     Op::ElemDrop, Op::TableCopy, Op::TableGrow, Op::TableSize,
                                     Op::TableFill, Op::End}));
  EXPECT_EQ(f.body[2].a, 1u);
  EXPECT_EQ(f.body[3].a, 2u);
  EXPECT_EQ(f.body[3].b, 0u);
  EXPECT_EQ(f.body[4].a, 3u);
  EXPECT_EQ(f.body[5].a, 4u);
  EXPECT_EQ(f.body[5].b, 5u);
  EXPECT_EQ(f.body[6].a, 6u);
  EXPECT_EQ(f.body[8].a, 8u);
}

TEST(Code, References) {
  Function f = decode_body({0xd0, 0x70, 0xd0, 0x6f, 0xd1, 0xd2, 0x09, 0x0b});
  EXPECT_EQ(f.body[0].op, Op::RefNull);
  EXPECT_EQ(f.body[0].a, 0x70u);
  EXPECT_EQ(f.body[1].a, 0x6fu);
  EXPECT_EQ(f.body[2].op, Op::RefIsNull);
  EXPECT_EQ(f.body[3].op, Op::RefFunc);
  EXPECT_EQ(f.body[3].a, 9u);
  EXPECT_DECODE_ERROR(func_module({0xd0, 0x7f, 0x0b}), "malformed reference type");
  EXPECT_DECODE_ERROR(func_module({0xd0, 0x00, 0x0b}), "malformed reference type");
  EXPECT_DECODE_ERROR(func_module({0xd0, 0xf0, 0x7f, 0x0b}), "integer representation too long");
}

}  // namespace
}  // namespace whirl::wasm::testing
