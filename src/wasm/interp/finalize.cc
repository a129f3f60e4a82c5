// The last steps before slot code runs: calls within a module linked to
// their callee's code, then handler addresses and byte branch deltas
// (see code.h).
#include "wasm/interp/code.h"

namespace whirl::wasm::interp {

void finalize_code(CompiledFunc& f) {
  const void* const* h = handler_table();
  for (size_t i = 0; i < f.code.size(); ++i) f.code[i].h = h[f.ops[i]];
  // Second pass: an entry's target may lie ahead of it.
  size_t table = 0;
  for (size_t i = 0; i < f.code.size(); ++i) {
    if (is_table(f.ops[i])) table = i;
    if (f.ops[i] == kTableEntry) f.code[i].h = f.code[table + int32_t(f.code[i].a)].h;
  }
  for (size_t i = 0; i < f.code.size(); ++i)
    if (is_branch(f.ops[i]) || f.ops[i] == kTableEntry) f.code[i].a = uint32_t(int32_t(f.code[i].a) * int32_t(sizeof(Ins)));
}

void link_direct_calls(CompiledModuleImpl& m) {
  const uint32_t nimp = m.mod->num_imported_funcs;
  for (CompiledFunc& f : m.funcs) {
    for (size_t i = 0; i < f.code.size(); ++i) {
      Ins& in = f.code[i];
      if (f.ops[i] != kCall || in.a < nimp) continue;
      auto target = reinterpret_cast<uint64_t>(m.funcs[in.a - nimp].code.data());
      f.ops[i] = kCallDirect;
      in.c = uint32_t(target);
      in.d = uint32_t(target >> 32);
    }
  }
}

}  // namespace whirl::wasm::interp
