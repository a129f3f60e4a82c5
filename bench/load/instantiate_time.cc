// Instantiation time of one module or component, as a server pays it per
// request: the file is loaded once, then each round makes a fresh store,
// instantiates into it (WASI preview1 for a core module, WASI 0.2 for a
// component, with wasi:http, one Linker for all rounds as an executor
// keeps), and drops it.
// Reports the median, p99 and fastest round of
//   instantiate: Store::create + instantiate (what issue 25's targets name)
//   round:       the WASI context, instantiate and dropping it all again
// Usage:
//   whirl-instantiate-time FILE.wasm [ROUNDS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "component/binary/decoder.h"
#include "component/runtime/component.h"
#include "platform/file.h"
#include "wasi/p1/wasi.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/wasi_p2.h"
#include "wasm/runtime/runtime.h"

namespace {

using namespace whirl;
using Clock = std::chrono::steady_clock;
double us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

struct Round {
  double instantiate = 0, total = 0;  // µs
};

Expected<Round> module_round(const std::shared_ptr<const wasm::CompiledModule>& compiled) {
  Round r;
  auto t0 = Clock::now();
  {
    auto ctx = wasi::create_wasi({});
    if (!ctx) return unexpected(ctx.error());
    auto t1 = Clock::now();
    auto store = wasm::Store::create({});
    auto imports = wasi::wasi_link(*ctx, *store, compiled->module());
    if (!imports) return unexpected(imports.error());
    auto inst = store->instantiate(compiled, *imports);
    if (!inst) return make_error(inst.error().message);
    r.instantiate = us_between(t1, Clock::now());
  }
  r.total = us_between(t0, Clock::now());
  return r;
}

Expected<Round> component_round(const std::shared_ptr<const component::runtime::LoadedComponent>& c,
                                const component::runtime::Linker& linker) {
  Round r;
  auto t0 = Clock::now();
  {
    auto ctx = wasi::p2::create_wasi_p2({});
    if (!ctx) return unexpected(ctx.error());
    auto t1 = Clock::now();
    auto inst = component::runtime::instantiate(c, wasm::Store::create({}), linker, std::any(*ctx));
    if (!inst) return make_error(inst.error().message);
    r.instantiate = us_between(t1, Clock::now());
  }
  r.total = us_between(t0, Clock::now());
  return r;
}

void report(const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, size_t(q * double(v.size())))]; };
  std::printf("  %-12s median %8.1f us  p99 %8.1f us  fastest %8.1f us\n", what, at(0.5), at(0.99), v.front());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.wasm [ROUNDS]\n", argv[0]);
    return 2;
  }
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1000;
  auto file = platform::read_file(argv[1]);
  if (!file) {
    std::fprintf(stderr, "%s\n", file.error().message.c_str());
    return 1;
  }
  std::shared_ptr<const wasm::CompiledModule> module;
  std::shared_ptr<const component::runtime::LoadedComponent> comp;
  component::runtime::Linker linker;
  if (component::is_component_binary(file->bytes)) {
    auto c = component::runtime::load_component(file->bytes, file->owner);
    if (!c) return std::fprintf(stderr, "%s: %s\n", argv[1], c.error().message.c_str()), 1;
    comp = *c;
    wasi::p2::add_to_linker(linker);
    wasi::http::add_to_linker(linker);  // a wasi:http guest's imports
  } else {
    auto m = wasm::load_module(file->bytes, file->owner);
    if (!m) return std::fprintf(stderr, "%s: %s\n", argv[1], m.error().message.c_str()), 1;
    module = *m;
  }
  std::vector<double> inst, total;
  double first = 0;
  const int warmup = std::min(rounds, 20);
  for (int i = 0; i < warmup + rounds; ++i) {
    auto r = comp ? component_round(comp, linker) : module_round(module);
    if (!r) return std::fprintf(stderr, "%s: %s\n", argv[1], r.error().message.c_str()), 1;
    if (i == 0) first = r->instantiate;
    if (i < warmup) continue;  // the first builds what later rounds share
    inst.push_back(r->instantiate);
    total.push_back(r->total);
  }
  std::printf("%s: %.1f MB, %d rounds (the first instantiation: %.1f us)\n", argv[1],
              double(file->bytes.size()) / 1e6, rounds, first);
  report("instantiate", inst);
  report("round", total);
  return 0;
}
