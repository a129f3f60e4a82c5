// The runtime functions compiled code calls (by name: the code loader
// resolves them), each on a path off the common case: traps, fuel and
// interrupts, memory and table instructions with bounds to check, calls to
// functions without native code. One row per function: the translator
// declares them from this table and the loader resolves them from it.
#pragma once

#include <cstdint>
#include <string_view>

namespace whirl::wasm::rt {
struct VmContext;
class FuncImpl;
}  // namespace whirl::wasm::rt

namespace whirl::wasm::aot {

// X(name, return type, parameter types...) with types as letters:
// v void, i i32, l i64, p pointer.
#define WHIRL_AOT_RUNTIME_CALLS(X)                  \
  X(trap, v, p, i)                                  \
  X(trap_element, v, p, i)                          \
  X(tick, v, p)                                     \
  X(call_slow, v, p, p, p)                          \
  X(memory_grow, i, p, i, i)                        \
  X(memory_fill, v, p, i, i, i, i)                  \
  X(memory_copy, v, p, i, i, i, i, i)               \
  X(memory_init, v, p, i, i, i, i, i)               \
  X(data_drop, v, p, i)                             \
  X(table_get, l, p, i, i)                          \
  X(table_set, v, p, i, i, l)                       \
  X(table_size, i, p, i)                            \
  X(table_grow, i, p, i, l, i)                      \
  X(table_fill, v, p, i, i, l, i)                   \
  X(table_copy, v, p, i, i, i, i, i)                \
  X(table_init, v, p, i, i, i, i, i)                \
  X(elem_drop, v, p, i)

enum class RuntimeCall : uint8_t {
#define WHIRL_AOT_ENUM(name, ...) name,
  WHIRL_AOT_RUNTIME_CALLS(WHIRL_AOT_ENUM)
#undef WHIRL_AOT_ENUM
      Count_
};

// "whirl_aot_<name>" and its signature letters (return first).
std::string_view runtime_call_name(RuntimeCall c);
std::string_view runtime_call_sig(RuntimeCall c);
// Its address, for the loader (0 for an unknown name).
uintptr_t runtime_call_address(std::string_view symbol);

}  // namespace whirl::wasm::aot
