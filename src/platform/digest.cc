#include "platform/digest.h"

#include <openssl/evp.h>

#include <vector>

#include "platform/parallel.h"

namespace whirl::platform {

namespace {
constexpr size_t kChunk = size_t(1) << 20;

// Fetched once: EVP_sha256() makes every EVP_Digest look the
// implementation up again in OpenSSL 3's provider tables.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return m ? m : EVP_sha256();
  }();
  return md;
}

void sha256(std::span<const uint8_t> b, Digest& out) {
  unsigned len = 0;
  EVP_Digest(b.data(), b.size(), out.bytes.data(), &len, sha256_md(), nullptr);
}
}  // namespace

std::string Digest::hex() const {
  static const char* const digits = "0123456789abcdef";
  std::string s(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    s[2 * i] = digits[bytes[i] >> 4];
    s[2 * i + 1] = digits[bytes[i] & 15];
  }
  return s;
}

Digest digest(std::span<const uint8_t> b) {
  Digest d;
  if (b.size() <= kChunk) {
    sha256(b, d);
    return d;
  }
  const size_t n = (b.size() + kChunk - 1) / kChunk;
  std::vector<Digest> leaves(n);
  parallel_for(n, 1, loader_threads(n, 4), [&](size_t lo, size_t hi, unsigned) {
    for (size_t i = lo; i < hi; ++i) {
      auto chunk = b.subspan(i * kChunk, std::min(kChunk, b.size() - i * kChunk));
      sha256(chunk, leaves[i]);
    }
  });
  // The root's input: a tag and the size (which fix the chunking), then
  // the leaves' digests.
  std::vector<uint8_t> root(18 + n * sizeof(Digest));
  std::memcpy(root.data(), "whirl-tree", 10);
  const uint64_t size = b.size();
  std::memcpy(root.data() + 10, &size, sizeof size);
  std::memcpy(root.data() + 18, leaves.data(), n * sizeof(Digest));
  sha256(root, d);
  return d;
}

}  // namespace whirl::platform
