// One function's translation to LLVM IR (translate.cc: control flow, calls,
// variables; translate_ops.cc: numeric and memory instructions).
#pragma once

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <array>
#include <string>
#include <vector>

#include "common/expected.h"
#include "wasm/aot/layout.h"
#include "wasm/aot/runtime_calls.h"
#include "wasm/module.h"
#include "wasm/runtime/runtime.h"

namespace whirl::wasm::aot {

// What every function's translation shares.
struct ModuleCtx {
  ModuleCtx(const Module& m, llvm::LLVMContext& c, llvm::Module& mod);
  const Module& m;
  llvm::LLVMContext& ctx;
  llvm::Module& mod;
  const Layout& L;
  llvm::Type *i8, *i32, *i64, *f32, *f64, *ptr, *voidt;
  std::vector<llvm::Function*> funcs;  // w<i> by defined index - first
  uint32_t first = 0, end = 0;         // the part of the defined functions translated
  std::array<llvm::Function*, size_t(RuntimeCall::Count_)> rt{};
  llvm::Type* type(ValType t) const;
  llvm::Type* result_type(const FuncType& t) const;  // void, the one, or a struct
  llvm::FunctionType* func_type(const FuncType& t) const;  // (vm, params...) -> result_type
  void set_attrs(llvm::Function* f) const;  // frame pointers (the backtrace walks them)
};

class FuncTranslator {
 public:
  FuncTranslator(ModuleCtx& mc, uint32_t defined_index);
  Expected<void> run();

 private:
  struct Ctl {
    enum Kind : uint8_t { Block, Loop, If, Func } kind;
    llvm::BasicBlock* header = nullptr;  // loop: the branch target
    llvm::BasicBlock* cont = nullptr;    // after its end (the function's: the return)
    llvm::BasicBlock* else_bb = nullptr; // if: the else branch, until it is reached
    std::vector<llvm::PHINode*> header_phis;  // loop: its parameters
    std::vector<llvm::PHINode*> cont_phis;    // its results
    std::vector<llvm::Value*> if_params;      // if: the parameters, for the else branch
    size_t height = 0;                        // stack height below its parameters
    size_t nparams = 0;
  };

  // Control (translate.cc).
  Expected<void> instr(const Instr& in);
  void block_type(uint64_t imm, std::vector<ValType>& params, std::vector<ValType>& results) const;
  Ctl& push_ctl(Ctl::Kind k, uint64_t imm);
  void end_ctl();
  void else_ctl();
  void branch(uint32_t depth);             // from the current block; the stack keeps its values
  // The current block's values for a branch to c (to_end: to its end, else
  // its branch target, which for a loop is its start).
  void add_incoming(Ctl& c, bool to_end);
  llvm::BasicBlock* target(Ctl& c) { return c.kind == Ctl::Loop ? c.header : c.cont; }
  void br_table(const Instr& in);
  void call(uint32_t func_index);
  void call_indirect(uint32_t type_index, uint32_t table);
  void call_ref(llvm::Value* f, const FuncType& t, std::vector<llvm::Value*>& args);
  void push_results(llvm::Value* r, const FuncType& t);
  void tick();
  void set_dead();

  // Helpers.
  llvm::Value* pop() {
    llvm::Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  void push(llvm::Value* v) { stack_.push_back(v); }
  llvm::Value* at(llvm::Value* base, uint32_t offset);  // base + offset bytes
  llvm::Value* load_inv(llvm::Type* t, llvm::Value* p);  // invariant for the code's life
  llvm::Value* vm_field(uint32_t offset) { return load_inv(mc_.ptr, at(vm_, offset)); }
  llvm::Value* rtcall(RuntimeCall c, std::vector<llvm::Value*> args);
  void trap_if(llvm::Value* cond, TrapCode code);
  llvm::BasicBlock* trap_block(TrapCode code);
  llvm::Value* to_slot(llvm::Value* v, ValType t);    // as the i64 of a slot
  llvm::Value* from_slot(llvm::Value* v, ValType t);  // the inverse
  llvm::Value* zero(ValType t);
  llvm::BasicBlock* new_block(const char* name) { return llvm::BasicBlock::Create(mc_.ctx, name, fn_); }

  // Numeric and memory (translate_ops.cc). False: not one of theirs.
  bool numeric(const Instr& in);
  bool memory(const Instr& in);
  llvm::Value* mem_base(uint32_t memory);
  llvm::Value* address(uint32_t memory, llvm::Value* addr, uint32_t offset);
  llvm::Value* memory_ref(uint32_t memory);  // its MemoryImpl*
  llvm::Value* trunc_checked(llvm::Value* x, bool is_signed, bool to64);
  llvm::Value* int_binary(Op op, llvm::Value* a, llvm::Value* b);
  llvm::Value* float_unary(Op op, llvm::Value* a);
  llvm::Value* float_binary(Op op, llvm::Value* a, llvm::Value* b);
  llvm::Value* min_max(llvm::Value* a, llvm::Value* b, bool is_min);
  llvm::Value* opaque(llvm::Value* v);        // constants only
  llvm::Value* opaque_value(llvm::Value* v);  // any value
  void keep(llvm::Value* v);

  ModuleCtx& mc_;
  const Module& m_;
  const Function& func_;
  const FuncType& type_;
  llvm::Function* fn_;
  llvm::IRBuilder<> b_;
  llvm::Value* vm_ = nullptr;
  llvm::BasicBlock* entry_ = nullptr;
  std::vector<llvm::AllocaInst*> locals_;
  std::vector<ValType> local_types_;
  std::vector<llvm::Value*> stack_;
  std::vector<Ctl> ctls_;
  std::array<llvm::BasicBlock*, 16> traps_{};
  llvm::AllocaInst* slots_ = nullptr;  // the slow call's argument and result slots
  uint32_t slots_size_ = 0;
  bool dead_ = false;     // after an unconditional branch: skip to the enclosing end/else
  uint32_t dead_depth_ = 0;
};

}  // namespace whirl::wasm::aot
