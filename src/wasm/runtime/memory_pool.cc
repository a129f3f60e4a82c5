#include "wasm/runtime/memory_pool.h"

#include "platform/vm.h"

namespace whirl::wasm::rt {

MemoryPool& MemoryPool::global() {
  static MemoryPool* pool = new MemoryPool;  // never destroyed: memories may be freed during exit
  return *pool;
}

uint8_t* MemoryPool::take(uint64_t image_id, uint64_t image_bytes, uint64_t committed) {
  std::lock_guard lock(mu_);
  for (size_t i = slots_.size(); i-- > 0;) {
    const Slot& s = slots_[i];
    if (s.image_id != image_id || s.image_bytes != image_bytes || s.committed != committed) continue;
    uint8_t* base = s.base;
    slots_.erase(slots_.begin() + ptrdiff_t(i));
    return base;
  }
  return nullptr;
}

void MemoryPool::give(uint8_t* base, uint64_t reserved, uint64_t size, uint64_t image_id, uint64_t image_bytes,
                      uint64_t initial) {
  bool keep = size >= initial && platform::vm_discard(base, size) &&
              (size == initial || platform::vm_decommit(base + initial, size - initial));
  Slot evicted;
  if (keep) {
    std::lock_guard lock(mu_);
    if (slots_.size() >= kMaxSlots) {
      evicted = slots_.front();
      slots_.erase(slots_.begin());
    }
    slots_.push_back(Slot{base, image_id, image_bytes, initial});
  } else {
    platform::vm_release(base, reserved);
  }
  if (evicted.base) platform::vm_release(evicted.base, reserved);
}

size_t MemoryPool::size() const {
  std::lock_guard lock(mu_);
  return slots_.size();
}

}  // namespace whirl::wasm::rt
