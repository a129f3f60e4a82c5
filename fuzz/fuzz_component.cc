// Fuzzes the component front end and runtime: decode + validate of
// component binaries (nested core modules included), then instantiation
// with no host imports and calls of the exported functions that take no
// arguments, bounded by fuel and a memory limit. Errors and traps are
// fine; crashes, hangs and leaks are bugs.
#include <cstddef>
#include <cstdint>
#include <span>

#include "component/binary/decoder.h"
#include "component/binary/validator.h"
#include "component/runtime/component.h"

namespace rt = whirl::component::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  auto c = whirl::component::decode_component(bytes);
  if (!c || !whirl::component::validate_component(*c)) return 0;
  auto loaded = rt::load_component(bytes);
  if (!loaded) return 0;
  whirl::wasm::StoreConfig sc;
  sc.fuel = 100'000;
  sc.max_memory_bytes = 64 << 20;
  sc.max_call_depth = 500;
  rt::Linker linker;
  auto inst = rt::instantiate(*loaded, whirl::wasm::Store::create(sc), linker);
  if (!inst) return 0;
  for (const auto& e : rt::component_type(**loaded).exports) {
    if (e.type.kind != whirl::component::ExternType::Kind::Func || !e.type.func->params.empty()) continue;
    auto f = (*inst)->find_func(e.name);
    if (f) (void)(*inst)->call(f, {});
  }
  return 0;
}
