// Traps from compiled code against the interpreter's: the same code,
// message and wasm backtrace (function indices and names, innermost first)
// whether the trap is raised by a check in the code (unreachable, integer
// division, conversions, call_indirect), by a fault in a memory's guard
// pages, or in the start function. Stack exhaustion: the aot tier's limit
// is native stack space, not the interpreter's call depth, so only the code
// and the innermost frames compare; the process survives and the store
// runs code again.
#include <gtest/gtest.h>

#include <pthread.h>

#include <functional>
#include <thread>

#include "tiers.h"

namespace whirl::wasm {
namespace {

using aot_test::Both;

// $main -> $a -> $b, where $b does `what` with its i32 parameter.
std::string chain(const std::string& what, const std::string& extra = "") {
  return R"((module
    (memory 1)
    (type $v (func))
    (type $ii (func (param i32) (result i32)))
    (table 4 funcref)
    (elem (i32.const 0) $b $vfunc)
    (func $vfunc)
    (func $b (param i32) (result i32) )" +
         what + R"()
    (func $a (param i32) (result i32) (i32.add (call $b (local.get 0)) (i32.const 1)))
    (func $main (export "main") (param i32) (result i32) (i32.mul (call $a (local.get 0)) (i32.const 2)))
    )" + extra + ")";
}

struct TrapCase {
  const char* name;
  const char* body;  // $b's, of its parameter
  int32_t arg;
  const char* want;  // the interpreter's outcome
};

TEST(AotTraps, NestedCallChainsTrapWithTheInterpretersBacktrace) {
  const TrapCase cases[] = {
      {"unreachable", "unreachable", 0, "trap unreachable at b:1 a:2 main:3"},
      {"div by zero", "(i32.div_u (i32.const 7) (local.get 0))", 0, "trap integer divide by zero at b:1 a:2 main:3"},
      {"rem by zero", "(i32.rem_s (i32.const 7) (local.get 0))", 0, "trap integer divide by zero at b:1 a:2 main:3"},
      {"div overflow", "(i32.div_s (i32.const 0x80000000) (local.get 0))", -1, "trap integer overflow at b:1 a:2 main:3"},
      {"rem of min by -1 is 0", "(i32.rem_s (i32.const 0x80000000) (local.get 0))", -1, "i32:2"},
      {"i64 div by zero", "(i32.wrap_i64 (i64.div_s (i64.const 1) (i64.extend_i32_s (local.get 0))))", 0,
       "trap integer divide by zero at b:1 a:2 main:3"},
      {"trunc of NaN", "(i32.trunc_f32_s (f32.div (f32.const 0) (f32.convert_i32_s (local.get 0))))", 0,
       "trap invalid conversion to integer at b:1 a:2 main:3"},
      {"trunc overflow", "(i32.trunc_f64_u (f64.convert_i32_s (local.get 0)))", -1,
       "trap integer overflow at b:1 a:2 main:3"},
      {"trunc just in range", "(i32.shr_s (i32.trunc_f64_s (f64.const -2147483648.9)) (i32.const 28))", 0,
       "i32:-14"},
      {"load past the end", "(i32.load (local.get 0))", 65533, "trap out of bounds memory access at b:1 a:2 main:3"},
      {"load in range", "(i32.load (local.get 0))", 65532, "i32:2"},
      {"load at 4 GiB - 1", "(i32.load8_u (local.get 0))", -1, "trap out of bounds memory access at b:1 a:2 main:3"},
      {"load with a large offset", "(i64.load offset=0xfffffff0 (local.get 0)) (i32.wrap_i64)", 0x7fffffff,
       "trap out of bounds memory access at b:1 a:2 main:3"},
      {"store past the end", "(i64.store (local.get 0) (i64.const 1)) (i32.const 0)", 65529,
       "trap out of bounds memory access at b:1 a:2 main:3"},
      {"unused load still traps", "(drop (f64.load (local.get 0))) (i32.const 0)", 65536,
       "trap out of bounds memory access at b:1 a:2 main:3"},
      {"call_indirect out of range", "(call_indirect (type $ii) (local.get 0) (i32.const 4))", 0,
       "trap undefined element at b:1 a:2 main:3"},
      {"call_indirect to a null element", "(call_indirect (type $ii) (local.get 0) (i32.const 2))", 0,
       "trap uninitialized element 2 at b:1 a:2 main:3"},
      {"call_indirect type mismatch", "(call_indirect (type $ii) (local.get 0) (i32.const 1))", 0,
       "trap indirect call type mismatch at b:1 a:2 main:3"},
  };
  for (const TrapCase& c : cases) {
    SCOPED_TRACE(c.name);
    Both t(chain(c.body));
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.call("main", {Value::i32(uint32_t(c.arg))}), c.want);
    t.expect_same_memory();  // a faulting store wrote nothing
  }
}

