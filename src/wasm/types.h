// Core WebAssembly types shared by every phase.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace whirl::wasm {

// Value types use their binary encoding as the enumerator value.
enum class ValType : uint8_t {
  I32 = 0x7f,
  I64 = 0x7e,
  F32 = 0x7d,
  F64 = 0x7c,
  V128 = 0x7b,
  FuncRef = 0x70,
  ExternRef = 0x6f,
};

inline bool is_ref(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }
inline bool is_num(ValType t) {
  return t == ValType::I32 || t == ValType::I64 || t == ValType::F32 || t == ValType::F64;
}
const char* to_string(ValType t);  // "i32", "funcref", ...

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};
std::string to_string(const FuncType& t);  // "[i32 i32] -> [i64]"

struct Limits {
  uint32_t min = 0;
  std::optional<uint32_t> max;
  bool operator==(const Limits&) const = default;
};

struct TableType {
  ValType elem = ValType::FuncRef;
  Limits limits;
  bool operator==(const TableType&) const = default;
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
  bool shared = false;  // the threads proposal's flag (no atomics: the type only)
  bool operator==(const MemoryType&) const = default;
};

struct GlobalType {
  ValType type = ValType::I32;
  bool mut = false;
  bool operator==(const GlobalType&) const = default;
};

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 };
const char* to_string(ExternKind k);  // "func", "table", "memory", "global", "tag"

constexpr uint32_t kPageSize = 65536;
constexpr uint32_t kMaxPages = 65536;  // 4 GiB for a 32-bit memory

}  // namespace whirl::wasm
