#include "platform/vm.h"

#include <sys/mman.h>

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

}  // namespace whirl::platform
