// Implementation limits on counts (decoder.h): a module just over a limit is
// rejected while decoding with the section, the count and the limit; one at
// the limit decodes.
#include <gtest/gtest.h>

#include <cstdio>

#include "test_util.h"

namespace whirl::wasm::testing {
namespace {

// A vector of `n` copies of `item`.
Bytes repeat(uint64_t n, const Bytes& item) {
  Bytes out = uleb(n);
  out.reserve(out.size() + n * item.size());
  for (uint64_t i = 0; i < n; ++i) append(out, item);
  return out;
}

TEST(Limits, TooManyTypes) {
  EXPECT_DECODE_ERROR(module({section(1, repeat(kMaxTypes + 1, {0x60, 0x00, 0x00}))}),
                      "section 1 (type) at offset 0xd: too many types: 1000001 (implementation limit: 1000000)");
  EXPECT_DECODES(module({section(1, repeat(kMaxTypes, {0x60, 0x00, 0x00}))}));
}

TEST(Limits, TooManyFunctionsCountsImports) {
  Bytes import = cat({str("m"), str("f"), {0x00, 0x00}});
  Bytes b = module({void_type_section(), section(2, repeat(10, import)), func_section(kMaxFunctions - 9)});
  EXPECT_DECODE_ERROR(b, "section 3 (function)");
  EXPECT_DECODE_ERROR(b, "too many functions: 1000001 (implementation limit: 1000000)");
  // The code section's count is checked too (a module without a function section).
  Bytes code = repeat(kMaxFunctions + 1, {0x02, 0x00, 0x0b});
  EXPECT_DECODE_ERROR(module({void_type_section(), section(10, code)}), "section 10 (code)");
  EXPECT_DECODE_ERROR(module({void_type_section(), section(10, code)}), "too many functions: 1000001");
}

TEST(Limits, TooManyImportsExportsGlobals) {
  EXPECT_DECODE_ERROR(module({section(2, repeat(kMaxImports + 1, cat({str("m"), str("g"), {0x03, 0x7f, 0x00}})))}),
                      "too many imports: 100001 (implementation limit: 100000)");
  EXPECT_DECODE_ERROR(module({section(7, repeat(kMaxExports + 1, cat({str("e"), {0x00, 0x00}})))}),
                      "too many exports: 100001 (implementation limit: 100000)");
  EXPECT_DECODE_ERROR(module({section(6, repeat(kMaxGlobals + 1, {0x7f, 0x00, 0x41, 0x00, 0x0b}))}),
                      "too many globals: 1000001 (implementation limit: 1000000)");
}

TEST(Limits, TooManyTablesOrMemories) {
  EXPECT_DECODE_ERROR(module({section(4, repeat(kMaxTables + 1, {0x70, 0x00, 0x00}))}),
                      "section 4 (table) at offset 0xb: too many tables: 101 (implementation limit: 100)");
  EXPECT_DECODE_ERROR(module({section(5, repeat(kMaxMemories + 1, {0x00, 0x00}))}),
                      "section 5 (memory) at offset 0xb: too many memories: 101 (implementation limit: 100)");
}

TEST(Limits, TooManySegmentsAndItems) {
  EXPECT_DECODE_ERROR(module({section(11, repeat(kMaxDataSegments + 1, {0x01, 0x00}))}),
                      "too many data segments: 100001 (implementation limit: 100000)");
  // Passive segments of funcref expressions.
  EXPECT_DECODE_ERROR(module({section(9, repeat(kMaxElemSegments + 1, {0x05, 0x70, 0x00}))}),
                      "too many element segments: 100001 (implementation limit: 100000)");
  Bytes items = repeat(kMaxElemSegmentItems + 1, {0xd0, 0x70, 0x0b});
  EXPECT_DECODE_ERROR(module({section(9, cat({{0x01, 0x05, 0x70}, items}))}),
                      "too many element segment items: 10000001 (implementation limit: 10000000)");
}

TEST(Limits, TooManyParamsOrResults) {
  Bytes params = repeat(kMaxFunctionParams + 1, {0x7f});
  EXPECT_DECODE_ERROR(module({section(1, cat({{0x01, 0x60}, params, {0x00}}))}),
                      "too many parameters: 1001 (implementation limit: 1000)");
  EXPECT_DECODE_ERROR(module({section(1, cat({{0x01, 0x60, 0x00}, params}))}),
                      "too many results: 1001 (implementation limit: 1000)");
  EXPECT_DECODES(module({section(1, cat({{0x01, 0x60}, repeat(kMaxFunctionParams, {0x7f}), {0x00}}))}));
}

TEST(Limits, FunctionBodyTooLarge) {
  // A body of nops one byte over the limit: rejected at its size, before decoding it.
  Bytes code(kMaxFunctionBodySize + 1, 0x01);
  code[0] = 0x00;  // no locals
  code.back() = 0x0b;
  Bytes b = module({void_type_section(), func_section(1), section(10, cat({{0x01}, body(code)}))});
  EXPECT_DECODE_ERROR(b, "section 10 (code)");
  EXPECT_DECODE_ERROR(b, "function body too large: 7654322 bytes (implementation limit: 7654321)");
}

TEST(Limits, NestingDepth) {
  auto nested = [](uint32_t depth) {
    Bytes code;
    code.reserve(3 * depth + 1);
    for (uint32_t i = 0; i < depth; ++i) code.insert(code.end(), {0x02, 0x40});
    code.insert(code.end(), depth + 1, 0x0b);  // and the function's end
    return func_module(code);
  };
  EXPECT_DECODES(nested(kMaxNestingDepth));
  Bytes b = nested(kMaxNestingDepth + 1);
  // The offset of the block opening level 100001: the first block is at 0x1b.
  char where[64];
  std::snprintf(where, sizeof where, "at offset 0x%x: blocks nested too deeply", 0x1b + 2 * kMaxNestingDepth);
  EXPECT_DECODE_ERROR(b, where);
  EXPECT_DECODE_ERROR(b, "(implementation limit: 100000 levels)");
}

}  // namespace
}  // namespace whirl::wasm::testing
