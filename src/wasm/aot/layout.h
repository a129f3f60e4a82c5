// Where compiled code finds the runtime's fields: byte offsets into the
// runtime objects (objects.h) that the translator bakes into the code. An
// artifact records their hash, so code built against another layout is
// recompiled, never run.
#pragma once

#include <cstdint>

namespace whirl::wasm::aot {

struct Layout {
  uint32_t func_native, func_instance, func_type_id;
  uint32_t instance_vm;
  uint32_t vm_mem0, vm_funcs, vm_globals, vm_tables, vm_memories, vm_type_ids, vm_store, vm_stack_limit;
  uint32_t global_value;
  uint32_t memory_base, memory_size;
  uint32_t table_elems;  // a std::vector<uint64_t>: begin and end pointers first
  uint32_t store_tick_flags;
  uint64_t hash() const;
};

const Layout& layout();

}  // namespace whirl::wasm::aot
