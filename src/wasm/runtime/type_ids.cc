// Canonical function-type ids, so call_indirect's signature check is one
// integer compare (types are structural: equal types from different modules
// get the same id).
#include <map>
#include <mutex>

#include "wasm/runtime/objects.h"

namespace whirl::wasm::rt {

uint32_t intern_func_type(const FuncType& t) {
  static std::mutex mu;
  static std::map<std::pair<std::vector<ValType>, std::vector<ValType>>, uint32_t> ids;
  std::lock_guard<std::mutex> lock(mu);
  auto [it, added] = ids.try_emplace({t.params, t.results}, uint32_t(ids.size()));
  return it->second;
}

}  // namespace whirl::wasm::rt

namespace whirl::wasm {
uint32_t func_type_id(const FuncType& t) { return rt::intern_func_type(t); }
}  // namespace whirl::wasm
