#include "wasm/script/differential.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "wasm/aot/tier.h"
#include "wasm/runtime/objects.h"

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
  std::optional<Trap> init_trap;
};

Side start(const std::shared_ptr<const CompiledModule>& compiled, uint64_t fuel, uint32_t max_call_depth = 500) {
  StoreConfig config;
  config.fuel = fuel;
  config.max_memory_bytes = 16u * kPageSize;
  config.max_call_depth = max_call_depth;
  Side s{Store::create(config)};
  const Module& m = compiled->module();
  std::vector<ExternVal> imports;
  for (const auto& imp : m.imports) imports.push_back(stand_in(*s.store, imp, m));
  auto inst = s.store->instantiate(compiled, imports);
  if (inst) s.inst = *inst;
  else s.init = inst.error().trap ? "trap: " + inst.error().trap->message : "error: " + inst.error().message;
  if (!inst) s.init_trap = inst.error().trap;
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

// What compare_tiers compares of a value: NaNs as one (their bits may
// differ between tiers), references by what they point to (each side's
// are pointers into its own store).
std::string value_text(ValType t, uint64_t bits, const Instance* inst) {
  if (t == ValType::F32 && std::isnan(std::bit_cast<float>(uint32_t(bits)))) return "nan";
  if (t == ValType::F64 && std::isnan(std::bit_cast<double>(bits))) return "nan";
  if (t == ValType::FuncRef && bits) {
    const auto* f = reinterpret_cast<const rt::FuncImpl*>(bits);
    if (f->instance == inst) return "func " + std::to_string(f->index);
    return f->host ? "host func" : "func of another instance";
  }
  if (is_ref(t)) return bits ? "ref" : "null";
  return std::to_string(bits);
}

std::string trap_text(const Trap& t) {
  return "trap: " + t.message + " [" + format_backtrace_inline(t) + "]";
}

std::string tier_outcome(const Expected<std::vector<Value>, Trap>& r, const Instance* inst) {
  if (!r) return trap_text(r.error());
  std::string out = "values:";
  for (const Value& v : *r) out += " " + value_text(v.type, v.bits, inst);
  return out;
}

bool is_nan_at(const uint8_t* p, size_t width) {
  if (width == 4) {
    uint32_t x;
    std::memcpy(&x, p, 4);
    return std::isnan(std::bit_cast<float>(x));
  }
  uint64_t x;
  std::memcpy(&x, p, 8);
  return std::isnan(std::bit_cast<double>(x));
}

// Whether byte k differs because a float store wrote NaNs of different bits
// there: some 4- or 8-byte window over k holds a NaN on both sides.
bool nan_explains(const uint8_t* a, const uint8_t* b, size_t size, size_t k) {
  for (size_t w : {size_t(4), size_t(8)})
    for (size_t at = k >= w - 1 ? k - (w - 1) : 0; at <= k && at + w <= size; ++at)
      if (is_nan_at(a + at, w) && is_nan_at(b + at, w)) return true;
  return false;
}

// The first difference between the two instances' memories, globals and
// tables (imported ones included), or nothing.
std::optional<std::string> state_difference(const Side& a, const Side& b) {
  const auto& ia = static_cast<const rt::InstanceImpl&>(*a.inst);
  const auto& ib = static_cast<const rt::InstanceImpl&>(*b.inst);
  for (size_t i = 0; i < ia.memories.size(); ++i) {
    const rt::MemoryImpl& ma = *ia.memories[i];
    const rt::MemoryImpl& mb = *ib.memories[i];
    if (ma.size != mb.size)
      return "memory " + std::to_string(i) + " size: interp " + std::to_string(ma.size) + ", aot " + std::to_string(mb.size);
    for (size_t k = 0; k < ma.size; ++k) {
      if (ma.base[k] == mb.base[k]) continue;
      k += std::mismatch(ma.base + k, ma.base + ma.size, mb.base + k).first - (ma.base + k);
      if (k < ma.size && !nan_explains(ma.base, mb.base, ma.size, k))
        return "memory " + std::to_string(i) + " byte " + std::to_string(k) + ": interp " +
               std::to_string(ma.base[k]) + ", aot " + std::to_string(mb.base[k]);
    }
  }
  for (size_t i = 0; i < ia.globals.size(); ++i) {
    ValType t = ia.globals[i]->gtype.type;
    std::string ga = value_text(t, ia.globals[i]->value, a.inst), gb = value_text(t, ib.globals[i]->value, b.inst);
    if (ga != gb) return "global " + std::to_string(i) + ": interp " + ga + ", aot " + gb;
  }
  for (size_t i = 0; i < ia.tables.size(); ++i) {
    const rt::TableImpl& ta = *ia.tables[i];
    const rt::TableImpl& tb = *ib.tables[i];
    if (ta.elems.size() != tb.elems.size())
      return "table " + std::to_string(i) + " size: interp " + std::to_string(ta.elems.size()) + ", aot " +
             std::to_string(tb.elems.size());
    for (size_t k = 0; k < ta.elems.size(); ++k) {
      if (!ta.elems[k] && !tb.elems[k]) continue;
      std::string ea = value_text(ta.ttype.elem, ta.elems[k], a.inst);
      std::string eb = value_text(ta.ttype.elem, tb.elems[k], b.inst);
      if (ea != eb) return "table " + std::to_string(i) + " element " + std::to_string(k) + ": interp " + ea + ", aot " + eb;
    }
  }
  return std::nullopt;
}

uint64_t fuel_left(const Side& s) { return static_cast<const rt::StoreImpl&>(*s.store).fuel_left; }

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

std::optional<std::string> compare_tiers(const std::shared_ptr<const Module>& module, uint64_t fuel) {
  if (!aot::register_aot_tier()) return std::nullopt;
  auto interp = rt::interp_tier().compile(module, {});
  if (!interp) return std::nullopt;  // not a module the interpreter takes
  auto native = aot::aot_tier().compile(module, {});
  if (!native) return "aot compilation failed: " + native.error().message;
  // The interpreter's depth limit well above what the fuel allows in a
  // recursion of plain calls, so that it rarely ends a comparison.
  const uint32_t depth = 10000;
  Side a = start(*interp, fuel, depth), b = start(*native, fuel, depth);
  if (a.init != b.init) return "instantiation: interp " + a.init + ", aot " + b.init;
  if (a.init_trap && b.init_trap && trap_text(*a.init_trap) != trap_text(*b.init_trap))
    return "instantiation: interp " + trap_text(*a.init_trap) + ", aot " + trap_text(*b.init_trap);
  if (!a.inst) return std::nullopt;
  if (auto d = state_difference(a, b)) return "after instantiation: " + *d;
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
      auto ra = a.store->invoke(fa, args), rb = b.store->invoke(fb, args);
      auto exhausted = [](const auto& r) { return !r && r.error().code == TrapCode::StackExhausted; };
      if (exhausted(ra) || exhausted(rb)) return std::nullopt;
      const std::string call = "export \"" + e.name + "\" pattern " + std::to_string(p) + ": ";
      std::string oa = tier_outcome(ra, a.inst), ob = tier_outcome(rb, b.inst);
      if (oa != ob) return call + "interp " + oa + ", aot " + ob;
      if (fuel_left(a) != fuel_left(b))
        return call + "fuel left: interp " + std::to_string(fuel_left(a)) + ", aot " + std::to_string(fuel_left(b));
      if (auto d = state_difference(a, b)) return call + *d;
    }
  }
  return std::nullopt;
}

}  // namespace whirl::wasm::script
