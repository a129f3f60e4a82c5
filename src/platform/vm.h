// Virtual memory for linear memories: reserve address space once, make
// pages accessible as the memory grows, so the base pointer never moves.
#pragma once

#include <cstddef>
#include <cstdint>

namespace whirl::platform {

// Reserves `bytes` of inaccessible address space; null on failure.
void* vm_reserve(size_t bytes);
// Makes [base, base + bytes) readable and writable (zero-filled); false on failure.
bool vm_commit(void* base, size_t bytes);
void vm_release(void* base, size_t bytes);

}  // namespace whirl::platform
