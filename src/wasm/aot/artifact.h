// Compiled code as a file: a .cwasm (whirl compile) or an entry of the
// cache (cache.h), keyed by the
// module's bytes and by what the code depends on besides them: whirl's
// version, the runtime layout the code reads and the CPU it was compiled
// for. A file with another key, or whose contents do not match their
// checksum, is never run: the module is compiled again.
//
// Layout (little-endian): "WHIRLAOT", u32 format, u32 header size, u64 env
// key, u64 wasm size, u64 object size, u64 payload hash, the module's
// 32-byte digest (platform/digest.h);
// then the wasm bytes (a .cwasm carries its module; cache entries do not)
// and the ELF object.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/expected.h"
#include "platform/digest.h"

namespace whirl::wasm::aot {

uint64_t hash_bytes(std::span<const uint8_t> bytes);
// Whirl's version, the layout and the CPU, hashed.
uint64_t env_key();

struct Artifact {
  std::span<const uint8_t> wasm;    // empty in cache entries
  std::span<const uint8_t> object;
  platform::Digest module_digest;  // of the module's bytes
};

bool is_artifact(std::span<const uint8_t> bytes);
// Checks the header, the checksum and (check_env) the key against this
// build and CPU: code for another is not to be run, though its module
// still can be; the spans point into `bytes`.
Expected<Artifact> parse_artifact(std::span<const uint8_t> bytes, bool check_env = true);
std::vector<uint8_t> make_artifact(std::span<const uint8_t> wasm, const platform::Digest& module_digest,
                                   std::span<const uint8_t> object);

}  // namespace whirl::wasm::aot
