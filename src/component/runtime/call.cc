// Calls across the component boundary: the Canonical ABI's canon lift /
// canon lower pair (definitions.py Store.lift + canon_lift, canon_lower,
// sync), and calls from the host into exports. A call may cross from one
// instance graph into another (an import linked to another
// ComponentInstance): each side runs in its own graph's store.
#include <deque>
#include <utility>

#include "component/abi/layout.h"
#include "component/names.h"
#include "component/runtime/cx.h"

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

// Calls run on one thread; these are its state.
thread_local std::optional<wasm::Trap> pending_trap;
thread_local std::deque<std::array<uint64_t, 2>> threads;  // context storage per implicit thread

class ImplicitThread {
 public:
  ImplicitThread() { threads.push_back({0, 0}); }
  ~ImplicitThread() { threads.pop_back(); }
  ImplicitThread(const ImplicitThread&) = delete;
  ImplicitThread& operator=(const ImplicitThread&) = delete;
};

// A lift that failed on invalid UTF-8, at the host boundary: with the
// detail wasmtime's host gives.
abi::Trap with_utf8_detail(GuestCx& cx, abi::Trap t, std::span<const abi::CoreValue> flat, uint32_t max_flat) {
  if (t.message.compare(0, 13, "invalid UTF-8") != 0) return t;
  std::string detail = cx.utf8_error(flat, max_flat);
  t.message = (detail.empty() ? "invalid utf-8" : detail) + " (" + t.message + ")";
  return t;
}

