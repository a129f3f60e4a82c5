// Virtual memory for linear memories: reserve address space once, make
// pages accessible as the memory grows, so the base pointer never moves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace whirl::platform {

// Reserves `bytes` of inaccessible address space; null on failure.
void* vm_reserve(size_t bytes);
// Makes [base, base + bytes) readable and writable (zero-filled); false on failure.
bool vm_commit(void* base, size_t bytes);
void vm_release(void* base, size_t bytes);
// Drops the pages of [base, base + bytes) (MADV_DONTNEED): anonymous pages
// read as zero again, private file pages as the file; access stays as it is.
bool vm_discard(void* base, size_t bytes);
// Makes anonymous [base, base + bytes) (a page multiple, at most 256 pages)
// read zero, keeping its present pages: they are zeroed in place and stay
// resident, so the next user neither faults them in again nor makes the
// kernel flush other CPUs' TLBs, as dropping them would; absent ones are
// dropped (a page in swap is absent but not zero). False: it could not
// (the caller drops the range instead).
bool vm_zero_keeping_resident(void* base, size_t bytes);
// Makes [base, base + bytes) inaccessible again, its pages dropped.
bool vm_decommit(void* base, size_t bytes);
// Makes [base, base + bytes) fresh zero pages, readable and writable,
// whatever was mapped there (a file's pages included).
bool vm_map_zero(void* base, size_t bytes);
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

// Memory images: the initial contents of a linear memory, built once and
// mapped copy-on-write by every instance, so its pages are neither copied
// nor made present until an instance touches them.
struct ImageChunk {
  uint64_t offset = 0;
  std::span<const uint8_t> bytes;
};
// A sealed memfd of `size` bytes (a multiple of the page size), zero but
// for `chunks` (written in order, later ones over earlier ones); -1 where
// memfd_create or writing it fails (callers copy instead).
int image_create(uint64_t size, std::span<const ImageChunk> chunks);
void image_close(int fd);
// Maps the first `bytes` (page-aligned) of image `fd` readable, writable
// and private at `base`, over what is there (part of a reservation).
bool vm_map_image(void* base, int fd, size_t bytes);
size_t page_size();

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
