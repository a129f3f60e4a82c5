// `whirl compile FILE [-o OUT]`: native code ahead of time. A core module
// becomes a .cwasm (its module and code; `whirl run` takes it); every core
// module of a component goes into the cache, where running the component
// finds it.
#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "cli/module_file.h"
#include "component/binary/decoder.h"
#include "platform/progress.h"
#include "wasm/aot/artifact.h"
#include "wasm/aot/cache.h"
#include "wasm/aot/translate.h"
#include "wasm/aot/tier.h"
#include "wasm/binary/decoder.h"
#include "wasm/runtime/tier.h"
#include "wasm/validate/validator.h"

namespace whirl::cli {
namespace {

struct CompileOptions {
  std::string file, out;
};

int fail(const std::string& what) {
  std::fprintf(stderr, "whirl compile: %s\n", what.c_str());
  return 1;
}

// One core module's native code: the cache's, else compiled (and cached).
Expected<wasm::aot::NativeCode> compile_core(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner,
                                             const std::string& label) {
  auto m = wasm::decode_module(bytes, std::move(owner));
  if (!m) return unexpected(std::move(m).error());
  if (auto v = wasm::validate_module(*m); !v) return unexpected(v.error());
  if (std::string what = wasm::aot::uncompiled_feature(*m); !what.empty()) return make_error(what);
  platform::TerminalProgress shown(stderr, label);
  return wasm::aot::native_code(*m, bytes, /*read_cache=*/true, [&shown](size_t done, size_t total) {
    shown.update(done, total);
    return true;
  });
}

int run_compile(const CompileOptions& o) {
  if (!wasm::aot::register_aot_tier()) return fail("the aot tier is not available on this machine (x86-64 Linux only)");
  wasm::aot::enable_cache(true);
  auto bytes = read_module_file(o.file);
  if (!bytes) return fail(bytes.error().message);
  auto t0 = std::chrono::steady_clock::now();
  auto secs = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const double mb = double(bytes->bytes.size()) / 1e6;
  if (component::is_component_binary(bytes->bytes)) {
    if (!o.out.empty()) return fail(o.file + ": a component's code goes into the cache (" + wasm::aot::cache_dir() + "); -o is for core modules");
    auto c = component::decode_component(bytes->bytes, bytes->owner);
    if (!c) return fail(o.file + ": " + c.error().message);
    size_t n = 0;
    std::vector<const component::Component*> todo{&*c};
    while (!todo.empty()) {
      const component::Component* cur = todo.back();
      todo.pop_back();
      for (const auto& m : cur->core_modules) {
        auto code = compile_core(m.bytes, bytes->owner, "Compiling core module " + std::to_string(n + 1));
        if (!code) return fail(o.file + ": core module at offset " + std::to_string(m.offset) + ": " + code.error().message);
        ++n;
      }
      for (const auto& nested : cur->components) todo.push_back(nested.get());
    }
    std::fprintf(stderr, "whirl compile: %s: %zu core module(s), %.1f MB in %.2f s (%.2f MB/s), cached in %s\n",
                 o.file.c_str(), n, mb, secs(), mb / secs(), wasm::aot::cache_dir().c_str());
    return 0;
  }
  auto code = compile_core(bytes->bytes, bytes->owner, "Compiling " + o.file);
  if (!code) return fail(o.file + ": " + code.error().message);
  std::string out = o.out;
  if (out.empty()) {
    out = o.file;
    if (out.size() > 5 && out.substr(out.size() - 5) == ".wasm") out.resize(out.size() - 5);
    out += ".cwasm";
  }
  auto artifact = wasm::aot::make_artifact(bytes->bytes, platform::digest(bytes->bytes), code->object);
  if (auto w = wasm::aot::write_file_atomic(out, artifact); !w) return fail(w.error().message);
  std::fprintf(stderr, "whirl compile: %s -> %s: %.1f MB in %.2f s (%.2f MB/s)\n", o.file.c_str(), out.c_str(), mb,
               secs(), mb / secs());
  return 0;
}

}  // namespace

void add_compile_command(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<CompileOptions>();
  auto* cmd = app.add_subcommand("compile", "Compile a module or component to native code ahead of time");
  cmd->add_option("-o,--output", o->out, "The .cwasm to write (a core module; default: FILE with .cwasm)");
  cmd->add_option("file", o->file, "The module or component (.wasm, or text)")->required();
  cmd->callback([o, exit_code] { *exit_code = run_compile(*o); });
}

}  // namespace whirl::cli
