// Calls across the component boundary: the Canonical ABI's canon lift /
// canon lower pair (definitions.py canon_lower + canon_lift, sync), the
// resource built-ins, and calls from the host into exports.
#include <utility>

#include "component/abi/layout.h"
#include "component/names.h"
#include "component/runtime/frame.h"

namespace whirl::component::runtime {

namespace {

constexpr wasm::ValType kCoreTypes[] = {wasm::ValType::I32, wasm::ValType::I64, wasm::ValType::F32,
                                        wasm::ValType::F64};

abi::CoreType core_type_of(wasm::ValType t) {
  switch (t) {
    case wasm::ValType::I64: return abi::CoreType::I64;
    case wasm::ValType::F32: return abi::CoreType::F32;
    case wasm::ValType::F64: return abi::CoreType::F64;
    default: return abi::CoreType::I32;
  }
}

// One side's memory, realloc and handles for lifting and lowering.
class GuestCx final : public abi::CallContext {
 public:
  GuestCx(InstanceImpl& rt, const CanonOptions& o, abi::HandleTable* h) : rt_(rt), o_(o), h_(h) {
    encoding = o.encoding;
  }
  std::span<uint8_t> memory() override {
    if (!o_.memory) return {};
    return {o_.memory->data(), static_cast<size_t>(o_.memory->size_bytes())};
  }
  Expected<uint64_t, abi::Trap> realloc(uint64_t old_ptr, uint64_t old_size, uint64_t align,
                                        uint64_t new_size) override {
    if (!o_.realloc) return unexpected(abi::Trap{"canonical ABI: a value needs memory but there is no realloc"});
    wasm::Value args[] = {wasm::Value::i32(uint32_t(old_ptr)), wasm::Value::i32(uint32_t(old_size)),
                          wasm::Value::i32(uint32_t(align)), wasm::Value::i32(uint32_t(new_size))};
    auto r = rt_.store().invoke(o_.realloc, args);
    if (!r) {
      std::string message = r.error().message;
      rt_.pending_trap = std::move(r.error());
      return unexpected(abi::Trap{std::move(message)});
    }
    return (*r)[0].as_u32();
  }
  abi::HandleTable* handles() override { return h_; }

