#include "wasm/aot/layout.h"

#include <cstddef>
#include <vector>

#include "wasm/runtime/objects.h"

namespace whirl::wasm::aot {

// offsetof on the runtime's classes (polymorphic, so not standard-layout):
// GCC and Clang lay them out as the ABI does and compute it right.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
const Layout& layout() {
  using namespace rt;
  static const Layout l = [] {
    Layout x{};
    x.func_native = offsetof(FuncImpl, native);
    x.func_instance = offsetof(FuncImpl, instance);
    x.func_type_id = offsetof(FuncImpl, type_id);
    x.instance_vm = offsetof(InstanceImpl, vm);
    x.vm_mem0 = offsetof(VmContext, mem0);
    x.vm_funcs = offsetof(VmContext, funcs);
    x.vm_globals = offsetof(VmContext, globals);
    x.vm_tables = offsetof(VmContext, tables);
    x.vm_memories = offsetof(VmContext, memories);
    x.vm_type_ids = offsetof(VmContext, type_ids);
    x.vm_store = offsetof(VmContext, store);
    x.vm_stack_limit = offsetof(VmContext, stack_limit);
    x.global_value = offsetof(GlobalImpl, value);
    x.memory_base = offsetof(MemoryImpl, base);
    x.memory_size = offsetof(MemoryImpl, size);
    x.table_elems = offsetof(TableImpl, elems);
    x.store_tick_flags = offsetof(StoreImpl, tick_flags);

    return x;
  }();
  return l;
}
#pragma GCC diagnostic pop

uint64_t Layout::hash() const {
  // FNV-1a over the fields.
  const auto* p = reinterpret_cast<const uint8_t*>(this);
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < sizeof(Layout); ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

}  // namespace whirl::wasm::aot
