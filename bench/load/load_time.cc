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
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "component/binary/decoder.h"
#include "component/runtime/component.h"
#include "platform/file.h"
#include "wasi/p1/wasi.h"
#include "wasi/p2/wasi_p2.h"
#include "wasm/runtime/runtime.h"

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
  auto inst = component::runtime::instantiate(*c, wasm::Store::create(store_config()), linker, std::any(*ctx));
  if (!inst) return make_error(inst.error().message);
  t.instantiate = ms_since(t2);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.wasm [RUNS]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
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
  return 0;
}
