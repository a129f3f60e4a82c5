// Sizes, alignments, offsets and flattenings computed by hand from the
// rules of CanonicalABI.md ("Alignment", "Element Size", "Flattening").
#include "component/abi/layout.h"

#include <gtest/gtest.h>

#include "test_types.h"

namespace whirl::component::abi {
namespace {

using namespace test;
using C = CoreType;

TEST(AbiLayout, Primitives) {
  struct Row { ValTypePtr t; uint32_t align; uint64_t size; std::vector<CoreType> flat; };
  const Row rows[] = {
      {boolean(), 1, 1, {C::I32}}, {s8(), 1, 1, {C::I32}},  {u8(), 1, 1, {C::I32}},
      {s16(), 2, 2, {C::I32}},     {u16(), 2, 2, {C::I32}}, {s32(), 4, 4, {C::I32}},
      {u32(), 4, 4, {C::I32}},     {s64(), 8, 8, {C::I64}}, {u64(), 8, 8, {C::I64}},
      {f32(), 4, 4, {C::F32}},     {f64(), 8, 8, {C::F64}}, {chr(), 4, 4, {C::I32}},
      {str(), 4, 8, {C::I32, C::I32}},
      {handle(TypeKind::Own, 1), 4, 4, {C::I32}}, {handle(TypeKind::Borrow, 1), 4, 4, {C::I32}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(component::to_string(*r.t));
    EXPECT_EQ(alignment(*r.t), r.align);
    EXPECT_EQ(elem_size(*r.t), r.size);
    EXPECT_EQ(flatten_type(*r.t), r.flat);
  }
}

TEST(AbiLayout, Memory64PointersAreEightBytes) {
  EXPECT_EQ(alignment(*str(), PtrType::I64), 8u);
  EXPECT_EQ(elem_size(*str(), PtrType::I64), 16u);
  EXPECT_EQ(elem_size(*list(u8()), PtrType::I64), 16u);
  EXPECT_EQ(flatten_type(*list(u8()), PtrType::I64), (std::vector<CoreType>{C::I64, C::I64}));
  // record { a: u8, b: string }: b at 8, size 24.
  auto r = record({{"a", u8()}, {"b", str()}});
  EXPECT_EQ(field_offsets(*r, PtrType::I64), (std::vector<uint64_t>{0, 8}));
  EXPECT_EQ(elem_size(*r, PtrType::I64), 24u);
}

TEST(AbiLayout, RecordsPadFieldsAndTheEnd) {
  auto r = record({{"a", u8()}, {"b", u32()}, {"c", u16()}});
  EXPECT_EQ(field_offsets(*r), (std::vector<uint64_t>{0, 4, 8}));
  EXPECT_EQ(alignment(*r), 4u);
  EXPECT_EQ(elem_size(*r), 12u);  // 10 rounded up to the alignment

  auto r2 = record({{"a", u8()}, {"b", u64()}, {"c", u8()}});
  EXPECT_EQ(field_offsets(*r2), (std::vector<uint64_t>{0, 8, 16}));
  EXPECT_EQ(elem_size(*r2), 24u);

  auto t = tuple({u8(), u16(), u8()});
  EXPECT_EQ(field_offsets(*t), (std::vector<uint64_t>{0, 2, 4}));
  EXPECT_EQ(alignment(*t), 2u);
  EXPECT_EQ(elem_size(*t), 6u);
  EXPECT_EQ(flatten_type(*t), (std::vector<CoreType>{C::I32, C::I32, C::I32}));
}

TEST(AbiLayout, VariantsPlacePayloadAfterDiscriminantAtMaxCaseAlignment) {
  auto v = variant({{"a", u8()}, {"b", u64()}});
  EXPECT_EQ(payload_offset(*v), 8u);
  EXPECT_EQ(alignment(*v), 8u);
  EXPECT_EQ(elem_size(*v), 16u);

  auto o = option(u32());
  EXPECT_EQ(payload_offset(*o), 4u);
  EXPECT_EQ(elem_size(*o), 8u);
  EXPECT_EQ(flatten_type(*o), (std::vector<CoreType>{C::I32, C::I32}));

  auto r = result(str(), u8());
  EXPECT_EQ(payload_offset(*r), 4u);
  EXPECT_EQ(elem_size(*r), 12u);
  EXPECT_EQ(alignment(*r), 4u);

  auto bare = result(nullptr, nullptr);
  EXPECT_EQ(elem_size(*bare), 1u);
  EXPECT_EQ(flatten_type(*bare), (std::vector<CoreType>{C::I32}));

  // Only a payload-less case: the payload area is empty.
  auto e = variant({{"x", nullptr}, {"y", nullptr}});
  EXPECT_EQ(elem_size(*e), 1u);
}

TEST(AbiLayout, DiscriminantGrowsWithCaseCount) {
  EXPECT_EQ(discriminant_size(1), 1u);
  EXPECT_EQ(discriminant_size(256), 1u);
  EXPECT_EQ(discriminant_size(257), 2u);
  EXPECT_EQ(discriminant_size(65536), 2u);
  EXPECT_EQ(discriminant_size(65537), 4u);
  auto e257 = enumeration(numbered("e", 257));
  EXPECT_EQ(elem_size(*e257), 2u);
  EXPECT_EQ(alignment(*e257), 2u);
  // variant with 300 cases and a u8 payload: u16 discriminant, payload at 2.
  std::vector<std::pair<std::string, ValTypePtr>> cs;
  for (int i = 0; i < 300; ++i) cs.push_back({"c" + std::to_string(i), i == 7 ? u8() : nullptr});
  auto v = variant(cs);
  EXPECT_EQ(payload_offset(*v), 2u);
  EXPECT_EQ(elem_size(*v), 4u);
}

TEST(AbiLayout, FlagsUseTheSmallestInteger) {
  const std::pair<size_t, uint32_t> rows[] = {{1, 1}, {8, 1}, {9, 2}, {16, 2}, {17, 4}, {32, 4}};
  for (auto [n, bytes] : rows) {
    auto f = flags(numbered("f", n));
    EXPECT_EQ(elem_size(*f), bytes) << n;
    EXPECT_EQ(alignment(*f), bytes) << n;
    EXPECT_EQ(flatten_type(*f), (std::vector<CoreType>{C::I32})) << n;
  }
  EXPECT_FALSE(check_abi_type(*flags(numbered("f", 33))));
  EXPECT_FALSE(check_abi_type(*flags({})));
}

TEST(AbiLayout, Lists) {
  EXPECT_EQ(elem_size(*list(u64())), 8u);
  EXPECT_EQ(alignment(*list(u64())), 4u);
  EXPECT_EQ(elem_size(*list(u64(), 3)), 24u);
  EXPECT_EQ(alignment(*list(u64(), 3)), 8u);
  EXPECT_EQ(elem_size(*list(u8(), 3)), 3u);
  EXPECT_EQ(flatten_type(*list(f32(), 3)), (std::vector<CoreType>{C::F32, C::F32, C::F32}));
  EXPECT_FALSE(check_abi_type(*list(u8(), 0)));
}

// record { x: option<u8>, y: variant { a(f32), b(tuple<u8, u16>), c }, z: list<string> }
TEST(AbiLayout, NestedRecordOfVariants) {
  auto y = variant({{"a", f32()}, {"b", tuple({u8(), u16()})}, {"c", nullptr}});
  auto r = record({{"x", option(u8())}, {"y", y}, {"z", list(str())}});
  EXPECT_EQ(elem_size(*option(u8())), 2u);
  EXPECT_EQ(payload_offset(*y), 4u);
  EXPECT_EQ(elem_size(*y), 8u);
  EXPECT_EQ(field_offsets(*r), (std::vector<uint64_t>{0, 4, 12}));
  EXPECT_EQ(elem_size(*r), 20u);
  EXPECT_EQ(alignment(*r), 4u);
  // option<u8>: 2; y: discriminant + join(f32, u8)=i32, u16; z: ptr, len.
  EXPECT_EQ(flatten_type(*r), std::vector<CoreType>(7, C::I32));
}

TEST(AbiLayout, VariantFlatteningJoins) {
  EXPECT_EQ(flatten_type(*variant({{"a", f32()}, {"b", u64()}})), (std::vector<CoreType>{C::I32, C::I64}));
  EXPECT_EQ(flatten_type(*variant({{"a", f32()}, {"b", u32()}})), (std::vector<CoreType>{C::I32, C::I32}));
  EXPECT_EQ(flatten_type(*variant({{"a", f32()}})), (std::vector<CoreType>{C::I32, C::F32}));
  EXPECT_EQ(flatten_type(*result(f64(), f32())), (std::vector<CoreType>{C::I32, C::I64}));
  EXPECT_EQ(flatten_type(*result(f64(), f64())), (std::vector<CoreType>{C::I32, C::F64}));
  auto v = variant({{"a", tuple({f32(), u32()})}, {"b", tuple({u64(), f64()})}, {"c", u8()}});
  EXPECT_EQ(flatten_type(*v), (std::vector<CoreType>{C::I32, C::I64, C::I64}));
  EXPECT_EQ(join(C::I32, C::F64), C::I64);
  EXPECT_EQ(join(C::F32, C::F64), C::I64);
  EXPECT_EQ(join(C::F32, C::F32), C::F32);
}

FuncType func(std::vector<ValTypePtr> params, ValTypePtr result) {
  FuncType ft;
  for (size_t i = 0; i < params.size(); ++i) ft.params.push_back({"p" + std::to_string(i), params[i]});
  ft.result = std::move(result);
  return ft;
}

TEST(AbiLayout, FunctionTypesSpillToMemory) {
  // 16 flat params stay flat; 17 become one pointer.
  auto f16 = func(std::vector<ValTypePtr>(16, u32()), nullptr);
  EXPECT_EQ(flatten_functype(f16, FlattenContext::Lift).params.size(), 16u);
  auto f17 = func(std::vector<ValTypePtr>(8, str()), u8());
  f17.params.push_back({"x", u8()});
  EXPECT_EQ(flatten_functype(f17, FlattenContext::Lift), (CoreFuncType{{C::I32}, {C::I32}}));
  EXPECT_EQ(flatten_functype(f17, FlattenContext::Lift, {PtrType::I64}), (CoreFuncType{{C::I64}, {C::I32}}));

  // A string result: lift returns a pointer, lower takes a pointer to fill.
  auto fs = func({u64(), f32()}, str());
  EXPECT_EQ(flatten_functype(fs, FlattenContext::Lift), (CoreFuncType{{C::I64, C::F32}, {C::I32}}));
  EXPECT_EQ(flatten_functype(fs, FlattenContext::Lower), (CoreFuncType{{C::I64, C::F32, C::I32}, {}}));
  auto none = func({}, nullptr);
  EXPECT_EQ(flatten_functype(none, FlattenContext::Lower), (CoreFuncType{{}, {}}));
  auto one = func({}, f64());
  EXPECT_EQ(flatten_functype(one, FlattenContext::Lower), (CoreFuncType{{}, {C::F64}}));

  // async: lower spills beyond 4 params and always returns an i32 status.
  auto fa = func({u32(), u32(), u32(), u32(), u32()}, str());
  EXPECT_EQ(flatten_functype(fa, FlattenContext::Lower, {PtrType::I32, true}),
            (CoreFuncType{{C::I32, C::I32}, {C::I32}}));
  EXPECT_EQ(flatten_functype(fa, FlattenContext::Lift, {PtrType::I32, true, false}),
            (CoreFuncType{{C::I32, C::I32, C::I32, C::I32, C::I32}, {}}));
  EXPECT_EQ(flatten_functype(fa, FlattenContext::Lift, {PtrType::I32, true, true}),
            (CoreFuncType{{C::I32, C::I32, C::I32, C::I32, C::I32}, {C::I32}}));
}

TEST(AbiLayout, CheckRejectsMalformedShapes) {
  EXPECT_TRUE(check_abi_type(*record({{"a", u8()}})));
  EXPECT_FALSE(check_abi_type(*record({})));
  EXPECT_FALSE(check_abi_type(*tuple({})));
  EXPECT_FALSE(check_abi_type(*variant({})));
  EXPECT_FALSE(check_abi_type(*enumeration({})));
  EXPECT_FALSE(check_abi_type(*option(nullptr)));
  EXPECT_FALSE(check_abi_type(*list(nullptr)));
  ValType own;
  own.kind = TypeKind::Own;
  EXPECT_FALSE(check_abi_type(own));
  // Fixed-length lists may not multiply into huge flattenings or sizes.
  EXPECT_FALSE(check_abi_type(*list(list(u8(), 1000), 1000)));
  EXPECT_FALSE(check_abi_type(*list(list(list(u64(), 65535), 65535), 65535)));
  // Nesting depth is bounded.
  ValTypePtr deep = u8();
  for (int i = 0; i < 2000; ++i) deep = option(deep);
  auto r = check_abi_type(*deep);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("deeper"), std::string::npos);
}

}  // namespace
}  // namespace whirl::component::abi
