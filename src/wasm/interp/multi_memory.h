// Accesses to memories other than 0 (code.h's kAccessMulti, kBulkMulti),
// out of line: the interpreter loop keeps only two small handlers for them.
#pragma once

#include <cstdint>

#include "wasm/interp/code.h"

namespace whirl::wasm::rt {
class InstanceImpl;
}

namespace whirl::wasm::interp {

// Run the load, store or memory instruction `in` on frame `fp`; false when
// it is out of bounds (nothing was written then).
bool access_other_memory(rt::InstanceImpl& inst, uint64_t* fp, const Ins& in);
bool bulk_other_memory(rt::InstanceImpl& inst, uint64_t* fp, const Ins& in);

}  // namespace whirl::wasm::interp
