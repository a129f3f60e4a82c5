// Store, runtime objects and instantiation (linking, segments, start).
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "platform/guard.h"
#include "platform/vm.h"
#include "wasm/runtime/tier.h"
#include "wasm/binary/decoder.h"
#include "wasm/runtime/memory_pool.h"
#include "wasm/runtime/objects.h"
#include "wasm/validate/validator.h"

namespace whirl::wasm {

Value Value::f32(float v) { return f32_bits(std::bit_cast<uint32_t>(v)); }
Value Value::f64(double v) { return f64_bits(std::bit_cast<uint64_t>(v)); }
float Value::as_f32() const { return std::bit_cast<float>(uint32_t(bits)); }
double Value::as_f64() const { return std::bit_cast<double>(bits); }

const char* trap_message(TrapCode code) {
  switch (code) {
    case TrapCode::Unreachable: return "unreachable";
    case TrapCode::MemoryOutOfBounds: return "out of bounds memory access";
    case TrapCode::TableOutOfBounds: return "out of bounds table access";
    case TrapCode::UndefinedElement: return "undefined element";
    case TrapCode::UninitializedElement: return "uninitialized element";
    case TrapCode::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapCode::IntegerDivideByZero: return "integer divide by zero";
    case TrapCode::IntegerOverflow: return "integer overflow";
    case TrapCode::InvalidConversion: return "invalid conversion to integer";
    case TrapCode::StackExhausted: return "call stack exhausted";
    case TrapCode::Interrupted: return "interrupted";
    case TrapCode::OutOfFuel: return "all fuel consumed";
    case TrapCode::Exit: return "exit";
    case TrapCode::Host: return "host function failed";
    case TrapCode::UncaughtException: return "uncaught exception";
  }
  return "trap";
}

namespace {

// A lent file is held only when the module keeps most of it (a large
// module's data is not copied again); else the little it keeps is copied
// and the file (its code, its debug sections) is not kept with it.
Expected<Module> decode_to_load(std::span<const uint8_t> bytes, const std::shared_ptr<const void>& owner,
                                bool bodies) {
  auto m = decode_module(bytes, owner, Features::process_default(), bodies, /*customs=*/false);
  if (m && owner && 2 * kept_bytes(*m) < bytes.size()) keep_own_copy(*m);
  return m;
}

}  // namespace

Expected<std::shared_ptr<const CompiledModule>> load_module(std::span<const uint8_t> bytes,
                                                            std::shared_ptr<const void> owner,
                                                            const CompileOptions& options) {
  if (const rt::Tier* t = rt::tier_for(options.tier))
    if (auto found = t->find_compiled(options.source.empty() ? bytes : options.source,
                                      options.source_digest ? &*options.source_digest : nullptr)) {
      auto m = decode_to_load(bytes, owner, /*bodies=*/false);
      if (m && validate_module(*m, Features::process_default(), /*bodies=*/false)) {
        CompileOptions o = options;
        if (o.source.empty()) o.source = bytes;
        o.found = std::move(found);
        if (auto compiled = compile_module(std::make_shared<Module>(std::move(*m)), o)) return compiled;
      }
      // Else the whole load below, whose errors are the ones to report.
    }
  auto m = decode_to_load(bytes, owner, /*bodies=*/true);
  if (!m) return unexpected(std::move(m).error());
  auto module = std::make_shared<Module>(std::move(*m));
  if (auto v = validate_module(*module); !v) return unexpected(v.error());
  CompileOptions o = options;
  if (o.source.empty()) o.source = bytes;
  auto compiled = compile_module(module, o);
  if (!compiled) return compiled;
  release_bodies(*module, **compiled);
  return compiled;
}

std::unique_ptr<Store> Store::create(StoreConfig config) { return std::make_unique<rt::StoreImpl>(config); }

namespace rt {

// Room for every 32-bit address plus offset: bounds are checked by guard pages.
constexpr uint64_t kReservation = platform::kGuardedReservation;
// Data segments this large get their pages made present in one call first.
constexpr size_t kPrefaultAtLeast = 256 * 1024;

MemoryImpl::~MemoryImpl() {
  if (pooled) MemoryPool::global().give(base, reserved, size, image_id, image_bytes, initial);
  else platform::vm_release(base, reserved);
}

namespace {

// "128 MiB", "32 GiB", "1.5 KiB", "100 bytes".
std::string format_bytes(uint64_t n) {
  static const char* const units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (n < 1024) return std::to_string(n) + (n == 1 ? " byte" : " bytes");
  double v = double(n) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g %s", v, units[u]);
  return buf;
}

// "<what> (<bytes>) exceeds the instance memory limit of <limit>[ (<used> in use)]"
std::string over_budget(const std::string& what, uint64_t bytes, const MemoryBudget& b) {
  if (b.shared && bytes <= b.limit - b.used)  // the store had room: the shared budget did not
    return what + " (" + format_bytes(bytes) + ") exceeds the memory shared with other instances of the app: " +
           format_bytes(b.shared->used()) + " of " + format_bytes(b.shared->limit()) + " in use";
  std::string s = what + " (" + format_bytes(bytes) + ") exceeds the instance memory limit of " + format_bytes(b.limit);
  if (b.used) s += " (" + format_bytes(b.used) + " already in use by memories and tables)";
  return s;
}

}  // namespace

Expected<MemoryImpl*> MemoryImpl::create(MemoryType t, MemoryBudget* budget, bool huge_pages,
                                         const MemoryImages::Image* image) {
  uint64_t initial = uint64_t(t.limits.min) * kPageSize;
  if (!budget->take(initial))
    return make_error(over_budget("memory of " + std::to_string(t.limits.min) + (t.limits.min == 1 ? " page" : " pages"),
                                  initial, *budget));
  auto fail = [&] {
    budget->give(initial);
    return make_error("cannot reserve address space for a memory of " + std::to_string(t.limits.min) + " pages");
  };
  if (!platform::guard_install()) return fail();
  auto* m = new MemoryImpl;
  m->limits = t.limits;
  m->shared = t.shared;
  m->budget = budget;
  m->reserved = kReservation;
  m->initial = initial;
  m->pooled = !huge_pages;  // a huge-page memory is advised differently: not shared with others
  const bool use_image = image && image->fd >= 0 && image->bytes <= initial;
  if (m->pooled) {
    MemoryPool& pool = MemoryPool::global();
    uint8_t* b = pool.take(use_image ? image->id : 0, use_image ? image->bytes : 0, initial);
    if (!b) {
      MemoryPool::Slot s = pool.take_any();
      if (s.base && MemoryPool::prepare_again(s, use_image ? image->fd : -1, use_image ? image->bytes : 0, initial))
        b = s.base;
      else if (s.base)
        platform::vm_release(s.base, kReservation);
    }
    if (b) {
      m->base = b;
      m->size = initial;
      m->from_image = use_image;
      m->image_id = use_image ? image->id : 0;
      m->image_bytes = use_image ? image->bytes : 0;
      return m;
    }
  }
  m->base = static_cast<uint8_t*>(platform::vm_reserve(m->reserved));
  if (!m->base) {
    m->pooled = false;
    delete m;
    return fail();
  }
  // The image (never larger than the initial size) and zero pages after it.
  uint64_t mapped = 0;
  if (use_image && platform::vm_map_image(m->base, image->fd, image->bytes)) {
    mapped = image->bytes;
    m->from_image = true;
    m->image_id = image->id;
    m->image_bytes = image->bytes;
  }
  if (!platform::vm_commit(m->base + mapped, initial - mapped)) {
    m->pooled = false;
    delete m;
    return fail();
  }
  if (huge_pages) platform::vm_advise_huge(m->base, m->reserved);
  m->size = initial;
  return m;
}

std::optional<uint32_t> MemoryImpl::grow(uint32_t delta) {
  uint64_t old_pages = size / kPageSize;
  uint64_t new_pages = old_pages + delta;
  uint64_t max_pages = limits.max ? *limits.max : kMaxPages;
  uint64_t bytes = uint64_t(delta) * kPageSize;
  if (new_pages > max_pages || !budget->take(bytes)) return std::nullopt;
  if (!platform::vm_commit(base + size, bytes)) {
    budget->give(bytes);
    return std::nullopt;
  }
  size = new_pages * kPageSize;
  return uint32_t(old_pages);
}

std::optional<uint32_t> TableImpl::grow(uint32_t delta, Value init) {
  uint64_t old = elems.size(), want = old + delta;
  uint64_t max = std::min<uint64_t>(ttype.limits.max ? *ttype.limits.max : 0xffffffffull, kMaxTableElements);
  if (want > max) return std::nullopt;
  if (want > elems.capacity()) {
    // Doubling keeps growth by one element at a time linear (addFunction
    // does that); the budget pays for the capacity, exact if doubling does not fit.
    uint64_t have = elems.capacity();
    uint64_t cap = std::max(want, std::min<uint64_t>(2 * have, max));
    if (!budget->take((cap - have) * kTableElementBytes)) {
      cap = want;
      if (!budget->take((cap - have) * kTableElementBytes)) return std::nullopt;
    }
    elems.reserve(cap);
  }
  elems.resize(want, init.bits);
  return uint32_t(old);
}

StoreImpl::StoreImpl(StoreConfig c) : config(c), tick_flags(c.fuel ? kFuelOn : 0), fuel_left(c.fuel) {
  budget.limit = c.max_memory_bytes;
  budget.shared = config.shared_budget.get();
  // Enough for max_call_depth frames of typical size; deeper use traps.
  stack = ValueStackPool::global().take();
  sp = stack;
  stack_end = stack + ValueStackPool::kShallowSlots;
}

FuncInst* StoreImpl::create_host_func(const FuncType& shared_type, uint32_t type_id, HostFunc fn) {
  FuncImpl& f = funcs.emplace_back();
  f.host = &hosts.emplace_back(FuncImpl::Host{{}, std::move(fn), {}});
  f.sig = &shared_type;
  f.type_id = type_id;
  return &f;
}

FuncInst* StoreImpl::create_host_func(FuncType type, HostFunc fn, std::string name) {
  FuncImpl& f = funcs.emplace_back();
  f.host = &hosts.emplace_back(FuncImpl::Host{std::move(type), std::move(fn), std::move(name)});
  f.sig = &f.host->type;
  f.type_id = intern_func_type(*f.sig);
  return &f;
}

Expected<TableInst*> StoreImpl::create_table(TableType type, Value init) {
  uint64_t n = type.limits.min;
  std::string what = "table of " + std::to_string(n) + " elements";
  if (n > kMaxTableElements)
    return make_error(what + " exceeds the implementation limit of " + std::to_string(kMaxTableElements) + " elements");
  if (!budget.take(n * kTableElementBytes)) return make_error(over_budget(what, n * kTableElementBytes, budget));
  auto t = std::make_unique<TableImpl>();
  t->ttype = type;
  t->budget = &budget;
  t->elems.reserve(n);  // exactly what was charged
  t->elems.assign(n, init.bits);
  tables.push_back(std::move(t));
  return static_cast<TableInst*>(tables.back().get());
}

Expected<MemoryInst*> StoreImpl::create_memory(MemoryType type) {
  auto m = MemoryImpl::create(type, &budget, config.huge_pages);
  if (!m) return unexpected(std::move(m).error());
  memories.emplace_back(*m);
  return static_cast<MemoryInst*>(*m);
}

GlobalInst* StoreImpl::create_global(GlobalType type, Value init) {
  auto g = std::make_unique<GlobalImpl>();
  g->gtype = type;
  g->value = init.bits;
  globals.push_back(std::move(g));
  return globals.back().get();
}

namespace {

bool limits_match(const Limits& actual, const Limits& declared) {
  if (actual.min < declared.min) return false;
  if (declared.max) {
    if (!actual.max || *actual.max > *declared.max) return false;
  }
  return true;
}

uint64_t eval_const(const ConstExpr& e, const InstanceImpl& inst) {
  uint64_t v = 0;
  for (const Instr& in : e.instrs) {
    switch (in.op) {
      case Op::I32Const: v = uint32_t(in.imm); break;
      case Op::I64Const: case Op::F64Const: v = in.imm; break;
      case Op::F32Const: v = uint32_t(in.imm); break;
      case Op::RefNull: v = 0; break;
      case Op::RefFunc: v = reinterpret_cast<uint64_t>(inst.funcs[in.a]); break;
      case Op::GlobalGet: v = inst.globals[in.a]->value; break;
      default: break;
    }
  }
  return v;
}

InstantiationError link_error(const std::string& what) { return {InstantiationError::Kind::Link, what, std::nullopt}; }

}  // namespace

void DestroyFuncs::operator()(FuncImpl* p) const {
  // A FuncImpl owns nothing (its members are plain pointers and numbers;
  // only the base's destructor is virtual): nothing to walk.
  ::operator delete(p, std::align_val_t(alignof(FuncImpl)));
}

InstanceShells::~InstanceShells() {
  for (InstanceImpl* i : spare_) delete i;
}

std::unique_ptr<InstanceImpl> InstanceShells::take() {
  std::lock_guard lock(mu_);
  if (spare_.empty()) return nullptr;
  std::unique_ptr<InstanceImpl> shell(spare_.back());
  spare_.pop_back();
  return shell;
}

void InstanceShells::give(std::unique_ptr<InstanceImpl> shell) {
  // What pointed into the store that is going; the function objects and
  // the index space's defined part stay (imports are written over).
  shell->tables.clear();
  shell->memories.clear();
  shell->globals.clear();
  shell->tags.clear();
  shell->elem_values.clear();
  shell->vm = VmContext{};
  std::lock_guard lock(mu_);
  if (spare_.size() < kMax) spare_.push_back(shell.release());
}

size_t InstanceShells::kept() const {
  std::lock_guard lock(mu_);
  return spare_.size();
}

StoreImpl::~StoreImpl() {
  ValueStackPool::global().give(stack, stack_deep());
  for (auto& inst : instances) {
    // The module may go with this reference: its shells go with it.
    std::shared_ptr<const TieredModule> module = std::move(inst->compiled);
    module->shells.give(std::move(inst));
  }
}

ExternVal InstanceImpl::export_at(uint32_t position) const {
  const Export& e = compiled->mod->exports[position];
  ExternVal ev{e.kind, nullptr};
  switch (e.kind) {
    case ExternKind::Func: ev.ptr = funcs[e.index]; break;
    case ExternKind::Table: ev.ptr = tables[e.index]; break;
    case ExternKind::Memory: ev.ptr = memories[e.index]; break;
    case ExternKind::Global: ev.ptr = globals[e.index]; break;
    case ExternKind::Tag: ev.ptr = tags[e.index]; break;
  }
  return ev;
}

std::optional<uint32_t> InstanceImpl::export_position(std::string_view name) const {
  auto it = compiled->export_index.find(name);
  if (it == compiled->export_index.end()) return std::nullopt;
  return it->second;
}

std::optional<ExternVal> InstanceImpl::find_export(std::string_view name) const {
  auto pos = export_position(name);
  if (!pos) return std::nullopt;
  return export_at(*pos);
}

Expected<Instance*, InstantiationError> StoreImpl::instantiate(std::shared_ptr<const CompiledModule> module,
                                                               std::span<const ExternVal> imports) {
  auto compiled = std::static_pointer_cast<const TieredModule>(module);
  const Tier& tier = *compiled->tier;
  const Module& m = *compiled->mod;
  if (imports.size() != m.imports.size())
    return unexpected(link_error("expected " + std::to_string(m.imports.size()) + " imports, got " +
                                 std::to_string(imports.size())));
  std::unique_ptr<InstanceImpl> inst = compiled->shells.take();
  const bool reused = inst != nullptr;
  if (!reused) inst = std::make_unique<InstanceImpl>();
  InstanceImpl* I = inst.get();
  I->compiled = compiled;
  const size_t n_funcs = m.functions.size();
  if (!reused) I->funcs.resize(m.num_imported_funcs + n_funcs);
  size_t n_func_imports = 0;
  for (size_t i = 0; i < imports.size(); ++i) {
    const Import& imp = m.imports[i];
    const ExternVal& ev = imports[i];
    // Built only when it fails: an instantiation checks every import.
    auto what = [&imp] { return "incompatible import type for \"" + imp.module + "\" \"" + imp.name + "\""; };
    if (ev.kind != imp.kind || !ev.ptr) return unexpected(link_error(what() + ": expected a " + to_string(imp.kind)));
    switch (imp.kind) {
      case ExternKind::Func: {
        auto* f = static_cast<FuncImpl*>(ev.as_func());
        if (!(*f->sig == m.types[imp.func_type]))
          return unexpected(link_error(what() + ": expected " + to_string(m.types[imp.func_type]) + ", got " +
                                       to_string(*f->sig)));
        I->funcs[n_func_imports++] = f;
        break;
      }
      case ExternKind::Table: {
        auto* t = static_cast<TableImpl*>(ev.as_table());
        if (t->ttype.elem != imp.table.elem || !limits_match(t->type().limits, imp.table.limits))
          return unexpected(link_error(what()));
        I->tables.push_back(t);
        break;
      }
      case ExternKind::Memory: {
        auto* mem = static_cast<MemoryImpl*>(ev.as_memory());
        if (mem->shared != imp.memory.shared || !limits_match(mem->type().limits, imp.memory.limits))
          return unexpected(link_error(what()));
        I->memories.push_back(mem);
        break;
      }
      case ExternKind::Global: {
        auto* g = static_cast<GlobalImpl*>(ev.as_global());
        if (!(g->gtype == imp.global)) return unexpected(link_error(what()));
        I->globals.push_back(g);
        break;
      }
      case ExternKind::Tag: {
        auto* t = static_cast<TagImpl*>(ev.as_tag());
        if (!(t->ftype == m.types[imp.tag_type])) return unexpected(link_error(what()));
        I->tags.push_back(t);
        break;
      }
    }
  }
  for (uint32_t type : m.tags) I->tags.push_back(static_cast<TagImpl*>(create_tag(m.types[type])));
  if (!reused) {
    auto* own =
        static_cast<FuncImpl*>(::operator new(n_funcs * sizeof(FuncImpl), std::align_val_t(alignof(FuncImpl))));
    I->own_funcs.reset(own);
    tier.make_funcs(*compiled, I, own, I->funcs.data() + m.num_imported_funcs);
  }
  auto resource_error = [](Error e) {
    return unexpected(InstantiationError{InstantiationError::Kind::Resource, std::move(e.message), std::nullopt});
  };
  // What the module's own tables and memories start with, checked as a
  // whole before any of it is allocated (a module whose second memory does
  // not fit costs nothing, not its first table).
  uint64_t initial = 0;
  for (const auto& t : m.tables)
    if (t.limits.min <= kMaxTableElements) initial += uint64_t(t.limits.min) * kTableElementBytes;
  for (const auto& mt : m.memories) initial += uint64_t(mt.limits.min) * kPageSize;
  if (budget.used + initial > budget.limit && m.tables.size() + m.memories.size() > 1)
    return resource_error(Error{over_budget("the initial size of the module's tables and memories", initial, budget)});
  for (const auto& t : m.tables) {
    auto table = create_table(t, Value::null(t.elem));
    if (!table) return resource_error(std::move(table).error());
    I->tables.push_back(static_cast<TableImpl*>(*table));
  }
  compiled->images.prepare(m);  // once per module: later instances map what it built
  for (size_t k = 0; k < m.memories.size(); ++k) {
    auto mem = MemoryImpl::create(m.memories[k], &budget, config.huge_pages, &compiled->images.image(k));
    if (!mem) return resource_error(std::move(mem).error());
    memories.emplace_back(*mem);
    I->memories.push_back(*mem);
  }
  if (!I->own_globals) I->own_globals.reset(new GlobalImpl[m.globals.size()]);
  I->globals.reserve(I->globals.size() + m.globals.size());
  for (size_t i = 0; i < m.globals.size(); ++i) {
    GlobalImpl* gi = &I->own_globals[i];
    gi->gtype = m.globals[i].type;
    gi->value = eval_const(m.globals[i].init, *I);
    I->globals.push_back(gi);
  }
  I->vm = VmContext{I->memories.empty() ? nullptr : I->memories[0]->base,
                    I->funcs.data(),
                    I->globals.data(),
                    I->tables.data(),
                    I->memories.data(),
                    compiled->type_ids.data(),
                    this,
                    I,
                    stack_limit};
  // Only passive segments keep their values; an active one is written
  // into its table below and a declarative one is dropped at once.
  I->elem_values.resize(m.elems.size());
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const ElemSegment& e = m.elems[i];
    if (e.mode != SegmentMode::Passive) continue;
    auto& vals = I->elem_values[i];
    vals.reserve(e.inits.size());
    for (const auto& init : e.inits) vals.push_back(eval_const(init, *I));
  }
  I->data_dropped.assign(m.datas.size(), false);
  instances.push_back(std::move(inst));

