// load / store: exact bytes for hand-laid-out values, round trips, and the
// traps of CanonicalABI.md's "Loading" (char, discriminants, lists).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "component/abi/lift_lower.h"
#include "test_types.h"

namespace whirl::component::abi {
namespace {

using namespace test;
using B = std::vector<uint8_t>;

B at(const HeapContext& cx, size_t ptr, size_t n) { return B(cx.bytes.begin() + ptr, cx.bytes.begin() + ptr + n); }

TEST(AbiMemory, RecordBytes) {
  auto t = record({{"a", u8()}, {"b", u32()}, {"c", u16()}});
  HeapContext cx(32);
  Value v = Value::record({{"a", Value::uint(TypeKind::U8, 1)},
                           {"b", Value::uint(TypeKind::U32, 0x01020304)},
                           {"c", Value::uint(TypeKind::U16, 0xBEEF)}});
  ASSERT_TRUE(store(cx, v, *t, 4));
  EXPECT_EQ(at(cx, 4, 12), (B{1, 0, 0, 0, 4, 3, 2, 1, 0xEF, 0xBE, 0, 0}));
  auto back = load(cx, 4, *t);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v);
  EXPECT_EQ(to_string(*back), "{a: 1, b: 16909060, c: 48879}");
}

TEST(AbiMemory, Integers) {
  HeapContext cx(16);
  ASSERT_TRUE(store(cx, Value::sint(TypeKind::S8, -1), *s8(), 0));
  ASSERT_TRUE(store(cx, Value::sint(TypeKind::S16, -2), *s16(), 2));
  ASSERT_TRUE(store(cx, Value::sint(TypeKind::S64, INT64_MIN), *s64(), 8));
  EXPECT_EQ(at(cx, 0, 4), (B{0xFF, 0, 0xFE, 0xFF}));
  EXPECT_EQ(at(cx, 8, 8), (B{0, 0, 0, 0, 0, 0, 0, 0x80}));
  EXPECT_EQ(*load(cx, 0, *s8()), Value::sint(TypeKind::S8, -1));
  EXPECT_EQ(*load(cx, 0, *u8()), Value::uint(TypeKind::U8, 255));
  EXPECT_EQ(*load(cx, 2, *s16()), Value::sint(TypeKind::S16, -2));
  EXPECT_EQ(*load(cx, 8, *s64()), Value::sint(TypeKind::S64, INT64_MIN));
  EXPECT_EQ(*load(cx, 8, *u64()), Value::uint(TypeKind::U64, uint64_t(1) << 63));
  // A host value out of its type's range is refused, not truncated.
  EXPECT_FALSE(store(cx, Value::uint(TypeKind::U8, 256), *u8(), 0));
  EXPECT_FALSE(store(cx, Value::sint(TypeKind::S8, -129), *s8(), 0));
  EXPECT_FALSE(store(cx, Value::uint(TypeKind::U16, 1), *u8(), 0));  // kind mismatch
}

TEST(AbiMemory, BoolIsAnyNonZeroByte) {
  HeapContext cx(4);
  cx.bytes = {0, 1, 2, 0x80};
  EXPECT_EQ(*load(cx, 0, *boolean()), Value::boolean(false));
  EXPECT_EQ(*load(cx, 1, *boolean()), Value::boolean(true));
  EXPECT_EQ(*load(cx, 2, *boolean()), Value::boolean(true));
  EXPECT_EQ(*load(cx, 3, *boolean()), Value::boolean(true));
  ASSERT_TRUE(store(cx, Value::boolean(true), *boolean(), 0));
  EXPECT_EQ(cx.bytes[0], 1);
}

TEST(AbiMemory, CharValidity) {
  HeapContext cx(16);
  ASSERT_TRUE(store(cx, Value::character(0xE9), *chr(), 0));
  EXPECT_EQ(at(cx, 0, 4), (B{0xE9, 0, 0, 0}));
  const uint32_t good[] = {0, 0xD7FF, 0xE000, 0x10FFFF};
  const uint32_t bad[] = {0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0x110000, 0xFFFFFFFF};
  for (uint32_t c : good) {
    std::memcpy(cx.bytes.data(), &c, 4);
    EXPECT_EQ(*load(cx, 0, *chr()), Value::character(c)) << c;
  }
  for (uint32_t c : bad) {
    std::memcpy(cx.bytes.data(), &c, 4);
    EXPECT_FALSE(load(cx, 0, *chr())) << c;
    EXPECT_FALSE(store(cx, Value::character(c), *chr(), 4)) << c;
  }
}

TEST(AbiMemory, FloatsCanonicalizeNaN) {
  HeapContext cx(16);
  const uint32_t odd_nan32 = 0xFFA00001;  // negative, with payload
  std::memcpy(cx.bytes.data(), &odd_nan32, 4);
  auto f = load(cx, 0, *f32());
  ASSERT_TRUE(f);
  EXPECT_TRUE(std::isnan(f->f32));
  EXPECT_EQ(std::bit_cast<uint32_t>(f->f32), 0x7FC00000u);
  ASSERT_TRUE(store(cx, Value::float32(std::bit_cast<float>(odd_nan32)), *f32(), 4));
  EXPECT_EQ(at(cx, 4, 4), (B{0, 0, 0xC0, 0x7F}));
  ASSERT_TRUE(store(cx, Value::float64(std::bit_cast<double>(uint64_t(0xFFF0000000000001))), *f64(), 8));
  EXPECT_EQ(at(cx, 8, 8), (B{0, 0, 0, 0, 0, 0, 0xF8, 0x7F}));
  ASSERT_TRUE(store(cx, Value::float32(-1.5f), *f32(), 0));
  EXPECT_EQ(at(cx, 0, 4), (B{0, 0, 0xC0, 0xBF}));
  EXPECT_EQ(*load(cx, 0, *f32()), Value::float32(-1.5f));
}

TEST(AbiMemory, VariantBytesAndBadDiscriminants) {
  auto t = variant({{"a", u8()}, {"b", u64()}, {"c", nullptr}});
  HeapContext cx(32);
  ASSERT_TRUE(store(cx, Value::variant("b", Value::uint(TypeKind::U64, 0x1122334455667788)), *t, 0));
  EXPECT_EQ(cx.bytes[0], 1);
  EXPECT_EQ(at(cx, 8, 8), (B{0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}));
  EXPECT_EQ(to_string(*load(cx, 0, *t)), "b(1234605616436508552)");
  ASSERT_TRUE(store(cx, Value::variant("c"), *t, 16));
  EXPECT_EQ(*load(cx, 16, *t), Value::variant("c"));
  cx.bytes[16] = 3;  // three cases: 0..2
  auto bad = load(cx, 16, *t);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("discriminant 3"), std::string::npos);

