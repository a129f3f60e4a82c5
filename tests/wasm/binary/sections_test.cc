// Module structure and the contents of each section.
#include <gtest/gtest.h>

#include "test_util.h"

namespace whirl::wasm::testing {
namespace {

Module decode_ok(const Bytes& b) {
  auto m = decode_module(b);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  return m ? std::move(*m) : Module{};
}

// --- header -----------------------------------------------------------------

TEST(Header, Empty) {
  Module m = decode_ok(header());
  EXPECT_TRUE(m.types.empty());
  EXPECT_TRUE(m.functions.empty());
  EXPECT_FALSE(m.start);
  EXPECT_FALSE(m.data_count);
}

TEST(Header, Errors) {
  EXPECT_DECODE_ERROR(Bytes{}, "unexpected end");
  EXPECT_DECODE_ERROR((Bytes{0x00, 0x61, 0x73}), "unexpected end");
  EXPECT_DECODE_ERROR((Bytes{0x00, 0x61, 0x73, 0x6d, 0x01}), "unexpected end");
  EXPECT_DECODE_ERROR((Bytes{0x00, 0x41, 0x53, 0x4d, 0x01, 0, 0, 0}), "magic header not detected");
  EXPECT_DECODE_ERROR((Bytes{0x00, 0x61, 0x73, 0x6d, 0x02, 0, 0, 0}), "unknown binary version");
  EXPECT_DECODE_ERROR((Bytes{0x00, 0x61, 0x73, 0x6d, 0x01, 0, 0, 1}), "unknown binary version");
  // Component-model style version/layer.
  EXPECT_DECODE_ERROR((Bytes{0x00, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0}), "unknown binary version");
}

TEST(Header, ErrorFormat) {
  EXPECT_EQ(error_of({0x00, 0x61, 0x73, 0x6d, 0x02, 0, 0, 0}),
            "at offset 0x4: unknown binary version");
  EXPECT_EQ(error_of(module({section(5, {0x01, 0x04})})),
            "section 5 (memory) at offset 0xb: malformed limits flags");
  EXPECT_EQ(error_of(module({section(5, {0x01, 0x02})}), kWasm2),
            "section 5 (memory) at offset 0xb: integer too large");
}

// --- section framing ----------------------------------------------------------

TEST(Sections, MalformedId) {
  EXPECT_DECODE_ERROR(module({{0x0e, 0x00}}), "malformed section id");
  EXPECT_DECODE_ERROR_IN(kWasm2, module({{0x0d, 0x00}}), "malformed section id");  // tags: 3.0
  EXPECT_DECODE_ERROR(module({{0x7f, 0x00}}), "malformed section id");
  EXPECT_DECODE_ERROR(module({{0x80, 0x00}}), "malformed section id");
  // An invalid id after a valid section.
  EXPECT_DECODE_ERROR(module({section(1, {0x00}), {0x0e, 0x00}}), "malformed section id");
}

TEST(Sections, OrderAndDuplicates) {
  EXPECT_DECODE_ERROR(module({section(2, {0x00}), section(1, {0x00})}),
                      "unexpected content after last section");
  EXPECT_DECODE_ERROR(module({section(1, {0x00}), section(1, {0x00})}),
                      "unexpected content after last section");
  // DataCount goes between Element and Code.
  EXPECT_DECODES(module({section(9, {0x00}), section(12, {0x00}), section(10, {0x00})}));
  EXPECT_DECODE_ERROR(module({section(12, {0x00}), section(9, {0x00})}),
                      "unexpected content after last section");
  EXPECT_DECODE_ERROR(module({section(10, {0x00}), section(12, {0x00})}),
                      "unexpected content after last section");
  EXPECT_DECODE_ERROR(module({section(11, {0x00}), section(10, {0x00})}),
                      "unexpected content after last section");
}

TEST(Sections, AllInOrderWithCustomsAnywhere) {
  Bytes custom = section(0, str("x"));
  Module m = decode_ok(module({custom, section(1, {0x00}), custom, section(2, {0x00}), custom,
                               section(3, {0x00}), custom, section(4, {0x00}), custom,
                               section(5, {0x00}), custom, section(6, {0x00}), custom,
                               section(7, {0x00}), custom, section(9, {0x00}), custom,
                               section(12, {0x00}), custom, section(10, {0x00}), custom,
                               section(11, {0x00}), custom}));
  EXPECT_EQ(m.customs.size(), 12u);
  EXPECT_EQ(m.data_count, 0u);
}

TEST(Sections, SizeMismatch) {
  // Type section declares 1 type but holds 2.
  EXPECT_DECODE_ERROR(module({section(1, {0x01, 0x60, 0x00, 0x00, 0x60, 0x00, 0x00})}),
                      "section size mismatch");
  // Declared size is too small for the content.
  EXPECT_DECODE_ERROR(module({{0x01, 0x02, 0x01, 0x60, 0x00, 0x00}}), "section size mismatch");
  // Section size beyond the end of the module.
  EXPECT_DECODE_ERROR(module({{0x01, 0x05, 0x00}}), "length out of bounds");
  // Truncated section header.
  EXPECT_DECODE_ERROR(module({{0x01}}), "unexpected end");
  EXPECT_DECODE_ERROR(module({{0x01, 0x80}}), "unexpected end");
}

TEST(Sections, CountBeyondEnd) {
  EXPECT_DECODE_ERROR(module({section(1, {0x02, 0x60, 0x00, 0x00})}), "unexpected end");
  EXPECT_DECODE_ERROR(module({section(1, {0x7f})}), "length out of bounds");
}

// --- custom -------------------------------------------------------------------

TEST(Custom, KeptWithPayload) {
  Module m = decode_ok(module({section(0, cat({str("hello"), {1, 2, 3}})), section(0, str(""))}));
  ASSERT_EQ(m.customs.size(), 2u);
  EXPECT_EQ(m.customs[0].name, "hello");
  EXPECT_EQ(Bytes(m.customs[0].bytes.begin(), m.customs[0].bytes.end()), (Bytes{1, 2, 3}));
  EXPECT_EQ(m.customs[1].name, "");
  EXPECT_TRUE(m.customs[1].bytes.empty());
}

TEST(Custom, Errors) {
  EXPECT_DECODE_ERROR(module({{0x00, 0x02, 0x01, 0x80}}), "malformed UTF-8 encoding");
  // Empty custom section: the name cannot be read.
  EXPECT_DECODE_ERROR(module({{0x00, 0x00}}), "unexpected end");
  // Name longer than the section.
  EXPECT_DECODE_ERROR(module({{0x00, 0x01, 0x03, 'a', 'b', 'c'}}), "unexpected end");
  EXPECT_DECODE_ERROR(module({{0x00, 0x04, 0x01, 'a'}}), "length out of bounds");
  // The size fits the bytes left, but the payload does not.
  EXPECT_DECODE_ERROR(module({{0x00, 0x03, 0x01, 'a'}}), "unexpected end");
}

// --- type ---------------------------------------------------------------------

TEST(Type, FuncTypes) {
  Module m = decode_ok(module({section(
      1, vec({{0x60, 0x00, 0x00}, {0x60, 0x02, 0x7f, 0x7e, 0x01, 0x7d},
              {0x60, 0x03, 0x7c, 0x70, 0x6f, 0x02, 0x7f, 0x7f}}))}));
  ASSERT_EQ(m.types.size(), 3u);
  EXPECT_TRUE(m.types[0].params.empty());
  EXPECT_EQ(m.types[1].params, (std::vector<ValType>{ValType::I32, ValType::I64}));
  EXPECT_EQ(m.types[1].results, (std::vector<ValType>{ValType::F32}));
  EXPECT_EQ(m.types[2].params,
            (std::vector<ValType>{ValType::F64, ValType::FuncRef, ValType::ExternRef}));
  EXPECT_EQ(m.types[2].results.size(), 2u);
}

TEST(Type, Errors) {
  EXPECT_DECODE_ERROR(module({section(1, {0x01, 0x61, 0x00, 0x00})}), "malformed function type");
  EXPECT_DECODE_ERROR(module({section(1, {0x01, 0xe0, 0x7f, 0x00, 0x00})}),
                      "integer representation too long");
  EXPECT_DECODE_ERROR(module({section(1, {0x01, 0x60, 0x01, 0x7a, 0x00})}),
                      "malformed reference type");
  EXPECT_DECODE_ERROR(module({section(1, {0x01, 0x60, 0x01, 0x40, 0x00})}),
                      "malformed reference type");
  EXPECT_DECODE_ERROR(module({section(1, {0x01, 0x60, 0x01, 0xff, 0x7f, 0x00})}),
                      "integer representation too long");
  EXPECT_DECODE_ERROR(module({section(1, {0x01, 0x60, 0x01, 0x7b, 0x00})}), "SIMD is not supported");
}

// --- import -------------------------------------------------------------------

TEST(Import, AllKinds) {
  Module m = decode_ok(module(
      {section(1, vec({{0x60, 0x00, 0x00}})),
       section(2, vec({cat({str("m"), str("f"), {0x00, 0x00}}),
                       cat({str("m"), str("t"), {0x01, 0x70, 0x01, 0x02, 0x03}}),
                       cat({str("m"), str("mem"), {0x02, 0x00, 0x01}}),
                       cat({str("m"), str("g"), {0x03, 0x7e, 0x01}}),
                       cat({str("m2"), str("f2"), {0x00, 0x00}}),
                       cat({str("m"), str("t2"), {0x01, 0x6f, 0x00, 0x00}})}))}));
  ASSERT_EQ(m.imports.size(), 6u);
  EXPECT_EQ(m.imports[0].module, "m");
  EXPECT_EQ(m.imports[0].name, "f");
  EXPECT_EQ(m.imports[0].kind, ExternKind::Func);
  EXPECT_EQ(m.imports[1].kind, ExternKind::Table);
  EXPECT_EQ(m.imports[1].table.elem, ValType::FuncRef);
  EXPECT_EQ(m.imports[1].table.limits.min, 2u);
  EXPECT_EQ(m.imports[1].table.limits.max, 3u);
  EXPECT_EQ(m.imports[2].kind, ExternKind::Memory);
  EXPECT_EQ(m.imports[2].memory.limits.min, 1u);
  EXPECT_FALSE(m.imports[2].memory.limits.max);
  EXPECT_EQ(m.imports[3].kind, ExternKind::Global);
  EXPECT_EQ(m.imports[3].global.type, ValType::I64);
  EXPECT_TRUE(m.imports[3].global.mut);
  EXPECT_EQ(m.imports[5].table.elem, ValType::ExternRef);
  EXPECT_EQ(m.num_imported_funcs, 2u);
  EXPECT_EQ(m.num_imported_tables, 2u);
  EXPECT_EQ(m.num_imported_memories, 1u);
  EXPECT_EQ(m.num_imported_globals, 1u);
  EXPECT_EQ(m.total_funcs(), 2u);
  EXPECT_EQ(m.func_type_index(1), 0u);
  EXPECT_EQ(m.table_type(1).elem, ValType::ExternRef);
}

TEST(Import, Errors) {
  EXPECT_DECODE_ERROR(module({section(2, vec({cat({str(""), str(""), {0x05}})}))}),
                      "malformed import kind");
  EXPECT_DECODE_ERROR_IN(kWasm2, module({section(2, vec({cat({str(""), str(""), {0x04}})}))}),
                      "malformed import kind");  // a tag: 3.0
  EXPECT_DECODE_ERROR(module({section(2, vec({cat({str(""), str(""), {0x80, 0x00}})}))}),
                      "malformed import kind");
  EXPECT_DECODE_ERROR(module({section(2, vec({cat({{0x01, 0xff}, str(""), {0x00, 0x00}})}))}),
                      "malformed UTF-8 encoding");
  EXPECT_DECODE_ERROR(module({section(2, vec({cat({str("a"), {0x01, 0xc0}, {0x00, 0x00}})}))}),
                      "malformed UTF-8 encoding");
  EXPECT_DECODE_ERROR(module({section(2, vec({cat({str("a"), str("b"), {0x03, 0x7f, 0x02}})}))}),
                      "malformed mutability");
  EXPECT_DECODE_ERROR(module({section(2, vec({cat({str("a"), str("b"), {0x01, 0x7f, 0x00, 0x00}})}))}),
                      "malformed reference type");
}

// --- function, table, memory ----------------------------------------------------

TEST(Function, TypesAssignedFromFunctionSection) {
  Module m = decode_ok(module({section(1, vec({{0x60, 0x00, 0x00}, {0x60, 0x01, 0x7f, 0x00}})),
                               section(3, vec({{0x01}, {0x00}})),
                               section(10, vec({body({0x00, 0x0b}), body({0x00, 0x0b})}))}));
  ASSERT_EQ(m.functions.size(), 2u);
  EXPECT_EQ(m.functions[0].type_index, 1u);
  EXPECT_EQ(m.functions[1].type_index, 0u);
}

TEST(Function, CountMismatch) {
  EXPECT_DECODE_ERROR(module({void_type_section(), func_section(2)}),
                      "function and code section have inconsistent lengths");
  EXPECT_DECODE_ERROR(module({section(10, vec({body({0x00, 0x0b})}))}),
                      "function and code section have inconsistent lengths");
  EXPECT_DECODES(module({section(3, {0x00})}));
  EXPECT_DECODES(module({section(10, {0x00})}));
}

TEST(Table, Limits) {
  Module m = decode_ok(module({section(4, vec({{0x70, 0x00, 0x05}, {0x6f, 0x01, 0x00, 0x80, 0x01}}))}));
  ASSERT_EQ(m.tables.size(), 2u);
  EXPECT_EQ(m.tables[0].elem, ValType::FuncRef);
  EXPECT_EQ(m.tables[0].limits.min, 5u);
  EXPECT_FALSE(m.tables[0].limits.max);
  EXPECT_EQ(m.tables[1].elem, ValType::ExternRef);
  EXPECT_EQ(m.tables[1].limits.max, 128u);
}

TEST(Table, Errors) {
  EXPECT_DECODE_ERROR(module({section(4, vec({{0x70, 0x02}}))}), "integer too large");
  EXPECT_DECODE_ERROR(module({section(4, vec({{0x70, 0x81, 0x00, 0x00}}))}),
                      "integer representation too long");
  EXPECT_DECODE_ERROR(module({section(4, vec({{0x7f, 0x00, 0x00}}))}), "malformed reference type");
  EXPECT_DECODE_ERROR(module({section(4, {0x01})}), "unexpected end");
}

TEST(Memory, Limits) {
  Module m = decode_ok(module({section(5, vec({{0x01, 0x01, 0x80, 0x80, 0x04}}))}));
  ASSERT_EQ(m.memories.size(), 1u);
  EXPECT_EQ(m.memories[0].limits.min, 1u);
  EXPECT_EQ(m.memories[0].limits.max, 65536u);
  // Sizes beyond 4 GiB are the validator's business.
  EXPECT_DECODES(module({section(5, vec({cat({{0x00}, uleb(0xffffffff)})}))}));
  // Shared memories (threads) are not 2.0; their flag decodes (flags 2, 3).
  EXPECT_DECODE_ERROR_IN(kWasm2, module({section(5, vec({{0x03, 0x00, 0x01}}))}), "integer too large");
  Module s = decode_ok(module({section(5, vec({{0x03, 0x00, 0x01}, {0x02, 0x01}}))}));
  EXPECT_TRUE(s.memories[0].shared);
  EXPECT_EQ(s.memories[0].limits.max, 1u);
  EXPECT_TRUE(s.memories[1].shared);
  EXPECT_FALSE(s.memories[1].limits.max);  // the validator's business
  EXPECT_DECODE_ERROR(module({section(5, vec({{0x04, 0x00}}))}), "malformed limits flags");
  EXPECT_DECODE_ERROR(module({section(5, vec({cat({{0x00}, uleb(0x100000000)})}))}),
                      "integer too large");
}

// --- global, export, start --------------------------------------------------------

TEST(Global, TypeAndInit) {
  Module m = decode_ok(module({section(6, vec({{0x7f, 0x00, 0x41, 0x2a, 0x0b},
                                               {0x7d, 0x01, 0x43, 0x00, 0x00, 0x80, 0x3f, 0x0b},
                                               {0x70, 0x00, 0xd0, 0x70, 0x0b}}))}));
  ASSERT_EQ(m.globals.size(), 3u);
  EXPECT_EQ(m.globals[0].type.type, ValType::I32);
  EXPECT_FALSE(m.globals[0].type.mut);
  ASSERT_EQ(m.globals[0].init.instrs.size(), 2u);
  EXPECT_EQ(m.globals[0].init.instrs[0].op, Op::I32Const);
  EXPECT_EQ(m.globals[0].init.instrs[0].imm, 42u);
  EXPECT_EQ(m.globals[0].init.instrs[1].op, Op::End);
  EXPECT_TRUE(m.globals[1].type.mut);
  EXPECT_EQ(m.globals[1].init.instrs[0].imm, 0x3f800000u);
  EXPECT_EQ(m.globals[2].init.instrs[0].op, Op::RefNull);
  EXPECT_EQ(m.globals[2].init.instrs[0].a, 0x70u);
}

TEST(Global, ConstExprIsDecodedNotValidated) {
  // Any instruction sequence up to the matching end; nested blocks included.
  Module m = decode_ok(
      module({section(6, vec({{0x7f, 0x00, 0x02, 0x40, 0x41, 0x01, 0x0b, 0x41, 0x00, 0x6a, 0x0b}}))}));
  EXPECT_EQ(m.globals[0].init.instrs.size(), 6u);
}

TEST(Global, Errors) {
  EXPECT_DECODE_ERROR(module({section(6, vec({{0x7f, 0x02, 0x41, 0x00, 0x0b}}))}), "malformed mutability");
  EXPECT_DECODE_ERROR(module({section(6, vec({{0x7f, 0x00, 0x41, 0x00}}))}), "unexpected end");
  EXPECT_DECODE_ERROR(module({section(6, vec({{0x7f, 0x00, 0x41, 0x00, 0x05, 0x0b}}))}),
                      "END opcode expected");
}

TEST(Export, AllKinds) {
  Module m = decode_ok(module({section(
      7, vec({cat({str("f"), {0x00, 0x00}}), cat({str("t"), {0x01, 0x01}}),
              cat({str("m"), {0x02, 0x00}}), cat({str("g"), {0x03, 0x80, 0x01}})}))}));
  ASSERT_EQ(m.exports.size(), 4u);
  EXPECT_EQ(m.exports[0].name, "f");
  EXPECT_EQ(m.exports[1].kind, ExternKind::Table);
  EXPECT_EQ(m.exports[1].index, 1u);
  EXPECT_EQ(m.exports[2].kind, ExternKind::Memory);
  EXPECT_EQ(m.exports[3].kind, ExternKind::Global);
  EXPECT_EQ(m.exports[3].index, 128u);
}

TEST(Export, Errors) {
  EXPECT_DECODE_ERROR(module({section(7, vec({cat({str("f"), {0x05, 0x00}})}))}), "malformed export kind");
  EXPECT_DECODE_ERROR_IN(kWasm2, module({section(7, vec({cat({str("f"), {0x04, 0x00}})}))}),
                         "malformed export kind");  // a tag: 3.0
  EXPECT_DECODE_ERROR(module({section(7, vec({cat({{0x01, 0xa0}, {0x00, 0x00}})}))}),
                      "malformed UTF-8 encoding");
}

TEST(Start, Index) {
  Module m = decode_ok(module({section(8, {0x85, 0x01})}));
  EXPECT_EQ(m.start, 133u);
  EXPECT_DECODE_ERROR(module({section(8, {})}), "unexpected end");
  EXPECT_DECODE_ERROR(module({section(8, {0x00, 0x00})}), "section size mismatch");
}

// --- element ---------------------------------------------------------------------

const Bytes kOffset0 = {0x41, 0x00, 0x0b};  // i32.const 0; end

TEST(Element, AllEightForms) {
  Module m = decode_ok(module({section(
      9, vec({cat({{0x00}, kOffset0, vec({{0x01}, {0x02}})}),          // active, table 0, funcidx
              cat({{0x01, 0x00}, vec({{0x03}})}),                       // passive, elemkind
              cat({{0x02, 0x01}, kOffset0, {0x00}, vec({{0x04}})}),     // active, table 1, elemkind
              cat({{0x03, 0x00}, vec({{0x05}})}),                       // declarative, elemkind
              cat({{0x04}, kOffset0, vec({{0xd2, 0x06, 0x0b}, {0xd0, 0x70, 0x0b}})}),  // active, exprs
              cat({{0x05, 0x6f}, vec({{0xd0, 0x6f, 0x0b}})}),          // passive, reftype
              cat({{0x06, 0x02}, kOffset0, {0x70}, vec({{0xd2, 0x07, 0x0b}})}),  // active, table 2
              cat({{0x07, 0x70}, vec({{0xd2, 0x08, 0x0b}})})}))}));    // declarative, exprs
  ASSERT_EQ(m.elems.size(), 8u);
  const auto& e0 = m.elems[0];
  EXPECT_EQ(e0.mode, SegmentMode::Active);
  EXPECT_EQ(e0.table, 0u);
  EXPECT_EQ(e0.type, ValType::FuncRef);
  ASSERT_EQ(e0.offset.instrs.size(), 2u);
  ASSERT_EQ(e0.inits.size(), 2u);
  ASSERT_EQ(e0.inits[1].instrs.size(), 2u);
  EXPECT_EQ(e0.inits[1].instrs[0].op, Op::RefFunc);
  EXPECT_EQ(e0.inits[1].instrs[0].a, 2u);
  EXPECT_EQ(e0.inits[1].instrs[1].op, Op::End);

  EXPECT_EQ(m.elems[1].mode, SegmentMode::Passive);
  EXPECT_EQ(m.elems[1].inits[0].instrs[0].a, 3u);
  EXPECT_EQ(m.elems[2].mode, SegmentMode::Active);
  EXPECT_EQ(m.elems[2].table, 1u);
  EXPECT_EQ(m.elems[3].mode, SegmentMode::Declarative);
  EXPECT_EQ(m.elems[4].mode, SegmentMode::Active);
  EXPECT_EQ(m.elems[4].type, ValType::FuncRef);
  ASSERT_EQ(m.elems[4].inits.size(), 2u);
  EXPECT_EQ(m.elems[4].inits[1].instrs[0].op, Op::RefNull);
  EXPECT_EQ(m.elems[5].mode, SegmentMode::Passive);
  EXPECT_EQ(m.elems[5].type, ValType::ExternRef);
  EXPECT_EQ(m.elems[6].table, 2u);
  EXPECT_EQ(m.elems[6].offset.instrs[0].op, Op::I32Const);
  EXPECT_EQ(m.elems[7].mode, SegmentMode::Declarative);
  EXPECT_EQ(m.elems[7].inits[0].instrs[0].a, 8u);
}

TEST(Element, Errors) {
  EXPECT_DECODE_ERROR(module({section(9, vec({{0x08}}))}), "malformed elements segment kind");
  EXPECT_DECODE_ERROR(module({section(9, vec({cat({{0x01, 0x01}, vec({})})}))}),
                      "malformed element kind");
  EXPECT_DECODE_ERROR(module({section(9, vec({cat({{0x05, 0x7f}, vec({})})}))}),
                      "malformed reference type");
  EXPECT_DECODE_ERROR(module({section(9, vec({cat({{0x05, 0x70}, vec({{0xf3, 0x00, 0x0b}})})}))}),
                      "illegal opcode f3");
  EXPECT_DECODE_ERROR(module({section(9, vec({cat({{0x00}, kOffset0, {0x02, 0x00}})}))}),
                      "unexpected end");
}

// --- data, datacount ---------------------------------------------------------------

TEST(Data, ThreeForms) {
  Module m = decode_ok(module({section(11, vec({cat({{0x00}, kOffset0, str("ab")}),
                                                cat({{0x01}, str("")}),
                                                cat({{0x02, 0x01}, kOffset0, str("xyz")})}))}));
  ASSERT_EQ(m.datas.size(), 3u);
  EXPECT_EQ(m.datas[0].mode, SegmentMode::Active);
  EXPECT_EQ(m.datas[0].memory, 0u);
  EXPECT_EQ(Bytes(m.datas[0].bytes.begin(), m.datas[0].bytes.end()), (Bytes{'a', 'b'}));
  EXPECT_EQ(m.datas[0].offset.instrs.size(), 2u);
  EXPECT_EQ(m.datas[1].mode, SegmentMode::Passive);
  EXPECT_TRUE(m.datas[1].bytes.empty());
  EXPECT_EQ(m.datas[2].memory, 1u);  // validated later ("unknown memory 1")
  EXPECT_EQ(Bytes(m.datas[2].bytes.begin(), m.datas[2].bytes.end()), (Bytes{'x', 'y', 'z'}));
}

// Without an owner the segments (and custom sections) are copied: the input
// (a temporary above) may go away. With one they point into the input, which
// the module keeps alive.
TEST(Data, BytesInPlaceWhenTheInputIsLent) {
  auto input = std::make_shared<Bytes>(module({section(11, vec({cat({{0x00}, kOffset0, str("abc")}),
                                                                cat({{0x01}, str("de")})})),
                                               section(0, cat({str("dbg"), {7, 8}}))}));
  auto m = decode_module(*input, input);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_EQ(m->customs.size(), 1u);
  const uint8_t* begin = input->data();
  const uint8_t* end = begin + input->size();
  auto inside = [&](std::span<const uint8_t> b) { return b.data() >= begin && b.data() + b.size() <= end; };
  for (const auto& d : m->datas) EXPECT_TRUE(inside(d.bytes));
  EXPECT_TRUE(inside(m->customs[0].bytes));
  std::weak_ptr<Bytes> watch = input;
  input.reset();
  ASSERT_FALSE(watch.expired());  // held by the module
  EXPECT_EQ(std::string(m->datas[1].bytes.begin(), m->datas[1].bytes.end()), "de");
  auto copied = decode_module(*watch.lock());
  ASSERT_TRUE(copied.has_value());
  EXPECT_FALSE(inside(copied->datas[0].bytes));
  EXPECT_FALSE(inside(copied->customs[0].bytes));
  *m = Module{};
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(std::string(copied->datas[0].bytes.begin(), copied->datas[0].bytes.end()), "abc");
  EXPECT_EQ(Bytes(copied->customs[0].bytes.begin(), copied->customs[0].bytes.end()), (Bytes{7, 8}));
}

// A lent input the module keeps little of (here its debug section is left
// out) can be let go: keep_own_copy copies what it keeps.
TEST(Data, LentInputLetGoWhenLittleOfItIsKept) {
  const std::string debug(4096, 'd');
  auto input = std::make_shared<Bytes>(module({section(11, vec({cat({{0x01}, str("de")})})),
                                               section(0, cat({str("dbg"), str(debug)}))}));
  auto m = decode_module(*input, input, Features::process_default(), /*bodies=*/true, /*customs=*/false);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(kept_bytes(*m), 2u);
  keep_own_copy(*m);
  const uint8_t* begin = input->data();
  const uint8_t* end = begin + input->size();
  ASSERT_EQ(m->datas.size(), 1u);
  EXPECT_FALSE(m->datas[0].bytes.data() >= begin && m->datas[0].bytes.data() < end);
  std::weak_ptr<Bytes> watch = input;
  input.reset();
  EXPECT_TRUE(watch.expired());  // not held by the module
  EXPECT_EQ(std::string(m->datas[0].bytes.begin(), m->datas[0].bytes.end()), "de");
}

// What runs a module needs no custom sections: without them nothing of
// theirs is copied, and the data segments are as before.
TEST(Data, CustomSectionsLeftOutOnRequest) {
  const Bytes input = module({section(0, cat({str("dbg"), {7, 8, 9}})),
                              section(11, vec({cat({{0x01}, str("de")})})), section(0, cat({str("x"), {1}}))});
  auto m = decode_module(input, nullptr, Features::process_default(), /*bodies=*/true, /*customs=*/false);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_TRUE(m->customs.empty());
  ASSERT_EQ(m->datas.size(), 1u);
  EXPECT_EQ(std::string(m->datas[0].bytes.begin(), m->datas[0].bytes.end()), "de");
  auto all = decode_module(input);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->customs.size(), 2u);
}

TEST(Data, Errors) {
  EXPECT_DECODE_ERROR(module({section(11, vec({{0x03}}))}), "malformed data segment kind");
  EXPECT_DECODE_ERROR(module({section(11, vec({cat({{0x01}, {0x05, 'a'}})}))}), "length out of bounds");
  EXPECT_DECODE_ERROR(module({section(11, vec({cat({{0x01}, {0x02, 'a'}})}))}), "unexpected end");
  EXPECT_DECODE_ERROR(module({section(11, vec({cat({{0x01}, {0x01, 'a', 'b'}})}))}),
                      "section size mismatch");
}

TEST(DataCount, Consistency) {
  Module m = decode_ok(module({section(12, {0x02}), section(11, vec({cat({{0x01}, str("")}),
                                                                     cat({{0x01}, str("")})}))}));
  EXPECT_EQ(m.data_count, 2u);
  EXPECT_DECODES(module({section(12, {0x00})}));
  EXPECT_DECODE_ERROR(module({section(12, {0x01})}), "data count and data section have inconsistent lengths");
  EXPECT_DECODE_ERROR(module({section(12, {0x03}), section(11, vec({cat({{0x01}, str("")})}))}),
                      "data count and data section have inconsistent lengths");
}

TEST(DataCount, RequiredByMemoryInitAndDataDrop) {
  Bytes mem = section(5, vec({{0x00, 0x01}}));
  Bytes data = section(11, vec({cat({{0x01}, str("a")})}));
  Bytes init = {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b};
  Bytes drop = {0xfc, 0x09, 0x00, 0x0b};
  EXPECT_DECODE_ERROR(func_module(init, {mem}, {data}), "data count section required");
  EXPECT_DECODE_ERROR(func_module(drop, {mem}, {data}), "data count section required");
  EXPECT_DECODES(func_module(init, {mem, section(12, {0x01})}, {data}));
  EXPECT_DECODES(func_module(drop, {mem, section(12, {0x01})}, {data}));
}

}  // namespace
}  // namespace whirl::wasm::testing
