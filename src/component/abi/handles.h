// Resource handles (CanonicalABI.md, "Table State", "Resource State",
// "Subtask State", lift_own / lift_borrow / lower_own / lower_borrow,
// `canon resource.new`, `resource.drop`, `resource.rep`), rule for rule as
// design/mvp/canonical-abi/definitions.py, for synchronous calls.
//
// Reduced from definitions.py (sync calls only): a Task is the callee side
// of one call and only counts the borrows lowered into it; a Subtask is the
// caller side and only tracks the handles it lent; threads, waitables,
// cancellation, backpressure and async lifts/lowers are left out.
// Instances keep `may_enter` / `may_leave` and their parent, because the
// destructor call of `resource.drop` and every cross-instance call check
// them.
//
// Traps are values. One deliberate difference: definitions.py removes a
// handle from the table before its checks (the instance is dead after a
// trap anyway); here a trapping operation leaves the table as it was.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/chunked_list.h"
#include "common/ordered_keys.h"
#include "common/expected.h"
#include "component/abi/lift_lower.h"
#include "component/types.h"

namespace whirl::component::abi {

// definitions.py Table: a growable array whose index 0 is reserved (so 0 can
// be a null handle); removed slots go on a free list that add() pops from
// (last freed, first reused) before growing the array.
template <class T>
class Table {
 public:
  static constexpr uint32_t kMaxLength = (uint32_t(1) << 28) - 1;
  // max_length: the spec's 2^28-1; smaller only so tests can reach it.
  explicit Table(uint32_t max_length = kMaxLength) : max_length_(max_length) { array_.emplace_back(); }

  Expected<T*, Trap> get(uint32_t i) {
    if (i >= array_.size())
      return unexpected(Trap{"handle index " + std::to_string(i) + " is out of bounds (table length " +
                             std::to_string(array_.size()) + ")"});
    if (!array_[i]) return unexpected(Trap{"handle index " + std::to_string(i) + " is not in use"});
    return &*array_[i];
  }
  Expected<uint32_t, Trap> add(T e) {
    if (!free_.empty()) {
      uint32_t i = free_.back();
      free_.pop_back();
      array_[i] = std::move(e);
      return i;
    }
    if (array_.size() > max_length_)
      return unexpected(Trap{"handle table is full (" + std::to_string(max_length_) + " entries)"});
    array_.emplace_back(std::move(e));
    return uint32_t(array_.size() - 1);
  }
  Expected<T, Trap> remove(uint32_t i) {
    auto e = get(i);
    if (!e) return unexpected(e.error());
    T out = std::move(**e);
    array_[i].reset();
    free_.push_back(i);
    return out;
  }

  // Inspection (tests, the differential driver).
  size_t length() const { return array_.size(); }  // including slot 0
  const std::optional<T>& slot(uint32_t i) const { return array_[i]; }
  const std::vector<uint32_t>& free_list() const { return free_; }

 private:
  std::vector<std::optional<T>> array_;
  std::vector<uint32_t> free_;
  uint32_t max_length_;
};

class InstanceState;

// Called with the representation when an owned handle is dropped, and the
// instance that dropped it (a host resource's destructor finds the host
// state of the instance through it: one runtime type serves every instance).
using Destructor = std::function<Expected<void, Trap>(uint32_t rep, InstanceState& dropper)>;

// definitions.py ResourceType: one per resource type *per defining
// instance*; compared by identity (address), never structurally.
struct RuntimeResourceType {
  uint32_t id = 0;                // the ResourceType::id (types.h) it instantiates
  InstanceState* impl = nullptr;  // the defining instance; null: the host
  Destructor dtor;                // empty: no destructor
  std::string name;               // for messages
};

// Maps the static ResourceType ids of types.h (what HandleTable receives)
// to runtime types. Addresses stay valid while the registry lives.
class ResourceTypes {
 public:
  const RuntimeResourceType& add(uint32_t id, InstanceState* impl, Destructor dtor = {}, std::string name = {});
  // Makes `id` stand for a type another registry owns (an imported
  // resource, or one a nested instance defined); the first mapping stays.
  void alias(uint32_t id, const RuntimeResourceType* rt) {
    if (ids_.find(id)) return;
    ids_.push_back(id);
    by_id_.push_back(rt);
  }
  const RuntimeResourceType* find(uint32_t id) const {
    auto i = ids_.find(id);
    return i ? by_id_[*i] : nullptr;
  }
  // Every mapping (for a parent instance to take over a child's): the
  // i-th id and the type it maps to.
  size_t size() const { return ids_.size(); }
  uint32_t id(size_t i) const { return ids_[i]; }
  const RuntimeResourceType* type(size_t i) const { return by_id_[i]; }

