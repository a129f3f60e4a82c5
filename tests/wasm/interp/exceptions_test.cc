// Exception handling (WebAssembly 3.0) in the interpreter: tags, throw and
// try_table's catch / catch_all clauses. Each module runs compiled with and
// without superinstructions; a throw unwinds to the innermost try_table
// whose clause matches (by tag identity), across calls, instances and host
// calls back into wasm, its payload landing where the catch label expects
// it. Exception references (catch_ref, throw_ref) are rejected, not run.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wasm/binary/decoder.h"
#include "wasm/interp/code.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

std::shared_ptr<const CompiledModule> compile(const std::string& wat, bool fuse) {
  auto bytes = text::wat_to_binary(wat);
  EXPECT_TRUE(bytes) << bytes.error().message;
  if (!bytes) return nullptr;
  auto m = decode_module(*bytes, nullptr, Features{});
  EXPECT_TRUE(m) << m.error().message;
  if (!m) return nullptr;
  auto c = compile_module(std::make_shared<const Module>(std::move(*m)),
                          {.superinstructions = fuse, .translation = CompileOptions::Translation::Eager});
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : nullptr;
}

struct Result {
  bool trapped = false;
  TrapCode code = TrapCode::Unreachable;
  std::string message;
  std::vector<uint64_t> values;
};

Result call(Store& store, Instance* inst, const char* name, std::vector<Value> args) {
  Result out;
  auto ev = inst->find_export(name);
  EXPECT_TRUE(ev) << name;
  if (!ev) return out;
  auto r = store.invoke(ev->as_func(), args);
  if (!r) {
    out.trapped = true;
    out.code = r.error().code;
    out.message = r.error().message;
    return out;
  }
  for (const Value& v : *r) out.values.push_back(v.bits);
  return out;
}

const char* const kBasic = R"((module
  (tag $e0)
  (tag $e1 (param i32))
  (tag $e2 (param i32 i64))
  (func $thrower (param i32)
    (if (i32.eq (local.get 0) (i32.const 1)) (then (throw $e0)))
    (if (i32.eq (local.get 0) (i32.const 2)) (then (throw $e1 (i32.const 42))))
    (if (i32.eq (local.get 0) (i32.const 3)) (then (throw $e2 (i32.const 7) (i64.const 9))))
    (if (i32.eq (local.get 0) (i32.const 4)) (then (unreachable))))
  ;; 0: no throw, 10: e0, 42: e1's payload, 16: e2's payloads summed
  (func (export "catch") (param i32) (result i32)
    (local $x i32)
    (block $h2 (result i32 i64)
      (block $h1 (result i32)
        (block $h0
          (try_table (catch $e0 $h0) (catch $e1 $h1) (catch $e2 $h2)
            (local.set $x (i32.const 5))
            (call $thrower (local.get 0)))
          (return (i32.const 0)))
        (return (i32.add (i32.const 5) (local.get $x))))
      (return))
    (i32.wrap_i64)
    (i32.add))
  (func (export "catch_all") (param i32) (result i32)
    (block $h
      (try_table (catch_all $h) (call $thrower (local.get 0)))
      (return (i32.const 0)))
    (i32.const 1))
  (func (export "uncaught") (param i32) (result i32)
    (block $h
      (try_table (catch $e0 $h) (call $thrower (local.get 0)))
      (return (i32.const 0)))
    (i32.const 1))
  ;; nested: the inner try_table only catches e1, the outer one e0.
  (func (export "nested") (param i32) (result i32)
    (block $outer
      (try_table (catch $e0 $outer)
        (block $inner (result i32)
          (try_table (catch $e1 $inner) (call $thrower (local.get 0)))
          (return (i32.const 0)))
        (return (i32.add (i32.const 100))))
      (return (i32.const -1)))
    (i32.const 200))
  ;; a direct throw in the try_table, and a throw after it (not caught there)
  (func (export "direct") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e1 $h)
        (if (local.get 0) (then (throw $e1 (local.get 0))))
        (i32.const 3))
      (return))
    (i32.const 1000)
    (i32.add))
  ;; a catch to a loop label: counts throws until the payload reaches 5
  (func $maybe (param i32) (if (i32.lt_u (local.get 0) (i32.const 5)) (then (throw $e1 (i32.add (local.get 0) (i32.const 1))))))
  (func (export "loop") (result i32)
    (local $n i32)
    (i32.const 0)
    (loop $l (param i32)
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (try_table (param i32) (catch $e1 $l) (call $maybe)))
    (local.get $n))
  ;; recursion: the throw unwinds many frames
  (func $deep (param i32) (if (local.get 0) (then (call $deep (i32.sub (local.get 0) (i32.const 1)))) (else (throw $e1 (i32.const 77)))))
  (func (export "deep") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e1 $h) (call $deep (local.get 0)))
      (i32.const 0)))
  ;; catch to the function's own label
  (func (export "to_function") (param i32) (result i32)
    (try_table (catch $e1 0) (call $thrower (local.get 0)))
    (i32.const 9))
))";

