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
// Makes the whole pages inside [p, p + bytes) present and writable now, in
// one call, before a large copy into them: in a VM each page fault costs
// microseconds, so faulting 20 MB page by page costs more than the copy. A
// hint: without MADV_POPULATE_WRITE (Linux < 5.14) the copy faults as before.
void vm_prefault(void* p, size_t bytes);
// Asks for transparent huge pages over [base, base + bytes) (MADV_HUGEPAGE):
// 2 MiB pages wherever a whole aligned 2 MiB is committed, so a large memory
// takes a page fault per 2 MiB and fewer TLB misses; its resident size grows
// in 2 MiB steps. A hint: ignored where the kernel has THP off.
void vm_advise_huge(void* base, size_t bytes);

// For servers: the C heap gives large freed blocks back to the system at
// once instead of keeping them in per-thread arenas. Request-sized buffers
// (a guest's captured output, bodies) would otherwise stay resident after a
// burst, per worker thread.
void heap_return_large_blocks();

// Raises this process's soft limit on open descriptors to its hard limit
// (as Go and Node do at startup): every guest's files and every connection
// share it, and the usual soft default of 1024 is for one program.
void raise_descriptor_limit();

}  // namespace whirl::platform