std::vector<abi::CoreValue> to_flat(std::span<const wasm::Value> vs) {
  std::vector<abi::CoreValue> out;
  out.reserve(vs.size());
  for (const auto& v : vs) out.push_back({core_type_of(v.type), v.bits});
  return out;
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

abi::Trap keep_core_trap(wasm::Trap t) {
  abi::Trap out{t.message};
  if (t.code == wasm::TrapCode::Exit) out.exit_code = t.exit_code;
  pending_trap = std::move(t);
  return out;
}

Unexpected<wasm::Trap> fail(const abi::Trap& t) {
  if (pending_trap) {
    wasm::Trap core = std::move(*pending_trap);
    pending_trap.reset();
    return unexpected(std::move(core));
  }
  return unexpected(to_wasm_trap(t));
}

Expected<std::vector<wasm::Value>, wasm::Trap> run_core(Frame& f, wasm::FuncInst* fn,
                                                        std::span<const wasm::Value> args) {
  ImplicitThread thread;
  return f.rt->store().invoke(fn, args);
}

uint64_t* thread_context() { return threads.empty() ? nullptr : threads.back().data(); }

Expected<void, wasm::Trap> call_func(const RtFunc& f, Frame* caller, const LiftArgs& lift_args,
                                     const LowerResults& lower_results, InstanceImpl* entry) {
  static const abi::ResourceTypes kNoTypes;
  Frame* callee = f.frame;
  if (f.opts.async)
    return fail(abi::Trap{f.opts.callback
                              ? "canon lift `async` is not supported: it needs async (component-model-async)"
                              : "canon lift `async` without `callback` is not supported: it needs stackful async "
                                "(component-model-async-stackful)"});
  if (callee && callee->rt->poisoned)
    return fail(abi::Trap{"cannot enter component instance: an earlier call into it trapped"});
  // definitions.py Store.lift; canon_lower's may_leave check comes first (make_lowered).
  if (callee && !callee->state.may_enter_from(caller ? &caller->state : nullptr))
    return fail(abi::Trap{"wasm trap: cannot enter component instance"});
  abi::SyncCall call(caller ? &caller->state : nullptr, callee ? &callee->state : nullptr,
                     caller ? caller->resources : kNoTypes, callee ? callee->resources : kNoTypes);
  if (auto e = call.enter(); !e) return fail(e.error());
  auto args = lift_args(call.caller_handles());
  if (!args) return fail(args.error());

  // After a trap past this point the callee's instance is not to be entered again.
  struct Poison {
    Frame* f;
    bool armed = true;
    ~Poison() {
      if (armed && f) f->rt->poisoned = true;
    }
  } poison{callee};

  std::vector<abi::Value> results;
  std::vector<wasm::Value> core_results;
  std::optional<ImplicitThread> thread;
  if (f.host) {
    InstanceImpl* owner = f.rt ? f.rt : caller ? caller->rt : entry;
    if (!owner) return fail(abi::Trap{"internal error: host function " + std::string(f.name) + " called outside an instance"});
    HostCall host_call(*owner, f.name);
    auto r = (*f.host)(host_call, *args);
    if (!r) return fail(r.error());
    results = std::move(*r);
    if (results.size() != (f.type->result ? 1u : 0u))
      return fail(abi::Trap{"host function " + std::string(f.name) + " returned " + std::to_string(results.size()) +
                            " values for a function type with " + (f.type->result ? "one result" : "no result")});
  } else {
    thread.emplace();  // the callee's task, post-return included
    bool guest_to_guest = caller != nullptr;
    const auto& ptypes = f.sig->params;
    GuestCx cx(*callee, f.opts, call.callee_handles(), guest_to_guest, ptypes);
    auto flat = abi::lower_flat_values(cx, abi::kMaxFlatParams, *args, ptypes, std::nullopt, f.sig->flat_params);
    if (!flat) return fail(cx.reword(flat.error()));
    std::vector<wasm::Value> core_args;
    core_args.reserve(flat->size());
    for (const auto& v : *flat) core_args.push_back({kCoreTypes[static_cast<int>(v.type)], v.bits});
    auto out = callee->rt->store().invoke(f.callee, core_args);
    if (!out) return unexpected(std::move(out.error()));
    core_results = std::move(*out);
    auto flat_results = to_flat(core_results);
    const auto& rtypes = f.sig->results;
    GuestCx rcx(*callee, f.opts, call.callee_handles(), guest_to_guest, rtypes);
    abi::FlatReader reader(flat_results);
    auto lifted = abi::lift_flat_values(rcx, abi::kMaxFlatResults, reader, rtypes, f.sig->flat_results);
    if (!lifted) {
      abi::Trap t = rcx.reword(lifted.error());
      if (!guest_to_guest) t = with_utf8_detail(rcx, std::move(t), flat_results, abi::kMaxFlatResults);
      return fail(t);
    }
    results = std::move(*lifted);
  }
  if (call.task().num_borrows() > 0)
    return fail(abi::Trap{"borrow handles still remain at the end of the call (" +
                          std::to_string(call.task().num_borrows()) + " not dropped)"});
  if (auto e = call.return_(); !e) return fail(e.error());
  if (auto e = lower_results(call.caller_handles(), results); !e) return fail(e.error());
  if (f.opts.post_return) {
    callee->state.may_leave = false;
    auto r = callee->rt->store().invoke(f.opts.post_return, core_results);
    callee->state.may_leave = true;
    if (!r) return unexpected(std::move(r.error()));
  }
  call.finish();
  poison.armed = false;
  return {};
}

Signature make_signature(const FuncType& type) {
  Signature s;
  s.params = param_types(type);
  s.results = result_types(type);
  abi::CoreFuncType flat = abi::flatten_functype(type, abi::FlattenContext::Lower, {});
  for (auto t : flat.params) s.lowered.params.push_back(kCoreTypes[static_cast<int>(t)]);
  for (auto t : flat.results) s.lowered.results.push_back(kCoreTypes[static_cast<int>(t)]);
  for (const auto& t : s.params) s.flat_params += abi::flatten_type(*t).size();
  for (const auto& t : s.results) s.flat_results += abi::flatten_type(*t).size();
  s.out_param = s.flat_results > abi::kMaxFlatResults;
  s.lowered_id = wasm::func_type_id(s.lowered);
  return s;
}

wasm::FuncInst* make_lowered(Frame& frame, const RtFunc& f, const FuncType& type,
                             const CanonOptions& opts, const Signature* sig) {
  if (opts.async) {
    abi::FlattenOptions fo;
    fo.async = true;
    abi::CoreFuncType flat = abi::flatten_functype(type, abi::FlattenContext::Lower, fo);
    wasm::FuncType core;
    for (auto t : flat.params) core.params.push_back(kCoreTypes[static_cast<int>(t)]);
    for (auto t : flat.results) core.results.push_back(kCoreTypes[static_cast<int>(t)]);
    return frame.rt->store().create_host_func(
        std::move(core),
        [fr = &frame](wasm::Caller&, std::span<const wasm::Value>, std::span<wasm::Value>) -> std::optional<wasm::Trap> {
          if (!fr->state.may_leave) return fail(abi::Trap{"cannot leave component instance"}).error;
          return fail(abi::Trap{"canon lower `async` is not supported: it needs async (component-model-async)"}).error;
        },
        "async lowered function");
  }
  if (!sig) sig = signature_of(frame, type);
  const Lowered* l = &frame.rt->arena.lowered.emplace_back(Lowered{&frame, &f, opts, sig});
  auto body = [l](wasm::Caller&, std::span<const wasm::Value> args,
                  std::span<wasm::Value> results) -> std::optional<wasm::Trap> {
    Frame* fr = l->frame;
    const RtFunc* fn = l->fn;
    const auto& ptypes = l->sig->params;
    const auto& rtypes = l->sig->results;
    // definitions.py canon_lower: trap_if(not may_leave) before anything.
    if (!fr->state.may_leave) return fail(abi::Trap{"cannot leave component instance"}).error;
    bool guest_to_guest = fn->host == nullptr;
    std::vector<abi::CoreValue> in = to_flat(args);
    LiftArgs lift = [&](abi::HandleTable* h) -> Expected<std::vector<abi::Value>, abi::Trap> {
      GuestCx cx(*fr, l->opts, h, guest_to_guest, ptypes);
      abi::FlatReader reader(in);
      auto vs = abi::lift_flat_values(cx, abi::kMaxFlatParams, reader, ptypes, l->sig->flat_params);
      if (vs) return vs;
      abi::Trap t = cx.reword(vs.error());
      if (!guest_to_guest) t = with_utf8_detail(cx, std::move(t), in, abi::kMaxFlatParams);
      return unexpected(std::move(t));
    };
    LowerResults lower = [&](abi::HandleTable* h, std::vector<abi::Value>& vs) -> Expected<void, abi::Trap> {
      GuestCx cx(*fr, l->opts, h, guest_to_guest, rtypes);
      std::optional<uint64_t> out_ptr;
      if (l->sig->out_param) out_ptr = in.back().bits;
      auto flat = abi::lower_flat_values(cx, abi::kMaxFlatResults, vs, rtypes, out_ptr, l->sig->flat_results);
      if (!flat) return unexpected(cx.reword(flat.error()));
      if (flat->size() != results.size()) return unexpected(abi::Trap{"canonical ABI: result count mismatch"});
      for (size_t i = 0; i < results.size(); ++i) results[i] = {results[i].type, (*flat)[i].bits};
      return {};
    };
    auto r = call_func(*fn, fr, lift, lower);
    if (!r) return std::move(r.error());
    return std::nullopt;
  };
  return frame.rt->store().create_host_func(sig->lowered, sig->lowered_id, std::move(body));
}

// ---- InstanceImpl ----

namespace {

const RtItem* find_export(const RtInstance& inst, std::string_view name) {
  if (const RtItem* i = inst.find(name)) return i;
  for (size_t k = 0; k < inst.names.size(); ++k)
    if (import_name_matches(name, inst.names[k]) || import_name_matches(inst.names[k], name)) return &inst.items[k];
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
  return {f->func, f->func->type};
}

Expected<std::vector<abi::Value>, CallError> InstanceImpl::call(FuncRef ref, std::vector<abi::Value> args) {
  if (poisoned) return unexpected(CallError{"cannot enter component instance: an earlier call trapped"});
  pending_trap.reset();
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
  auto r = call_func(f, nullptr, lift, lower, this);
  if (!r) {
    poisoned = true;
    CallError e{r.error().message};
    if (r.error().code == wasm::TrapCode::Exit) e.exit_code = r.error().exit_code;
    else e.trap = std::move(r.error());
    return unexpected(std::move(e));
  }
  return results;
}

wasm::Instance* root_core_instance(ComponentInstance& i, uint32_t index) {
  auto& impl = static_cast<InstanceImpl&>(i);
  if (!impl.root) return nullptr;
  auto& space = impl.root->at(Sort::CoreInstance);
  return index < space.size() ? space[index].core_instance->instance : nullptr;
}

size_t handles_in_use(ComponentInstance& i) {
  size_t n = 0;
  static_cast<InstanceImpl&>(i).arena.frames.for_each([&](Frame& f) {
    const auto& t = f.state.handles;
    n += t.length() - 1 - t.free_list().size();  // slot 0 is never used
  });
  return n;
}

}  // namespace whirl::component::runtime
