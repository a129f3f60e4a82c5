// Fuzzes the whole load path: decode, validate, compile, then instantiate
// with host stand-ins for every import and call each exported function with
// zero arguments under a fuel limit. Anything but a clean error is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "wasm/runtime/runtime.h"
#include "wasm/script/differential.h"

using namespace whirl::wasm;
using whirl::wasm::script::stand_in;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto compiled = load_module(std::span<const uint8_t>(data, size));
  if (!compiled) return 0;
  const Module& m = (*compiled)->module();
  StoreConfig config;
  config.fuel = 100000;
  config.max_memory_bytes = 16u * kPageSize;
  config.max_call_depth = 500;
  auto store = Store::create(config);
  std::vector<ExternVal> imports;
  for (const auto& imp : m.imports) imports.push_back(stand_in(*store, imp, m));
  auto inst = store->instantiate(*compiled, imports);
  if (!inst) return 0;
  for (const auto& exp : m.exports) {
    if (exp.kind != ExternKind::Func) continue;
    auto ext = (*inst)->find_export(exp.name);
    if (!ext) continue;
    FuncInst* f = ext->as_func();
    std::vector<Value> args;
    for (ValType t : f->type().params) args.push_back(Value::zero(t));
    (void)store->invoke(f, args);
  }
  return 0;
}