TEST(AotTraps, UnnamedFunctionsAreNamedByIndex) {
  Both t(R"((module
    (func (result i32) unreachable)
    (func (result i32) (call 0))
    (func (export "main") (result i32) (call 1))))");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.call("main"), "trap unreachable at <func 0>:0 <func 1>:1 <func 2>:2");
}

TEST(AotTraps, TrapsThroughCallIndirectAndImportsKeepEveryFrame) {
  // The trap comes out of a function reached by call_indirect, from a loop
  // in a function with a multi-value result, past an imported function's
  // index space (the indices are in the module's function space).
  const std::string wat = R"((module
    (import "m" "f" (func $imp))
    (type $r (func (param i32) (result i32)))
    (table funcref (elem $leaf $mid))
    (func $leaf (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
    (func $mid (param i32) (result i32) (call_indirect (type $r) (local.get 0) (i32.const 0)))
    (func $two (param i32) (result i32 i32)
      (local i32)
      (loop $l
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get 1) (i32.const 3))))
      (call_indirect (type $r) (i32.sub (local.get 0) (i32.const 3)) (i32.const 1))
      (local.get 1))
    (func (export "main") (param i32) (result i32) (call $two (local.get 0)) (i32.add)))
  )";
  auto module = aot_test::parse(wat);
  std::string results[2];
  int k = 0;
  for (const rt::Tier* tier : {&aot_test::interp(), &aot_test::aot()}) {
    auto store = Store::create();
    auto f = store->create_host_func(FuncType{}, [](Caller&, std::span<const Value>, std::span<Value>) {
      return std::optional<Trap>();
    });
    auto inst = store->instantiate(aot_test::compile(*tier, module), std::vector<ExternVal>{ExternVal::func(f)});
    ASSERT_TRUE(inst);
    auto main = (*inst)->find_export("main")->as_func();
    results[k++] = aot_test::outcome(store->invoke(main, std::vector<Value>{Value::i32(3)})) + " / " +
                   aot_test::outcome(store->invoke(main, std::vector<Value>{Value::i32(5)}));
  }
  EXPECT_EQ(results[0], "trap integer divide by zero at leaf:1 mid:2 two:3 <func 4>:4 / i32:3");
  EXPECT_EQ(results[1], results[0]);
}