TEST(Exceptions, CatchesByTagWithPayload) {
  for (bool fuse : {true, false}) {
    SCOPED_TRACE(fuse ? "fused" : "plain");
    auto m = compile(kBasic, fuse);
    ASSERT_TRUE(m);
    auto store = Store::create();
    auto inst = store->instantiate(m, {});
    ASSERT_TRUE(inst);
    Instance* I = *inst;
    EXPECT_EQ(call(*store, I, "catch", {Value::i32(0)}).values, std::vector<uint64_t>{0});
    EXPECT_EQ(call(*store, I, "catch", {Value::i32(1)}).values, std::vector<uint64_t>{10});
    EXPECT_EQ(call(*store, I, "catch", {Value::i32(2)}).values, std::vector<uint64_t>{42});
    EXPECT_EQ(call(*store, I, "catch", {Value::i32(3)}).values, std::vector<uint64_t>{16});
    auto t = call(*store, I, "catch", {Value::i32(4)});
    EXPECT_TRUE(t.trapped);
    EXPECT_EQ(t.code, TrapCode::Unreachable);  // traps are not exceptions
    for (uint32_t k = 1; k <= 3; ++k) EXPECT_EQ(call(*store, I, "catch_all", {Value::i32(k)}).values, std::vector<uint64_t>{1});
    EXPECT_EQ(call(*store, I, "catch_all", {Value::i32(0)}).values, std::vector<uint64_t>{0});
    EXPECT_TRUE(call(*store, I, "catch_all", {Value::i32(4)}).trapped);
    EXPECT_EQ(call(*store, I, "uncaught", {Value::i32(1)}).values, std::vector<uint64_t>{1});
    auto u = call(*store, I, "uncaught", {Value::i32(2)});
    EXPECT_TRUE(u.trapped);
    EXPECT_EQ(u.code, TrapCode::UncaughtException);
    EXPECT_EQ(u.message, "uncaught exception");
    EXPECT_EQ(call(*store, I, "nested", {Value::i32(0)}).values, std::vector<uint64_t>{0});
    EXPECT_EQ(call(*store, I, "nested", {Value::i32(1)}).values, std::vector<uint64_t>{200});
    EXPECT_EQ(call(*store, I, "nested", {Value::i32(2)}).values, std::vector<uint64_t>{142});
    EXPECT_EQ(call(*store, I, "nested", {Value::i32(3)}).code, TrapCode::UncaughtException);
    EXPECT_EQ(call(*store, I, "direct", {Value::i32(0)}).values, std::vector<uint64_t>{3});
    EXPECT_EQ(call(*store, I, "direct", {Value::i32(6)}).values, std::vector<uint64_t>{1006});
    EXPECT_EQ(call(*store, I, "loop", {}).values, std::vector<uint64_t>{6});
    EXPECT_EQ(call(*store, I, "deep", {Value::i32(1000)}).values, std::vector<uint64_t>{77});
    EXPECT_EQ(call(*store, I, "to_function", {Value::i32(2)}).values, std::vector<uint64_t>{42});
    EXPECT_EQ(call(*store, I, "to_function", {Value::i32(0)}).values, std::vector<uint64_t>{9});
    // The store is usable after an uncaught exception.
    EXPECT_EQ(call(*store, I, "catch", {Value::i32(2)}).values, std::vector<uint64_t>{42});
  }
}

