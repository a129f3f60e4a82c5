// `whirl snapshot IN -o OUT`: a module pre-initialized (wasm/snapshot), as
// `wizer IN -o OUT` makes one, with Wizer's flag names.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/module_file.h"
#include "component/binary/decoder.h"
#include "wasi/p1/wasi.h"
#include "wasm/aot/cache.h"
#include "wasm/snapshot/snapshot.h"

namespace whirl::cli {
namespace {

struct SnapshotCliOptions {
  std::string file, out, init_func = "wizer.initialize";
  bool keep_init_func = false, allow_wasi = false;
};

int fail(const std::string& what) {
  std::fprintf(stderr, "whirl snapshot: %s\n", what.c_str());
  return 1;
}

int run_snapshot(const SnapshotCliOptions& o) {
  auto bytes = read_module_file(o.file);
  if (!bytes) return fail(bytes.error().message);
  if (component::is_component_binary(bytes->bytes))
    return fail(o.file + ": a component; whirl snapshot pre-initializes core modules (snapshot the component's "
                         "module before wrapping it, as componentize-js does)");
  wasm::SnapshotOptions so;
  so.init_func = o.init_func;
  so.keep_init_func = o.keep_init_func;
  std::shared_ptr<wasi::WasiCtx> ctx;
  if (o.allow_wasi) {
    // As `wizer --allow-wasi --inherit-stdio`: no arguments beyond the
    // program's name, no environment, no directories.
    wasi::WasiConfig wc;
    wc.args.push_back(o.file);
    auto made = wasi::create_wasi(wc);
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
  if (auto w = wasm::aot::write_file_atomic(o.out, snap->wasm); !w) return fail(o.out + ": " + w.error().message);
  std::fprintf(stderr, "whirl snapshot: %s -> %s: %zu data segment(s), %llu bytes of initialized memory\n",
               o.file.c_str(), o.out.c_str(), snap->data_segments, (unsigned long long)snap->data_bytes);
  return 0;
}

}  // namespace

void add_snapshot_command(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<SnapshotCliOptions>();
  auto* cmd = app.add_subcommand("snapshot", "Pre-initialize a module: run its initialization once and write a "
                                             "module that starts in the state it left (as Wizer)");
  cmd->add_option("file", o->file, "The module (.wasm, or text)")->required();
  cmd->add_option("-o,--output", o->out, "The pre-initialized module to write")->required();
  cmd->add_option("--init-func", o->init_func, "The exported function that initializes")->capture_default_str();
  cmd->add_flag("--keep-init-func", o->keep_init_func, "Keep the initialization function's export");
  cmd->add_flag("--allow-wasi", o->allow_wasi,
                "Let initialization call WASI preview1 (stdout and stderr inherited; no arguments, environment "
                "or directories)");
  cmd->callback([o, exit_code] { *exit_code = run_snapshot(*o); });
}

}  // namespace whirl::cli