TEST(AotTraps, DeepBacktracesAreCutLikeTheInterpreters) {
  // A trap 300 calls deep (not exhaustion): both keep kBacktraceEnds frames
  // at each end and count the rest.
  Both t(R"((module
    (func $down (param i32) (result i32)
      (if (result i32) (local.get 0)
        (then (i32.add (call $down (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
        (else unreachable)))
    (func $main (export "main") (param i32) (result i32) (call $down (local.get 0)))))");
  ASSERT_TRUE(t.ok());
  std::string r = t.call("main", {Value::i32(300)});
  EXPECT_NE(r.find("down:0 ... down:0"), std::string::npos) << r;
  EXPECT_TRUE(r.ends_with("down:0 main:1 (262 omitted)")) << r;
  // Shallow enough to keep every frame.
  EXPECT_EQ(t.call("main", {Value::i32(2)}), "trap unreachable at down:0 down:0 down:0 main:1");
  EXPECT_EQ(t.call("main", {Value::i32(40 - 2)}).find("omitted"), std::string::npos);
  EXPECT_NE(t.call("main", {Value::i32(40 - 1)}).find("(1 omitted)"), std::string::npos);
}

TEST(AotTraps, TheStoreRunsCodeAgainAfterATrap) {
  Both t(chain("(i32.load (local.get 0))", R"((func (export "ok") (result i32) (i32.const 42)))"));
  ASSERT_TRUE(t.ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.call("main", {Value::i32(70000)}), "trap out of bounds memory access at b:1 a:2 main:3");
    EXPECT_EQ(t.call("ok"), "i32:42");
    EXPECT_EQ(t.call("main", {Value::i32(0)}), "i32:2");
  }
}

TEST(AotTraps, StartFunctionTrapFailsInstantiationWithItsBacktrace) {
  const std::string wat = R"((module
    (memory 1)
    (func $deep (i32.store (i32.const 65535) (i32.const 1)))
    (func $start (call $deep))
    (start $start)))";
  std::string got[2];
  int k = 0;
  for (const rt::Tier* tier : {&aot_test::interp(), &aot_test::aot()}) {
    auto store = Store::create();
    auto inst = store->instantiate(aot_test::compile(*tier, wat), {});
    ASSERT_FALSE(inst);
    ASSERT_EQ(inst.error().kind, InstantiationError::Kind::Trap);
    ASSERT_TRUE(inst.error().trap);
    got[k++] = aot_test::trap_text(*inst.error().trap);
  }
  EXPECT_EQ(got[0], "trap out of bounds memory access at deep:0 start:1");
  EXPECT_EQ(got[1], got[0]);
}

const char* const kRecursion = R"((module
  (memory 1)
  (global $depth (export "depth") (mut i32) (i32.const 0))
  (type $r (func (param i64) (result i64)))
  (table funcref (elem $indirect))
  (func $rec (param i64) (result i64)
    (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
    (i64.add (call $rec (i64.add (local.get 0) (i64.const 1))) (i64.const 1)))
  (func $indirect (param i64) (result i64)
    (i64.add (call_indirect (type $r) (local.get 0) (i32.const 0)) (i64.const 1)))
  (func $ping (param i32) (result i32) (i32.add (call $pong (local.get 0)) (i32.const 1)))
  (func $pong (param i32) (result i32) (i32.add (call $ping (local.get 0)) (i32.const 2)))
  (func $wide (param f64 f64 f64 f64 f64 f64 f64 f64) (result f64)
    (f64.add (call $wide (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6)
                         (local.get 7) (local.get 0))
             (local.get 0)))
  (func (export "rec") (result i64) (call $rec (i64.const 0)))
  (func (export "indirect") (result i64) (call $indirect (i64.const 0)))
  (func (export "ping") (result i32) (call $ping (i32.const 0)))
  (func (export "wide") (result f64)
    (call $wide (f64.const 1) (f64.const 2) (f64.const 3) (f64.const 4) (f64.const 5) (f64.const 6) (f64.const 7) (f64.const 8)))
  (func (export "ok") (param i32) (result i32) (i32.store (i32.const 8) (local.get 0)) (i32.load (i32.const 8)))))";

TEST(AotTraps, RunawayRecursionExhaustsTheStackAndTheStoreLivesOn) {
  Both t(kRecursion);
  ASSERT_TRUE(t.ok());
  struct {
    const char* name;
    const char* inner;  // the innermost frames
  } runaway[] = {
      {"rec", "rec:0 rec:0 rec:0"},
      {"indirect", "indirect:1 indirect:1 indirect:1"},
      {"ping", "p"},  // ping and pong alternate, which one is innermost depends on the limit
      {"wide", "wide:4 wide:4 wide:4"},
  };
  for (int round = 0; round < 2; ++round) {
    for (const auto& c : runaway) {
      SCOPED_TRACE(c.name);
      auto a = t.in.call(c.name), b = t.ao.call(c.name);
      ASSERT_FALSE(a);
      ASSERT_FALSE(b);
      EXPECT_EQ(a.error().code, TrapCode::StackExhausted);
      EXPECT_EQ(b.error().code, TrapCode::StackExhausted);
      EXPECT_EQ(b.error().message, a.error().message);
      // Both cut the backtrace: its ends, and a count of the frames between.
      ASSERT_EQ(b.error().backtrace.size(), 2 * kBacktraceEnds);
      EXPECT_GT(b.error().omitted_frames, 1000u);
      EXPECT_EQ(aot_test::frames(b.error()).rfind(c.inner, 0), 0u) << aot_test::frames(b.error());
      EXPECT_EQ(b.error().backtrace.back().name, a.error().backtrace.back().name);
    }
    // Code runs again, memory and globals as the recursion left them.
    EXPECT_EQ(t.call("ok", {Value::i32(7)}), "i32:7");
    EXPECT_GT(t.ao.inst->find_export("depth")->as_global()->get().as_u32(), 1000u * (round + 1));
  }
}

