// The canon built-ins other than lift and lower, as core functions
// (definitions.py canon_resource_new .. canon_thread_*). The resource
// built-ins, context.get/set and backpressure.inc/dec are complete for
// synchronous calls; the other async and thread built-ins exist so that a
// component using them instantiates, and trap when called, naming the
// feature (after the may_leave check each of them begins with, so that a
// post-return calling one traps as the spec says).
#include "component/abi/layout.h"
#include "component/runtime/cx.h"

namespace whirl::component::runtime {

namespace {

using wasm::ValType;

std::optional<wasm::Trap> trap(std::string message) { return fail(abi::Trap{std::move(message)}).error; }

const char* feature_of(CanonKind k) {
  switch (k) {
    case CanonKind::ErrorContextNew:
    case CanonKind::ErrorContextDebugMessage:
    case CanonKind::ErrorContextDrop: return "error contexts (component-model-error-context)";
    case CanonKind::ThreadIndex:
    case CanonKind::ThreadNewIndirect:
    case CanonKind::ThreadResumeLater:
    case CanonKind::ThreadSuspend:
    case CanonKind::ThreadSuspendThenResume:
    case CanonKind::ThreadYieldThenResume:
    case CanonKind::ThreadSuspendThenPromote:
    case CanonKind::ThreadYieldThenPromote: return "threads (component-model-threading)";
    case CanonKind::ThreadSpawnRef:
    case CanonKind::ThreadSpawnIndirect:
    case CanonKind::ThreadAvailableParallelism: return "shared-everything threads";
    default: return "async (component-model-async)";
  }
}

// The core signature of an unsupported built-in (Explainer.md's "Canonical
// ABI signature" of each); nullopt if it depends on what is not modelled.
std::optional<wasm::FuncType> signature(Frame& f, const Canon& c) {
  const ValType I32 = ValType::I32;
  switch (c.kind) {
    case CanonKind::TaskReturn: {
      wasm::FuncType t;
      if (!c.result) return t;
      ValTypePtr r = c.result->is_index ? f.types->types.at(c.result->index).val : primitive(c.result->prim);
      if (!r) return std::nullopt;
      auto flat = abi::flatten_type(*r);
      if (flat.size() > abi::kMaxFlatParams) return wasm::FuncType{{I32}, {}};
      static constexpr ValType kCore[] = {ValType::I32, ValType::I64, ValType::F32, ValType::F64};
      for (auto ct : flat) t.params.push_back(kCore[static_cast<int>(ct)]);
      return t;
    }
    case CanonKind::TaskCancel: return wasm::FuncType{};
    case CanonKind::SubtaskCancel: return wasm::FuncType{{I32}, {I32}};
    case CanonKind::SubtaskDrop: return wasm::FuncType{{I32}, {}};
    case CanonKind::StreamNew:
    case CanonKind::FutureNew: return wasm::FuncType{{}, {ValType::I64}};
    case CanonKind::StreamRead:
    case CanonKind::StreamWrite: return wasm::FuncType{{I32, I32, I32}, {I32}};
    case CanonKind::FutureRead:
    case CanonKind::FutureWrite: return wasm::FuncType{{I32, I32}, {I32}};
    case CanonKind::StreamCancelRead:
    case CanonKind::StreamCancelWrite:
    case CanonKind::FutureCancelRead:
    case CanonKind::FutureCancelWrite: return wasm::FuncType{{I32}, {I32}};
    case CanonKind::StreamDropReadable:
    case CanonKind::StreamDropWritable:
    case CanonKind::FutureDropReadable:
    case CanonKind::FutureDropWritable: return wasm::FuncType{{I32}, {}};
    case CanonKind::ErrorContextNew: return wasm::FuncType{{I32, I32}, {I32}};
    case CanonKind::ErrorContextDebugMessage: return wasm::FuncType{{I32, I32}, {}};
    case CanonKind::ErrorContextDrop: return wasm::FuncType{{I32}, {}};
    case CanonKind::WaitableSetNew: return wasm::FuncType{{}, {I32}};
    case CanonKind::WaitableSetWait:
    case CanonKind::WaitableSetPoll: return wasm::FuncType{{I32, I32}, {I32}};
    case CanonKind::WaitableSetDrop: return wasm::FuncType{{I32}, {}};
    case CanonKind::WaitableJoin: return wasm::FuncType{{I32, I32}, {}};
    case CanonKind::ThreadIndex:
    case CanonKind::ThreadSuspend:
    case CanonKind::ThreadYield:
    case CanonKind::ThreadAvailableParallelism: return wasm::FuncType{{}, {I32}};
    case CanonKind::ThreadResumeLater: return wasm::FuncType{{I32}, {}};
    case CanonKind::ThreadSuspendThenResume:
    case CanonKind::ThreadYieldThenResume:
    case CanonKind::ThreadSuspendThenPromote:
    case CanonKind::ThreadYieldThenPromote: return wasm::FuncType{{I32}, {I32}};
    case CanonKind::ThreadNewIndirect: {
      // [fi:i32 c:FuncT.params[0]] -> [i32], FuncT the core type `c.type`.
      const auto& types = f.at(Sort::CoreType);
      const wasm::FuncType* ft = c.type < types.size() ? types[c.type].core_func_type : nullptr;
      if (!ft || ft->params.empty()) return std::nullopt;
      return wasm::FuncType{{I32, ft->params[0]}, {I32}};
    }
    default: return std::nullopt;  // thread.spawn-*: shared functions
  }
}

wasm::FuncInst* resource_builtin(Frame& f, CanonKind kind, const abi::RuntimeResourceType& type) {
  const abi::RuntimeResourceType* t = &type;
  Frame* fr = &f;
  wasm::Store& store = f.rt->store();
  switch (kind) {
    case CanonKind::ResourceNew:
      return store.create_host_func(
          {{ValType::I32}, {ValType::I32}},
          [fr, t](wasm::Caller&, std::span<const wasm::Value> a, std::span<wasm::Value> r) -> std::optional<wasm::Trap> {
            if (!fr->state.may_leave) return trap("cannot leave component instance");
            auto i = abi::resource_new(fr->state, *t, a[0].as_u32());
            if (!i) return trap(i.error().message);
            r[0] = wasm::Value::i32(*i);
            return std::nullopt;
          },
          "resource.new");
    case CanonKind::ResourceRep:
      return store.create_host_func(
          {{ValType::I32}, {ValType::I32}},
          [fr, t](wasm::Caller&, std::span<const wasm::Value> a, std::span<wasm::Value> r) -> std::optional<wasm::Trap> {
            if (auto h = checked_handle(*fr, a[0].as_u32(), t); !h) return trap(h.error().message);
            auto i = abi::resource_rep(fr->state, *t, a[0].as_u32());
            if (!i) return trap(i.error().message);
            r[0] = wasm::Value::i32(*i);
            return std::nullopt;
          },
          "resource.rep");
    default:
      return store.create_host_func(
          {{ValType::I32}, {}},
          [fr, t](wasm::Caller&, std::span<const wasm::Value> a, std::span<wasm::Value>) -> std::optional<wasm::Trap> {
            if (!fr->state.may_leave) return trap("cannot leave component instance");
            auto h = checked_handle(*fr, a[0].as_u32(), t);
            if (!h) return trap(h.error().message);
            if ((*h)->num_lends != 0) return trap("cannot remove owned resource while borrowed");
            if ((*h)->own && t->impl && !t->impl->may_enter_from(&fr->state))
              return trap("wasm trap: cannot enter component instance (to run the destructor of " + t->name + ")");
            auto i = abi::resource_drop(fr->state, *t, a[0].as_u32());
            if (!i) return trap(i.error().message);
            return std::nullopt;
          },
          "resource.drop");
  }
}

}  // namespace

Expected<wasm::FuncInst*> make_builtin(Frame& f, const Canon& c, const abi::RuntimeResourceType* rt) {
  wasm::Store& store = f.rt->store();
  Frame* fr = &f;
  switch (c.kind) {
    case CanonKind::ResourceNew:
    case CanonKind::ResourceDrop:
    case CanonKind::ResourceRep:
      if (!rt) return make_error("resource type has no runtime definition");
      return resource_builtin(f, c.kind, *rt);
    case CanonKind::ContextGet:
    case CanonKind::ContextSet: {
      // definitions.py: the running thread's storage slot; every sync call
      // starts a thread with zeroed storage.
      if (c.context >= 2) return make_error("context slot " + std::to_string(c.context) + " out of range");
      uint32_t slot = c.context;
      ValType t = c.core_type;
      bool get = c.kind == CanonKind::ContextGet;
      wasm::FuncType sig = get ? wasm::FuncType{{}, {t}} : wasm::FuncType{{t}, {}};
      return store.create_host_func(
          std::move(sig),
          [get, slot, t](wasm::Caller&, std::span<const wasm::Value> a, std::span<wasm::Value> r) -> std::optional<wasm::Trap> {
            uint64_t* storage = thread_context();
            if (!storage) return trap("context storage used outside of a call");
            if (get) r[0] = {t, storage[slot]};
            else storage[slot] = t == ValType::I32 ? a[0].as_u32() : a[0].as_u64();
            return std::nullopt;
          },
          canon_name(c.kind));
    }
    case CanonKind::BackpressureInc:
    case CanonKind::BackpressureDec: {
      int32_t step = c.kind == CanonKind::BackpressureInc ? 1 : -1;
      return store.create_host_func(
          {},
          [fr, step](wasm::Caller&, std::span<const wasm::Value>, std::span<wasm::Value>) -> std::optional<wasm::Trap> {
            fr->backpressure += step;
            if (fr->backpressure >= (1 << 16)) return trap("backpressure counter overflow");
            if (fr->backpressure < 0) return trap("backpressure counter underflow");
            return std::nullopt;
          },
          canon_name(c.kind));
    }
    default: break;
  }
  auto sig = signature(f, c);
  if (!sig)
    return make_error(std::string("canon ") + canon_name(c.kind) + " is not supported: it needs " + feature_of(c.kind));
  std::string what = std::string("canon ") + canon_name(c.kind) + " is not supported: it needs " + feature_of(c.kind);
  return store.create_host_func(
      std::move(*sig),
      [fr, what](wasm::Caller&, std::span<const wasm::Value>, std::span<wasm::Value>) -> std::optional<wasm::Trap> {
        if (!fr->state.may_leave) return trap("cannot leave component instance");
        return trap(what);
      },
      canon_name(c.kind));
}

}  // namespace whirl::component::runtime
