// Resource handle rules (CanonicalABI.md "Table State", "Resource State",
// lift_own/lift_borrow/lower_own/lower_borrow, resource.new/drop/rep).
// Expected values come from the spec text: index 0 reserved, freed indices
// reused last-freed-first, a lent handle can be neither dropped nor moved,
// borrows end with their call, the implementation sees its own rep.
#include <gtest/gtest.h>

#include "component/abi/handles.h"
#include "test_types.h"

namespace whirl::component::abi {
namespace {

using test::handle;

// Two sibling instances A and B under a root (so each may call the other
// while neither is on the stack), R and T implemented by A, S by B.
struct World {
  InstanceState root{nullptr, "root"};
  InstanceState a{&root, "A"}, b{&root, "B"};
  ResourceTypes types;
  std::vector<std::pair<std::string, uint32_t>> dtor_calls;
  const RuntimeResourceType& r = types.add(1, &a, dtor("R"), "R");
  const RuntimeResourceType& s = types.add(2, &b, dtor("S"), "S");
  const RuntimeResourceType& t = types.add(3, &a, {}, "T");
  ResourceType r_static{1, false}, s_static{2, false};

  Destructor dtor(std::string name) {
    return [this, name](uint32_t rep, InstanceState&) -> Expected<void, Trap> {
      dtor_calls.emplace_back(name, rep);
      return {};
    };
  }
};

uint32_t ok(Expected<uint32_t, Trap> r) {
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : 0;
}
void ok(Expected<void, Trap> r) { EXPECT_TRUE(r) << r.error().message; }
template <class T>
void ok(const Expected<T, Trap>& r) {
  EXPECT_TRUE(r) << r.error().message;
}
template <class T>
std::string trapped(const Expected<T, Trap>& r) {
  EXPECT_FALSE(r) << "expected a trap";
  return r ? "" : r.error().message;
}

const ResourceHandle& at(InstanceState& inst, uint32_t i) { return (*inst.handles.get(i))->resource; }

TEST(HandleTable, IndexZeroIsReservedAndFreedIndicesAreReusedLastFirst) {
  Table<int> t;
  EXPECT_EQ(t.length(), 1u);
  trapped(t.get(0));
  EXPECT_EQ(ok(t.add(10)), 1u);
  EXPECT_EQ(ok(t.add(20)), 2u);
  EXPECT_EQ(ok(t.add(30)), 3u);
  EXPECT_EQ(*t.remove(2), 20);
  EXPECT_EQ(*t.remove(1), 10);
  EXPECT_EQ(t.free_list(), (std::vector<uint32_t>{2, 1}));
  EXPECT_EQ(ok(t.add(40)), 1u);  // the last freed first
  EXPECT_EQ(ok(t.add(50)), 2u);
  EXPECT_EQ(ok(t.add(60)), 4u);  // free list empty: grow
  EXPECT_EQ(**t.get(2), 50);
}

TEST(HandleTable, OutOfBoundsFreeAndFullTrap) {
  Table<int> t(3);
  EXPECT_NE(trapped(t.get(1)).find("out of bounds"), std::string::npos);
  ok(t.add(1));
  ok(t.add(2));
  ok(t.add(3));
  EXPECT_NE(trapped(t.add(4)).find("full"), std::string::npos);  // 3 entries past slot 0
  ok(t.remove(2));
  EXPECT_NE(trapped(t.remove(2)).find("not in use"), std::string::npos);
  EXPECT_EQ(ok(t.add(4)), 2u);  // a freed slot is still usable
  trapped(t.get(4));
  trapped(t.get(0xffffffffu));
}

TEST(ResourceBuiltins, NewRepDropCallsDestructorOnceWithRep) {
  World w;
  uint32_t h1 = ok(resource_new(w.a, w.r, 42));
  uint32_t h2 = ok(resource_new(w.a, w.r, 43));
  EXPECT_EQ(h1, 1u);
  EXPECT_EQ(h2, 2u);
  EXPECT_EQ(ok(resource_rep(w.a, w.r, h1)), 42u);
  EXPECT_EQ(ok(resource_rep(w.a, w.r, h2)), 43u);
  ok(resource_drop(w.a, w.r, h1));
  EXPECT_EQ(w.dtor_calls, (std::vector<std::pair<std::string, uint32_t>>{{"R", 42}}));
  trapped(resource_rep(w.a, w.r, h1));
  trapped(resource_drop(w.a, w.r, h1));  // a second drop: the slot is free
  EXPECT_EQ(w.dtor_calls.size(), 1u);
  EXPECT_EQ(ok(resource_new(w.a, w.r, 44)), 1u);  // reused
  // No destructor: the drop just frees the slot.
  uint32_t h3 = ok(resource_new(w.a, w.t, 7));
  ok(resource_drop(w.a, w.t, h3));
  EXPECT_EQ(w.dtor_calls.size(), 1u);
}

TEST(ResourceBuiltins, WrongTypeTrapsAndLeavesTheHandle) {
  World w;
  uint32_t h = ok(resource_new(w.a, w.r, 42));
  EXPECT_NE(trapped(resource_rep(w.a, w.t, h)).find("not a T"), std::string::npos);
  trapped(resource_drop(w.a, w.t, h));
  trapped(lift_own(w.a, h, w.t));
  Subtask st(&w.a);
  trapped(lift_borrow(w.a, st, h, w.t));
  EXPECT_EQ(at(w.a, h).num_lends, 0u);
  EXPECT_EQ(ok(resource_rep(w.a, w.r, h)), 42u);
  EXPECT_TRUE(w.dtor_calls.empty());
}

TEST(ResourceBuiltins, NonResourceElementTraps) {
  World w;
  HandleElement other;
  other.kind = HandleElement::Kind::Other;
  uint32_t i = ok(w.a.handles.add(other));
  EXPECT_NE(trapped(resource_rep(w.a, w.r, i)).find("not a resource"), std::string::npos);
  trapped(resource_drop(w.a, w.r, i));
  trapped(lift_own(w.a, i, w.r));
}

TEST(ResourceBuiltins, MayLeaveIsChecked) {
  World w;
  uint32_t h = ok(resource_new(w.a, w.r, 1));
  w.a.may_leave = false;
  trapped(resource_new(w.a, w.r, 2));
  trapped(resource_drop(w.a, w.r, h));
  EXPECT_EQ(ok(resource_rep(w.a, w.r, h)), 1u);  // rep does not check it
  SyncCall call(&w.a, &w.b, w.types);
  trapped(call.enter());
}

TEST(SyncCalls, OwnMovesBetweenTables) {
  World w;
  uint32_t h = ok(resource_new(w.a, w.r, 42));
  {
    SyncCall call(&w.a, &w.b, w.types);
    ok(call.enter());
    EXPECT_FALSE(w.b.may_enter);
    EXPECT_TRUE(w.root.may_enter);  // shared ancestor: not entered
    uint32_t rep = ok(call.caller_handles()->lift_own(h, w.r_static));
    EXPECT_EQ(rep, 42u);
    trapped(w.a.handles.get(h));  // moved out of A
    uint32_t hb = ok(call.callee_handles()->lower_own(rep, w.r_static));
    EXPECT_EQ(hb, 1u);
    EXPECT_TRUE(at(w.b, hb).own);
    EXPECT_EQ(at(w.b, hb).rep, 42u);
    // B returns it: lifted out of B, lowered into A again.
    uint32_t rep2 = ok(call.callee_handles()->lift_own(hb, w.r_static));
    ok(call.return_());
    EXPECT_EQ(ok(call.caller_handles()->lower_own(rep2, w.r_static)), h);  // A's freed slot
    call.finish();
    EXPECT_TRUE(w.b.may_enter);
  }
  EXPECT_TRUE(w.dtor_calls.empty());
  ok(resource_drop(w.a, w.r, h));
  EXPECT_EQ(w.dtor_calls, (std::vector<std::pair<std::string, uint32_t>>{{"R", 42}}));
}

TEST(SyncCalls, BorrowLendsUntilTheCallReturns) {
  World w;
  uint32_t h = ok(resource_new(w.a, w.r, 42));
  SyncCall call(&w.a, &w.b, w.types);
  ok(call.enter());
  uint32_t rep = ok(call.caller_handles()->lift_borrow(h, w.r_static));
  EXPECT_EQ(at(w.a, h).num_lends, 1u);
  uint32_t hb = ok(call.callee_handles()->lower_borrow(rep, w.r_static));
  EXPECT_EQ(hb, 1u);  // B does not implement R: a borrow handle
  EXPECT_FALSE(at(w.b, hb).own);
  EXPECT_EQ(call.task().num_borrows(), 1u);
  EXPECT_EQ(ok(resource_rep(w.b, w.r, hb)), 42u);

  // While lent, A's own can be neither dropped nor moved.
  EXPECT_NE(trapped(resource_drop(w.a, w.r, h)).find("lent"), std::string::npos);
  EXPECT_NE(trapped(lift_own(w.a, h, w.r)).find("lent"), std::string::npos);
  // A borrow cannot be passed on as an own.
  EXPECT_NE(trapped(lift_own(w.b, hb, w.r)).find("borrow"), std::string::npos);

  // Returning with the borrow still held traps; dropping it (no destructor
  // call) makes the return fine.
  EXPECT_NE(trapped(call.return_()).find("borrow"), std::string::npos);
  ok(resource_drop(w.b, w.r, hb));
  EXPECT_TRUE(w.dtor_calls.empty());
  EXPECT_EQ(call.task().num_borrows(), 0u);
  ok(call.return_());
  trapped(call.return_());  // only once
  call.finish();
  EXPECT_EQ(at(w.a, h).num_lends, 0u);
  ok(resource_drop(w.a, w.r, h));
  EXPECT_EQ(w.dtor_calls.size(), 1u);
}

TEST(SyncCalls, BorrowIntoTheImplementationIsTheRep) {
  World w;
  // A holds an own S (implemented by B) and lends it to B.
  uint32_t h = ok(lower_own(w.a, 77, w.s));
  SyncCall call(&w.a, &w.b, w.types);
  ok(call.enter());
  uint32_t rep = ok(call.caller_handles()->lift_borrow(h, w.s_static));
  EXPECT_EQ(ok(call.callee_handles()->lower_borrow(rep, w.s_static)), 77u);
  EXPECT_EQ(w.b.handles.length(), 1u);  // no handle made
  EXPECT_EQ(call.task().num_borrows(), 0u);
  EXPECT_EQ(at(w.a, h).num_lends, 1u);  // still lent for the call
  ok(call.return_());
  call.finish();
  EXPECT_EQ(at(w.a, h).num_lends, 0u);
}

TEST(SyncCalls, BorrowUsedAfterItsScopeTraps) {
  World w;
  uint32_t h = ok(resource_new(w.a, w.r, 42));
  uint32_t hb = 0;
  {
    SyncCall call(&w.a, &w.b, w.types);
    ok(call.enter());
    uint32_t rep = ok(call.caller_handles()->lift_borrow(h, w.r_static));
    hb = ok(call.callee_handles()->lower_borrow(rep, w.r_static));
    trapped(call.return_());  // the spec's trap; an embedder ignoring it ...
    call.finish();
  }
  // ... finds the borrow's scope ended on every later use.
  EXPECT_NE(trapped(resource_rep(w.b, w.r, hb)).find("after"), std::string::npos);
  trapped(resource_drop(w.b, w.r, hb));
  Subtask st(&w.b);
  trapped(lift_borrow(w.b, st, hb, w.r));
}

TEST(SyncCalls, ABorrowCanBeLentOnAndNotDroppedMeanwhile) {
  World w;
  InstanceState c{&w.root, "C"};
  uint32_t h = ok(resource_new(w.a, w.r, 5));
  SyncCall ab(&w.a, &w.b, w.types);
  ok(ab.enter());
  uint32_t hb = ok(ab.callee_handles()->lower_borrow(ok(ab.caller_handles()->lift_borrow(h, w.r_static)), w.r_static));
  {
    SyncCall bc(&w.b, &c, w.types);
    ok(bc.enter());
    uint32_t rep = ok(bc.caller_handles()->lift_borrow(hb, w.r_static));
    EXPECT_EQ(at(w.b, hb).num_lends, 1u);
    uint32_t hc = ok(bc.callee_handles()->lower_borrow(rep, w.r_static));
    EXPECT_NE(trapped(resource_drop(w.b, w.r, hb)).find("lent"), std::string::npos);
    ok(resource_drop(c, w.r, hc));
    ok(bc.return_());
    bc.finish();
  }
  EXPECT_EQ(at(w.b, hb).num_lends, 0u);
  ok(resource_drop(w.b, w.r, hb));
  ok(ab.return_());
  ab.finish();
  EXPECT_TRUE(w.dtor_calls.empty());
}

TEST(SyncCalls, OwnAndBorrowOfOneHandleInOneCall) {
  World w;
  // own first: moved out, then the borrow finds the slot free.
  uint32_t h = ok(resource_new(w.a, w.r, 1));
  {
    SyncCall call(&w.a, &w.b, w.types);
    ok(call.enter());
    ok(call.caller_handles()->lift_own(h, w.r_static));
    EXPECT_NE(trapped(call.caller_handles()->lift_borrow(h, w.r_static)).find("not in use"), std::string::npos);
  }
  // borrow first: lent, then the own cannot move.
  uint32_t h2 = ok(resource_new(w.a, w.r, 2));
  SyncCall call(&w.a, &w.b, w.types);
  ok(call.enter());
  ok(call.caller_handles()->lift_borrow(h2, w.r_static));
  EXPECT_NE(trapped(call.caller_handles()->lift_own(h2, w.r_static)).find("lent"), std::string::npos);
}

TEST(SyncCalls, ReentranceTraps) {
  World w;
  w.a.enter_from(nullptr);  // the host called A (Store.invoke enters A and root)
  SyncCall ab(&w.a, &w.b, w.types);
  ok(ab.enter());
  SyncCall ba(&w.b, &w.a, w.types);
  EXPECT_NE(trapped(ba.enter()).find("reenter"), std::string::npos);
  SyncCall ab2(&w.a, &w.b, w.types);
  trapped(ab2.enter());  // B is on the stack too
  ab.finish();
  w.a.leave_to(nullptr);
  EXPECT_TRUE(w.a.may_enter && w.b.may_enter && w.root.may_enter);
  SyncCall ba3(&w.b, &w.a, w.types);
  ok(ba3.enter());
  ba3.finish();
}

TEST(SyncCalls, DestructorCallMayNotReenter) {
  World w;
  w.a.enter_from(nullptr);  // the host called A ...
  SyncCall ab(&w.a, &w.b, w.types);
  ok(ab.enter());  // ... which called B
  // B owns an R (implemented by A, which is on the stack): dropping it would
  // call A's destructor, reentering A.
  uint32_t hb = ok(lower_own(w.b, 9, w.r));
  EXPECT_NE(trapped(resource_drop(w.b, w.r, hb)).find("reenter"), std::string::npos);
  // T has no destructor, and the check is made all the same.
  uint32_t ht = ok(lower_own(w.b, 10, w.t));
  trapped(resource_drop(w.b, w.t, ht));
  EXPECT_TRUE(w.dtor_calls.empty());
  // B's own resource S: dropping it enters nothing new.
  uint32_t hs = ok(resource_new(w.b, w.s, 11));
  ok(resource_drop(w.b, w.s, hs));
  ok(ab.return_());
  ab.finish();
  // A drops an R it implements while on the stack: fine.
  uint32_t ha = ok(resource_new(w.a, w.r, 12));
  ok(resource_drop(w.a, w.r, ha));
  EXPECT_EQ(w.dtor_calls, (std::vector<std::pair<std::string, uint32_t>>{{"S", 11}, {"R", 12}}));
  w.a.leave_to(nullptr);
}

TEST(SyncCalls, DestructorTrapPropagatesAndLeavesTheInstance) {
  World w;
  const RuntimeResourceType& bad =
      w.types.add(9, &w.b, [](uint32_t, InstanceState&) -> Expected<void, Trap> { return unexpected(Trap{"dtor trapped"}); }, "bad");
  uint32_t h = ok(lower_own(w.a, 3, bad));
  EXPECT_EQ(trapped(resource_drop(w.a, bad, h)), "dtor trapped");
  EXPECT_TRUE(w.b.may_enter);
}

TEST(SyncCalls, HostCallsAndHostResources) {
  World w;
  const RuntimeResourceType& host = w.types.add(7, nullptr, w.dtor("H"), "H");
  ResourceType host_static{7, true};
  // The host calls A with own<R> (rep 5) and borrow<H> (rep 6): A gets a
  // handle for each (A does not implement H, the host does).
  SyncCall call(nullptr, &w.a, w.types);
  EXPECT_EQ(call.caller_handles(), nullptr);
  ok(call.enter());
  EXPECT_FALSE(w.root.may_enter);  // the host enters A and its ancestors
  uint32_t ho = ok(call.callee_handles()->lower_own(5, w.r_static));
  uint32_t hb = ok(call.callee_handles()->lower_borrow(6, host_static));
  EXPECT_EQ(ho, 1u);
  EXPECT_EQ(hb, 2u);
  ok(resource_drop(w.a, host, hb));
  ok(resource_drop(w.a, w.r, ho));  // A's own destructor
  // Dropping an own H calls the host's destructor (no instance to enter).
  uint32_t hh = ok(lower_own(w.a, 8, host));
  ok(resource_drop(w.a, host, hh));
  ok(call.return_());
  call.finish();
  EXPECT_TRUE(w.root.may_enter);
  EXPECT_EQ(w.dtor_calls, (std::vector<std::pair<std::string, uint32_t>>{{"R", 5}, {"H", 8}}));
}

TEST(SyncCalls, UnknownTypeAndBorrowResultsTrap) {
  World w;
  SyncCall call(&w.a, &w.b, w.types);
  ok(call.enter());
  trapped(call.caller_handles()->lift_own(1, ResourceType{99, false}));
  trapped(call.caller_handles()->lower_borrow(1, w.r_static));  // a borrow result
  trapped(call.callee_handles()->lift_borrow(1, w.r_static));
}

// The handle rules through lift_flat / lower_flat (lift_lower.h).
class SideContext : public test::HeapContext {
 public:
  explicit SideContext(HandleTable* h) : HeapContext(64), h_(h) {}
  HandleTable* handles() override { return h_; }

 private:
  HandleTable* h_;
};

TEST(SyncCalls, ThroughLiftAndLowerFlat) {
  World w;
  uint32_t h = ok(resource_new(w.a, w.r, 42));
  SyncCall call(&w.a, &w.b, w.types);
  ok(call.enter());
  SideContext caller(call.caller_handles()), callee(call.callee_handles());
  auto own_r = handle(TypeKind::Own, 1), borrow_r = handle(TypeKind::Borrow, 1);
  std::vector<CoreValue> args = {CoreValue::i32(h), CoreValue::i32(h)};
  FlatReader in(args);
  // borrow first, then own: the own traps on the lend.
  auto b = lift_flat(caller, in, *borrow_r);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, Value::borrow(42));
  trapped(lift_flat(caller, in, *own_r));
  std::vector<CoreValue> out;
  ASSERT_TRUE(lower_flat(callee, *b, *borrow_r, out));
  EXPECT_EQ(out, (std::vector<CoreValue>{CoreValue::i32(1)}));
  EXPECT_EQ(call.task().num_borrows(), 1u);
}

}  // namespace
}  // namespace whirl::component::abi