  // A 300-case enum has a u16 discriminant.
  auto e = enumeration(numbered("e", 300));
  cx.bytes[0] = 0x2B, cx.bytes[1] = 0x01;  // 299
  EXPECT_EQ(*load(cx, 0, *e), Value::enumeration("e299"));
  cx.bytes[0] = 0x2C;  // 300
  EXPECT_FALSE(load(cx, 0, *e));
  // Host values naming no case, or with a payload the case lacks.
  EXPECT_FALSE(store(cx, Value::variant("d"), *t, 0));
  EXPECT_FALSE(store(cx, Value::variant("c", Value::boolean(true)), *t, 0));
  EXPECT_FALSE(store(cx, Value::variant("a"), *t, 0));
}

TEST(AbiMemory, OptionResultEnum) {
  HeapContext cx(64, StringEncoding::Utf8, 32);
  auto o = option(u32());
  ASSERT_TRUE(store(cx, Value::some(Value::uint(TypeKind::U32, 7)), *o, 0));
  EXPECT_EQ(at(cx, 0, 8), (B{1, 0, 0, 0, 7, 0, 0, 0}));
  ASSERT_TRUE(store(cx, Value::none(), *o, 8));
  EXPECT_EQ(cx.bytes[8], 0);
  EXPECT_EQ(to_string(*load(cx, 0, *o)), "some(7)");
  EXPECT_EQ(to_string(*load(cx, 8, *o)), "none");

  auto r = result(str(), u8());
  ASSERT_TRUE(store(cx, Value::ok(Value::string("x")), *r, 16));
  EXPECT_EQ(at(cx, 16, 12), (B{0, 0, 0, 0, 32, 0, 0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(cx.bytes[32], 'x');
  EXPECT_EQ(to_string(*load(cx, 16, *r)), "ok(\"x\")");
  ASSERT_TRUE(store(cx, Value::err(Value::uint(TypeKind::U8, 9)), *r, 16));
  EXPECT_EQ(to_string(*load(cx, 16, *r)), "err(9)");

  auto bare = result(nullptr, nullptr);
  ASSERT_TRUE(store(cx, Value::err(), *bare, 0));
  EXPECT_EQ(cx.bytes[0], 1);
  EXPECT_EQ(*load(cx, 0, *bare), Value::err());
}

TEST(AbiMemory, FlagsIgnoreAndZeroUnknownBits) {
  auto f3 = flags({"read", "write", "exec"});
  HeapContext cx(16);
  ASSERT_TRUE(store(cx, Value::flags({"exec", "read"}), *f3, 0));
  EXPECT_EQ(cx.bytes[0], 0b101);
  cx.bytes[1] = 0xFA;  // bits 3.. are beyond the labels
  EXPECT_EQ(to_string(*load(cx, 1, *f3)), "{write}");
  EXPECT_EQ(*load(cx, 0, *f3), Value::flags({"read", "exec"}));
  EXPECT_FALSE(store(cx, Value::flags({"nope"}), *f3, 0));

  auto f12 = flags(numbered("f", 12));
  ASSERT_TRUE(store(cx, Value::flags({"f0", "f11"}), *f12, 2));
  EXPECT_EQ(at(cx, 2, 2), (B{0x01, 0x08}));
  auto f32_ = flags(numbered("f", 32));
  ASSERT_TRUE(store(cx, Value::flags({"f31"}), *f32_, 4));
  EXPECT_EQ(at(cx, 4, 4), (B{0, 0, 0, 0x80}));
  cx.bytes[8] = cx.bytes[9] = 0xFF;
  EXPECT_EQ(load(cx, 8, *f12)->labels.size(), 12u);  // the top 4 bits are ignored
}

TEST(AbiMemory, ListsAllocateThroughRealloc) {
  auto elem = record({{"id", u16()}, {"name", str()}});
  auto t = list(elem);
  HeapContext cx(128, StringEncoding::Utf8, 16);
  Value v = Value::list({Value::record({{"id", Value::uint(TypeKind::U16, 1)}, {"name", Value::string("a")}}),
                         Value::record({{"id", Value::uint(TypeKind::U16, 2)}, {"name", Value::string("bc")}})});
  ASSERT_TRUE(store(cx, v, *t, 0));
  // The list's 2 x 12 bytes first (align 4), then each element's string.
  ASSERT_EQ(cx.calls.size(), 3u);
  EXPECT_EQ(cx.calls[0], (ReallocCall{0, 0, 4, 24, 16}));
  EXPECT_EQ(cx.calls[1], (ReallocCall{0, 0, 1, 1, 40}));
  EXPECT_EQ(cx.calls[2], (ReallocCall{0, 0, 1, 2, 41}));
  EXPECT_EQ(at(cx, 0, 8), (B{16, 0, 0, 0, 2, 0, 0, 0}));
  EXPECT_EQ(at(cx, 16, 24), (B{1, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 41, 0, 0, 0, 2, 0, 0, 0}));
  auto back = load(cx, 0, *t);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v);
  EXPECT_EQ(to_string(*back), "[{id: 1, name: \"a\"}, {id: 2, name: \"bc\"}]");
}

TEST(AbiMemory, FixedLengthListsAreInline) {
  auto t = list(u16(), 3);
  HeapContext cx(16);
  Value v = Value::list({Value::uint(TypeKind::U16, 1), Value::uint(TypeKind::U16, 2), Value::uint(TypeKind::U16, 3)});
  ASSERT_TRUE(store(cx, v, *t, 2));
  EXPECT_TRUE(cx.calls.empty());
  EXPECT_EQ(at(cx, 2, 6), (B{1, 0, 2, 0, 3, 0}));
  EXPECT_EQ(*load(cx, 2, *t), v);
  EXPECT_FALSE(store(cx, Value::list({Value::uint(TypeKind::U16, 1)}), *t, 2));  // wrong length
}

TEST(AbiMemory, ListTraps) {
  auto t = list(u32());
  HeapContext cx(64);
  auto put = [&](uint32_t ptr, uint32_t len) {
    std::memcpy(cx.bytes.data(), &ptr, 4);
    std::memcpy(cx.bytes.data() + 4, &len, 4);
    return load(cx, 0, *t);
  };
  EXPECT_TRUE(put(8, 14));              // 56 bytes at 8: exactly to the end
  EXPECT_FALSE(put(8, 15));             // one element past the end
  EXPECT_FALSE(put(10, 1));             // misaligned for u32
  EXPECT_FALSE(put(8, 0x4000000));      // 2^26 * 4 = 2^28 bytes: over the maximum
  EXPECT_FALSE(put(8, 0xFFFFFFFF));     // no overflow into a small size
  EXPECT_TRUE(put(64, 0));              // empty at the very end
  EXPECT_FALSE(put(65, 0));
  auto big = list(u8());
  uint32_t len = 0x0FFFFFFF;  // 2^28-1 bytes is allowed by size, but out of bounds here
  std::memcpy(cx.bytes.data() + 4, &len, 4);
  auto r = load(cx, 0, *big);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("out of bounds"), std::string::npos);
}

TEST(AbiMemory, TopLevelPointerChecks) {
  HeapContext cx(16);
  EXPECT_FALSE(load(cx, 2, *u32()));   // misaligned
  EXPECT_FALSE(load(cx, 16, *u8()));   // out of bounds
  EXPECT_FALSE(load(cx, 12, *u64()));  // straddles the end
  EXPECT_TRUE(load(cx, 8, *u64()));
  EXPECT_FALSE(store(cx, Value::uint(TypeKind::U32, 1), *u32(), 6));
  EXPECT_FALSE(store(cx, Value::uint(TypeKind::U32, 1), *u32(), 16));
  EXPECT_FALSE(load(cx, UINT64_MAX - 3, *u32()));
}

TEST(AbiMemory, NestedRoundTripAndMemory64) {
  ValType map;
  map.kind = TypeKind::Map;
  map.key = str();
  map.elem = u32();
  auto t = record({{"tags", make(map)},
                   {"shape", variant({{"circle", f64()}, {"rect", tuple({f32(), f32()})}, {"none", nullptr}})},
                   {"opt", option(option(chr()))},
                   {"res", result(list(s8()), nullptr)}});
  Value v = Value::record(
      {{"tags", [] {
          Value m = Value::list({Value::tuple({Value::string("k\xC3\xA9"), Value::uint(TypeKind::U32, 5)})});
          m.kind = TypeKind::Map;
          return m;
        }()},
       {"shape", Value::variant("rect", Value::tuple({Value::float32(1.5f), Value::float32(-2)}))},
       {"opt", Value::some(Value::none())},
       {"res", Value::ok(Value::list({Value::sint(TypeKind::S8, -3), Value::sint(TypeKind::S8, 4)}))}});
  for (PtrType p : {PtrType::I32, PtrType::I64}) {
    HeapContext cx(256, StringEncoding::Utf16, 128);  // the record takes 72 bytes with 64-bit pointers
    cx.ptr_type = p;
    ASSERT_TRUE(store(cx, v, *t, 0));
    auto back = load(cx, 0, *t);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, v);
    EXPECT_EQ(to_string(*back),
              "{tags: [(\"k\xC3\xA9\", 5)], shape: rect((1.5, -2.0)), opt: some(none), res: ok([-3, 4])}");
  }
}

