#include "wasm/aot/artifact.h"

#include <cstring>
#include <string>
#include <vector>

#include "platform/parallel.h"

#include "wasm/aot/codegen.h"
#include "wasm/aot/layout.h"

namespace whirl::wasm::aot {
namespace {

constexpr char kMagic[8] = {'W', 'H', 'I', 'R', 'L', 'A', 'O', 'T'};
// Bump when the translation changes what code the same module gets.
constexpr uint32_t kFormat = 4;
struct Header {
  char magic[8];
  uint32_t format, header_size;
  uint64_t env, wasm_size, object_size, payload_hash;
  uint8_t module_digest[32];
};
static_assert(sizeof(Header) == 80);

uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// The payload's checksum: hash_bytes of each 4 MiB chunk (on several
// threads: a JS engine's code is tens of MB, checked at every load), then
// of the chunks' hashes.
uint64_t payload_hash(std::span<const uint8_t> b) {
  constexpr size_t kChunk = size_t(4) << 20;
  const size_t n = (b.size() + kChunk - 1) / kChunk;
  if (n <= 1) return hash_bytes(b);
  std::vector<uint64_t> hashes(n);
  platform::parallel_for(n, 1, platform::loader_threads(n, 2), [&](size_t lo, size_t hi, unsigned) {
    for (size_t i = lo; i < hi; ++i) hashes[i] = hash_bytes(b.subspan(i * kChunk, std::min(kChunk, b.size() - i * kChunk)));
  });
  return hash_bytes({reinterpret_cast<const uint8_t*>(hashes.data()), n * sizeof(uint64_t)});
}

}  // namespace

// Four independent lanes of 8-byte words (a 12 MB module hashes in about a
// millisecond), finished with a strong mix; not cryptographic: it detects
// changed and damaged files, the cache directory is the user's own.
uint64_t hash_bytes(std::span<const uint8_t> b) {
  uint64_t lane[4] = {0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull, 0x2545f4914f6cdd1dull};
  size_t i = 0;
  for (; i + 32 <= b.size(); i += 32)
    for (int k = 0; k < 4; ++k) {
      uint64_t w;
      std::memcpy(&w, b.data() + i + 8 * k, 8);
      lane[k] = (lane[k] ^ w) * 0x100000001b3ull;
      lane[k] ^= lane[k] >> 29;
    }
  uint64_t h = b.size();
  for (int k = 0; k < 4; ++k) h = mix(h ^ lane[k]);
  for (; i < b.size(); ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  return mix(h);
}

uint64_t env_key() {
  static const uint64_t key = [] {
    std::string s = std::string(WHIRL_AOT_VERSION) + ";" + std::to_string(layout().hash()) + ";" + host_cpu_key();
    return hash_bytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  }();
  return key;
}

bool is_artifact(std::span<const uint8_t> bytes) {
  return bytes.size() >= sizeof(kMagic) && std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) == 0;
}

Expected<Artifact> parse_artifact(std::span<const uint8_t> bytes, bool check_env) {
  Header h;
  if (bytes.size() < sizeof h || !is_artifact(bytes)) return make_error("not a whirl compiled-code file");
  std::memcpy(&h, bytes.data(), sizeof h);
  if (h.format != kFormat || h.header_size != sizeof h)
    return make_error("compiled by another version of whirl (format " + std::to_string(h.format) + ")");
  if (check_env && h.env != env_key()) return make_error("compiled by another build of whirl or for another CPU");
  const uint64_t rest = bytes.size() - sizeof h;
  if (h.wasm_size > rest || h.object_size != rest - h.wasm_size) return make_error("truncated or damaged (sizes)");
  auto payload = bytes.subspan(sizeof h);
  if (payload_hash(payload) != h.payload_hash) return make_error("damaged (checksum mismatch)");
  Artifact a;
  a.wasm = payload.subspan(0, h.wasm_size);
  a.object = payload.subspan(h.wasm_size);
  std::memcpy(a.module_digest.bytes.data(), h.module_digest, sizeof h.module_digest);
  if (!a.wasm.empty() && platform::digest(a.wasm) != a.module_digest) return make_error("damaged (module digest)");
  return a;
}

std::vector<uint8_t> make_artifact(std::span<const uint8_t> wasm, const platform::Digest& module_digest,
                                   std::span<const uint8_t> object) {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.format = kFormat;
  h.header_size = sizeof h;
  h.env = env_key();
  std::memcpy(h.module_digest, module_digest.bytes.data(), sizeof h.module_digest);
  h.wasm_size = wasm.size();
  h.object_size = object.size();
  std::vector<uint8_t> out(sizeof h);
  out.insert(out.end(), wasm.begin(), wasm.end());
  out.insert(out.end(), object.begin(), object.end());
  h.payload_hash = payload_hash({out.data() + sizeof h, out.size() - sizeof h});
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

}  // namespace whirl::wasm::aot
