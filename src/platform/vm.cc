#include "platform/vm.h"

#include <cstring>

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

namespace whirl::platform {

void* vm_reserve(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

bool vm_commit(void* base, size_t bytes) {
  if (bytes == 0) return true;
  return mprotect(base, bytes, PROT_READ | PROT_WRITE) == 0;
}

void vm_release(void* base, size_t bytes) {
  if (base) munmap(base, bytes);
}

bool vm_discard(void* base, size_t bytes) { return bytes == 0 || madvise(base, bytes, MADV_DONTNEED) == 0; }

bool vm_zero_keeping_resident(void* base, size_t bytes) {
  const size_t page = page_size();
  unsigned char present[256];
  const size_t pages = bytes / page;
  if (pages > sizeof present || mincore(base, bytes, present) != 0) return false;
  auto* p = static_cast<unsigned char*>(base);
  // An absent page may still hold data, in swap: each run of them is
  // dropped (no TLB flush: nothing of them is mapped).
  for (size_t i = 0; i < pages;) {
    size_t j = i;
    while (j < pages && (present[j] & 1) == (present[i] & 1)) ++j;
    if (present[i] & 1) std::memset(p + i * page, 0, (j - i) * page);
    else if (!vm_discard(p + i * page, (j - i) * page)) return false;
    i = j;
  }
  return true;
}

bool vm_decommit(void* base, size_t bytes) {
  if (bytes == 0) return true;
  void* p = mmap(base, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  return p == base;
}

bool vm_map_zero(void* base, size_t bytes) {
  if (bytes == 0) return true;
  void* p = mmap(base, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  return p == base;
}

void vm_advise_huge(void* base, size_t bytes) {
#ifdef MADV_HUGEPAGE
  madvise(base, bytes, MADV_HUGEPAGE);
#else
  (void)base;
  (void)bytes;
#endif
}

void vm_prefault(void* p, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (uintptr_t(p) + page - 1) & ~(page - 1);
  const uintptr_t end = (uintptr_t(p) + bytes) & ~(page - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)p;
  (void)bytes;
#endif
}

size_t page_size() {
  static const size_t page = size_t(sysconf(_SC_PAGESIZE));
  return page;
}

int image_create(uint64_t size, std::span<const ImageChunk> chunks) {
  int fd = memfd_create("whirl-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  auto fail = [fd] {
    close(fd);
    return -1;
  };
  if (ftruncate(fd, off_t(size)) != 0) return fail();  // holes read as zero and cost nothing
  for (const ImageChunk& c : chunks) {
    size_t done = 0;
    while (done < c.bytes.size()) {
      ssize_t n = pwrite(fd, c.bytes.data() + done, c.bytes.size() - done, off_t(c.offset + done));
      if (n <= 0) return fail();
      done += size_t(n);
    }
  }
  // Instances share it: nothing may change it from here on.
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) return fail();
  return fd;
}

void image_close(int fd) {
  if (fd >= 0) close(fd);
}

bool vm_map_image(void* base, int fd, size_t bytes) {
  if (bytes == 0) return true;
  void* p = mmap(base, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
  if (p == base) return true;
  // A failed MAP_FIXED may have unmapped the range: take it back into the reservation.
  mmap(base, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  return false;
}

void heap_return_large_blocks() {
  // A fixed mmap threshold (glibc otherwise raises it as large blocks are
  // freed, up to 32 MiB, and then keeps such blocks in its arenas).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
}

void raise_descriptor_limit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

}  // namespace whirl::platform
