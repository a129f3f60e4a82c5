// Component-model value and function types (design/mvp/Explainer.md,
// "Type definitions"), as the binary decoder produces them and the
// Canonical ABI consumes them. Types are immutable trees shared by
// shared_ptr: a decoded component's type index space holds them, and a
// record field or list element points to its type.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace whirl::component {

enum class TypeKind : uint8_t {
  // primitive value types
  Bool, S8, U8, S16, U16, S32, U32, S64, U64, F32, F64, Char, String, ErrorContext,
  // defined value types
  List,     // `elem`; `fixed_length` for (list t N)
  Record,   // `fields`
  Tuple,    // `elems`
  Variant,  // `cases`
  Enum,     // `labels`
  Flags,    // `labels` (at most 32)
  Option,   // `elem`
  Result,   // `ok`, `err` (each may be absent)
  Own,      // `resource`
  Borrow,   // `resource`
  Stream,   // `elem` may be absent (async; WASI 0.3)
  Future,   // `elem` may be absent (async; WASI 0.3)
  Map,      // `key`, `elem`
};

struct ValType;
using ValTypePtr = std::shared_ptr<const ValType>;

struct Field {
  std::string label;
  ValTypePtr type;
};

struct Case {
  std::string label;
  ValTypePtr type;  // null: a case without payload
};

// A resource type's identity: each `(resource ...)` definition, and each
// imported resource type, is a distinct resource at instantiation.
struct ResourceType {
  uint32_t id = 0;           // unique within a process
  bool host_defined = false; // else defined by a component instance (owns the rep)
};

// Canonical ABI facts of an aggregate type for 32-bit memories, computed
// on first use by abi/layout.cc and kept: calls lift and lower the same
// types again and again (wasi:http's error-code variant has 39 cases).
// Types are immutable once built; threads that race store the same
// values. A copy starts empty.
struct AbiCache {
  std::atomic<uint32_t> align{0};       // 0: not computed
  std::atomic<uint32_t> case_align{0};  // variants: the largest case alignment; 0: not computed
  std::atomic<uint64_t> size{~0ull};    // ~0: not computed
  // Flat types: bit 63 set once computed; bits 32..47 the count; bits
  // 0..31 the first 16 types, 2 bits each (abi::CoreType).
  std::atomic<uint64_t> flat{0};
  AbiCache() = default;
  AbiCache(const AbiCache&) {}
  AbiCache& operator=(const AbiCache&) {
    align = 0, case_align = 0, size = ~0ull, flat = 0;
    return *this;
  }
};

struct ValType {
  TypeKind kind = TypeKind::Bool;
  ValTypePtr elem;                    // List, Option, Stream, Future, Map (the value)
  ValTypePtr key;                     // Map
  std::optional<uint32_t> fixed_length;  // List (list t N)
  std::vector<Field> fields;          // Record
  std::vector<ValTypePtr> elems;      // Tuple
  std::vector<Case> cases;            // Variant
  std::vector<std::string> labels;    // Enum, Flags
  ValTypePtr ok, err;                 // Result (null: absent)
  std::shared_ptr<const ResourceType> resource;  // Own, Borrow
  mutable AbiCache abi32;             // see AbiCache

  bool is_primitive() const { return kind <= TypeKind::ErrorContext; }
};

// (func (param ...)* (result t)?)
struct FuncType {
  std::vector<Field> params;
  ValTypePtr result;  // null: no result
  bool async = false;
};

// Shared instances of the primitive types.
ValTypePtr primitive(TypeKind k);

// "u32", "list<string>", "record { a: u8 }": WIT-like text for messages.
std::string to_string(const ValType& t);

// Names the printer uses instead of a type's structure, as WIT text refers
// to declared types (`whirl inspect`): a function returning "" for a type
// or resource it does not name. With names, an owned handle of a named
// resource prints as the name and a borrowed one as `borrow<name>` (WIT).
struct TypeNames {
  std::function<std::string(const ValType&)> type;
  std::function<std::string(const ResourceType&)> resource;
};
std::string to_string(const ValType& t, const TypeNames& names);

}  // namespace whirl::component