  auto trap = [](TrapCode code) {
    Trap t{code, trap_message(code), {}, 0};
    return unexpected(InstantiationError{InstantiationError::Kind::Trap, t.message, t});
  };
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const ElemSegment& e = m.elems[i];
    if (e.mode != SegmentMode::Active) continue;
    uint64_t off = uint32_t(eval_const(e.offset, *I));
    TableImpl* t = I->tables[e.table];
    if (off + e.inits.size() > t->elems.size()) return trap(TrapCode::TableOutOfBounds);
    // Constant expressions have no effects: evaluating them here, after
    // the earlier segments were written, gives what evaluating them first
    // would.
    uint64_t* out = t->elems.data() + off;
    if (!e.inits.empty() && compiled->elem_funcs[i].size() == e.inits.size()) {
      for (uint32_t f : compiled->elem_funcs[i]) *out++ = reinterpret_cast<uint64_t>(I->funcs[f]);
      continue;
    }
    for (const auto& init : e.inits) *out++ = eval_const(init, *I);
  }
  // A module with many segments (a snapshot of a language runtime has
  // thousands) whose memories all mapped their images only copies the
  // segments no image covers.
  bool mapped = true;
  for (size_t k = 0; k < m.memories.size(); ++k)
    if (compiled->images.image(k).fd >= 0 && !I->memories[m.num_imported_memories + k]->from_image) mapped = false;
  std::vector<uint32_t> all;
  if (mapped) {
    I->data_dropped = compiled->images.in_image_bits();
  } else {
    for (uint32_t i = 0; i < m.datas.size(); ++i)
      if (m.datas[i].mode == SegmentMode::Active) all.push_back(i);
  }
  for (uint32_t i : mapped ? compiled->images.copied() : all) {
    const DataSegment& d = m.datas[i];
    if (!mapped && compiled->images.in_image(i) && I->memories[d.memory]->from_image) {
      I->data_dropped[i] = true;  // its bytes are in the mapped image
      continue;
    }
    uint64_t off = uint32_t(eval_const(d.offset, *I));
    MemoryImpl* mem = I->memories[d.memory];
    if (off + d.bytes.size() > mem->size) return trap(TrapCode::MemoryOutOfBounds);
    if (d.bytes.size() >= kPrefaultAtLeast) platform::vm_prefault(mem->base + off, d.bytes.size());
    if (!d.bytes.empty()) std::memcpy(mem->base + off, d.bytes.data(), d.bytes.size());
    I->data_dropped[i] = true;
  }
  if (m.start) {
    uint64_t none = 0;
    if (auto t = tier.call(*this, I->funcs[*m.start], &none, &none)) {
      return unexpected(InstantiationError{InstantiationError::Kind::Trap, t->message, *t});
    }
  }
  return static_cast<Instance*>(I);
}

Expected<std::vector<Value>, Trap> StoreImpl::invoke(FuncInst* func, std::span<const Value> args) {
  auto* f = static_cast<FuncImpl*>(func);
  const FuncType& t = *f->sig;
  std::vector<uint64_t> a(args.size() + 1), r(t.results.size() + 1);
  for (size_t i = 0; i < args.size(); ++i) a[i] = args[i].bits;
  const Tier& tier = f->instance ? *f->instance->compiled->tier : interp_tier();
  if (auto trap = tier.call(*this, f, a.data(), r.data())) return unexpected(std::move(*trap));
  std::vector<Value> out;
  out.reserve(t.results.size());
  for (size_t i = 0; i < t.results.size(); ++i) out.push_back({t.results[i], r[i]});
  return out;
}

}  // namespace rt
}  // namespace whirl::wasm
