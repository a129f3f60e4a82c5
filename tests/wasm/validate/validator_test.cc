// Validation rules checked on hand-written binaries: each rule has a module
// that breaks it (with the spec's wording in the error) and one that obeys it.
#include <gtest/gtest.h>

#include "../binary/test_util.h"
#include "wasm/validate/validator.h"

namespace whirl::wasm::testing {
namespace {

// "" when the bytes decode and validate, else the validation error; a decode
// error fails the test (these tests are about validation).
std::string invalid_because(const Bytes& b, const Features& features = Features{}) {
  auto m = decode_module(b, nullptr, features);
  EXPECT_TRUE(m) << "decode failed: " << (m ? "" : m.error().message);
  if (!m) return "<decode failed>";
  auto v = validate_module(*m, features);
  return v ? std::string() : v.error().message;
}

#define EXPECT_INVALID(bytes, text)                                               \
  do {                                                                            \
    std::string e_ = invalid_because(bytes);                                      \
    EXPECT_NE(e_.find(text), std::string::npos) << "expected \"" << (text) << "\", got \"" << e_ << "\""; \
  } while (0)
#define EXPECT_VALID(bytes) EXPECT_EQ(invalid_because(bytes), "")

Bytes export_func0(std::string_view name) { return cat({str(name), {0x00, 0x00}}); }
const Bytes kMemory = section(5, vec({{0x00, 0x01}}));

TEST(Validator, EmptyBodyIsValid) { EXPECT_VALID(func_module({0x0b})); }

TEST(Validator, LeftoverValueIsTypeMismatch) {
  EXPECT_INVALID(func_module({0x41, 0x00, 0x0b}), "type mismatch");
}

TEST(Validator, MissingOperandIsTypeMismatch) {
  EXPECT_INVALID(func_module({0x41, 0x00, 0x6a, 0x1a, 0x0b}), "type mismatch");
}

TEST(Validator, UnreachableMakesStackPolymorphic) {
  EXPECT_VALID(func_module({0x00, 0x6a, 0x1a, 0x0b}));            // unreachable i32.add drop
  EXPECT_VALID(func_module({0x00, 0x1b, 0x1a, 0x0b}));            // unreachable select drop
  EXPECT_INVALID(func_module({0x00, 0x42, 0x00, 0x6a, 0x1a, 0x0b}), "type mismatch");  // i64 into i32.add
}

TEST(Validator, UnknownLocalAndLabel) {
  EXPECT_INVALID(func_module({0x20, 0x00, 0x1a, 0x0b}), "unknown local");
  EXPECT_INVALID(func_module({0x0c, 0x01, 0x0b}), "unknown label");
}

TEST(Validator, BrTableTargetsNeedOneArity) {
  // block (result i32) i32.const 0 i32.const 0 br_table [0] 1 end drop
  EXPECT_INVALID(func_module({0x02, 0x7f, 0x41, 0x00, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x01, 0x0b, 0x1a, 0x0b}),
                 "type mismatch");
  EXPECT_VALID(func_module({0x02, 0x7f, 0x41, 0x00, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x00, 0x0b, 0x1a, 0x0b}));
}

TEST(Validator, IfWithoutElseMustNotProduceValues) {
  EXPECT_INVALID(func_module({0x41, 0x01, 0x04, 0x7f, 0x41, 0x01, 0x0b, 0x1a, 0x0b}), "type mismatch");
  EXPECT_VALID(func_module({0x41, 0x01, 0x04, 0x7f, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0b, 0x1a, 0x0b}));
}

TEST(Validator, UntypedSelectRejectsReferences) {
  EXPECT_INVALID(func_module({0xd0, 0x70, 0xd0, 0x70, 0x41, 0x01, 0x1b, 0x1a, 0x0b}), "type mismatch");
  EXPECT_VALID(func_module({0xd0, 0x70, 0xd0, 0x70, 0x41, 0x01, 0x1c, 0x01, 0x70, 0x1a, 0x0b}));
}

TEST(Validator, ImmutableGlobal) {
  Bytes immutable = section(6, vec({{0x7f, 0x00, 0x41, 0x00, 0x0b}}));
  Bytes mutable_ = section(6, vec({{0x7f, 0x01, 0x41, 0x00, 0x0b}}));
  EXPECT_INVALID(func_module({0x41, 0x01, 0x24, 0x00, 0x0b}, {immutable}), "global is immutable");
  EXPECT_VALID(func_module({0x41, 0x01, 0x24, 0x00, 0x0b}, {mutable_}));
}

TEST(Validator, RefFuncNeedsDeclaration) {
  EXPECT_INVALID(func_module({0xd2, 0x00, 0x1a, 0x0b}), "undeclared function reference");
  EXPECT_VALID(func_module({0xd2, 0x00, 0x1a, 0x0b}, {section(7, vec({export_func0("f")}))}));
}

TEST(Validator, AlignmentAtMostNatural) {
  EXPECT_INVALID(func_module({0x41, 0x00, 0x28, 0x03, 0x00, 0x1a, 0x0b}, {kMemory}),
                 "alignment must not be larger than natural");
  EXPECT_VALID(func_module({0x41, 0x00, 0x28, 0x02, 0x00, 0x1a, 0x0b}, {kMemory}));
  EXPECT_INVALID(func_module({0x41, 0x00, 0x28, 0x02, 0x00, 0x1a, 0x0b}), "unknown memory");
}

// 3.0: every memory instruction names its memory; the index must exist.
TEST(Validator, MemoryIndices) {
  const Bytes two = section(5, vec({{0x00, 0x01}, {0x00, 0x01}}));
  const Bytes data_count = section(12, {0x01});
  const Bytes data = section(11, vec({{0x01, 0x00}}));
  EXPECT_VALID(func_module({0x41, 0x00, 0x28, 0x42, 0x01, 0x00, 0x1a, 0x0b}, {two}));  // i32.load 1
  EXPECT_INVALID(func_module({0x41, 0x00, 0x28, 0x42, 0x02, 0x00, 0x1a, 0x0b}, {two}), "unknown memory 2");
  EXPECT_INVALID(func_module({0x41, 0x00, 0x28, 0x42, 0x01, 0x00, 0x1a, 0x0b}, {kMemory}), "unknown memory 1");
  EXPECT_INVALID(func_module({0x41, 0x00, 0x28, 0x43, 0x01, 0x00, 0x1a, 0x0b}, {two}),
                 "alignment must not be larger than natural");
  EXPECT_VALID(func_module({0x3f, 0x01, 0x40, 0x01, 0x1a, 0x0b}, {two}));
  EXPECT_INVALID(func_module({0x3f, 0x02, 0x1a, 0x0b}, {two}), "unknown memory 2");
  Bytes copy = {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0a, 0x01, 0x00, 0x0b};
  EXPECT_VALID(func_module(copy, {two}));
  copy[9] = 0x02;
  EXPECT_INVALID(func_module(copy, {two}), "unknown memory 2");
  Bytes fill = {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0b, 0x02, 0x0b};
  EXPECT_INVALID(func_module(fill, {two}), "unknown memory 2");
  Bytes init = {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x01, 0x0b};
  EXPECT_VALID(func_module(init, {two, data_count}, {data}));
  init[9] = 0x02;
  EXPECT_INVALID(func_module(init, {two, data_count}, {data}), "unknown memory 2");
}

TEST(Validator, SharedMemoryNeedsMaximum) {
  EXPECT_VALID(func_module({0x0b}, {section(5, vec({{0x03, 0x01, 0x02}}))}));
  EXPECT_INVALID(func_module({0x0b}, {section(5, vec({{0x02, 0x01}}))}), "shared memory must have maximum");
}

TEST(Validator, ModuleLevelRules) {
  EXPECT_INVALID(func_module({0x0b}, {section(7, vec({export_func0("f"), export_func0("f")}))}),
                 "duplicate export name");
  const Bytes two_memories = section(5, vec({{0x00, 0x01}, {0x00, 0x01}}));
  EXPECT_NE(invalid_because(func_module({0x0b}, {two_memories}), kWasm2).find("multiple memories"), std::string::npos);
  EXPECT_VALID(func_module({0x0b}, {two_memories}));
  EXPECT_INVALID(func_module({0x0b}, {section(5, vec({{0x01, 0x02, 0x01}}))}),
                 "size minimum must not be greater than maximum");
  EXPECT_INVALID(func_module({0x0b}, {section(5, vec({{0x00, 0x81, 0x80, 0x04}}))}),
                 "memory size must be at most 65536 pages (4GiB)");
  // A global initialised from another defined global is not constant in 2.0.
  Bytes globals = section(6, vec({{0x7f, 0x00, 0x41, 0x00, 0x0b}, {0x7f, 0x00, 0x23, 0x00, 0x0b}}));
  EXPECT_INVALID(func_module({0x0b}, {globals}), "unknown global");
  Bytes nonconst = section(6, vec({{0x7f, 0x00, 0x41, 0x00, 0x41, 0x00, 0x6a, 0x0b}}));
  EXPECT_INVALID(func_module({0x0b}, {nonconst}), "constant expression required");
}

}  // namespace
}  // namespace whirl::wasm::testing
