#include "wasm/script/differential.h"

#include <cstring>
#include <vector>

namespace whirl::wasm::script {

ExternVal stand_in(Store& store, const Import& imp, const Module& m) {
  switch (imp.kind) {
    case ExternKind::Func: {
      const FuncType& t = m.types[imp.func_type];
      return ExternVal::func(store.create_host_func(
          t, [](Caller&, std::span<const Value>, std::span<Value> results) -> std::optional<Trap> {
            for (auto& r : results) r.bits = 0;
            return std::nullopt;
          }));
    }
    case ExternKind::Table: {
      auto table = store.create_table(imp.table, Value::null(imp.table.elem));
      return table ? ExternVal::table(*table) : ExternVal{};
    }
    case ExternKind::Memory: {
      MemoryType t = imp.memory;
      if (t.limits.min > 16) t.limits.min = 16;  // keep memory use small
      auto mem = store.create_memory(t);
      return mem ? ExternVal::memory(*mem) : ExternVal{};
    }
    case ExternKind::Global:
      return ExternVal::global(store.create_global(imp.global, Value::zero(imp.global.type)));
  }
  return {};
}

namespace {

// One compilation of the module, instantiated in its own store.
struct Side {
  std::unique_ptr<Store> store;
  Instance* inst = nullptr;
  std::string init;  // how instantiation went
};

Side start(const std::shared_ptr<const CompiledModule>& compiled, uint64_t fuel) {
  StoreConfig config;
  config.fuel = fuel;
  config.max_memory_bytes = 16u * kPageSize;
  config.max_call_depth = 500;
  Side s{Store::create(config)};
  const Module& m = compiled->module();
  std::vector<ExternVal> imports;
  for (const auto& imp : m.imports) imports.push_back(stand_in(*s.store, imp, m));
  auto inst = s.store->instantiate(compiled, imports);
  if (inst) s.inst = *inst;
  else s.init = inst.error().trap ? "trap: " + inst.error().trap->message : "error: " + inst.error().message;
  return s;
}

// References are store-local pointers: only null-ness compares.
std::string bits_of(const Value& v) {
  if (is_ref(v.type)) return v.bits ? "ref" : "null";
  return std::to_string(v.bits);
}

std::string outcome(const Expected<std::vector<Value>, Trap>& r) {
  if (!r) return "trap: " + r.error().message;
  std::string out = "values:";
  for (const Value& v : *r) out += " " + bits_of(v);
  return out;
}

// The argument bits for pattern p: zeros, all ones, small counts.
uint64_t arg_bits(ValType t, int p, size_t i) {
  bool narrow = t == ValType::I32 || t == ValType::F32;
  if (t != ValType::I32 && t != ValType::I64 && t != ValType::F32 && t != ValType::F64) return 0;
  uint64_t v = p == 0 ? 0 : p == 1 ? ~uint64_t(0) : uint64_t(3 + i);
  return narrow ? uint32_t(v) : v;
}

}  // namespace

std::optional<std::string> compare_superinstructions(const std::shared_ptr<const Module>& module, uint64_t fuel) {
  auto fused = compile_module(module, {.superinstructions = true});
  auto plain = compile_module(module, {.superinstructions = false});
  if (!fused || !plain) return std::nullopt;  // not a module the interpreter takes
  Side a = start(*fused, fuel), b = start(*plain, fuel);
  if (a.init != b.init) return "instantiation: fused " + a.init + ", plain " + b.init;
  if (!a.inst) return std::nullopt;
  for (const Export& e : module->exports) {
    if (e.kind != ExternKind::Func) continue;
    FuncInst* fa = a.inst->find_export(e.name)->as_func();
    FuncInst* fb = b.inst->find_export(e.name)->as_func();
    for (int p = 0; p < 3; ++p) {
      std::vector<Value> args;
      for (size_t i = 0; i < fa->type().params.size(); ++i) {
        ValType t = fa->type().params[i];
        args.push_back({t, arg_bits(t, p, i)});
      }
      std::string ra = outcome(a.store->invoke(fa, args)), rb = outcome(b.store->invoke(fb, args));
      if (ra != rb) return "export \"" + e.name + "\" pattern " + std::to_string(p) + ": fused " + ra + ", plain " + rb;
    }
  }
  for (const Export& e : module->exports) {
    auto xa = a.inst->find_export(e.name), xb = b.inst->find_export(e.name);
    if (e.kind == ExternKind::Memory) {
      MemoryInst* ma = xa->as_memory();
      MemoryInst* mb = xb->as_memory();
      if (ma->size_bytes() != mb->size_bytes() || std::memcmp(ma->data(), mb->data(), ma->size_bytes()) != 0)
        return "memory \"" + e.name + "\" differs";
    } else if (e.kind == ExternKind::Global) {
      if (bits_of(xa->as_global()->get()) != bits_of(xb->as_global()->get()))
        return "global \"" + e.name + "\" differs";
    }
  }
  return std::nullopt;
}

}  // namespace whirl::wasm::script
