#include "wasm/runtime/value_stack.h"

#include <new>

#include "platform/vm.h"

namespace whirl::wasm::rt {

namespace {
constexpr size_t kBytes = ValueStackPool::kSlots * sizeof(uint64_t);
constexpr size_t kShallowBytes = ValueStackPool::kShallowSlots * sizeof(uint64_t);
}  // namespace

ValueStackPool& ValueStackPool::global() {
  static ValueStackPool* pool = new ValueStackPool;  // never destroyed: stores may outlive statics
  return *pool;
}

uint64_t* ValueStackPool::take() {
  {
    std::lock_guard lock(mu_);
    if (!spare_.empty()) {
      uint64_t* s = spare_.back();
      spare_.pop_back();
      return s;
    }
  }
  void* p = platform::vm_reserve(kBytes);
  if (!p) throw std::bad_alloc();
  if (!platform::vm_commit(p, kBytes)) {
    platform::vm_release(p, kBytes);
    throw std::bad_alloc();
  }
  return static_cast<uint64_t*>(p);
}

void ValueStackPool::give(uint64_t* stack, bool deep) {
  if (!stack) return;
  if (deep && !platform::vm_discard(reinterpret_cast<uint8_t*>(stack) + kShallowBytes, kBytes - kShallowBytes)) {
    platform::vm_release(stack, kBytes);
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (spare_.size() < kMax) {
      spare_.push_back(stack);
      return;
    }
  }
  platform::vm_release(stack, kBytes);
}

size_t ValueStackPool::size() const {
  std::lock_guard lock(mu_);
  return spare_.size();
}

}  // namespace whirl::wasm::rt
