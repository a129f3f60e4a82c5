// Lazy translation (CompileOptions::Translation::Lazy): a function's code
// is made at its first call, once, shared by every instance in every store,
// also when several threads call it first at the same time; results are
// those of the eagerly translated module.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "wasm/binary/decoder.h"
#include "wasm/interp/code.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

using Translation = CompileOptions::Translation;

// fib by recursion (calls to itself), even/odd by mutual recursion (calls
// to functions not yet translated when their caller is), a loop through
// call_indirect, and a function nothing calls.
const char* const kModule = R"((module
  (type $ii (func (param i32) (result i32)))
  (table funcref (elem $fib $even))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $even (export "even") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
      (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
  (func $odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (call $even (i32.sub (local.get 0) (i32.const 1))))))
  (func (export "indirect") (param i32) (result i32)
    (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum)
        (call_indirect (type $ii) (i32.and (local.get 0) (i32.const 15)) (i32.and (local.get 0) (i32.const 1)))))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get $sum))
  (func $unused (result i32) (i32.const 7)))
)";

std::shared_ptr<const CompiledModule> compile(Translation t) {
  auto bytes = text::wat_to_binary(kModule);
  EXPECT_TRUE(bytes) << bytes.error().message;
  auto m = decode_module(*bytes);
  EXPECT_TRUE(m) << m.error().message;
  auto c = compile_module(std::make_shared<const Module>(std::move(*m)), {.translation = t});
  EXPECT_TRUE(c) << c.error().message;
  return *c;
}

uint32_t call(Store& store, Instance* inst, const char* name, uint32_t arg) {
  const Value args[] = {Value::i32(arg)};
  auto r = store.invoke(inst->find_export(name)->as_func(), args);
  EXPECT_TRUE(r) << name << ": " << (r ? "" : r.error().message);
  return r ? uint32_t(r->at(0).bits) : ~0u;
}

const interp::CompiledModuleImpl& impl(const std::shared_ptr<const CompiledModule>& c) {
  return static_cast<const interp::CompiledModuleImpl&>(*c);
}

TEST(LazyTranslation, TranslatesEachFunctionAtItsFirstCall) {
  auto c = compile(Translation::Lazy);
  ASSERT_TRUE(c->translates_lazily());
  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(impl(c).ready[i].load(), nullptr) << i;
  auto store = Store::create();
  auto inst = store->instantiate(c, {});
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*store, *inst, "fib", 10), 55u);
  EXPECT_NE(impl(c).ready[0].load(), nullptr);  // fib
  EXPECT_EQ(impl(c).ready[1].load(), nullptr);  // even: not called yet
  EXPECT_EQ(call(*store, *inst, "even", 9), 0u);
  EXPECT_NE(impl(c).ready[2].load(), nullptr);  // odd, called by even
  EXPECT_EQ(impl(c).ready[4].load(), nullptr);  // never called
  // The decoded bodies stay for the functions still to translate.
  EXPECT_FALSE(c->module().functions[4].body.empty());
}

TEST(LazyTranslation, SameResultsAsEagerAcrossInstances) {
  auto eager = compile(Translation::Eager), lazy = compile(Translation::Lazy);
  ASSERT_FALSE(eager->translates_lazily());
  for (uint32_t n : {1u, 2u, 15u, 20u}) {
    // A fresh store and instance for each: the code made by the first
    // instance's calls is the later instances' too.
    auto se = Store::create(), sl = Store::create();
    auto ie = se->instantiate(eager, {}), il = sl->instantiate(lazy, {});
    ASSERT_TRUE(ie && il);
    for (const char* f : {"fib", "even", "indirect"})
      EXPECT_EQ(call(*sl, *il, f, n), call(*se, *ie, f, n)) << f << "(" << n << ")";
  }
}

TEST(LazyTranslation, ThreadsCallingFirstAtOnceShareOneTranslation) {
  for (int round = 0; round < 20; ++round) {
    auto c = compile(Translation::Lazy);
    std::vector<std::thread> threads;
    std::vector<uint32_t> results(4 * 3, 0);
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        auto store = Store::create();
        auto inst = store->instantiate(c, {});
        if (!inst) return;
        results[t * 3 + 0] = call(*store, *inst, "fib", 15);
        results[t * 3 + 1] = call(*store, *inst, "even", 100);
        results[t * 3 + 2] = call(*store, *inst, "indirect", 100);
      });
    for (auto& th : threads) th.join();
    for (int t = 0; t < 4; ++t) {
      EXPECT_EQ(results[t * 3 + 0], 610u);
      EXPECT_EQ(results[t * 3 + 1], 1u);
      // The sum over n = 100..1 of (odd n ? even(n & 15) : fib(n & 15)),
      // computed here by a host loop.
      uint32_t want = 0;
      auto fib = [](uint32_t n) {
        uint32_t a = 0, b = 1;
        for (uint32_t i = 0; i < n; ++i) b = a + b, a = b - a;
        return a;
      };
      for (uint32_t n = 100; n >= 1; --n) want += (n & 1) ? uint32_t((n & 15) % 2 == 0) : fib(n & 15);
      EXPECT_EQ(results[t * 3 + 2], want);
    }
  }
}

}  // namespace
}  // namespace whirl::wasm
