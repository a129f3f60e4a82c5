#include "component/abi/handles.h"

#include <utility>

namespace whirl::component::abi {
namespace {

Unexpected<Trap> trap(std::string message) { return unexpected(Trap{std::move(message)}); }

std::string type_name(const RuntimeResourceType* rt) {
  if (!rt) return "?";
  return rt->name.empty() ? "resource #" + std::to_string(rt->id) : rt->name;
}

// The checks every use of an existing handle shares, in definitions.py's
// order: in bounds and in use (Table.get), a resource handle, of type rt.
// Then one check of ours that the spec cannot reach: a borrow whose call
// has returned (definitions.py traps at that return already, so only a
// caller that carried on after the trap gets here).
Expected<ResourceHandle*, Trap> get_handle(InstanceState& inst, uint32_t i, const RuntimeResourceType& rt) {
  auto e = inst.handles.get(i);
  if (!e) return unexpected(e.error());
  if ((*e)->kind != HandleElement::Kind::Resource) return trap("handle " + std::to_string(i) + " is not a resource");
  ResourceHandle& h = (*e)->resource;
  if (h.rt != &rt)
    return trap("handle " + std::to_string(i) + " is a " + type_name(h.rt) + ", not a " + type_name(&rt));
  if (h.borrow_scope && h.borrow_scope->ended)
    return trap("borrow handle " + std::to_string(i) + " is used after the call that lent it returned");
  return &h;
}

}  // namespace

// ---- ResourceTypes ----

const RuntimeResourceType& ResourceTypes::add(uint32_t id, InstanceState* impl, Destructor dtor, std::string name) {
  RuntimeResourceType& t = types_.emplace_back(RuntimeResourceType{id, impl, std::move(dtor), std::move(name)});
  if (auto i = ids_.find(id)) {
    by_id_[*i] = &t;
  } else {
    ids_.push_back(id);
    by_id_.push_back(&t);
  }
  return t;
}

// ---- InstanceState ----

namespace {
bool is_self_or_ancestor(const InstanceState* a, const InstanceState* of) {
  for (; of; of = of->parent)
    if (a == of) return true;
  return false;
}
}  // namespace

// entering_set(caller) = self_and_ancestors() - caller.self_and_ancestors().
bool InstanceState::may_enter_from(const InstanceState* caller) const {
  for (const InstanceState* i = this; i; i = i->parent)
    if (!is_self_or_ancestor(i, caller) && !i->may_enter) return false;
  return true;
}

void InstanceState::enter_from(const InstanceState* caller) {
  for (InstanceState* i = this; i; i = i->parent)
    if (!is_self_or_ancestor(i, caller)) i->may_enter = false;
}

void InstanceState::leave_to(const InstanceState* caller) {
  for (InstanceState* i = this; i; i = i->parent)
    if (!is_self_or_ancestor(i, caller)) i->may_enter = true;
}

// ---- Task / Subtask ----

Expected<void, Trap> Task::return_() {
  if (resolved_) return trap("the call has already returned");
  if (scope_->num_borrows > 0)
    return trap("the call returns while " + std::to_string(scope_->num_borrows) +
                " borrowed handle(s) lent to it are not dropped");
  resolved_ = true;
  scope_->ended = true;
  return {};
}

void Subtask::add_lender(ResourceHandle& h, uint32_t index) {
  h.num_lends += 1;
  lenders_.push_back(index);
}

void Subtask::deliver_resolve() {
  if (delivered_) return;
  delivered_ = true;
  for (uint32_t i : lenders_) {
    // A lent handle cannot be removed (lift_own and resource.drop trap on
    // num_lends != 0), so the slot still holds it.
    auto e = inst_->handles.get(i);
    if (e && (*e)->kind == HandleElement::Kind::Resource && (*e)->resource.num_lends > 0) (*e)->resource.num_lends -= 1;
  }
  lenders_.clear();
}

// ---- lifting and lowering ----

Expected<uint32_t, Trap> lift_own(InstanceState& inst, uint32_t i, const RuntimeResourceType& rt) {
  auto h = get_handle(inst, i, rt);
  if (!h) return unexpected(h.error());
  if ((*h)->num_lends != 0) return trap("handle " + std::to_string(i) + " is lent out and cannot be moved");
  if (!(*h)->own) return trap("handle " + std::to_string(i) + " is a borrow, not an own");
  uint32_t rep = (*h)->rep;
  (void)inst.handles.remove(i);
  return rep;
}

Expected<uint32_t, Trap> lift_borrow(InstanceState& inst, Subtask& scope, uint32_t i, const RuntimeResourceType& rt) {
  auto h = get_handle(inst, i, rt);
  if (!h) return unexpected(h.error());
  // Own and borrow handles alike can be lent; the lend ends with the call.
  scope.add_lender(**h, i);
  return (*h)->rep;
}

Expected<uint32_t, Trap> lower_own(InstanceState& inst, uint32_t rep, const RuntimeResourceType& rt) {
  HandleElement e;
  e.resource = {&rt, rep, true, nullptr, 0};
  return inst.handles.add(std::move(e));
}

Expected<uint32_t, Trap> lower_borrow(InstanceState& inst, Task& scope, uint32_t rep, const RuntimeResourceType& rt) {
  // The implementation gets its own resource's rep directly: no handle, no
  // borrow to drop.
  if (&inst == rt.impl) return rep;
  HandleElement e;
  e.resource = {&rt, rep, false, scope.scope(), 0};
  auto i = inst.handles.add(std::move(e));
  if (i) scope.scope()->num_borrows += 1;
  return i;
}

// ---- canon built-ins ----

Expected<uint32_t, Trap> resource_new(InstanceState& inst, const RuntimeResourceType& rt, uint32_t rep) {
  if (!inst.may_leave) return trap("resource.new called while the instance may not leave");
  HandleElement e;
  e.resource = {&rt, rep, true, nullptr, 0};
  return inst.handles.add(std::move(e));
}

Expected<void, Trap> resource_drop(InstanceState& inst, const RuntimeResourceType& rt, uint32_t i) {
  if (!inst.may_leave) return trap("resource.drop called while the instance may not leave");
  auto hp = get_handle(inst, i, rt);
  if (!hp) return unexpected(hp.error());
  if ((*hp)->num_lends != 0) return trap("handle " + std::to_string(i) + " is dropped while lent out");
  ResourceHandle h = inst.handles.remove(i)->resource;
  if (!h.own) {
    h.borrow_scope->num_borrows -= 1;
    return {};
  }
  // The destructor is a sync call from inst into rt.impl (canon_lower +
  // Store.lift), even when there is no destructor: entering rt.impl may trap
  // on reentrance. Dropping one's own resource enters nothing.
  if (rt.impl) {
    if (!rt.impl->may_enter_from(&inst))
      return trap("the destructor of " + type_name(&rt) + " would reenter its instance");
    rt.impl->enter_from(&inst);
  }
  Expected<void, Trap> r;
  if (rt.dtor) r = rt.dtor(h.rep, inst);
  if (rt.impl) rt.impl->leave_to(&inst);
  return r;
}

Expected<uint32_t, Trap> resource_rep(InstanceState& inst, const RuntimeResourceType& rt, uint32_t i) {
  auto h = get_handle(inst, i, rt);
  if (!h) return unexpected(h.error());
  return (*h)->rep;
}

// ---- CanonHandles ----

Expected<const RuntimeResourceType*, Trap> CanonHandles::find(const ResourceType& rt) const {
  const RuntimeResourceType* r = types_.find(rt.id);
  if (!r) return trap("resource type #" + std::to_string(rt.id) + " has no runtime instance");
  return r;
}

Expected<uint32_t, Trap> CanonHandles::lift_own(uint32_t index, const ResourceType& rt) {
  auto r = find(rt);
  if (!r) return unexpected(r.error());
  return abi::lift_own(inst_, index, **r);
}

Expected<uint32_t, Trap> CanonHandles::lift_borrow(uint32_t index, const ResourceType& rt) {
  auto r = find(rt);
  if (!r) return unexpected(r.error());
  if (!subtask_) return trap("a borrow cannot be lifted from a callee (borrow in a result)");
  return abi::lift_borrow(inst_, *subtask_, index, **r);
}

Expected<uint32_t, Trap> CanonHandles::lower_own(uint32_t rep, const ResourceType& rt) {
  auto r = find(rt);
  if (!r) return unexpected(r.error());
  return abi::lower_own(inst_, rep, **r);
}

Expected<uint32_t, Trap> CanonHandles::lower_borrow(uint32_t rep, const ResourceType& rt) {
  auto r = find(rt);
  if (!r) return unexpected(r.error());
  if (!task_) return trap("a borrow cannot be lowered into a caller (borrow in a result)");
  return abi::lower_borrow(inst_, *task_, rep, **r);
}

// ---- SyncCall ----

SyncCall::SyncCall(InstanceState* caller, InstanceState* callee, const ResourceTypes& caller_types,
                   const ResourceTypes& callee_types)
    : caller_(caller), callee_(callee), task_(callee), subtask_(caller) {
  if (caller) caller_cx_.emplace(*caller, caller_types, subtask_);
  if (callee) callee_cx_.emplace(*callee, callee_types, task_);
}

Expected<void, Trap> SyncCall::enter() {
  if (caller_ && !caller_->may_leave) return trap("a call out of an instance that may not leave");
  if (callee_) {
    if (!callee_->may_enter_from(caller_)) return trap("the call would reenter an instance that is on the stack");
    callee_->enter_from(caller_);
    entered_ = true;
  }
  return {};
}

SyncCall::~SyncCall() {
  if (entered_) callee_->leave_to(caller_);
}

void SyncCall::finish() {
  if (entered_) callee_->leave_to(caller_);
  entered_ = false;
  subtask_.deliver_resolve();
}

}  // namespace whirl::component::abi
