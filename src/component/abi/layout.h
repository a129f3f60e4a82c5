// Canonical ABI layout (CanonicalABI.md, "Alignment", "Element Size",
// "Flattening"): where a component value lives in linear memory and which
// core values carry it across a call. Each function mirrors the function of
// the same name in design/mvp/canonical-abi/definitions.py.
//
// The specialized types are laid out as their despecializations, without
// building those types: tuple = record of its elements; enum, option and
// result = variants (enum cases have no payload; option is none|some(t);
// result is ok(t?)|error(e?)); map<k, v> = list<tuple<k, v>>.
//
// The functions assume a type that check_abi_type accepts (the validator's
// job); on any other type they still return without undefined behaviour.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/expected.h"
#include "component/types.h"

namespace whirl::component::abi {

// The address type of the memory named by the canon options (memory64: i64).
enum class PtrType : uint8_t { I32, I64 };
inline uint32_t ptr_size(PtrType p) { return p == PtrType::I32 ? 4 : 8; }

enum class CoreType : uint8_t { I32, I64, F32, F64 };
const char* to_string(CoreType t);

// Limits of the spec (definitions.py).
inline constexpr uint32_t kMaxFlatParams = 16;
inline constexpr uint32_t kMaxFlatAsyncParams = 4;
inline constexpr uint32_t kMaxFlatResults = 1;
inline constexpr uint64_t kMaxStringByteLength = (uint64_t(1) << 28) - 1;
inline constexpr uint64_t kMaxListByteLength = (uint64_t(1) << 28) - 1;
// Not in the spec: recursion over a type is bounded so that a hostile type
// cannot exhaust the native stack (the binary decoder should bound it first).
inline constexpr uint32_t kMaxTypeDepth = 1000;

// The type's shape as the ABI sees it: nothing here depends on labels.
Expected<void> check_abi_type(const ValType& t);

uint64_t align_to(uint64_t ptr, uint64_t alignment);
uint32_t alignment(const ValType& t, PtrType p = PtrType::I32);
uint64_t elem_size(const ValType& t, PtrType p = PtrType::I32);

// Record-like view (record fields; tuple elements).
size_t field_count(const ValType& t);
const ValType* field_type(const ValType& t, size_t i);
// Byte offset of each field from the start of the record or tuple.
std::vector<uint64_t> field_offsets(const ValType& t, PtrType p = PtrType::I32);

// Variant-like view (variant, enum, option, result). A null case type is a
// case without payload.
bool is_variant_like(const ValType& t);
size_t case_count(const ValType& t);
const ValType* case_type(const ValType& t, size_t i);
std::string case_label(const ValType& t, size_t i);
// Size of the discriminant of a variant with n cases (u8 / u16 / u32).
uint32_t discriminant_size(size_t n_cases);
uint32_t max_case_alignment(const ValType& t, PtrType p = PtrType::I32);
// Offset of the payload from the start of the variant.
uint64_t payload_offset(const ValType& t, PtrType p = PtrType::I32);

// Bytes holding flags with n labels (1, 2 or 4; n is 1..32).
uint32_t flags_size(size_t n_labels);

// map<k, v> as the list element type tuple<k, v> (built on each call).
ValTypePtr map_entry_type(const ValType& map);

// Flattening.
std::vector<CoreType> flatten_type(const ValType& t, PtrType p = PtrType::I32);
void flatten_type_into(const ValType& t, PtrType p, std::vector<CoreType>& out);
CoreType join(CoreType a, CoreType b);

struct CoreFuncType {
  std::vector<CoreType> params, results;
  bool operator==(const CoreFuncType&) const = default;
};
enum class FlattenContext : uint8_t { Lift, Lower };
struct FlattenOptions {
  PtrType ptr = PtrType::I32;
  bool async = false;     // the `async` canon option
  bool callback = false;  // the `callback` canon option (async lift only)
};
// The core function type of a lifted (`canon lift`) or lowered (`canon lower`)
// function: more than 16 flat params go through memory (one pointer), more
// than 1 flat result too (lift: returned pointer; lower: pointer parameter).
CoreFuncType flatten_functype(const FuncType& ft, FlattenContext cx, FlattenOptions opts = {});

}  // namespace whirl::component::abi
