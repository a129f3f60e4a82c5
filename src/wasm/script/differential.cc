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
  Side s;
  s.store = Store::create(config);
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
    for (size_t k = 0;; ++k) {
      k = size_t(std::mismatch(ma.base + k, ma.base + ma.size, mb.base + k).first - ma.base);
      if (k >= ma.size) break;
      if (!nan_explains(ma.base, mb.base, ma.size, k))
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
  // The interpreter's plain code is the reference: its superinstructions
  // are compare_superinstructions' to check.
  auto interp = rt::interp_tier().compile(module, {.superinstructions = false});
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
    // The three patterns, and a fourth: integers at the last bytes of
    // memory 0, where a run of stores crosses its end (a trap after some
    // of them: what the compiler may not merge or drop).
    for (int p = 0; p < 4; ++p) {
      std::vector<Value> args;
      for (size_t i = 0; i < fa->type().params.size(); ++i) {
        ValType t = fa->type().params[i];
        uint64_t bits = arg_bits(t, p == 3 ? 2 : p, i);
        if (p == 3 && (t == ValType::I32 || t == ValType::I64)) {
          const MemoryInst* m = a.inst->memory(0);
          bits = uint32_t((m ? m->size_bytes() : kPageSize) - 1 - i);
        }
        args.push_back({t, bits});
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


// Random modules for the differential fuzzers: every choice is a byte of
// the input (0 once they run out: the simplest choice, so that every input
// gives a finite module), and every module validates. What a mutated
// binary seldom reaches: stores and loads at the end of memory, float
// values at conversion and NaN boundaries, loops, calls of every kind.
namespace {

class Draw {
 public:
  explicit Draw(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint32_t below(uint32_t n) {  // in [0, n)
    if (n <= 1) return 0;
    uint32_t v = next();
    if (n > 256) v = v << 8 | next();
    return v % n;
  }
  template <typename T, size_t N>
  const T& pick(const T (&options)[N]) {
    return options[below(N)];
  }
  uint32_t word() {
    uint32_t w = 0;
    for (int k = 0; k < 4; ++k) w = w << 8 | next();
    return w;
  }

 private:
  uint8_t next() { return at_ < bytes_.size() ? bytes_[at_++] : 0; }
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

// The parts in order. A braced list's elements are evaluated left to
// right, the operands of + in no set order: the draws they make would
// give another module under another compiler.
std::string cat(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

const ValType kNumeric[] = {ValType::I32, ValType::I64, ValType::F32, ValType::F64};

std::string name_of(ValType t) {
  switch (t) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    default: return "f64";
  }
}

bool is_int(ValType t) { return t == ValType::I32 || t == ValType::I64; }

class ModuleGen {
 public:
  explicit ModuleGen(std::span<const uint8_t> bytes) : d_(bytes) {}
  std::string run();

 private:
  struct Sig {
    std::vector<ValType> params, results;
  };
  std::string expr(ValType t, int depth);
  std::string leaf(ValType t);
  std::string constant(ValType t, bool plain = false);
  std::string address(int depth);
  std::string memarg(uint32_t max_offset);
  std::string unary(ValType t, int depth);
  std::string binary(ValType t, int depth);
  std::string compare(int depth);
  std::string load(ValType t, int depth);
  std::string call(uint32_t f, int depth);
  std::string stmts(int depth);
  std::string stmt(int depth);
  std::string store_run();
  std::string sig_text(const Sig& s) const;
  std::string local_of(ValType t);

  Draw d_;
  std::vector<Sig> funcs_;  // the import first
  std::vector<ValType> locals_;  // the current function's, parameters first
  std::vector<std::string> labels_;  // void branch targets, innermost last
  int next_label_ = 0;
};

std::string ModuleGen::sig_text(const Sig& s) const {
  std::string out;
  if (!s.params.empty()) {
    out += " (param";
    for (ValType t : s.params) out += " " + name_of(t);
    out += ")";
  }
  if (!s.results.empty()) {
    out += " (result";
    for (ValType t : s.results) out += " " + name_of(t);
    out += ")";
  }
  return out;
}

std::string ModuleGen::constant(ValType t, bool plain) {
  // Values at the edges: of memory, of conversions, of signed ranges.
  static const int64_t kInts[] = {0, 1, -1, 2, 7, 31, 32, 63, 64, 65535, 65532, 65536, 0x7fffffff,
                                  int64_t(0x80000000), 0x7fffffffffffffff, int64_t(0x8000000000000000)};
  static const char* const kFloats[] = {"0", "-0", "1", "-1.5", "0.5", "2147483647.5", "-2147483648.5", "4294967296",
                                        "9223372036854775808", "-9223372036854775808", "1e30", "-1e-30",
                                        "inf", "-inf", "nan", "-nan", "nan:0x1", "-nan:0x2a", "65536"};
  switch (t) {
    case ValType::I32: {
      int64_t v = d_.below(4) == 0 ? int64_t(d_.word()) : d_.pick(kInts);
      return "(i32.const " + std::to_string(int32_t(uint32_t(v))) + ")";
    }
    case ValType::I64: {
      int64_t v = d_.pick(kInts);
      if (d_.below(4) == 0) {
        uint64_t hi = d_.word();
        v = int64_t(hi << 32 | d_.word());
      }
      return "(i64.const " + std::to_string(v) + ")";
    }
    default:
      if (!plain && d_.below(6) == 0) {  // any bit pattern, NaN payloads included
        const bool narrow = t == ValType::F32;
        return cat({"(", name_of(t), narrow ? ".reinterpret_i32 " : ".reinterpret_i64 ",
                    constant(narrow ? ValType::I32 : ValType::I64), ")"});
      }
      return "(" + name_of(t) + ".const " + d_.pick(kFloats) + ")";
  }
}

std::string ModuleGen::local_of(ValType t) {
  std::vector<uint32_t> of;
  for (uint32_t i = 0; i < locals_.size(); ++i)
    if (locals_[i] == t) of.push_back(i);
  if (of.empty()) return "";
  return std::to_string(of[d_.below(uint32_t(of.size()))]);
}

std::string ModuleGen::leaf(ValType t) {
  switch (d_.below(4)) {
    case 1:
      if (auto l = local_of(t); !l.empty()) return "(local.get " + l + ")";
      break;
    case 2: return "(global.get $g_" + name_of(t) + ")";
    default: break;
  }
  return constant(t);
}

// Mostly near the end of a memory (one page): a run of accesses there
// crosses it.
std::string ModuleGen::address(int depth) {
  switch (d_.below(4)) {
    case 0: return "(i32.const " + std::to_string(65536 - int(d_.below(20))) + ")";
    case 1: return "(i32.const " + std::to_string(d_.below(64)) + ")";
    case 2: return expr(ValType::I32, depth);
    default: return "(i32.and " + expr(ValType::I32, depth) + " (i32.const 0xffff))";
  }
}

std::string ModuleGen::memarg(uint32_t max_offset) {
  std::string out = d_.below(5) == 0 ? " $m1" : "";
  if (uint32_t o = d_.below(max_offset + 1)) out += " offset=" + std::to_string(o);
  return out;
}

std::string ModuleGen::load(ValType t, int depth) {
  static const char* const kI32[] = {"i32.load", "i32.load8_s", "i32.load8_u", "i32.load16_s", "i32.load16_u"};
  static const char* const kI64[] = {"i64.load", "i64.load8_s", "i64.load8_u", "i64.load16_s",
                                     "i64.load16_u", "i64.load32_s", "i64.load32_u"};
  std::string op = t == ValType::I32 ? d_.pick(kI32) : t == ValType::I64 ? d_.pick(kI64) : name_of(t) + ".load";
  return cat({"(", op, memarg(12), " ", address(depth), ")"});
}

std::string ModuleGen::unary(ValType t, int depth) {
  const std::string T = name_of(t);
  if (is_int(t)) {
    const ValType other = t == ValType::I32 ? ValType::I64 : ValType::I32;
    const ValType f = t == ValType::I32 ? ValType::F32 : ValType::F64;
    switch (d_.below(8)) {
      case 0: return "(" + T + ".clz " + expr(t, depth) + ")";
      case 1: return "(" + T + ".ctz " + expr(t, depth) + ")";
      case 2: return "(" + T + ".popcnt " + expr(t, depth) + ")";
      case 3: return cat({"(", T, d_.below(2) ? ".extend8_s " : ".extend16_s ", expr(t, depth), ")"});
      case 4:
        if (t == ValType::I32) return "(i32.wrap_i64 " + expr(other, depth) + ")";
        return cat({d_.below(2) ? "(i64.extend_i32_s " : "(i64.extend_i32_u ", expr(other, depth), ")"});
      case 5: {
        const ValType from = d_.below(2) ? ValType::F32 : ValType::F64;
        return cat({"(", T, d_.below(2) ? ".trunc_sat_" : ".trunc_", name_of(from), d_.below(2) ? "_s " : "_u ",
                    expr(from, depth), ")"});
      }
      case 6: return "(" + T + ".reinterpret_" + name_of(f) + " " + expr(f, depth) + ")";
      default: {
        if (t == ValType::I64) return "(i64.extend32_s " + expr(t, depth) + ")";
        const ValType u = d_.below(2) ? ValType::I32 : ValType::I64;
        return "(" + name_of(u) + ".eqz " + expr(u, depth) + ")";
      }
    }
  }
  static const char* const kOps[] = {"abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt"};
  switch (d_.below(4)) {
    case 0: {
      const ValType i = d_.below(2) ? ValType::I32 : ValType::I64;
      return cat({"(", T, ".convert_", name_of(i), d_.below(2) ? "_s " : "_u ", expr(i, depth), ")"});
    }
    case 1:
      if (t == ValType::F32) return "(f32.demote_f64 " + expr(ValType::F64, depth) + ")";
      return "(f64.promote_f32 " + expr(ValType::F32, depth) + ")";
    default: return cat({"(", T, ".", d_.pick(kOps), " ", expr(t, depth), ")"});
  }
}

std::string ModuleGen::binary(ValType t, int depth) {
  static const char* const kInt[] = {"add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and",
                                     "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"};
  static const char* const kFloat[] = {"add", "sub", "mul", "div", "min", "max", "copysign"};
  std::string op = is_int(t) ? d_.pick(kInt) : d_.pick(kFloat);
  return cat({"(", name_of(t), ".", op, " ", expr(t, depth), " ", expr(t, depth), ")"});
}

std::string ModuleGen::compare(int depth) {
  static const char* const kInt[] = {"eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"};
  static const char* const kFloat[] = {"eq", "ne", "lt", "gt", "le", "ge"};
  const ValType t = d_.pick(kNumeric);
  std::string op = is_int(t) ? d_.pick(kInt) : d_.pick(kFloat);
  return cat({"(", name_of(t), ".", op, " ", expr(t, depth), " ", expr(t, depth), ")"});
}

// A call of function f, directly or through the table (which holds every
// function at its index).
std::string ModuleGen::call(uint32_t f, int depth) {
  const bool indirect = d_.below(3) == 0;
  std::string out = indirect ? "(call_indirect (type $t" + std::to_string(f) + ")" : "(call $f" + std::to_string(f);
  for (ValType p : funcs_[f].params) out += " " + expr(p, depth);
  if (indirect) out += " " + expr(ValType::I32, depth);
  return out + ")";
}

std::string ModuleGen::expr(ValType t, int depth) {
  if (depth <= 0) return leaf(t);
  const std::string T = name_of(t);
  switch (d_.below(13)) {
    case 1: return unary(t, depth - 1);
    case 2:
    case 3: return binary(t, depth - 1);
    case 4: return load(t, depth - 1);
    case 5:
      if (t == ValType::I32) return compare(depth - 1);
      return binary(t, depth - 1);
    case 6: return cat({"(select ", expr(t, depth - 1), " ", expr(t, depth - 1), " ", expr(ValType::I32, depth - 1), ")"});
    case 7:
      return cat({"(if (result ", T, ") ", expr(ValType::I32, depth - 1), " (then", stmts(depth - 1), " ",
                  expr(t, depth - 1), ") (else ", expr(t, depth - 1), "))"});
    case 8: {
      std::vector<uint32_t> returning;  // functions with this one result
      for (uint32_t f = 0; f < funcs_.size(); ++f)
        if (funcs_[f].results.size() == 1 && funcs_[f].results[0] == t) returning.push_back(f);
      if (returning.empty()) break;
      return call(returning[d_.below(uint32_t(returning.size()))], depth - 1);
    }
    case 9:
      // Statements (which may branch past it) and a value.
      return cat({"(block (result ", T, ")", stmts(depth - 1), " ", expr(t, depth - 1), ")"});
    case 10:
      if (auto l = local_of(t); !l.empty()) return "(local.tee " + l + " " + expr(t, depth - 1) + ")";
      break;
    case 11:
      if (t != ValType::I32) break;
      if (d_.below(2)) return d_.below(4) ? "(memory.size)" : "(memory.size $m1)";
      return cat({"(memory.grow ", d_.below(4) ? "" : "$m1 ", "(i32.const ", std::to_string(d_.below(3)), "))"});
    default: break;
  }
  return leaf(t);
}

std::string ModuleGen::stmts(int depth) {
  std::string out;
  for (uint32_t n = d_.below(5); n > 0; --n) out += " " + stmt(depth);
  return out;
}

// Stores to one base address, at offsets close together: the later may
// trap where the earlier did not (stores a compiler may not merge, nor
// drop as overwritten).
std::string ModuleGen::store_run() {
  static const char* const kStores[] = {"i32.store8", "i32.store16", "i32.store", "i64.store"};
  std::string base;
  if (d_.below(2)) base = local_of(ValType::I32);
  base = base.empty() ? "(i32.const " + std::to_string(65536 - int(d_.below(12))) + ")" : "(local.get " + base + ")";
  const std::string mem = d_.below(4) ? "" : " $m1";
  std::string out;
  uint32_t offset = d_.below(4);
  for (uint32_t n = 2 + d_.below(2); n > 0; --n) {
    std::string op = d_.pick(kStores);
    out += cat({out.empty() ? "(" : " (", op, mem, offset ? " offset=" + std::to_string(offset) : "", " ", base, " ",
                constant(op[1] == '3' ? ValType::I32 : ValType::I64), ")"});
    offset += d_.below(5);
  }
  return out;
}

std::string ModuleGen::stmt(int depth) {
  if (depth < 0) return "(nop)";
  switch (d_.below(18)) {
    case 1: {
      if (locals_.empty()) break;
      const ValType t = locals_[d_.below(uint32_t(locals_.size()))];
      std::string l = local_of(t);
      return "(local.set " + l + " " + expr(t, depth) + ")";
    }
    case 2: {
      const ValType t = d_.pick(kNumeric);
      return "(global.set $g_" + name_of(t) + " " + expr(t, depth) + ")";
    }
    case 3:
    case 4: {
      static const char* const kStores[] = {"i32.store", "i32.store8", "i32.store16", "i64.store", "i64.store8",
                                            "i64.store16", "i64.store32", "f32.store", "f64.store"};
      std::string op = d_.pick(kStores);
      const ValType t = op[0] == 'f' ? (op[1] == '3' ? ValType::F32 : ValType::F64)
                                     : (op[1] == '3' ? ValType::I32 : ValType::I64);
      return cat({"(", op, memarg(12), " ", address(depth), " ", expr(t, depth), ")"});
    }
    case 5: {
      const ValType t = d_.pick(kNumeric);
      return "(drop " + expr(t, depth) + ")";
    }
    case 6: return cat({"(if ", expr(ValType::I32, depth), " (then", stmts(depth - 1), ") (else", stmts(depth - 1), "))"});
    case 7:
    case 8: {
      // A block, or a loop run a bounded number of times by its counter
      // (branches back from its body can make it more; fuel ends those).
      const bool loop = d_.below(2);
      const std::string label = (loop ? "$l" : "$b") + std::to_string(next_label_++);
      labels_.push_back(label);
      std::string body = stmts(depth - 1);
      labels_.pop_back();
      if (!loop) return "(block " + label + body + ")";
      const std::string c = std::to_string(locals_.size());
      locals_.push_back(ValType::I32);
      return cat({"(local.set ", c, " (i32.const ", std::to_string(1 + d_.below(6)), ")) (loop ", label, body,
                  " (br_if ", label, " (local.tee ", c, " (i32.sub (local.get ", c, ") (i32.const 1)))))"});
    }
    case 9: {
      if (labels_.empty()) break;
      auto any_label = [&] { return labels_[labels_.size() - 1 - d_.below(uint32_t(labels_.size()))]; };
      const std::string label = any_label();  // a copy: expressions below may push labels
      switch (d_.below(3)) {
        case 0: return "(br_if " + label + " " + expr(ValType::I32, depth) + ")";
        case 1: {
          std::string targets;
          for (uint32_t n = 1 + d_.below(4); n > 0; --n) targets += " " + any_label();
          return cat({"(br_table", targets, " ", label, " ", expr(ValType::I32, depth), ")"});
        }
        default: return "(if " + expr(ValType::I32, depth) + " (then (br " + label + ")))";
      }
    }
    case 10:
    case 11: {
      const uint32_t f = d_.below(uint32_t(funcs_.size()));
      std::string out = call(f, depth);
      for (size_t k = 0; k < funcs_[f].results.size(); ++k) out += " (drop)";  // its results, off the stack
      return out;
    }
    case 12: {
      const uint32_t kind = d_.below(3);
      if (kind == 0)
        return cat({"(memory.fill ", address(depth), " ", expr(ValType::I32, depth), " (i32.const ",
                    std::to_string(d_.below(40)), "))"});
      return cat({kind == 1 ? "(memory.copy " : "(memory.copy $m1 $m0 ", address(depth), " ", address(depth),
                  " (i32.const ", std::to_string(d_.below(40)), "))"});
    }
    case 13: return d_.below(4) ? "(nop)" : "(unreachable)";
    case 14: return store_run();
    case 15: {
      // A global set twice with a statement between (which may trap).
      const ValType t = d_.pick(kNumeric);
      const std::string g = "$g_" + name_of(t);
      return cat({"(global.set ", g, " ", constant(t), ") ", stmt(depth - 1), " (global.set ", g, " ", constant(t), ")"});
    }
    default: break;
  }
  return "(nop)";
}

std::string ModuleGen::run() {
  // The import (a stand-in: returns zeros), then up to 4 functions.
  funcs_.push_back({{ValType::I32, ValType::F64}, {ValType::I32}});
  const uint32_t n = 1 + d_.below(4);
  for (uint32_t i = 0; i < n; ++i) {
    Sig s;
    for (uint32_t k = d_.below(4); k > 0; --k) s.params.push_back(d_.pick(kNumeric));
    for (uint32_t k = d_.below(3); k > 0; --k) s.results.push_back(d_.pick(kNumeric));
    funcs_.push_back(std::move(s));
  }
  std::string out = "(module\n";
  for (size_t f = 0; f < funcs_.size(); ++f) out += "  (type $t" + std::to_string(f) + " (func" + sig_text(funcs_[f]) + "))\n";
  out += "  (import \"h\" \"f\" (func $f0 (type $t0)))\n";
  out += "  (memory $m0 (export \"m0\") 1 2)\n  (memory $m1 (export \"m1\") 1 1)\n";
  out += "  (data (memory $m0) (i32.const 65528) \"\\01\\02\\03\\04\\f0\\f1\\f2\\f3\")\n";
  for (ValType t : kNumeric) out += "  (global $g_" + name_of(t) + " (mut " + name_of(t) + ") " + constant(t, true) + ")\n";
  out += "  (table " + std::to_string(funcs_.size() + 1) + " funcref)\n  (elem (i32.const 0) func";
  for (size_t f = 0; f < funcs_.size(); ++f) out += " $f" + std::to_string(f);
  out += ")\n";
  for (size_t f = 1; f < funcs_.size(); ++f) {
    const Sig& s = funcs_[f];
    locals_ = s.params;
    for (uint32_t k = d_.below(4); k > 0; --k) locals_.push_back(d_.pick(kNumeric));
    std::string body = stmts(3);
    for (ValType r : s.results) body += " " + expr(r, 3);
    out += "  (func $f" + std::to_string(f) + " (export \"f" + std::to_string(f) + "\") (type $t" + std::to_string(f) + ")";
    if (locals_.size() > s.params.size()) {
      out += " (local";
      for (size_t k = s.params.size(); k < locals_.size(); ++k) out += " " + name_of(locals_[k]);
      out += ")";
    }
    out += "\n   " + body + ")\n";
  }
  return out + ")\n";
}

}  // namespace

std::string random_module_text(std::span<const uint8_t> bytes) { return ModuleGen(bytes).run(); }

}  // namespace whirl::wasm::script
