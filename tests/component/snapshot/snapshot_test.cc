// Component snapshots (component/snapshot): the state of every core module
// comes through (memories a module imports included, and data segments of
// the importing module no longer overwrite it), the initialization's export
// is gone and the functions after it still resolve; what cannot be held is
// refused, saying why. tests/wasm/snapshot/preinit_component_test.sh does
// the same for a C program made a component by jco.
#include <gtest/gtest.h>

#include "../runtime/runtime_test_util.h"
#include "component/snapshot/snapshot.h"

namespace whirl::component::snapshot {
namespace {

using runtime::test::call;
using runtime::test::u32;

// $Mem defines the memory and a global; $Main imports both, writes "main
// data" at 128 by its own data segment, and its `init` changes all of it.
// `wizer-initialize` is exported before `read-*` are lifted, so leaving it
// out renumbers them.
constexpr const char* kTwoModules = R"((component
  (import "test:host/log@1.0.0" (instance $h (export "log" (func (param "n" u32)))))
  (core module $Mem
    (memory (export "mem") 1)
    (global (export "count") (mut i32) (i32.const 0))
    (data (i32.const 64) "before"))
  (core instance $mem (instantiate $Mem))
  (core func $log (canon lower (func $h "log")))
  (core module $Main
    (import "m" "mem" (memory 1))
    (import "m" "count" (global $count (mut i32)))
    (import "h" "log" (func $log (param i32)))
    (global $own (mut i32) (i32.const 5))
    (data (i32.const 128) "main data")
    (func (export "init")
      (i32.store8 (i32.const 64) (i32.const 66))
      (i32.store8 (i32.const 128) (i32.const 88))
      (drop (memory.grow (i32.const 1)))
      (i32.store (i32.const 70000) (i32.const 123456))
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (global.set $own (i32.const 42)))
    (func (export "noisy") (call $log (i32.const 1)) (global.set $own (i32.const 7)))
    (func (export "byte") (result i32) (i32.load8_u (i32.const 64)))
    (func (export "main-byte") (result i32) (i32.load8_u (i32.const 128)))
    (func (export "far") (result i32) (if (result i32) (i32.lt_u (memory.size) (i32.const 2))
      (then (i32.const 0)) (else (i32.load (i32.const 70000)))))
    (func (export "count") (result i32) (global.get $count))
    (func (export "own") (result i32) (global.get $own)))
  (core instance $main (instantiate $Main
    (with "m" (instance $mem)) (with "h" (instance (export "log" (func $log))))))
  (func $init (canon lift (core func $main "init")))
  (export "wizer-initialize" (func $init))
  (func $noisy (canon lift (core func $main "noisy")))
  (export "noisy-init" (func $noisy))
  (func $byte (result u32) (canon lift (core func $main "byte")))
  (func $main-byte (result u32) (canon lift (core func $main "main-byte")))
  (func $far (result u32) (canon lift (core func $main "far")))
  (func $count (result u32) (canon lift (core func $main "count")))
  (func $own (result u32) (canon lift (core func $main "own")))
  (instance $api (export "byte" (func $byte)) (export "main-byte" (func $main-byte)) (export "far" (func $far))
    (export "count" (func $count)) (export "own" (func $own)))
  (export "test:snap/api" (instance $api)))
)";

std::vector<uint8_t> binary(std::string_view text) {
  auto b = wasm::text::component_to_binary(text);
  EXPECT_TRUE(b) << b.error().message;
  return b ? *b : std::vector<uint8_t>{};
}

void define_log(runtime::Linker& l, uint32_t* logged) {
  l.func("test:host/log@1.0.0", "log", [logged](runtime::HostCall&, std::span<abi::Value> args)
                                             -> Expected<std::vector<abi::Value>, abi::Trap> {
    *logged += uint32_t(args[0].u);
    return std::vector<abi::Value>{};
  });
}

std::shared_ptr<runtime::ComponentInstance> instance_of(const std::vector<uint8_t>& bytes, uint32_t* logged) {
  auto c = runtime::load_component(bytes);
  EXPECT_TRUE(c) << c.error().message;
  if (!c) return nullptr;
  runtime::Linker l;
  define_log(l, logged);
  return runtime::test::instantiate(*c, l);
}

// The snapshot of `text` that keeps its initialization's export, instantiated.
std::shared_ptr<runtime::ComponentInstance> kept_snapshot(std::string_view text, uint32_t* logged) {
  SnapshotOptions o;
  o.keep_init_func = true;
  auto snap = snapshot_component(binary(text), o);
  EXPECT_TRUE(snap) << snap.error().message;
  return snap ? instance_of(snap->wasm, logged) : nullptr;
}

std::string error_of(std::string_view text, const SnapshotOptions& o = {}) {
  auto snap = snapshot_component(binary(text), o);
  EXPECT_FALSE(snap) << "snapshotted";
  return snap ? std::string() : snap.error().message;
}