 private:
  InstanceImpl& rt_;
  const CanonOptions& o_;
  abi::HandleTable* h_;
};

std::vector<ValTypePtr> param_types(const FuncType& t) {
  std::vector<ValTypePtr> out;
  out.reserve(t.params.size());
  for (const auto& p : t.params) out.push_back(p.type);
  return out;
}

std::vector<ValTypePtr> result_types(const FuncType& t) {
  if (!t.result) return {};
  return {t.result};
}

Unexpected<wasm::Trap> fail(InstanceImpl& rt, const abi::Trap& t) {
  if (rt.pending_trap) {
    wasm::Trap core = std::move(*rt.pending_trap);
    rt.pending_trap.reset();
    return unexpected(std::move(core));
  }
  return unexpected(to_wasm_trap(t));
}

}  // namespace

wasm::Trap to_wasm_trap(const abi::Trap& t) {
  wasm::Trap out;
  if (t.exit_code) {
    out.code = wasm::TrapCode::Exit;
    out.exit_code = *t.exit_code;
    out.message = t.message.empty() ? "exit" : t.message;
  } else {
    out.code = wasm::TrapCode::Host;
    out.message = t.message;
  }
  return out;
}

Expected<void, wasm::Trap> call_func(InstanceImpl& rt, const RtFunc& f, Frame* caller, const LiftArgs& lift_args,
                                     const LowerResults& lower_results) {
  static const abi::ResourceTypes kNoTypes;
  Frame* callee = f.frame;
  abi::SyncCall call(caller ? &caller->state : nullptr, callee ? &callee->state : nullptr,
                     caller ? caller->resources : kNoTypes, callee ? callee->resources : kNoTypes);
  if (auto e = call.enter(); !e) return fail(rt, e.error());
  auto args = lift_args(call.caller_handles());
  if (!args) return fail(rt, args.error());

  std::vector<abi::Value> results;
  std::vector<wasm::Value> core_results;
  if (f.host) {
    HostCall host_call(rt, f.name);
    auto r = (*f.host)(host_call, *args);
    if (!r) return fail(rt, r.error());
    results = std::move(*r);
    if (results.size() != (f.type->result ? 1u : 0u))
      return fail(rt, abi::Trap{"host function " + f.name + " returned " + std::to_string(results.size()) +
                                " values for a function type with " + (f.type->result ? "one result" : "no result")});
  } else {
    GuestCx cx(rt, f.opts, call.callee_handles());
    auto ptypes = param_types(*f.type);
    auto flat = abi::lower_flat_values(cx, abi::kMaxFlatParams, *args, ptypes);
    if (!flat) return fail(rt, flat.error());
    std::vector<wasm::Value> core_args;
    core_args.reserve(flat->size());
    for (const auto& v : *flat) core_args.push_back({kCoreTypes[static_cast<int>(v.type)], v.bits});
    auto out = rt.store().invoke(f.callee, core_args);
    if (!out) return unexpected(std::move(out.error()));
    core_results = std::move(*out);
    std::vector<abi::CoreValue> flat_results;
    for (const auto& v : core_results) flat_results.push_back({core_type_of(v.type), v.bits});
    abi::FlatReader reader(flat_results);
    auto rtypes = result_types(*f.type);
    auto lifted = abi::lift_flat_values(cx, abi::kMaxFlatResults, reader, rtypes);
    if (!lifted) return fail(rt, lifted.error());
    results = std::move(*lifted);
  }
  if (auto e = call.return_(); !e) return fail(rt, e.error());
  if (auto e = lower_results(call.caller_handles(), results); !e) return fail(rt, e.error());
  if (f.opts.post_return) {
    callee->state.may_leave = false;
    auto r = rt.store().invoke(f.opts.post_return, core_results);
    callee->state.may_leave = true;
    if (!r) return unexpected(std::move(r.error()));
  }
  call.finish();
  return {};
}

wasm::FuncInst* make_lowered(InstanceImpl& rt, Frame& frame, const RtFunc& f, std::shared_ptr<const FuncType> type,
                             const CanonOptions& opts) {
  abi::CoreFuncType flat = abi::flatten_functype(*type, abi::FlattenContext::Lower);
  wasm::FuncType core;
  for (auto t : flat.params) core.params.push_back(kCoreTypes[static_cast<int>(t)]);
  for (auto t : flat.results) core.results.push_back(kCoreTypes[static_cast<int>(t)]);
  size_t flat_results = 0;
  for (const auto& t : result_types(*type)) flat_results += abi::flatten_type(*t).size();
  bool out_param = flat_results > abi::kMaxFlatResults;
  auto ptypes = std::make_shared<std::vector<ValTypePtr>>(param_types(*type));
  auto rtypes = std::make_shared<std::vector<ValTypePtr>>(result_types(*type));
  std::string name = f.host ? f.name : "lowered function";
  auto fn = [&rt, &frame, &f, opts, ptypes, rtypes, out_param](wasm::Caller&, std::span<const wasm::Value> args,
                                                             std::span<wasm::Value> results) -> std::optional<wasm::Trap> {
    std::vector<abi::CoreValue> in;
    in.reserve(args.size());
    for (const auto& v : args) in.push_back({core_type_of(v.type), v.bits});
    LiftArgs lift = [&](abi::HandleTable* h) -> Expected<std::vector<abi::Value>, abi::Trap> {
      GuestCx cx(rt, opts, h);
      abi::FlatReader reader(in);
      return abi::lift_flat_values(cx, abi::kMaxFlatParams, reader, *ptypes);
    };
    LowerResults lower = [&](abi::HandleTable* h, std::vector<abi::Value>& vs) -> Expected<void, abi::Trap> {
      GuestCx cx(rt, opts, h);
      std::optional<uint64_t> out_ptr;
      if (out_param) out_ptr = in.back().bits;
      auto flat = abi::lower_flat_values(cx, abi::kMaxFlatResults, vs, *rtypes, out_ptr);
      if (!flat) return unexpected(flat.error());
      if (flat->size() != results.size()) return unexpected(abi::Trap{"canonical ABI: result count mismatch"});
      for (size_t i = 0; i < results.size(); ++i) results[i] = {results[i].type, (*flat)[i].bits};
      return {};
    };
    auto r = call_func(rt, f, &frame, lift, lower);
    if (!r) return std::move(r.error());
    return std::nullopt;
  };
  return rt.store().create_host_func(std::move(core), std::move(fn), std::move(name));
}

wasm::FuncInst* make_resource_builtin(InstanceImpl& rt, Frame& frame, CanonKind kind,
                                      const abi::RuntimeResourceType& type) {
  using wasm::ValType;
  const abi::RuntimeResourceType* t = &type;
  Frame* fr = &frame;
  switch (kind) {
    case CanonKind::ResourceNew:
      return rt.store().create_host_func(
          {{ValType::I32}, {ValType::I32}},
          [&rt, fr, t](wasm::Caller&, std::span<const wasm::Value> a, std::span<wasm::Value> r) -> std::optional<wasm::Trap> {
            auto i = abi::resource_new(fr->state, *t, a[0].as_u32());
            if (!i) return fail(rt, i.error()).error;
            r[0] = wasm::Value::i32(*i);
            return std::nullopt;
          },
          "resource.new");
    case CanonKind::ResourceRep:
      return rt.store().create_host_func(
          {{ValType::I32}, {ValType::I32}},
          [&rt, fr, t](wasm::Caller&, std::span<const wasm::Value> a, std::span<wasm::Value> r) -> std::optional<wasm::Trap> {
            auto i = abi::resource_rep(fr->state, *t, a[0].as_u32());
            if (!i) return fail(rt, i.error()).error;
            r[0] = wasm::Value::i32(*i);
            return std::nullopt;
          },
          "resource.rep");
    default:
      return rt.store().create_host_func(
          {{ValType::I32}, {}},
          [&rt, fr, t](wasm::Caller&, std::span<const wasm::Value> a, std::span<wasm::Value>) -> std::optional<wasm::Trap> {
            auto i = abi::resource_drop(fr->state, *t, a[0].as_u32());
            if (!i) return fail(rt, i.error()).error;
            return std::nullopt;
          },
          "resource.drop");
  }
}

// ---- InstanceImpl ----

namespace {

// `name` equal to `have`, or the same interface with a compatible version.
bool name_matches(std::string_view want, const std::string& have) {
  if (want == have) return true;
  auto w = parse_extern_name(want);
  auto h = parse_extern_name(have);
  if (!w || !h || w->kind != ExternName::Kind::Interface || h->kind != ExternName::Kind::Interface) return false;
  if (w->unversioned() != h->unversioned() || !w->version || !h->version) return false;
  return versions_compatible(*w->version, *h->version) || versions_compatible(*h->version, *w->version);
}

const RtItem* find_export(const RtInstance& inst, std::string_view name) {
  if (auto it = inst.exports.find(std::string(name)); it != inst.exports.end()) return &it->second;
  for (const auto& n : inst.order)
    if (name_matches(name, n)) return &inst.exports.at(n);
  return nullptr;
}

}  // namespace

ComponentInstance::FuncRef InstanceImpl::find_func(std::string_view name) const {
  if (!root) return {};
  const RtInstance* inst = root->exports;
  std::string_view item = name;
  if (auto hash = name.find('#'); hash != std::string_view::npos) {
    const RtItem* i = find_export(*inst, name.substr(0, hash));
    if (!i || i->sort != Sort::Instance) return {};
    inst = i->instance;
    item = name.substr(hash + 1);
  }
  const RtItem* f = find_export(*inst, item);
  if (!f || f->sort != Sort::Func) return {};
  return {f->func, f->func->type.get()};
}

Expected<std::vector<abi::Value>, CallError> InstanceImpl::call(FuncRef ref, std::vector<abi::Value> args) {
  if (poisoned) return unexpected(CallError{"cannot enter component instance: an earlier call trapped"});
  const auto& f = *static_cast<const RtFunc*>(ref.impl);
  if (args.size() != f.type->params.size())
    return unexpected(CallError{"expected " + std::to_string(f.type->params.size()) + " arguments, got " +
                                std::to_string(args.size())});
  std::vector<abi::Value> results;
  LiftArgs lift = [&](abi::HandleTable*) -> Expected<std::vector<abi::Value>, abi::Trap> { return std::move(args); };
  LowerResults lower = [&](abi::HandleTable*, std::vector<abi::Value>& vs) -> Expected<void, abi::Trap> {
    results = std::move(vs);
    return {};
  };
  auto r = call_func(*this, f, nullptr, lift, lower);
  if (!r) {
    poisoned = true;
    CallError e{r.error().message};
    if (r.error().code == wasm::TrapCode::Exit) e.exit_code = r.error().exit_code;
    else e.trap = std::move(r.error());
    return unexpected(std::move(e));
  }
  return results;
}

}  // namespace whirl::component::runtime