TEST(AotTraps, StackExhaustionInAFreshThread) {
  // The limit is the calling thread's own stack (here a smaller one than
  // the main thread's): taken per thread, not once per process.
  std::string got;
  std::thread th([&] {
    Both t(kRecursion);
    if (!t.ok()) return;
    auto r = t.ao.call("rec");
    got = r ? "returned" : std::string(trap_message(r.error().code));
    if (t.ao.call("ok", {Value::i32(3)})) got += ", then ok";
  });
  th.join();
  EXPECT_EQ(got, "call stack exhausted, then ok");
}

TEST(AotTraps, ThreadsTrapInTheirOwnStoresAtOnce) {
  // One compiled module, a store per thread, each trapping over and over
  // (faults, raised traps, exhaustion): the activations are per thread.
  auto c = Both::Compiled(chain("(i32.load (local.get 0))", R"(
    (func $r (param i32) (result i32) (i32.add (call $r (local.get 0)) (i32.const 1)))
    (func (export "rec") (result i32) (call $r (i32.const 0)))
    (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))"));
  ASSERT_TRUE(c.ao);
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (size_t k = 0; k < got.size(); ++k)
    threads.emplace_back([&, k] {
      auto run = aot_test::instantiate(c.ao);
      if (!run.inst) return;
      for (int i = 0; i < 20; ++i) {
        std::string r = aot_test::outcome(run.call("main", {Value::i32(70000)})) + "; " +
                        aot_test::outcome(run.call("div", {Value::i32(0)})) + "; ";
        auto rec = run.call("rec");
        r += rec ? "returned" : trap_message(rec.error().code);
        if (i == 0) got[k] = r;
        else if (r != got[k]) got[k] = "round " + std::to_string(i) + ": " + r;
      }
    });
  for (auto& t : threads) t.join();
  for (const std::string& r : got)
    EXPECT_EQ(r, "trap out of bounds memory access at b:1 a:2 main:3; trap integer divide by zero at <func 6>:6; "
                 "call stack exhausted");
}

// Runs `fn` on a thread of `stack` bytes of stack.
void on_thread(size_t stack, const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack);
  pthread_t t;
  auto run = [](void* f) -> void* {
    (*static_cast<const std::function<void()>*>(f))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&t, &attr, run, const_cast<std::function<void()>*>(&fn)), 0);
  pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
}

TEST(AotTraps, AStoreMovedBetweenThreadsChecksEachThreadsStack) {
  // Instantiated on this thread, called on others (one at a time), with a
  // stack of their own: each call's limit is its thread's, whichever thread
  // the instance was made or last called on.
  Both t(kRecursion);
  ASSERT_TRUE(t.ok());
  auto calls = [&] {
    std::string out = aot_test::outcome(t.ao.call("ok", {Value::i32(7)}));
    auto r = t.ao.call("rec");
    out += r ? " returned" : std::string(" ") + trap_message(r.error().code);
    return out + " " + aot_test::outcome(t.ao.call("ok", {Value::i32(8)}));
  };
  const std::string want = "i32:7 call stack exhausted i32:8";
  EXPECT_EQ(calls(), want);
  for (size_t stack : {size_t(256) << 10, size_t(1) << 20, size_t(64) << 20}) {
    std::string got;
    on_thread(stack, [&] { got = calls(); });
    EXPECT_EQ(got, want) << stack;
    EXPECT_EQ(calls(), want);  // and back here
  }
}

}  // namespace
}  // namespace whirl::wasm
