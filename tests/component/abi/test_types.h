// Shared helpers of the Canonical ABI tests: type builders and a call
// context over a byte vector whose realloc is a bump allocator that records
// every call (as run_tests.py's Heap does).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "component/abi/lift_lower.h"
#include "component/types.h"

namespace whirl::component::abi::test {

inline ValTypePtr prim(TypeKind k) { return primitive(k); }
inline ValTypePtr u8() { return prim(TypeKind::U8); }
inline ValTypePtr u16() { return prim(TypeKind::U16); }
inline ValTypePtr u32() { return prim(TypeKind::U32); }
inline ValTypePtr u64() { return prim(TypeKind::U64); }
inline ValTypePtr s8() { return prim(TypeKind::S8); }
inline ValTypePtr s16() { return prim(TypeKind::S16); }
inline ValTypePtr s32() { return prim(TypeKind::S32); }
inline ValTypePtr s64() { return prim(TypeKind::S64); }
inline ValTypePtr f32() { return prim(TypeKind::F32); }
inline ValTypePtr f64() { return prim(TypeKind::F64); }
inline ValTypePtr boolean() { return prim(TypeKind::Bool); }
inline ValTypePtr chr() { return prim(TypeKind::Char); }
inline ValTypePtr str() { return prim(TypeKind::String); }

inline ValTypePtr make(ValType t) { return std::make_shared<const ValType>(std::move(t)); }

inline ValTypePtr list(ValTypePtr e, std::optional<uint32_t> n = std::nullopt) {
  ValType t;
  t.kind = TypeKind::List;
  t.elem = std::move(e);
  t.fixed_length = n;
  return make(std::move(t));
}
inline ValTypePtr record(std::vector<std::pair<std::string, ValTypePtr>> fs) {
  ValType t;
  t.kind = TypeKind::Record;
  for (auto& [l, ft] : fs) t.fields.push_back({l, ft});
  return make(std::move(t));
}
inline ValTypePtr tuple(std::vector<ValTypePtr> es) {
  ValType t;
  t.kind = TypeKind::Tuple;
  t.elems = std::move(es);
  return make(std::move(t));
}
inline ValTypePtr variant(std::vector<std::pair<std::string, ValTypePtr>> cs) {
  ValType t;
  t.kind = TypeKind::Variant;
  for (auto& [l, ct] : cs) t.cases.push_back({l, ct});
  return make(std::move(t));
}
inline ValTypePtr labels_type(TypeKind k, std::vector<std::string> ls) {
  ValType t;
  t.kind = k;
  t.labels = std::move(ls);
  return make(std::move(t));
}
inline ValTypePtr enumeration(std::vector<std::string> ls) { return labels_type(TypeKind::Enum, std::move(ls)); }
inline ValTypePtr flags(std::vector<std::string> ls) { return labels_type(TypeKind::Flags, std::move(ls)); }
inline std::vector<std::string> numbered(const std::string& prefix, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}
inline ValTypePtr option(ValTypePtr e) {
  ValType t;
  t.kind = TypeKind::Option;
  t.elem = std::move(e);
  return make(std::move(t));
}
inline ValTypePtr result(ValTypePtr ok, ValTypePtr err) {
  ValType t;
  t.kind = TypeKind::Result;
  t.ok = std::move(ok);
  t.err = std::move(err);
  return make(std::move(t));
}
inline ValTypePtr handle(TypeKind k, uint32_t id) {
  ValType t;
  t.kind = k;
  auto rt = std::make_shared<ResourceType>();
  rt->id = id;
  t.resource = rt;
  return make(std::move(t));
}

struct ReallocCall {
  uint64_t old_ptr, old_size, align, new_size, result;
  bool operator==(const ReallocCall&) const = default;
};

// run_tests.py's Heap: shrinking in place keeps the pointer, anything else
// bumps and copies the old bytes; allocations past the end trap.
class HeapContext : public CallContext {
 public:
  explicit HeapContext(size_t size, StringEncoding enc = StringEncoding::Utf8, uint64_t first = 0)
      : bytes(size, 0), last_alloc(first) {
    encoding = enc;
  }
  std::span<uint8_t> memory() override { return bytes; }
  Expected<uint64_t, Trap> realloc(uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size) override {
    uint64_t ret;
    if (old_ptr != 0 && new_size < old_size) {
      ret = (old_ptr + align - 1) / align * align;
    } else {
      ret = (last_alloc + align - 1) / align * align;
      last_alloc = ret + new_size;
      if (last_alloc > bytes.size()) return unexpected(Trap{"heap exhausted"});
      for (uint64_t i = 0; i < old_size; ++i) bytes[ret + i] = bytes[old_ptr + i];
    }
    calls.push_back({old_ptr, old_size, align, new_size, ret + misalign});
    return ret + misalign;
  }

  std::vector<uint8_t> bytes;
  uint64_t last_alloc;
  uint64_t misalign = 0;  // added to every result, to test alignment traps
  std::vector<ReallocCall> calls;
};

inline std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace whirl::component::abi::test

namespace whirl::component::abi {
// Readable failures in GoogleTest.
inline void PrintTo(const CoreValue& v, std::ostream* os) { *os << to_string(v); }
inline void PrintTo(const Value& v, std::ostream* os) { *os << to_string(v); }
}  // namespace whirl::component::abi
