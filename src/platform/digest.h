// A cryptographic digest of bytes (SHA-256), for what is trusted by
// content: compiled code shared between apps of different tenants, and
// cache entries whose bodies are not validated again. A 64-bit hash would
// do for telling changed files apart, not for bytes an attacker chooses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>

namespace whirl::platform {

struct Digest {
  std::array<uint8_t, 32> bytes{};

  bool operator==(const Digest&) const = default;
  std::string hex() const;
  // Its first 8 bytes: an index into hash tables (already uniform).
  uint64_t prefix() const {
    uint64_t v;
    std::memcpy(&v, bytes.data(), sizeof v);
    return v;
  }
};

// SHA-256 of `bytes`, or for inputs over 1 MiB a two-level tree (SHA-256
// of each 1 MiB chunk, on up to two threads, then of the size and the
// chunk digests): a large module is hashed at every load, and the tree
// stays collision-resistant (the chunking is fixed by the size).
Digest digest(std::span<const uint8_t> bytes);

struct DigestHash {
  size_t operator()(const Digest& d) const { return size_t(d.prefix()); }
};

}  // namespace whirl::platform
