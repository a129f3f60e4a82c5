// `whirl snapshot IN -o OUT`: a module pre-initialized (wasm/snapshot), as
// `wizer IN -o OUT` makes one, with Wizer's flag names.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/module_file.h"
#include "component/binary/decoder.h"
#include "component/snapshot/snapshot.h"
#include "wasi/p1/wasi.h"
#include "wasi/p2/wasi_p2.h"
#include "wasm/aot/cache.h"
#include "wasm/snapshot/snapshot.h"

namespace whirl::cli {
namespace {

struct SnapshotCliOptions {
  std::string file, out, init_func;  // empty: Wizer's default for the kind of binary
  bool keep_init_func = false, allow_wasi = false;
};

int fail(const std::string& what) {
  std::fprintf(stderr, "whirl snapshot: %s\n", what.c_str());
  return 1;
}

// As `wizer --allow-wasi --inherit-stdio`: no arguments beyond the
// program's name, no environment, no directories.
wasi::WasiConfig allowed_wasi(const std::string& file) {
  wasi::WasiConfig wc;
  wc.args.push_back(file);
  return wc;
}

int report(const SnapshotCliOptions& o, const wasm::Snapshot& snap) {
  if (auto w = wasm::aot::write_file_atomic(o.out, snap.wasm); !w) return fail(o.out + ": " + w.error().message);
  std::fprintf(stderr, "whirl snapshot: %s -> %s: %zu data segment(s), %llu bytes of initialized memory\n",
               o.file.c_str(), o.out.c_str(), snap.data_segments, (unsigned long long)snap.data_bytes);
  return 0;
}

// A component: its initialization is an exported func() (wasmtime's wizer
// names it `wizer-initialize`); --allow-wasi links WASI 0.2.
int run_component_snapshot(const SnapshotCliOptions& o, std::span<const uint8_t> bytes) {
  component::snapshot::SnapshotOptions so;
  if (!o.init_func.empty()) so.init_func = o.init_func;
  so.keep_init_func = o.keep_init_func;
  if (o.allow_wasi) {
    auto ctx = wasi::p2::create_wasi_p2(allowed_wasi(o.file));
    if (!ctx) return fail(ctx.error().message);
    so.link = [](component::runtime::Linker& l) { wasi::p2::add_to_linker(l); };
    so.host_data = std::any(*ctx);
  }
  auto snap = component::snapshot::snapshot_component(bytes, so);
  if (!snap) return fail(o.file + ": " + snap.error().message);
  return report(o, *snap);
}

int run_snapshot(const SnapshotCliOptions& o) {
  auto bytes = read_module_file(o.file);
  if (!bytes) return fail(bytes.error().message);
  if (component::is_component_binary(bytes->bytes)) return run_component_snapshot(o, bytes->bytes);
  wasm::SnapshotOptions so;
  if (!o.init_func.empty()) so.init_func = o.init_func;
  so.keep_init_func = o.keep_init_func;
  std::shared_ptr<wasi::WasiCtx> ctx;
  if (o.allow_wasi) {
    auto made = wasi::create_wasi(allowed_wasi(o.file));
    if (!made) return fail(made.error().message);
    ctx = *made;
    so.imports = [ctx](const wasm::CompiledModule& c, wasm::Store& store) -> Expected<std::vector<wasm::ExternVal>> {
      auto funcs = wasi::wasi_imports(ctx, store);
      std::vector<wasm::ExternVal> out;
      for (const auto& imp : c.module().imports) {
        auto it = imp.module == "wasi_snapshot_preview1" ? funcs.find(imp.name) : funcs.end();
        if (it == funcs.end()) return make_error("unknown import \"" + imp.module + "\" \"" + imp.name + "\"");
        out.push_back(it->second);
      }
      return out;
    };
  }
  auto snap = wasm::snapshot_module(bytes->bytes, so);
  if (!snap) return fail(o.file + ": " + snap.error().message);
  return report(o, *snap);
}

}  // namespace

void add_snapshot_command(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<SnapshotCliOptions>();
  auto* cmd = app.add_subcommand("snapshot", "Pre-initialize a module or component: run its initialization once "
                                             "and write one that starts in the state it left (as Wizer)");
  cmd->add_option("file", o->file, "The module (.wasm, or text) or component")->required();
  cmd->add_option("-o,--output", o->out, "The pre-initialized module or component to write")->required();
  cmd->add_option("--init-func", o->init_func,
                  "The exported function that initializes (default: wizer.initialize for a module, "
                  "wizer-initialize for a component)");
  cmd->add_flag("--keep-init-func", o->keep_init_func, "Keep the initialization function's export");
  cmd->add_flag("--allow-wasi", o->allow_wasi,
                "Let initialization call WASI (preview1 for a module, 0.2 for a component; stdout and stderr "
                "inherited; no arguments, environment or directories)");
  cmd->callback([o, exit_code] { *exit_code = run_snapshot(*o); });
}

}  // namespace whirl::cli
