// Prefix pairs (src/wasm/interp/prefix_ops.h): every listed pair has its own
// handler, finalize_code picks it for a prefix op whose next op is listed,
// and the code runs as the plain code does, including branches that land on
// the second op of a pair (which keeps its own handler).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "wasm/binary/decoder.h"
#include "wasm/interp/code.h"
#include "wasm/interp/prefix_ops.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

using interp::kIOpCount;
using interp::kPrefixCount;

std::vector<uint16_t> prefix_opcodes() {
  using namespace interp;
  std::vector<uint16_t> v;
#define PREFIX_OPCODE(P, OPCODE, BODY, ARG) v.push_back(uint16_t(OPCODE));
  WHIRL_PREFIX_OPS(PREFIX_OPCODE, _)
#undef PREFIX_OPCODE
  return v;
}

std::set<uint16_t> next_opcodes() {
  using namespace interp;
  std::set<uint16_t> s;
#define NEXT_OPCODE(X, OPCODE) s.insert(uint16_t(OPCODE));
  WHIRL_PAIR_NEXT_OPS(NEXT_OPCODE)
#undef NEXT_OPCODE
  return s;
}

TEST(PrefixPairs, EveryListedPairHasItsOwnHandler) {
#ifdef WHIRL_NO_PREFIX_PAIRS
  GTEST_SKIP() << "built without prefix pairs (sanitizers)";
#endif
  const void* const* h = interp::handler_table();
  const auto prefixes = prefix_opcodes();
  const auto nexts = next_opcodes();
  ASSERT_EQ(prefixes.size(), size_t(kPrefixCount));
  std::set<const void*> seen;
  for (size_t k = 0; k < prefixes.size(); ++k) {
    for (uint16_t x = 0; x < kIOpCount; ++x) {
      const void* pair = h[size_t(kIOpCount) * (k + 1) + x];
      if (!nexts.count(x)) {
        EXPECT_EQ(pair, nullptr) << interp::slot_op_name(prefixes[k]) << " then " << interp::slot_op_name(x);
        continue;
      }
      ASSERT_NE(pair, nullptr) << interp::slot_op_name(prefixes[k]) << " then " << interp::slot_op_name(x);
      EXPECT_NE(pair, h[prefixes[k]]);
      EXPECT_NE(pair, h[x]);
      EXPECT_TRUE(seen.insert(pair).second) << "shared handler: " << interp::slot_op_name(prefixes[k]) << " then "
                                            << interp::slot_op_name(x);
    }
  }
  EXPECT_EQ(seen.size(), prefixes.size() * nexts.size());
}

// A loop whose head (a branch target) is the second op of a pair: the add
// before the loop jumps straight into it, the back-edge dispatches to it.
const char* kLoop = R"((module
  (memory 1)
  (func (export "f") (param $n i32) (result i32) (local $acc i32) (local $k i32) (local $p i32)
    (local.set $k (i32.add (local.get $n) (i32.const 3)))
    (loop $top
      (local.set $acc (i32.add (local.get $acc) (local.get $k)))
      (i32.store (local.get $p) (local.get $acc))
      (local.set $acc (i32.and (i32.add (i32.load (local.get $p)) (local.get $n)) (i32.const 0xffffff)))
      (local.set $p (i32.and (i32.add (local.get $p) (i32.const 4)) (i32.const 1020)))
      (local.set $k (i32.add (local.get $k) (i32.const -1)))
      (br_if $top (local.get $k)))
    (local.get $acc)))
)";

uint32_t expected_loop(uint32_t n) {
  uint32_t acc = 0, k = n + 3;
  do {
    acc += k;
    acc = (acc + n) & 0xffffff;
    k -= 1;
  } while (k != 0);
  return acc;
}

uint32_t run_loop(bool superinstructions, uint32_t n, size_t* pairs_used, bool* target_is_second) {
  auto bytes = text::wat_to_binary(kLoop);
  EXPECT_TRUE(bytes);
  auto module = decode_module(*bytes);
  EXPECT_TRUE(module);
  auto shared = std::make_shared<const Module>(std::move(*module));
  CompileOptions options;
  options.superinstructions = superinstructions;
  options.translation = CompileOptions::Translation::Eager;  // the code is read below
  auto compiled = compile_module(shared, options);
  EXPECT_TRUE(compiled);
  const auto& impl = static_cast<const interp::CompiledModuleImpl&>(**compiled);
  const interp::CompiledFunc& f = impl.funcs[0];
  const void* const* h = interp::handler_table();
  *pairs_used = 0;
  *target_is_second = false;
  for (size_t i = 0; i < f.code.size(); ++i) {
    const bool is_pair = f.code[i].h != h[f.ops[i]] && f.ops[i] != interp::kTableEntry;
    if (!is_pair) continue;
    ++*pairs_used;
    // A backward branch landing on i + 1 (the pair's second op)?
    for (size_t j = i + 1; j < f.code.size(); ++j)
      if (interp::is_branch(f.ops[j]) && int64_t(j) + int32_t(f.code[j].a) / int32_t(sizeof(interp::Ins)) ==
                                             int64_t(i) + 1)
        *target_is_second = true;
  }
  auto store = Store::create({});
  auto inst = store->instantiate(*compiled, {});
  EXPECT_TRUE(inst);
  auto r = store->invoke((*inst)->find_export("f")->as_func(), std::vector<Value>{Value::i32(n)});
  EXPECT_TRUE(r);
  return r ? uint32_t((*r)[0].bits) : 0;
}

TEST(PrefixPairs, PairsRunLikePlainCodeAndBranchesReachTheirSecondOp) {
  for (uint32_t n : {0u, 1u, 5u, 1000u}) {
    size_t pairs = 0, plain_pairs = 0;
    bool target = false, plain_target = false;
    const uint32_t fused = run_loop(true, n, &pairs, &target);
    const uint32_t plain = run_loop(false, n, &plain_pairs, &plain_target);
#if !defined(WHIRL_INTERP_PROFILE) && !defined(WHIRL_NO_PREFIX_PAIRS)  // the profiler counts every dispatch
    EXPECT_GE(pairs, 3u);
    EXPECT_TRUE(target);
#endif
    EXPECT_EQ(plain_pairs, 0u);
    EXPECT_EQ(fused, expected_loop(n)) << n;
    EXPECT_EQ(plain, expected_loop(n)) << n;
  }
}

}  // namespace
}  // namespace whirl::wasm
