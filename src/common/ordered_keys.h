// Keys in the order they were added, found by position: by a linear
// search while there are few (what a per-request instance has: no hash,
// no node per key), through a hash index once there are many (what a
// hostile component can declare: no quadratic search). Keys are unique:
// a caller adds each once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace whirl {

template <class K>
class OrderedKeys {
 public:
  static constexpr size_t kIndexedFrom = 32;

  const std::vector<K>& keys() const { return keys_; }
  size_t size() const { return keys_.size(); }
  const K& operator[](size_t i) const { return keys_[i]; }
  void reserve(size_t n) { keys_.reserve(n); }

  void push_back(K k) {
    keys_.push_back(std::move(k));
    if (keys_.size() == kIndexedFrom) {
      for (uint32_t i = 0; i < keys_.size(); ++i) index_.emplace(keys_[i], i);
    } else if (keys_.size() > kIndexedFrom) {
      index_.emplace(keys_.back(), uint32_t(keys_.size() - 1));
    }
  }

  // `hint`: where the caller expects it (checked first).
  std::optional<uint32_t> find(const K& k, uint32_t hint = 0) const {
    if (hint < keys_.size() && keys_[hint] == k) return hint;
    if (keys_.size() >= kIndexedFrom) {
      auto it = index_.find(k);
      return it == index_.end() ? std::nullopt : std::optional<uint32_t>(it->second);
    }
    for (uint32_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] == k) return i;
    return std::nullopt;
  }

 private:
  std::vector<K> keys_;
  std::unordered_map<K, uint32_t> index_;  // from kIndexedFrom keys on
};

}  // namespace whirl
