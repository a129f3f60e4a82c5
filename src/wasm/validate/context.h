// Shared state of one module's validation.
#pragma once

#include <unordered_set>

#include "common/expected.h"
#include "wasm/module.h"

namespace whirl::wasm {

struct ValidationContext {
  const Module& module;
  // C.refs: functions referenced outside function bodies (ref.func is only
  // valid on these).
  std::unordered_set<uint32_t> declared_refs;
};

Expected<void> validate_function(const ValidationContext& c, uint32_t func_index, const Function& f);

}  // namespace whirl::wasm
