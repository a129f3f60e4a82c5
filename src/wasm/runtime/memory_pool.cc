#include "wasm/runtime/memory_pool.h"

#include <algorithm>

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

MemoryPool::Slot MemoryPool::take_any() {
  std::lock_guard lock(mu_);
  if (slots_.empty()) return {};
  Slot s = slots_.back();
  slots_.pop_back();
  return s;
}

bool MemoryPool::prepare_again(const Slot& s, int fd, uint64_t image_bytes, uint64_t committed) {
  // What it holds: [0, s.image_bytes) the old image, zero pages up to
  // s.committed (give() dropped what was written), the rest inaccessible.
  const uint64_t mapped = fd >= 0 ? image_bytes : 0;
  if (mapped && !platform::vm_map_image(s.base, fd, mapped)) return false;
  const uint64_t old_image_end = s.image_id ? s.image_bytes : 0;
  if (old_image_end > mapped &&
      !platform::vm_map_zero(s.base + mapped, std::min(old_image_end, committed) - std::min(mapped, committed)))
    return false;
  const uint64_t writable = std::max(mapped, std::min(s.committed, committed));
  if (committed > writable && !platform::vm_commit(s.base + writable, committed - writable)) return false;
  if (s.committed > committed && !platform::vm_decommit(s.base + committed, s.committed - committed)) return false;
  return true;
}

void MemoryPool::give(uint8_t* base, uint64_t reserved, uint64_t size, uint64_t image_id, uint64_t image_bytes,
                      uint64_t initial) {
  // Up to its initial size: the pages just past the image (where a C
  // program's stack and first heap pages are) are zeroed in place, the
  // image's pages and the rest dropped. Grown pages go with decommitting.
  auto reset = [&] {
    const uint64_t keep_end = std::min(initial, image_bytes + kKeepResident);
    if (keep_end > image_bytes && platform::vm_zero_keeping_resident(base + image_bytes, keep_end - image_bytes))
      return platform::vm_discard(base, image_bytes) && platform::vm_discard(base + keep_end, initial - keep_end);
    return platform::vm_discard(base, initial);
  };
  bool keep = size >= initial && reset() && (size == initial || platform::vm_decommit(base + initial, size - initial));
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
