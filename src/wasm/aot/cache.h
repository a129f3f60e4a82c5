// The compiled-code cache: one artifact file (artifact.h) per module's
// bytes and build of whirl, in $XDG_CACHE_HOME/whirl/aot (else
// ~/.cache/whirl/aot), kept under a byte budget by evicting the entries
// used longest ago. Every caller that wants a module's native code
// (the aot tier, `whirl compile`) goes through native_code.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/expected.h"
#include "platform/digest.h"
#include "wasm/module.h"

namespace whirl::wasm::aot {

// Off unless enabled (the front ends that run programs enable it; the spec
// runner's thousands of small modules stay out of it).
void enable_cache(bool on);
bool cache_enabled();
// The cache directory, or empty when there is none (no HOME).
std::string cache_dir();
// The entry's path for a module's bytes, by their digest: a cryptographic
// one, since a hit's code is run for bytes that merely match it (the node
// host's tenants share the cache) and its bodies are not validated again.
std::string cache_path(const platform::Digest& module_digest);
// The most bytes the entries may take together: WHIRL_AOT_CACHE_BYTES (a
// number, with an optional K, M or G suffix), else 1 GiB (as wasmtime's
// cache's default soft limit).
uint64_t cache_budget();
// Removes the entries used longest ago until the rest take at most
// `budget` bytes; returns how many it removed. An entry's use is its
// modification time, which a cache hit refreshes.
size_t trim_cache(const std::string& dir, uint64_t budget);

// Writes atomically (a temporary file renamed): a concurrent reader sees
// the whole file or none. Failures are errors to the caller, which may
// ignore them (uncached code still runs).
Expected<void> write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);

// Reports how many of a compile's parts are done; returning false stops
// the compile (an error saying it was cancelled). Called from compiling
// threads, one at a time.
using CompileProgress = std::function<bool(size_t done, size_t total)>;

// A module's native code (compile_object's parts), held by `owner`.
struct NativeCode {
  std::shared_ptr<const void> owner;
  std::span<const uint8_t> object;
  bool from_cache = false;
};

// The cache's valid entry for a module decoded from `source`, if any (its
// use recorded for eviction).
// `digest`, when given, is platform::digest(source) (not computed again).
std::optional<NativeCode> cached_code(std::span<const uint8_t> source, const platform::Digest* digest = nullptr);

// The native code of `m`, decoded from `source`: the cache's entry when it
// has a valid one, else compiled and, with the cache enabled, stored.
// `read_cache` false skips the first look (the caller just looked). A
// compile holds the entry's lock file: another process (or thread)
// wanting the same module waits for it and then takes its entry. `m`
// passed validate_module and has its bodies.
Expected<NativeCode> native_code(const Module& m, std::span<const uint8_t> source, bool read_cache = true,
                                 const CompileProgress& progress = {}, const platform::Digest* digest = nullptr);

}  // namespace whirl::wasm::aot
