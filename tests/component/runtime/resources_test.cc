// Resources across the boundary: a guest-defined resource whose destructor
// logs the reps it is called with (dtor runs on drop, and only then), the
// handle rules' traps (unknown handle, a borrow not dropped by return, a
// lent handle removed), and a host-defined resource whose HostDestructor
// runs when the guest drops its handle.
#include "runtime_test_util.h"

namespace whirl::component::runtime::test {
namespace {

// $R implements `res` (the rep is the number given to `new`); its
// destructor adds the rep to `dtor-sum` and counts calls. $U uses it.
constexpr std::string_view kResources = R"((component
  (component $R
    (core module $Dtor
      (global $sum (mut i32) (i32.const 0))
      (global $count (mut i32) (i32.const 0))
      (func (export "dtor") (param i32)
        (global.set $sum (i32.add (global.get $sum) (local.get 0)))
        (global.set $count (i32.add (global.get $count) (i32.const 1))))
      (func (export "sum") (result i32) (global.get $sum))
      (func (export "count") (result i32) (global.get $count)))
    (core instance $dtor (instantiate $Dtor))
    (type $res' (resource (rep i32) (dtor (core func $dtor "dtor"))))
    (export $res "res" (type $res'))
    (core func $new (canon resource.new $res'))
    (core func $drop (canon resource.drop $res'))
    (core module $M
      (import "" "new" (func $new (param i32) (result i32)))
      (import "" "drop" (func $drop (param i32)))
      (func (export "new") (param i32) (result i32) (call $new (local.get 0)))
      ;; a borrow arrives at the implementation as the rep itself
      (func (export "rep") (param i32) (result i32) (local.get 0))
      ;; an own arrives as a new handle of R's table
      (func (export "consume") (param i32) (call $drop (local.get 0))))
    (core instance $m (instantiate $M (with "" (instance (export "new" (func $new)) (export "drop" (func $drop))))))
    (func (export "new") (param "rep" u32) (result (own $res)) (canon lift (core func $m "new")))
    (func (export "rep") (param "r" (borrow $res)) (result u32) (canon lift (core func $m "rep")))
    (func (export "consume") (param "r" (own $res)) (canon lift (core func $m "consume")))
    (func (export "dtor-sum") (result u32) (canon lift (core func $dtor "sum")))
    (func (export "dtor-count") (result u32) (canon lift (core func $dtor "count"))))
  (component $U
    (import "r" (instance $r
      (export "res" (type $res (sub resource)))
      (export "new" (func (param "rep" u32) (result (own $res))))
      (export "rep" (func (param "r" (borrow $res)) (result u32)))
      (export "consume" (func (param "r" (own $res))))))
    (alias export $r "res" (type $res'))
    (export $res "res" (type $res'))
    (core func $new (canon lower (func $r "new")))
    (core func $rep (canon lower (func $r "rep")))
    (core func $consume (canon lower (func $r "consume")))
    (core func $drop (canon resource.drop $res'))
    (core module $M
      (import "" "new" (func $new (param i32) (result i32)))
      (import "" "rep" (func $rep (param i32) (result i32)))
      (import "" "consume" (func $consume (param i32)))
      (import "" "drop" (func $drop (param i32)))
      (func (export "make-and-drop") (param i32) (call $drop (call $new (local.get 0))))
      (func (export "make-and-give") (param i32) (call $consume (call $new (local.get 0))))
      ;; lends the handle for the call: it stays usable after
      (func (export "lend-then-drop") (param i32) (result i32) (local $h i32) (local $r i32)
        (local.set $h (call $new (local.get 0)))
        (local.set $r (call $rep (local.get $h)))
        (call $drop (local.get $h))
        (local.get $r))
      (func (export "drop-twice") (local $h i32)
        (local.set $h (call $new (i32.const 1)))
        (call $drop (local.get $h))
        (call $drop (local.get $h)))
      (func (export "lend-dropped") (result i32) (local $h i32)
        (local.set $h (call $new (i32.const 1)))
        (call $drop (local.get $h))
        (call $rep (local.get $h)))
      (func (export "keep-borrow") (param i32))
      (func (export "drop-borrow") (param i32) (call $drop (local.get 0))))
    (core instance $m (instantiate $M (with "" (instance
      (export "new" (func $new)) (export "rep" (func $rep)) (export "consume" (func $consume))
      (export "drop" (func $drop))))))
    (func (export "make-and-drop") (param "rep" u32) (canon lift (core func $m "make-and-drop")))
    (func (export "make-and-give") (param "rep" u32) (canon lift (core func $m "make-and-give")))
    (func (export "lend-then-drop") (param "rep" u32) (result u32) (canon lift (core func $m "lend-then-drop")))
    (func (export "drop-twice") (canon lift (core func $m "drop-twice")))
    (func (export "lend-dropped") (result u32) (canon lift (core func $m "lend-dropped")))
    (func (export "keep-borrow") (param "r" (borrow $res)) (canon lift (core func $m "keep-borrow")))
    (func (export "drop-borrow") (param "r" (borrow $res)) (canon lift (core func $m "drop-borrow"))))
  (instance $r (instantiate $R))
  (instance $u (instantiate $U (with "r" (instance $r))))
  (export "r" (instance $r))
  (export "u" (instance $u))
))";

class ResourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static auto loaded = load(kResources);
    inst = instantiate(loaded);
    ASSERT_TRUE(inst);
  }
  uint64_t get(const char* f) {
    auto r = call(*inst, f);
    return r.size() == 1 ? r[0].u : ~uint64_t(0);
  }
  std::shared_ptr<ComponentInstance> inst;
};

TEST_F(ResourcesTest, DestructorRunsWhenTheOwnerDrops) {
  call(*inst, "u#make-and-drop", {u32(7)});
  EXPECT_EQ(get("r#dtor-count"), 1u);
  EXPECT_EQ(get("r#dtor-sum"), 7u);
  // Moved to the implementation, which drops it there.
  call(*inst, "u#make-and-give", {u32(30)});
  EXPECT_EQ(get("r#dtor-count"), 2u);
  EXPECT_EQ(get("r#dtor-sum"), 37u);
}

TEST_F(ResourcesTest, LendingKeepsTheHandle) {
  EXPECT_EQ(call(*inst, "u#lend-then-drop", {u32(12)}), std::vector<Value>{u32(12)});
  EXPECT_EQ(get("r#dtor-count"), 1u);
  EXPECT_EQ(get("r#dtor-sum"), 12u);
}

// The host holds an own as its rep; passing it back as a borrow reaches
// the implementation as that rep. Nothing is dropped meanwhile.
TEST_F(ResourcesTest, HostHoldsOwnedHandles) {
  auto h = call(*inst, "r#new", {u32(99)});
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0], Value::own(99));
  EXPECT_EQ(call(*inst, "r#rep", {Value::borrow(99)}), std::vector<Value>{u32(99)});
  EXPECT_EQ(get("r#dtor-count"), 0u);
}

TEST_F(ResourcesTest, DroppingTwiceTraps) {
  EXPECT_NE(trap(*inst, "u#drop-twice").find("unknown handle index 1"), std::string::npos);
}

TEST_F(ResourcesTest, LendingADroppedHandleTraps) {
  EXPECT_NE(trap(*inst, "u#lend-dropped").find("unknown handle index 1"), std::string::npos);
}

TEST_F(ResourcesTest, TrappedInstanceIsNotEnteredAgain) {
  trap(*inst, "u#drop-twice");
  EXPECT_NE(trap(*inst, "r#dtor-count").find("cannot enter component instance"), std::string::npos);
}

// $U (not the implementation) gets a borrow as a handle of its own table,
// which it must drop before returning.
TEST(ResourcesBorrowTest, BorrowNotDroppedByReturnTraps) {
  auto inst = instantiate(load(kResources));
  ASSERT_TRUE(inst);
  ASSERT_EQ(call(*inst, "r#new", {u32(5)}).size(), 1u);
  call(*inst, "u#drop-borrow", {Value::borrow(5)});
  EXPECT_NE(trap(*inst, "u#keep-borrow", {Value::borrow(5)}).find("borrow handles still remain at the end of the call"),
            std::string::npos);
}

// A host resource: the guest gets handles from a host constructor, passes
// borrows to a host method, and drops them: the HostDestructor runs with
// the rep the host made.
TEST(HostResourceTest, GuestDropRunsTheHostDestructor) {
  struct State {
    std::vector<uint32_t> dropped;
    std::vector<uint32_t> sized;
  };
  auto state = std::make_shared<State>();
  Linker linker;
  linker.resource("test:host/blobs@1.0.0", "blob", [](HostCall& call, uint32_t rep) {
    call.data<State>()->dropped.push_back(rep);
  });
  linker.func("test:host/blobs@1.0.0", "[constructor]blob",
              [](HostCall&, std::span<Value> args) -> Expected<std::vector<Value>, abi::Trap> {
                return std::vector<Value>{Value::own(uint32_t(args[0].u) + 100)};
              });
  linker.func("test:host/blobs@1.0.0", "[method]blob.size",
              [](HostCall& call, std::span<Value> args) -> Expected<std::vector<Value>, abi::Trap> {
                EXPECT_EQ(args[0].kind, TypeKind::Borrow);
                call.data<State>()->sized.push_back(uint32_t(args[0].u));
                return std::vector<Value>{u32(uint32_t(args[0].u) * 2)};
              });
  auto c = load(R"((component
    (import "test:host/blobs@1.0.0" (instance $h
      (export "blob" (type $blob (sub resource)))
      (export "[constructor]blob" (func (param "n" u32) (result (own $blob))))
      (export "[method]blob.size" (func (param "self" (borrow $blob)) (result u32)))))
    (alias export $h "blob" (type $blob))
    (core func $new (canon lower (func $h "[constructor]blob")))
    (core func $size (canon lower (func $h "[method]blob.size")))
    (core func $drop (canon resource.drop $blob))
    (core module $M
      (import "" "new" (func $new (param i32) (result i32)))
      (import "" "size" (func $size (param i32) (result i32)))
      (import "" "drop" (func $drop (param i32)))
      (func (export "run") (result i32) (local $a i32) (local $b i32) (local $s i32)
        (local.set $a (call $new (i32.const 1)))
        (local.set $b (call $new (i32.const 2)))
        (local.set $s (call $size (local.get $b)))
        (call $drop (local.get $b))
        (call $drop (local.get $a))
        (local.get $s)))
    (core instance $m (instantiate $M (with "" (instance
      (export "new" (func $new)) (export "size" (func $size)) (export "drop" (func $drop))))))
    (func (export "run") (result u32) (canon lift (core func $m "run")))
  ))");
  auto inst = instantiate(c, linker, {}, std::any(state));
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*inst, "run"), std::vector<Value>{u32(204)});
  EXPECT_EQ(state->sized, (std::vector<uint32_t>{102}));
  EXPECT_EQ(state->dropped, (std::vector<uint32_t>{102, 101}));
  // A second instance links the same host resource type, and its drops
  // reach its own host data.
  auto other = std::make_shared<State>();
  auto second = instantiate(c, linker, {}, std::any(other));
  ASSERT_TRUE(second);
  EXPECT_EQ(call(*second, "run"), std::vector<Value>{u32(204)});
  EXPECT_EQ(other->dropped, (std::vector<uint32_t>{102, 101}));
  EXPECT_EQ(state->dropped, (std::vector<uint32_t>{102, 101}));
}

}  // namespace
}  // namespace whirl::component::runtime::test
