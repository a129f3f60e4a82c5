// The last steps before slot code runs: calls within a module linked to
// their callee's code, then handler addresses and byte branch deltas
// (see code.h).
#include "wasm/interp/code.h"

#include <array>

#include "wasm/interp/prefix_ops.h"

namespace whirl::wasm::interp {

namespace {

// The prefix number of each opcode (prefix_ops.h), or -1.
const std::array<int16_t, kIOpCount>& prefix_numbers() {
  static const auto numbers = [] {
    std::array<int16_t, kIOpCount> n;
    n.fill(-1);
#define WHIRL_PREFIX_NUMBER(P, OPCODE, BODY, ARG) n[OPCODE] = kPrefix_##P;
    WHIRL_PREFIX_OPS(WHIRL_PREFIX_NUMBER, _)
#undef WHIRL_PREFIX_NUMBER
    return n;
  }();
  return numbers;
}

}  // namespace

void finalize_code(CompiledFunc& f, bool pairs) {
  const void* const* h = handler_table();
  const auto& prefix = prefix_numbers();
  for (size_t i = 0; i < f.code.size(); ++i) {
    const void* pair = nullptr;
#ifndef WHIRL_INTERP_PROFILE  // the profiler counts every dispatch
    if (pairs && prefix[f.ops[i]] >= 0 && i + 1 < f.code.size())
      pair = h[size_t(kIOpCount) * (prefix[f.ops[i]] + 1) + f.ops[i + 1]];
#endif
    f.code[i].h = pair ? pair : h[f.ops[i]];
  }
  // Second pass: an entry's target may lie ahead of it.
  size_t table = 0;
  for (size_t i = 0; i < f.code.size(); ++i) {
    if (is_table(f.ops[i])) table = i;
    if (f.ops[i] == kTableEntry) f.code[i].h = f.code[table + int32_t(f.code[i].a)].h;
  }
  for (size_t i = 0; i < f.code.size(); ++i)
    if (is_branch(f.ops[i]) || f.ops[i] == kTableEntry) f.code[i].a = uint32_t(int32_t(f.code[i].a) * int32_t(sizeof(Ins)));
}

namespace {

// Links f's calls to the module's own functions whose code `target_of`
// knows (null: leave the call as it is).
template <class Target>
void link_calls(CompiledFunc& f, uint32_t nimp, Target target_of) {
  for (size_t i = 0; i < f.code.size(); ++i) {
    Ins& in = f.code[i];
    if (f.ops[i] != kCall || in.a < nimp) continue;
    auto target = reinterpret_cast<uint64_t>(target_of(in.a - nimp));
    if (!target) continue;
    f.ops[i] = kCallDirect;
    in.c = uint32_t(target);
    in.d = uint32_t(target >> 32);
  }
}

}  // namespace

void link_direct_calls(CompiledModuleImpl& m) {
  for (CompiledFunc& f : m.funcs)
    link_calls(f, m.mod->num_imported_funcs, [&](uint32_t j) { return m.funcs[j].code.data(); });
}

void link_direct_calls(const CompiledModuleImpl& m, CompiledFunc& f, uint32_t self) {
  link_calls(f, m.mod->num_imported_funcs, [&](uint32_t j) -> const Ins* {
    return j == self ? f.code.data() : m.ready[j].load(std::memory_order_acquire);
  });
}

}  // namespace whirl::wasm::interp
