// WASI preview1 (wasi_snapshot_preview1) for command programs: the host
// functions a module imports, over a sandbox of preopened directories.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/expected.h"
#include "wasm/runtime/runtime.h"

namespace whirl::wasi {

struct Preopen {
  std::string host_path;
  std::string guest_path;
  bool read_only = false;  // nothing beneath it can be created, written, renamed or removed
};

struct WasiConfig {
  std::vector<std::string> args;  // argv, argv[0] included
  std::vector<std::string> env;   // "KEY=VALUE"
  std::vector<Preopen> preopens;
  int stdin_fd = 0;   // host descriptors for guest fds 0..2
  int stdout_fd = 1;
  int stderr_fd = 2;
  // When set, guest fd 1 / fd 2 is this host function instead of a host
  // descriptor (a stream, not a file: no seek, no stat of a real file).
  // Called on the guest's thread; returning false fails the write with
  // EPIPE (the reader is gone).
  using OutputSink = std::function<bool(std::string_view bytes)>;
  OutputSink stdout_sink, stderr_sink;
  // Descriptors open at once, stdio and preopens included; path_open past
  // it fails with EMFILE.
  size_t max_open_files = 1024;
  // WASI 0.2 sockets: the addresses a guest may bind, connect or send to,
  // as "HOST:PORT" patterns ("127.0.0.1:8080", "[::1]:*", "*:443"; HOST an
  // IP address, a name or "*", PORT a number or "*"). A name also allows
  // looking it up, and the addresses it resolves to. Empty: no network.
  std::vector<std::string> allowed_network;
};

class WasiCtx;

// Opens the preopened directories; fails naming a directory that cannot be opened.
Expected<std::shared_ptr<WasiCtx>> create_wasi(WasiConfig config);

// Host functions of module "wasi_snapshot_preview1", by name, created in
// `store`; they keep `ctx` alive.
std::map<std::string, wasm::ExternVal> wasi_imports(const std::shared_ptr<WasiCtx>& ctx, wasm::Store& store);

// The imports of `module`, in its import order, creating only the WASI
// functions it uses (cheaper per instance than wasi_imports). An import that
// is not a wasi_snapshot_preview1 function is an error naming it.
Expected<std::vector<wasm::ExternVal>> wasi_link(const std::shared_ptr<WasiCtx>& ctx, wasm::Store& store,
                                                 const wasm::Module& module);

}  // namespace whirl::wasi