 private:
  ChunkedList<RuntimeResourceType, 4> types_;
  // An instance maps tens of ids, once each: searched in place while few
  // (no hash map node per mapping).
  OrderedKeys<uint32_t> ids_;
  std::vector<const RuntimeResourceType*> by_id_;  // by_id_[i] is ids_[i]'s
};

// What a Task's borrow handles point at: outlives the Task so that a borrow
// handle left behind after a trap finds its scope ended instead of dangling.
struct BorrowScope {
  uint32_t num_borrows = 0;
  bool ended = false;
};

// definitions.py ResourceHandle.
struct ResourceHandle {
  const RuntimeResourceType* rt = nullptr;
  uint32_t rep = 0;
  bool own = false;
  std::shared_ptr<BorrowScope> borrow_scope;  // borrows only: the Task that lowered it
  uint32_t num_lends = 0;
};

// An element of an instance's `handles` table. Waitables, waitable sets and
// error contexts (async, not implemented) share the table and its index
// space; `Other` stands for them, so that the "not a resource handle" rule
// has something to reject.
struct HandleElement {
  enum class Kind : uint8_t { Resource, Other } kind = Kind::Resource;
  ResourceHandle resource;
};

// The part of definitions.py's ComponentInstance the handle rules need.
class InstanceState {
 public:
  explicit InstanceState(InstanceState* parent = nullptr, std::string name = {})
      : parent(parent), name(std::move(name)) {}
  InstanceState(const InstanceState&) = delete;
  InstanceState& operator=(const InstanceState&) = delete;

  InstanceState* parent;
  std::string name;
  void* embedder = nullptr;  // the runtime's instance this state is part of (opaque here)
  Table<HandleElement> handles;
  bool may_enter = true;  // false while the instance (or a descendant) is on the stack
  bool may_leave = true;  // false while it runs realloc / post-return

  // Reentrance (component invariant #2): calling into this instance from
  // `caller` (null: the host) enters every ancestor-or-self of this one that
  // is not an ancestor-or-self of the caller; each must allow entry.
  bool may_enter_from(const InstanceState* caller) const;
  void enter_from(const InstanceState* caller);
  void leave_to(const InstanceState* caller);
};

// The callee side of a sync call (definitions.py Task): counts the borrow
// handles lowered into `inst` for this call; return_() traps unless all of
// them were dropped.
class Task {
 public:
  explicit Task(InstanceState* inst) : inst_(inst), scope_(std::make_shared<BorrowScope>()) {}
  ~Task() { scope_->ended = true; }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  InstanceState* inst() const { return inst_; }
  const std::shared_ptr<BorrowScope>& scope() const { return scope_; }
  uint32_t num_borrows() const { return scope_->num_borrows; }
  bool resolved() const { return resolved_; }
  Expected<void, Trap> return_();

 private:
  InstanceState* inst_;
  std::shared_ptr<BorrowScope> scope_;
  bool resolved_ = false;
};

// The caller side of a sync call (definitions.py Subtask): the caller's
// handles lent as borrows; each lend keeps the handle from being dropped
// (or its ownership moved) until deliver_resolve() after the call.
class Subtask {
 public:
  explicit Subtask(InstanceState* inst) : inst_(inst) {}
  InstanceState* inst() const { return inst_; }
  void add_lender(ResourceHandle& h, uint32_t index);
  void deliver_resolve();
  bool resolve_delivered() const { return delivered_; }