TEST(AbiMemory, HandlesPassThroughOrUseTheTable) {
  auto own = handle(TypeKind::Own, 1);
  HeapContext cx(8);
  ASSERT_TRUE(store(cx, Value::own(5), *own, 0));
  EXPECT_EQ(at(cx, 0, 4), (B{5, 0, 0, 0}));
  EXPECT_EQ(*load(cx, 0, *own), Value::own(5));

  struct Table : HandleTable {
    std::vector<std::string> log;
    Expected<uint32_t, Trap> lift_own(uint32_t i, const ResourceType&) override {
      log.push_back("lift_own " + std::to_string(i));
      if (i == 0) return unexpected(Trap{"no handle 0"});
      return i + 100;
    }
    Expected<uint32_t, Trap> lift_borrow(uint32_t i, const ResourceType&) override { return i + 200; }
    Expected<uint32_t, Trap> lower_own(uint32_t rep, const ResourceType&) override { return rep - 100; }
    Expected<uint32_t, Trap> lower_borrow(uint32_t rep, const ResourceType&) override { return rep - 200; }
  };
  struct WithTable : HeapContext {
    Table table;
    WithTable() : HeapContext(8) {}
    HandleTable* handles() override { return &table; }
  } tcx;
  ASSERT_TRUE(store(tcx, Value::own(105), *own, 0));
  EXPECT_EQ(tcx.bytes[0], 5);
  EXPECT_EQ(*load(tcx, 0, *own), Value::own(105));
  EXPECT_EQ(*load(tcx, 0, *handle(TypeKind::Borrow, 1)), Value::borrow(205));
  tcx.bytes[0] = 0;
  EXPECT_FALSE(load(tcx, 0, *own));
  EXPECT_EQ(tcx.table.log, (std::vector<std::string>{"lift_own 5", "lift_own 0"}));
}

}  // namespace
}  // namespace whirl::component::abi
