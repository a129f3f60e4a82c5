// Canonical ABI lifting and lowering (CanonicalABI.md, "Loading", "Storing",
// "Flat Lifting", "Flat Lowering", "Lifting and Lowering Values"): component
// values to and from a linear memory and flat core values, rule for rule as
// design/mvp/canonical-abi/definitions.py.
//
// Traps are values. Where definitions.py traps, these functions return a
// Trap; where it merely asserts (the caller's obligation: a value that does
// not match its type, a top-level pointer out of bounds), they return a
// Trap too, so a host mistake cannot corrupt memory either.
//
// Floats follow the deterministic profile: lifting canonicalizes every NaN
// (canonicalize_nan32/64) and lowering writes the canonical NaN
// (maybe_scramble_nan with DETERMINISTIC_PROFILE).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/expected.h"
#include "component/abi/layout.h"
#include "component/abi/value.h"
#include "component/types.h"

namespace whirl::component::abi {

struct Trap {
  std::string message;
  std::optional<int32_t> exit_code = {};  // not a fault: a host function ended the guest (wasi:cli/exit)
};

enum class StringEncoding : uint8_t { Utf8, Utf16, Latin1Utf16 };

// Resource handles cross the boundary as indices into the handle table of
// the instance on the other side. This interface is that table; it applies
// the own/borrow rules of lift_own, lift_borrow, lower_own and lower_borrow.
// Lifting gives the resource's representation, lowering takes one.
class HandleTable {
 public:
  virtual ~HandleTable() = default;
  virtual Expected<uint32_t, Trap> lift_own(uint32_t index, const ResourceType& rt) = 0;
  virtual Expected<uint32_t, Trap> lift_borrow(uint32_t index, const ResourceType& rt) = 0;
  virtual Expected<uint32_t, Trap> lower_own(uint32_t rep, const ResourceType& rt) = 0;
  virtual Expected<uint32_t, Trap> lower_borrow(uint32_t rep, const ResourceType& rt) = 0;
};

// One side of a call: its memory, realloc and canon options
// (definitions.py's LiftLowerContext). memory() is asked again after every
// realloc, which may grow it.
class CallContext {
 public:
  virtual ~CallContext() = default;
  virtual std::span<uint8_t> memory() = 0;
  // The `realloc` canon option: (old_ptr, old_size, align, new_size) -> ptr.
  virtual Expected<uint64_t, Trap> realloc(uint64_t old_ptr, uint64_t old_size, uint64_t align,
                                           uint64_t new_size) = 0;
  // Null: handles pass through unchanged (value.u is the index either way).
  virtual HandleTable* handles() { return nullptr; }

  StringEncoding encoding = StringEncoding::Utf8;
  PtrType ptr_type = PtrType::I32;
};

// A core wasm value: i32 and f32 in the low 32 bits (upper bits zero), f32
// and f64 as their bit patterns.
struct CoreValue {
  CoreType type = CoreType::I32;
  uint64_t bits = 0;

  static CoreValue i32(uint32_t v) { return {CoreType::I32, v}; }
  static CoreValue i64(uint64_t v) { return {CoreType::I64, v}; }
  static CoreValue f32(float v);
  static CoreValue f64(double v);
  float as_f32() const;
  double as_f64() const;
  bool operator==(const CoreValue&) const = default;
};
std::string to_string(const CoreValue& v);  // "i32:7", "f32:0x7fc00000"

// definitions.py's CoreValueIter over a span of core values; a value of
// another type than the one expected, or running out, is a Trap (the
// caller's mistake).
class FlatReader {
 public:
  explicit FlatReader(std::span<const CoreValue> vs) : vs_(vs) {}
  virtual ~FlatReader() = default;
  virtual Expected<uint64_t, Trap> next(CoreType want);
  bool done() const { return pos_ == vs_.size(); }

 private:
  std::span<const CoreValue> vs_;
  size_t pos_ = 0;
};

// load / store one value at ptr, which must be aligned for t and leave
// elem_size(t) bytes in memory.
Expected<Value, Trap> load(CallContext& cx, uint64_t ptr, const ValType& t);
Expected<void, Trap> store(CallContext& cx, const Value& v, const ValType& t, uint64_t ptr);

// One value from / to its flat core values (flatten_type(t)).
Expected<Value, Trap> lift_flat(CallContext& cx, FlatReader& in, const ValType& t);
Expected<void, Trap> lower_flat(CallContext& cx, const Value& v, const ValType& t, std::vector<CoreValue>& out);

// A parameter or result list: flat when it flattens to at most max_flat core
// values, else through memory as a tuple (lift: a pointer read from `in`;
// lower: `out_ptr` when the caller supplied one, else realloc'd and
// returned as the only flat value). `flat32`: how many flat values `ts`
// make with 32-bit pointers, when the caller knows it (a call's signature
// keeps it), so that a call does not flatten the types again.
Expected<std::vector<Value>, Trap> lift_flat_values(CallContext& cx, uint32_t max_flat, FlatReader& in,
                                                    std::span<const ValTypePtr> ts,
                                                    std::optional<size_t> flat32 = std::nullopt);
Expected<std::vector<CoreValue>, Trap> lower_flat_values(CallContext& cx, uint32_t max_flat,
                                                         std::span<const Value> vs,
                                                         std::span<const ValTypePtr> ts,
                                                         std::optional<uint64_t> out_ptr = std::nullopt,
                                                         std::optional<size_t> flat32 = std::nullopt);

// Strings alone (load_string_from_range / store_string_into_range):
// (ptr, tagged code units) in the context's encoding.
Expected<Value, Trap> load_string_from_range(CallContext& cx, uint64_t ptr, uint64_t tagged_code_units);
struct StoredString {
  uint64_t ptr = 0, tagged_code_units = 0;
};
Expected<StoredString, Trap> store_string_into_range(CallContext& cx, const Value& s);

}  // namespace whirl::component::abi
