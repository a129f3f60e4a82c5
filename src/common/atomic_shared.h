// A shared_ptr that one thread may replace while others read it (each
// reader takes its own reference, so what it holds outlives a
// replacement). Copyable, unlike std::atomic<std::shared_ptr>, so the
// structs holding one stay values.
#pragma once

#include <atomic>
#include <memory>

namespace whirl {

template <class T>
class AtomicShared {
 public:
  AtomicShared() = default;
  AtomicShared(std::shared_ptr<T> p) : p_(std::move(p)) {}
  AtomicShared(const AtomicShared& o) : p_(o.load()) {}
  AtomicShared& operator=(const AtomicShared& o) {
    p_.store(o.load(), std::memory_order_release);
    return *this;
  }
  AtomicShared& operator=(std::shared_ptr<T> p) {
    p_.store(std::move(p), std::memory_order_release);
    return *this;
  }

  std::shared_ptr<T> load() const { return p_.load(std::memory_order_acquire); }
  // Replaces it through a const holder: for what stays the same in
  // meaning when replaced (code compiled again by another tier).
  void replace(std::shared_ptr<T> p) const { p_.store(std::move(p), std::memory_order_release); }
  explicit operator bool() const { return load() != nullptr; }

 private:
  mutable std::atomic<std::shared_ptr<T>> p_;
};

}  // namespace whirl
