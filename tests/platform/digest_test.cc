// platform::digest: SHA-256 for small inputs (FIPS 180-2's test vector),
// the documented two-level tree for large ones, and any changed byte seen.
#include "platform/digest.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>
#include <vector>

namespace whirl::platform {
namespace {

std::span<const uint8_t> bytes_of(const char* s) { return {reinterpret_cast<const uint8_t*>(s), std::strlen(s)}; }

Digest sha256(std::span<const uint8_t> b) {
  Digest d;
  unsigned n = 0;
  EVP_Digest(b.data(), b.size(), d.bytes.data(), &n, EVP_sha256(), nullptr);
  return d;
}

TEST(Digest, SmallInputsAreSha256) {
  EXPECT_EQ(digest(bytes_of("abc")).hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest({}).hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, LargeInputsHashTheSizeAndEachMegabyte) {
  std::vector<uint8_t> b((size_t(5) << 19) + 7);  // 2.5 MiB and 7 bytes: three chunks
  for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(i * 2654435761u >> 13);
  std::vector<uint8_t> root(18);
  std::memcpy(root.data(), "whirl-tree", 10);
  const uint64_t size = b.size();
  std::memcpy(root.data() + 10, &size, 8);
  for (size_t at = 0; at < b.size(); at += size_t(1) << 20) {
    Digest leaf = sha256(std::span<const uint8_t>(b).subspan(at, std::min(size_t(1) << 20, b.size() - at)));
    root.insert(root.end(), leaf.bytes.begin(), leaf.bytes.end());
  }
  EXPECT_EQ(digest(b), sha256(root));
  EXPECT_NE(digest(b), sha256(b));
}

TEST(Digest, AnyChangedByteChangesIt) {
  std::vector<uint8_t> b((size_t(3) << 20) + 1, 0x5a);
  const Digest d = digest(b);
  for (size_t at : {size_t(0), size_t(1) << 20, b.size() - 1}) {
    b[at] ^= 1;
    EXPECT_NE(digest(b), d) << at;
    b[at] ^= 1;
  }
  EXPECT_EQ(digest(b), d);
  b.pop_back();
  EXPECT_NE(digest(b), d);
}

}  // namespace
}  // namespace whirl::platform