// Tags are identities: imported ones match their definition, two instances
// of one module define distinct tags.
TEST(Exceptions, TagIdentityAcrossInstances) {
  const char* defs = R"((module (tag (export "t") (param i32))))";
  const char* thrower = R"((module
    (import "m" "t" (tag $t (param i32)))
    (func (export "throw") (param i32) (throw $t (local.get 0)))))";
  const char* catcher = R"((module
    (import "m" "t" (tag $t (param i32)))
    (import "m" "throw" (func $throw (param i32)))
    (func (export "run") (param i32) (result i32)
      (block $all
        (block $h (result i32)
          (try_table (catch $t $h) (catch_all $all) (call $throw (local.get 0)))
          (return (i32.const 99)))
        (return))
      (i32.const 77))))";
  for (bool fuse : {true, false}) {
    auto store = Store::create();
    auto a = store->instantiate(compile(defs, fuse), {});
    auto b = store->instantiate(compile(defs, fuse), {});
    ASSERT_TRUE(a && b);
    auto ta = (*a)->find_export("t"), tb = (*b)->find_export("t");
    ASSERT_TRUE(ta && tb);
    EXPECT_EQ(ta->kind, ExternKind::Tag);
    EXPECT_NE(ta->ptr, tb->ptr);
    auto thr_a = store->instantiate(compile(thrower, fuse), std::vector<ExternVal>{*ta});
    auto thr_b = store->instantiate(compile(thrower, fuse), std::vector<ExternVal>{*tb});
    ASSERT_TRUE(thr_a && thr_b);
    auto c = compile(catcher, fuse);
    auto ca = store->instantiate(c, std::vector<ExternVal>{*ta, *(*thr_a)->find_export("throw")});
    auto cb = store->instantiate(c, std::vector<ExternVal>{*ta, *(*thr_b)->find_export("throw")});
    ASSERT_TRUE(ca && cb);
    EXPECT_EQ(call(*store, *ca, "run", {Value::i32(42)}).values, std::vector<uint64_t>{42});
    EXPECT_EQ(call(*store, *cb, "run", {Value::i32(42)}).values, std::vector<uint64_t>{77});
    // A tag of another type does not link.
    auto other = store->create_tag(FuncType{{ValType::I64}, {}});
    auto bad = store->instantiate(compile(thrower, fuse), std::vector<ExternVal>{ExternVal::tag(other)});
    EXPECT_FALSE(bad);
    // A host-created tag of the right type does.
    auto host_tag = store->create_tag(FuncType{{ValType::I32}, {}});
    EXPECT_TRUE(store->instantiate(compile(thrower, fuse), std::vector<ExternVal>{ExternVal::tag(host_tag)}));
  }
}

// A host function that calls back into wasm: the exception thrown there
// passes through the host call and is caught by the wasm that called it.
TEST(Exceptions, ThroughHostCalls) {
  const char* wat = R"((module
    (import "host" "call" (func $host (param i32)))
    (tag $t (export "t") (param i32))
    (func (export "throw") (param i32) (throw $t (local.get 0)))
    (func (export "run") (param i32) (result i32)
      (block $h (result i32)
        (try_table (catch $t $h) (call $host (local.get 0)))
        (i32.const -1)))))";
  for (bool fuse : {true, false}) {
    auto store = Store::create();
    Instance* self = nullptr;
    Store* st = store.get();
    FuncInst* host = store->create_host_func(
        FuncType{{ValType::I32}, {}},
        [&](Caller&, std::span<const Value> args, std::span<Value>) -> std::optional<Trap> {
          auto r = st->invoke(self->find_export("throw")->as_func(), std::vector<Value>{args[0]});
          if (!r) return r.error();
          return std::nullopt;
        },
        "call");
    auto inst = store->instantiate(compile(wat, fuse), std::vector<ExternVal>{ExternVal::func(host)});
    ASSERT_TRUE(inst);
    self = *inst;
    EXPECT_EQ(call(*store, self, "run", {Value::i32(5)}).values, std::vector<uint64_t>{5});
    EXPECT_EQ(call(*store, self, "throw", {Value::i32(5)}).code, TrapCode::UncaughtException);
  }
}

TEST(Exceptions, ExceptionReferencesAreRejected) {
  const char* catch_ref = R"((module (tag $t) (func (block $h (result exnref) (try_table (catch_ref $t $h)) (unreachable)) (drop))))";
  auto bytes = text::wat_to_binary(catch_ref);
  if (bytes) {
    auto m = decode_module(*bytes, nullptr, Features{});
    ASSERT_FALSE(m);
  }
  // throw_ref's opcode (0x0a) in a body: () -> () function, body "throw_ref end" after a ref.null.
  const uint8_t wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                          0x03, 0x02, 0x01, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x0a, 0x0b};
  auto m = decode_module(std::span<const uint8_t>(wasm, sizeof wasm), nullptr, Features{});
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("not supported"), std::string::npos) << m.error().message;
}

// Code without try_table has no handlers; a try_table's code keeps its
// calls inside the handler's range.
TEST(Exceptions, HandlersOnlyWhereTryTable) {
  auto m = compile(kBasic, true);
  ASSERT_TRUE(m);
  const auto& impl = static_cast<const interp::CompiledModuleImpl&>(*m);
  EXPECT_TRUE(impl.funcs[0].handlers.empty());  // $thrower
  EXPECT_EQ(impl.funcs[1].handlers.size(), 3u);  // "catch"
  for (const auto& h : impl.funcs[1].handlers) {
    EXPECT_LT(h.start, h.end);
    EXPECT_LE(h.end, impl.funcs[1].code.size());
  }
}

}  // namespace
}  // namespace whirl::wasm
