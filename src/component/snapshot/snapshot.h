// Pre-initializing a component, as wasmtime's wizer does for components:
// instantiate it once, call its exported initialization function
// (`wizer-initialize`, a function taking and returning nothing), and write
// a component whose core modules start in the state that left (each core
// module rewritten as wasm/snapshot rewrites a module: memories, globals,
// no start function). `whirl snapshot` is the front end; docs/snapshot.md
// says what is kept.
//
// What a snapshot cannot hold is refused, as wizer refuses it:
// - a module instantiated twice, an imported module or component, or a
//   nested component that instantiates modules (their state would not be
//   in the outermost component's module sections);
// - a component start function;
// - resource handles still open when the initialization returns (a fresh
//   instance would not have them);
// - what wasm/snapshot refuses of a module's own state (reference-typed
//   globals, passive data).
// Memories and globals a module imports are another module's of the same
// component, and snapshotted there.
#pragma once

#include <any>
#include <chrono>
#include <functional>
#include <span>
#include <string>

#include "common/expected.h"
#include "component/runtime/linker.h"
#include "wasm/snapshot/snapshot.h"

namespace whirl::component::snapshot {

struct SnapshotOptions {
  std::string init_func = "wizer-initialize";  // an exported func()
  bool keep_init_func = false;                 // keep its export in the snapshot
  // Defines what the initialization may call (WASI, say), with the host
  // data its functions need; every other imported function traps when
  // called, naming itself.
  std::function<void(runtime::Linker&)> link;
  std::any host_data;
  // Said after "which a snapshot cannot hold" when such an import is called.
  std::string import_hint = "whirl snapshot --allow-wasi links WASI";
  // Bounds on the run, as for modules.
  std::chrono::milliseconds time_limit{0};
  uint64_t max_memory_bytes = wasm::StoreConfig{}.max_memory_bytes;
};

// The snapshot's bytes, with the data segments and bytes of all its
// modules. Errors say what is wrong with the component or what its
// initialization did.
Expected<wasm::Snapshot> snapshot_component(std::span<const uint8_t> bytes, const SnapshotOptions& options = {});

}  // namespace whirl::component::snapshot
