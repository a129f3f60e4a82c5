// Bounds-checked little-endian access to a CallContext's memory, shared by
// the lift/lower and string code (internal to src/component/abi).
#pragma once

#include <cstring>
#include <string>

#include "component/abi/lift_lower.h"

namespace whirl::component::abi::detail {

inline Unexpected<Trap> trap(std::string message) { return unexpected(Trap{std::move(message)}); }

inline bool in_range(size_t mem_size, uint64_t ptr, uint64_t len) {
  return ptr <= mem_size && len <= mem_size - ptr;
}

inline Expected<void, Trap> check_range(CallContext& cx, uint64_t ptr, uint64_t len) {
  size_t size = cx.memory().size();
  if (!in_range(size, ptr, len))
    return trap("out of bounds: " + std::to_string(len) + " bytes at " + std::to_string(ptr) +
                " in a memory of " + std::to_string(size) + " bytes");
  return {};
}

inline Expected<void, Trap> check_aligned(uint64_t ptr, uint64_t alignment, const char* what) {
  if (alignment > 1 && ptr % alignment != 0)
    return trap(std::string("misaligned ") + what + " pointer " + std::to_string(ptr) + " (alignment " +
                std::to_string(alignment) + ")");
  return {};
}

inline Expected<uint64_t, Trap> read_uint(CallContext& cx, uint64_t ptr, uint32_t n) {
  WHIRL_TRY(check_range(cx, ptr, n));
  const uint8_t* p = cx.memory().data() + ptr;
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

inline Expected<void, Trap> write_uint(CallContext& cx, uint64_t ptr, uint32_t n, uint64_t v) {
  WHIRL_TRY(check_range(cx, ptr, n));
  uint8_t* p = cx.memory().data() + ptr;
  for (uint32_t i = 0; i < n; ++i) p[i] = uint8_t(v >> (8 * i));
  return {};
}

inline Expected<void, Trap> write_bytes(CallContext& cx, uint64_t ptr, const void* src, size_t n) {
  WHIRL_TRY(check_range(cx, ptr, n));
  if (n) std::memcpy(cx.memory().data() + ptr, src, n);
  return {};
}

}  // namespace whirl::component::abi::detail
