// WASI 0.2 (preview 2) for components: the host side of every interface of
// the `wasi:cli/command` world, over the same sandbox as preview1
// (wasi/p1: preopened directories only, paths resolved beneath them,
// stdio to host descriptors or sinks). The interfaces are defined under
// their 0.2.6 names; a guest importing any 0.2.x links with them.
// wit/wasi-0.2/ lists them; docs/component-model.md ("WASI 0.2") says
// what each function does here.
#pragma once

#include <memory>

#include "common/expected.h"
#include "component/runtime/linker.h"
#include "wasi/p1/wasi.h"

namespace whirl::wasi::p2 {

inline constexpr const char* kVersion = "0.2.6";

// One instance's WASI state: descriptors, streams, pollables and sockets
// (host resources, each in its own table; a resource's representation is
// its index there).
class WasiP2;

// Opens the config's preopens (create_wasi's rules). Instantiate with
// `std::any(ctx)` as the host data: the host functions find it there.
Expected<std::shared_ptr<WasiP2>> create_wasi_p2(WasiConfig config);

// Defines every function and resource of the command world's imports.
void add_to_linker(component::runtime::Linker& linker);

}  // namespace whirl::wasi::p2
