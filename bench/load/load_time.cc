// Load time of one module, phase by phase: reading the file, decode +
// validate + translate (`load_module`, also as MB/s of the file), and
// instantiation (memory, data segments, WASI imports). The first run is what
// `whirl run` sees (fresh pages from the kernel); later runs reuse the
// process's freed memory, and the fastest of them shows the work itself. Usage:
//   whirl-load-time FILE.wasm [RUNS]
// Reads and instantiates the way `whirl run` does: platform::read_file's
// buffer lent to the loader, linear memory on huge pages. A component
// (a Spin JS app, say) is loaded with load_component and instantiated with
// WASI 0.2.
//
// WHIRL_TIER=aot|auto (default interp) loads through that tier; then the
// cached native code's own load (cache file read, checked, linked; no
// decoding) is also timed alone, per core module, after the run that
// fills the cache.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "component/binary/decoder.h"
#include "component/runtime/component.h"
#include "platform/file.h"
#include "wasi/p1/wasi.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/wasi_p2.h"
#include "wasm/aot/cache.h"
#include "wasm/aot/tier.h"
#include "wasm/binary/decoder.h"
#include "wasm/runtime/runtime.h"
#include "wasm/runtime/tier.h"
#include "wasm/validate/validator.h"

namespace {

using namespace whirl;

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Times {
  double load = 0, instantiate = 0;  // ms
};

wasm::StoreConfig store_config() {
  wasm::StoreConfig sc;
  sc.huge_pages = true;  // as `whirl run`
  return sc;
}

// A core module: load_module, then instantiation with WASI preview1.
Expected<Times> load_module_file(const platform::FileBytes& file) {
  Times t;
  auto t1 = Clock::now();
  auto compiled = wasm::load_module(file.bytes, file.owner);
  if (!compiled) return unexpected(compiled.error());
  t.load = ms_since(t1);
  auto t2 = Clock::now();
  auto ctx = wasi::create_wasi({});
  if (!ctx) return unexpected(ctx.error());
  auto store = wasm::Store::create(store_config());
  auto imports = wasi::wasi_link(*ctx, *store, (*compiled)->module());
  if (!imports) return unexpected(imports.error());
  auto inst = store->instantiate(*compiled, *imports);
  if (!inst) return make_error(inst.error().message);
  t.instantiate = ms_since(t2);
  return t;
}

// A component: load_component, then instantiation with WASI 0.2.
Expected<Times> load_component_file(const platform::FileBytes& file) {
  Times t;
  auto t1 = Clock::now();
  auto c = component::runtime::load_component(file.bytes, file.owner);
  if (!c) return unexpected(c.error());
  t.load = ms_since(t1);
  auto t2 = Clock::now();
  auto ctx = wasi::p2::create_wasi_p2({});
  if (!ctx) return unexpected(ctx.error());
  component::runtime::Linker linker;
  wasi::p2::add_to_linker(linker);
  wasi::http::add_to_linker(linker);  // a wasi:http guest's imports (a Spin JS app)
  auto inst = component::runtime::instantiate(*c, wasm::Store::create(store_config()), linker, std::any(*ctx));
  if (!inst) return make_error(inst.error().message);
  t.instantiate = ms_since(t2);
  return t;
}

// The native code of every core module in `bytes` (a module or a
// component), loaded from the cache by the aot tier: milliseconds, with the
// modules decoded and validated beforehand (not timed); -1 when some
// module's code was not in the cache.
double native_load_ms(std::span<const uint8_t> bytes) {
  std::vector<std::span<const uint8_t>> modules;
  std::optional<component::Component> ast;
  if (component::is_component_binary(bytes)) {
    auto c = component::decode_component(bytes);
    if (!c) return -1;
    ast = std::move(*c);
    std::vector<const component::Component*> todo{&*ast};
    while (!todo.empty()) {
      auto* cur = todo.back();
      todo.pop_back();
      for (const auto& m : cur->core_modules) modules.push_back(m.bytes);
      for (const auto& n : cur->components) todo.push_back(n.get());
    }
  } else {
    modules.push_back(bytes);
  }
  std::vector<std::shared_ptr<const wasm::Module>> decoded;
  for (auto b : modules) {
    auto m = wasm::decode_module(b);
    if (!m || !wasm::validate_module(*m)) return -1;
    decoded.push_back(std::make_shared<const wasm::Module>(std::move(*m)));
  }
  std::vector<std::shared_ptr<const wasm::CompiledModule>> keep;  // freed after timing
  auto t = Clock::now();
  for (size_t i = 0; i < modules.size(); ++i) {
    auto c = wasm::aot::auto_tier().compile(decoded[i], {.source = modules[i]});
    if (!c || (*c)->tier_name() != "aot") return -1;
    keep.push_back(std::move(*c));
  }
  return ms_since(t);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.wasm [RUNS]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  const char* tier = std::getenv("WHIRL_TIER");
  if (auto ok = wasm::aot::select_tier(tier && *tier ? tier : "interp", true); !ok) {
    std::fprintf(stderr, "%s\n", ok.error().message.c_str());
    return 2;
  }
  const bool native = tier && std::string(tier) != "interp";
  double best_read = 1e30, best_load = 1e30, best_inst = 1e30;
  size_t size = 0;
  auto report = [&](const char* what) {
    std::printf("%s: %.1f MB, %s: read %.1f ms, decode+validate+translate %.1f ms (%.0f MB/s), "
                "instantiate %.1f ms, total %.1f ms\n",
                argv[1], size / 1e6, what, best_read, best_load, size / 1e3 / best_load, best_inst,
                best_read + best_load + best_inst);
  };
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    auto file = platform::read_file(argv[1]);
    if (!file) {
      std::fprintf(stderr, "%s\n", file.error().message.c_str());
      return 1;
    }
    size = file->bytes.size();
    best_read = std::min(best_read, ms_since(t0));

    auto times = component::is_component_binary(file->bytes) ? load_component_file(*file) : load_module_file(*file);
    if (!times) {
      std::fprintf(stderr, "%s: %s\n", argv[1], times.error().message.c_str());
      return 1;
    }
    best_load = std::min(best_load, times->load);
    best_inst = std::min(best_inst, times->instantiate);
    if (r == 0) {
      report("first run");
      if (runs > 1) best_read = best_load = best_inst = 1e30;
    }
  }
  if (runs > 1) report(("fastest of runs 2-" + std::to_string(runs)).c_str());
  if (native) {
    auto file = platform::read_file(argv[1]);
    double best = 1e30;
    for (int r = 0; file && r < runs; ++r) best = std::min(best, native_load_ms(file->bytes));
    if (best < 0) std::printf("%s: native code not cached (whirl compile it first)\n", argv[1]);
    else std::printf("%s: cached native code loaded (read, checked, linked) in %.1f ms, fastest of %d\n", argv[1], best, runs);
  }
  return 0;
}
