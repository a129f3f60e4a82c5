// The interpreter's internal code: a flat array of fixed-size instructions
// with immediates decoded and branch targets resolved at compile time.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "wasm/module.h"
#include "wasm/runtime/runtime.h"

namespace whirl::wasm::interp {

// Internal opcodes beyond the shared table.
enum IOp : uint16_t {
  kBr = static_cast<uint16_t>(Op::Count_),  // a = target pc, b = values kept, c = height
  kBrIf,                                     // same, if the popped i32 is non-zero
  kBrUnless,                                 // a = target pc, if the popped i32 is zero (if/else)
  kJump,                                     // a = target pc
  kBrTable,                                  // a = first entry in CompiledFunc::table, b = count (+ default)
  kReturn,
  kIOpCount
};

struct Ins {
  uint16_t op;
  uint32_t a;
  uint32_t b;
  uint32_t c;
  uint64_t imm;
};

struct BrTarget {
  uint32_t pc, keep, height;
};

struct CompiledFunc {
  uint32_t type_index = 0;
  uint32_t num_params = 0;
  uint32_t num_results = 0;
  uint32_t num_locals = 0;      // params + declared locals
  uint32_t max_height = 0;      // operand stack slots needed
  std::vector<Ins> code;
  std::vector<BrTarget> table;  // br_table entries
};

class CompiledModuleImpl final : public CompiledModule {
 public:
  std::shared_ptr<const Module> mod;
  std::vector<CompiledFunc> funcs;  // defined functions
  const Module& module() const override { return *mod; }
  std::shared_ptr<const Module> module_ptr() const override { return mod; }
};

CompiledFunc compile_function(const Module& m, const Function& f);

}  // namespace whirl::wasm::interp
