// WebAssembly to LLVM IR (the aot tier's front half). Each defined function
// i of the module's function space becomes `w<i>`, taking the instance's
// VmContext* then its parameters, returning its one result, a struct of
// several or nothing; `t<i>` is its array-call entry (VmContext*, uint64_t*
// args in, results out) for calls from the host. Compiled code calls the
// runtime only through the `whirl_aot_*` functions (runtime_calls.h).
#pragma once

#include <memory>
#include <string>

#include "common/expected.h"
#include "wasm/module.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace whirl::wasm::aot {

// Translates the defined functions [first, end) of `m` (a module is
// compiled in parts on several threads; a call to a function of another
// part goes through its FuncImpl, as a call to an import does). `m` passed
// validate_module and still has its function bodies. Fails for what the
// tier does not compile yet (naming it): the caller falls back to the
// interpreter.
// Whether the tier compiles instruction `op` (exception handling it does
// not yet).
bool compiles_op(Op op);
// What of `m` the tier does not compile, named ("exception handling
// (throw) is not compiled by the aot tier yet"); empty when it compiles all
// of it. The aot tier runs such a module on the interpreter.
std::string uncompiled_feature(const Module& m);

Expected<std::unique_ptr<llvm::Module>> translate_module(const Module& m, llvm::LLVMContext& ctx, uint32_t first,
                                                         uint32_t end);

}  // namespace whirl::wasm::aot
