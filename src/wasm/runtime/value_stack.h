// The interpreter's value stacks, one per store, reused from store to
// store. A fresh 8 MiB stack per store cost an allocation the allocator
// unmapped again at once, and page faults on its first frames every time.
//
// A stack is handed out shallow: calls see only its first kShallowSlots
// until one needs more and deepens it (StoreImpl::deepen_stack, on the
// slow path of the interpreter's bounds check). So a stack given back
// undeepened has touched no page beyond them and is kept as it is; one that
// was deepened has the rest of its pages dropped first. What the pool holds
// stays bounded: kMax stacks of kShallowSlots' pages at most.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace whirl::wasm::rt {

class ValueStackPool {
 public:
  static constexpr size_t kSlots = size_t(1) << 20;         // the whole stack: 8 MiB
  static constexpr size_t kShallowSlots = size_t(1) << 15;  // 256 KiB
  static constexpr size_t kMax = 16;

  static ValueStackPool& global();
  // A stack of kSlots slots (throws std::bad_alloc when none can be made).
  uint64_t* take();
  // `deep`: slots past kShallowSlots may have been written.
  void give(uint64_t* stack, bool deep);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<uint64_t*> spare_;
};

}  // namespace whirl::wasm::rt
