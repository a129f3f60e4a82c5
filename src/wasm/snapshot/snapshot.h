// Pre-initialization, as Wizer does it: instantiate a module once, run its
// initialization function, and write a new module whose memories, globals
// and data start in the state that left, so every later instance begins
// initialized (a language runtime's startup is paid once, at build time).
// `whirl snapshot` is the front end; docs/snapshot.md says what is kept.
//
// As Wizer: the module may import only functions (its memories, tables
// and globals are its own, so their state is all in the snapshot); an
// import called during initialization traps unless the caller links it
// (`--allow-wasi`); tables are not snapshotted (initialization that
// changes them is not captured), nor reference-typed or v128 globals
// (refused), nor passive data segments (refused). The start function ran
// before the initialization: the snapshot has no start section.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "wasm/runtime/runtime.h"

namespace whirl::wasm {

struct SnapshotOptions {
  std::string init_func = "wizer.initialize";  // an exported [] -> [] function
  bool keep_init_func = false;                 // keep its export in the snapshot
  // The imports initialization runs with, in the module's import order;
  // unset: every imported function traps when called, naming itself.
  std::function<Expected<std::vector<ExternVal>>(const CompiledModule&, Store&)> imports;
  // Said after "which a snapshot cannot hold" when such an import is
  // called: what the caller offers instead.
  std::string import_hint = "whirl snapshot --allow-wasi links WASI";
  // Bounds on the run (an untrusted module's, in the node host): its
  // wall-clock time (0: none; interrupted past it) and its store's memory.
  std::chrono::milliseconds time_limit{0};
  uint64_t max_memory_bytes = StoreConfig{}.max_memory_bytes;
};

struct Snapshot {
  std::vector<uint8_t> wasm;  // the pre-initialized module
  size_t data_segments = 0;   // non-zero ranges of memory it holds
  uint64_t data_bytes = 0;
};

// Errors say what is wrong with the module (or what its initialization
// did: a trap, with its message).
Expected<Snapshot> snapshot_module(std::span<const uint8_t> wasm, const SnapshotOptions& options = {});

// The parts shared with components' snapshots (component/snapshot), whose
// core modules share memories and tables among themselves:
// What a module's own state must be for a snapshot to hold it: numeric
// globals, active data.
Expected<void> check_snapshot_state(const Module& m);
// `wasm` (decoded as `m`) rewritten to start in the state `inst` is in:
// its defined memories and globals, as above. Its data segments are all
// replaced, also those that wrote to an imported memory (that memory's
// snapshot holds what they wrote); `drop_export` (empty: none) is left out.
// The result is not loaded again here.
Expected<Snapshot> snapshot_instance(std::span<const uint8_t> wasm, const Module& m, Instance& inst,
                                     std::string_view drop_export);

}  // namespace whirl::wasm
