// An append-only list whose elements never move (what std::deque gives
// for emplace_back), in chunks that double in size from `First` elements:
// a store or a component instance made per request appends tens of
// objects, and std::deque's 512-byte chunks cost an allocation every few
// of them. Elements are destroyed first to last, as std::deque does.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace whirl {

template <class T, size_t First = 16>
class ChunkedList {
 public:
  ChunkedList() = default;
  ChunkedList(const ChunkedList&) = delete;
  ChunkedList& operator=(const ChunkedList&) = delete;
  ~ChunkedList() { clear(); }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (chunks_.empty() || used_ == chunks_.back().capacity) grow();
    Chunk& c = chunks_.back();
    T* p = ::new (static_cast<void*>(c.slots.get() + used_)) T(std::forward<Args>(args)...);
    ++used_;
    return *p;
  }

  size_t size() const {
    size_t n = used_;
    for (size_t k = 0; k + 1 < chunks_.size(); ++k) n += chunks_[k].capacity;
    return n;
  }
  bool empty() const { return size() == 0; }

  template <class F>
  void for_each(F f) {
    for (size_t k = 0; k < chunks_.size(); ++k) {
      const size_t n = k + 1 == chunks_.size() ? used_ : chunks_[k].capacity;
      for (size_t i = 0; i < n; ++i) f(*std::launder(reinterpret_cast<T*>(chunks_[k].slots.get() + i)));
    }
  }

  void clear() {
    for_each([](T& e) { e.~T(); });
    chunks_.clear();
    used_ = 0;
  }

 private:
  struct alignas(T) Slot {
    unsigned char bytes[sizeof(T)];
  };
  struct Chunk {
    std::unique_ptr<Slot[]> slots;
    size_t capacity = 0;
  };

  void grow() {
    const size_t capacity = chunks_.empty() ? First : 2 * chunks_.back().capacity;
    chunks_.push_back(Chunk{std::unique_ptr<Slot[]>(new Slot[capacity]), capacity});
    used_ = 0;
  }

  std::vector<Chunk> chunks_;
  size_t used_ = 0;  // in the last chunk
};

}  // namespace whirl