 private:
  InstanceState* inst_;
  std::vector<uint32_t> lenders_;  // indices: a lent handle cannot leave the table
  bool delivered_ = false;
};

// The four handle rules of lifting and lowering (definitions.py of the same
// names). Lifting takes an index into `inst`'s table and gives the rep;
// lowering takes a rep and gives an index (or, for a borrow lowered into
// the resource's own implementation, the rep itself).
Expected<uint32_t, Trap> lift_own(InstanceState& inst, uint32_t i, const RuntimeResourceType& rt);
Expected<uint32_t, Trap> lift_borrow(InstanceState& inst, Subtask& scope, uint32_t i, const RuntimeResourceType& rt);
Expected<uint32_t, Trap> lower_own(InstanceState& inst, uint32_t rep, const RuntimeResourceType& rt);
Expected<uint32_t, Trap> lower_borrow(InstanceState& inst, Task& scope, uint32_t rep, const RuntimeResourceType& rt);

// The canon built-ins, called by `inst` (definitions.py current_instance()).
Expected<uint32_t, Trap> resource_new(InstanceState& inst, const RuntimeResourceType& rt, uint32_t rep);
Expected<void, Trap> resource_drop(InstanceState& inst, const RuntimeResourceType& rt, uint32_t i);
Expected<uint32_t, Trap> resource_rep(InstanceState& inst, const RuntimeResourceType& rt, uint32_t i);

// The HandleTable of lift_lower.h for one side of a call: the caller side
// (a Subtask: lift_own / lift_borrow for arguments, lower_own for results)
// or the callee side (a Task: lower_own / lower_borrow for arguments,
// lift_own for results). A borrow in the wrong direction (a borrow result)
// is a Trap: validation forbids it. Types are looked up by id.
class CanonHandles final : public HandleTable {
 public:
  CanonHandles(InstanceState& inst, const ResourceTypes& types, Subtask& scope)
      : inst_(inst), types_(types), subtask_(&scope) {}
  CanonHandles(InstanceState& inst, const ResourceTypes& types, Task& scope)
      : inst_(inst), types_(types), task_(&scope) {}

  Expected<uint32_t, Trap> lift_own(uint32_t index, const ResourceType& rt) override;
  Expected<uint32_t, Trap> lift_borrow(uint32_t index, const ResourceType& rt) override;
  Expected<uint32_t, Trap> lower_own(uint32_t rep, const ResourceType& rt) override;
  Expected<uint32_t, Trap> lower_borrow(uint32_t rep, const ResourceType& rt) override;

 private:
  Expected<const RuntimeResourceType*, Trap> find(const ResourceType& rt) const;
  InstanceState& inst_;
  const ResourceTypes& types_;
  Subtask* subtask_ = nullptr;
  Task* task_ = nullptr;
};

// One synchronous call from `caller` into `callee` (either may be null: the
// host), with the bookkeeping of canon_lower + Store.lift + canon_lift in
// definitions.py's order:
//   enter()        caller may leave; callee may be entered; enter it
//   lift args      through caller_handles()  (caller's table; lends)
//   lower args     through callee_handles()  (callee's table; borrows)
//   ... the callee runs ...
//   lift results   through callee_handles()
//   return_()      traps if the callee still holds a borrow of this call
//   lower results  through caller_handles()
//   finish()       leave the callee; end the lends
// A host side has no table: its values are reps and its handles() is null.
class SyncCall {
 public:
  SyncCall(InstanceState* caller, InstanceState* callee, const ResourceTypes& types)
      : SyncCall(caller, callee, types, types) {}
  // Each side reads the resource types of its own function type through
  // its own registry.
  SyncCall(InstanceState* caller, InstanceState* callee, const ResourceTypes& caller_types,
           const ResourceTypes& callee_types);
  // A call abandoned on a trap still leaves the callee (its lends stay: a
  // trapped instance is not to be used again).
  ~SyncCall();
  SyncCall(const SyncCall&) = delete;
  SyncCall& operator=(const SyncCall&) = delete;

  Expected<void, Trap> enter();
  HandleTable* caller_handles() { return caller_cx_ ? &*caller_cx_ : nullptr; }
  HandleTable* callee_handles() { return callee_cx_ ? &*callee_cx_ : nullptr; }
  Task& task() { return task_; }
  Subtask& subtask() { return subtask_; }
  Expected<void, Trap> return_() { return task_.return_(); }
  void finish();

 private:
  InstanceState* caller_;
  InstanceState* callee_;
  Task task_;
  Subtask subtask_;
  std::optional<CanonHandles> caller_cx_, callee_cx_;
  bool entered_ = false;
};

}  // namespace whirl::component::abi
