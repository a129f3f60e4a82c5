// Host calls and traps for the interpreter (host_call.cc).
#pragma once

#include <optional>

#include "wasm/runtime/objects.h"

namespace whirl::wasm::rt {

// Calls host function f with the arguments in args_results[0, params) and
// writes its results over them.
std::optional<Trap> call_host(StoreImpl& s, FuncImpl* f, InstanceImpl* caller, uint64_t* args_results);

// A trap whose backtrace is the functions of frames[first, end) innermost
// first, then the entry function.
Trap make_trap(TrapCode code, const InterpFrame* frames, size_t first, size_t end, FuncImpl* entry);

}  // namespace whirl::wasm::rt