TEST(ComponentSnapshot, EveryModulesStateComesThrough) {
  uint32_t logged = 0;
  auto original = instance_of(binary(kTwoModules), &logged);
  ASSERT_TRUE(original);
  EXPECT_EQ(call(*original, "test:snap/api#byte"), std::vector{u32('b')});
  EXPECT_EQ(call(*original, "test:snap/api#main-byte"), std::vector{u32('m')});
  EXPECT_EQ(call(*original, "test:snap/api#far"), std::vector{u32(0)});

  auto snap = snapshot_component(binary(kTwoModules));
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_GT(snap->data_segments, 2u);
  auto pre = instance_of(snap->wasm, &logged);
  ASSERT_TRUE(pre);
  EXPECT_EQ(call(*pre, "test:snap/api#byte"), std::vector{u32('B')});
  // $Main's own segment wrote 'm' at 128 before init wrote 'X': the
  // snapshot holds 'X', and the segment is not applied again.
  EXPECT_EQ(call(*pre, "test:snap/api#main-byte"), std::vector{u32('X')});
  EXPECT_EQ(call(*pre, "test:snap/api#far"), std::vector{u32(123456)});
  EXPECT_EQ(call(*pre, "test:snap/api#count"), std::vector{u32(1)});  // imported from $Mem
  EXPECT_EQ(call(*pre, "test:snap/api#own"), std::vector{u32(42)});
  EXPECT_FALSE(pre->find_func("wizer-initialize"));
  EXPECT_TRUE(pre->find_func("noisy-init"));
  EXPECT_EQ(logged, 0u);
}

TEST(ComponentSnapshot, KeepsTheInitializationOnRequest) {
  uint32_t logged = 0;
  auto pre = kept_snapshot(kTwoModules, &logged);
  ASSERT_TRUE(pre);
  call(*pre, "wizer-initialize");
  EXPECT_EQ(call(*pre, "test:snap/api#count"), std::vector{u32(2)});  // it ran once more
}

TEST(ComponentSnapshot, AnImportCalledTrapsNamingItselfUnlessLinked) {
  SnapshotOptions o;
  o.init_func = "noisy-init";
  std::string e = error_of(kTwoModules, o);
  EXPECT_NE(e.find("the initialization called the import `test:host/log@1.0.0#log`"), std::string::npos) << e;
  EXPECT_NE(e.find("--allow-wasi"), std::string::npos) << e;

  uint32_t logged = 0;
  o.link = [&logged](runtime::Linker& l) { define_log(l, &logged); };
  auto snap = snapshot_component(binary(kTwoModules), o);
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(logged, 1u);
  auto pre = instance_of(snap->wasm, &logged);
  ASSERT_TRUE(pre);
  EXPECT_EQ(call(*pre, "test:snap/api#own"), std::vector{u32(7)});
  EXPECT_TRUE(pre->find_func("wizer-initialize"));  // not the one run: kept
  EXPECT_FALSE(pre->find_func("noisy-init"));
}

TEST(ComponentSnapshot, RefusesWhatASnapshotCannotHold) {
  EXPECT_NE(error_of(R"((component
    (core module $A (func (export "f")))
    (core instance $a (instantiate $A))
    (core instance $b (instantiate $A))
    (func $f (canon lift (core func $a "f")))
    (export "wizer-initialize" (func $f))))").find("instantiated twice"), std::string::npos);

  // A handle made during initialization and kept.
  std::string e = error_of(R"((component
    (type $r (resource (rep i32)))
    (core func $new (canon resource.new $r))
    (core module $K
      (import "" "new" (func $new (param i32) (result i32)))
      (global $h (mut i32) (i32.const 0))
      (func (export "init") (global.set $h (call $new (i32.const 7)))))
    (core instance $k (instantiate $K (with "" (instance (export "new" (func $new))))))
    (func $init (canon lift (core func $k "init")))
    (export "wizer-initialize" (func $init))))");
  EXPECT_NE(e.find("left 1 resource handle(s) open"), std::string::npos) << e;

  e = error_of(R"((component
    (core module $A (func (export "f") (param i32)))
    (core instance $a (instantiate $A))
    (func $f (param "x" u32) (canon lift (core func $a "f")))
    (export "wizer-initialize" (func $f))))");
  EXPECT_NE(e.find("must take and return nothing"), std::string::npos) << e;

  e = error_of(R"((component (core module $A) (core instance (instantiate $A))))");
  EXPECT_NE(e.find("no exported function `wizer-initialize`"), std::string::npos) << e;

  e = error_of(R"((component
    (core module $A (func (export "f") unreachable))
    (core instance $a (instantiate $A))
    (func $f (canon lift (core func $a "f")))
    (export "wizer-initialize" (func $f))))");
  EXPECT_NE(e.find("the initialization function trapped"), std::string::npos) << e;
}

// The function an export defines can be used later (exported again); it
// cannot be left out then, but kept it can.
TEST(ComponentSnapshot, AnInitializationUsedElsewhereIsKept) {
  constexpr const char* text = R"((component
    (core module $A (global $g (mut i32) (i32.const 0)) (func (export "f") (global.set $g (i32.const 1))))
    (core instance $a (instantiate $A))
    (func $f (canon lift (core func $a "f")))
    (export $init "wizer-initialize" (func $f))
    (export "again" (func $init))))";
  EXPECT_NE(error_of(text).find("--keep-init-func"), std::string::npos);
  uint32_t logged = 0;
  auto pre = kept_snapshot(text, &logged);
  ASSERT_TRUE(pre);
  EXPECT_TRUE(pre->find_func("again"));
}

}  // namespace
}  // namespace whirl::component::snapshot
