// Control flow, calls and variables of the wasm -> LLVM IR translation;
// the operand stack becomes SSA values, locals allocas (mem2reg makes them
// registers), block results phis at the block's end.
#include "wasm/aot/translate.h"

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <cstdlib>

#include "wasm/aot/translate_func.h"

namespace whirl::wasm::aot {

using llvm::BasicBlock;
using llvm::Value;

ModuleCtx::ModuleCtx(const Module& m_, llvm::LLVMContext& c, llvm::Module& mod_)
    : m(m_), ctx(c), mod(mod_), L(layout()) {
  i8 = llvm::Type::getInt8Ty(c);
  i32 = llvm::Type::getInt32Ty(c);
  i64 = llvm::Type::getInt64Ty(c);
  f32 = llvm::Type::getFloatTy(c);
  f64 = llvm::Type::getDoubleTy(c);
  ptr = llvm::PointerType::getUnqual(c);
  voidt = llvm::Type::getVoidTy(c);
  for (size_t k = 0; k < size_t(RuntimeCall::Count_); ++k) {
    auto letter = [&](char ch) -> llvm::Type* {
      switch (ch) {
        case 'i': return i32;
        case 'l': return i64;
        case 'p': return ptr;
        default: return voidt;
      }
    };
    std::string_view sig = runtime_call_sig(RuntimeCall(k));
    std::vector<llvm::Type*> ps;
    for (char ch : sig.substr(1)) ps.push_back(letter(ch));
    auto* f = llvm::Function::Create(llvm::FunctionType::get(letter(sig[0]), ps, false),
                                     llvm::Function::ExternalLinkage, std::string(runtime_call_name(RuntimeCall(k))), mod);
    if (RuntimeCall(k) == RuntimeCall::trap || RuntimeCall(k) == RuntimeCall::trap_element) f->setDoesNotReturn();
    f->setDoesNotThrow();
    rt[k] = f;
  }
}

llvm::Type* ModuleCtx::type(ValType t) const {
  switch (t) {
    case ValType::I32: return i32;
    case ValType::F32: return f32;
    case ValType::F64: return f64;
    default: return i64;  // i64 and references (a FuncImpl* or a host word)
  }
}

llvm::Type* ModuleCtx::result_type(const FuncType& t) const {
  if (t.results.empty()) return voidt;
  if (t.results.size() == 1) return type(t.results[0]);
  std::vector<llvm::Type*> ts;
  for (ValType r : t.results) ts.push_back(type(r));
  return llvm::StructType::get(ctx, ts);
}

llvm::FunctionType* ModuleCtx::func_type(const FuncType& t) const {
  std::vector<llvm::Type*> ps{ptr};
  for (ValType p : t.params) ps.push_back(type(p));
  return llvm::FunctionType::get(result_type(t), ps, false);
}

void ModuleCtx::set_attrs(llvm::Function* f) const {
  f->addFnAttr("frame-pointer", "all");
  // Every wasm call takes a frame: recursion exhausts the stack (a trap)
  // rather than becoming a loop, and backtraces show every caller.
  f->addFnAttr("disable-tail-calls", "true");
  f->addFnAttr(llvm::Attribute::NoUnwind);
  f->setVisibility(llvm::GlobalValue::HiddenVisibility);
  f->setDSOLocal(true);
}

FuncTranslator::FuncTranslator(ModuleCtx& mc, uint32_t i)
    : mc_(mc),
      m_(mc.m),
      func_(mc.m.functions[i]),
      type_(mc.m.types[func_.type_index]),
      fn_(mc.funcs[i - mc.first]),
      b_(mc.ctx) {}

Value* FuncTranslator::at(Value* base, uint32_t offset) {
  return offset ? b_.CreateConstInBoundsGEP1_64(mc_.i8, base, offset) : base;
}

Value* FuncTranslator::load_inv(llvm::Type* t, Value* p) {
  auto* l = b_.CreateLoad(t, p);
  l->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(mc_.ctx, {}));
  return l;
}

Value* FuncTranslator::rtcall(RuntimeCall c, std::vector<Value*> args) {
  args.insert(args.begin(), vm_);
  return b_.CreateCall(mc_.rt[size_t(c)], args);
}

BasicBlock* FuncTranslator::trap_block(TrapCode code) {
  BasicBlock*& bb = traps_[size_t(code)];
  if (!bb) {
    bb = new_block("trap");
    llvm::IRBuilder<> tb(bb);
    tb.CreateCall(mc_.rt[size_t(RuntimeCall::trap)], {vm_, tb.getInt32(uint32_t(code))});
    tb.CreateUnreachable();
  }
  return bb;
}

void FuncTranslator::trap_if(Value* cond, TrapCode code) {
  BasicBlock* ok = new_block("ok");
  llvm::MDBuilder md(mc_.ctx);
  b_.CreateCondBr(cond, trap_block(code), ok, md.createBranchWeights(1, 1 << 20));
  b_.SetInsertPoint(ok);
}

Value* FuncTranslator::zero(ValType t) { return llvm::Constant::getNullValue(mc_.type(t)); }

Value* FuncTranslator::to_slot(Value* v, ValType t) {
  switch (t) {
    case ValType::I32: return b_.CreateZExt(v, mc_.i64);
    case ValType::F32: return b_.CreateZExt(b_.CreateBitCast(v, mc_.i32), mc_.i64);
    case ValType::F64: return b_.CreateBitCast(v, mc_.i64);
    default: return v;
  }
}

Value* FuncTranslator::from_slot(Value* v, ValType t) {
  switch (t) {
    case ValType::I32: return b_.CreateTrunc(v, mc_.i32);
    case ValType::F32: return b_.CreateBitCast(b_.CreateTrunc(v, mc_.i32), mc_.f32);
    case ValType::F64: return b_.CreateBitCast(v, mc_.f64);
    default: return v;
  }
}

void FuncTranslator::tick() {
  Value* store = vm_field(mc_.L.vm_store);
  auto* flags = b_.CreateLoad(mc_.i8, at(store, mc_.L.store_tick_flags));
  flags->setAtomic(llvm::AtomicOrdering::Monotonic);
  flags->setAlignment(llvm::Align(1));
  BasicBlock* slow = new_block("tick");
  BasicBlock* cont = new_block("ticked");
  llvm::MDBuilder md(mc_.ctx);
  b_.CreateCondBr(b_.CreateICmpNE(flags, b_.getInt8(0)), slow, cont, md.createBranchWeights(1, 1 << 20));
  b_.SetInsertPoint(slow);
  rtcall(RuntimeCall::tick, {});
  b_.CreateBr(cont);
  b_.SetInsertPoint(cont);
}

void FuncTranslator::block_type(uint64_t imm, std::vector<ValType>& params, std::vector<ValType>& results) const {
  BlockType bt = BlockType::from_imm(imm);
  params.clear();
  results.clear();
  if (bt.kind == BlockType::Value) results.push_back(bt.value);
  if (bt.kind == BlockType::TypeIndex) {
    params = m_.types[bt.type_index].params;
    results = m_.types[bt.type_index].results;
  }
}

FuncTranslator::Ctl& FuncTranslator::push_ctl(Ctl::Kind k, uint64_t imm) {
  std::vector<ValType> params, results;
  block_type(imm, params, results);
  Ctl c;
  c.kind = k;
  c.nparams = params.size();
  c.height = stack_.size() - params.size();
  c.cont = new_block(k == Ctl::Loop ? "loop_end" : "end");
  {
    llvm::IRBuilder<> cb(c.cont);
    for (ValType r : results) c.cont_phis.push_back(cb.CreatePHI(mc_.type(r), 2));
  }
  if (k == Ctl::Loop) {
    c.header = new_block("loop");
    BasicBlock* from = b_.GetInsertBlock();
    b_.CreateBr(c.header);
    b_.SetInsertPoint(c.header);
    for (size_t i = 0; i < params.size(); ++i) {
      auto* phi = b_.CreatePHI(mc_.type(params[i]), 2);
      phi->addIncoming(stack_[c.height + i], from);
      c.header_phis.push_back(phi);
      stack_[c.height + i] = phi;
    }
  }
  ctls_.push_back(std::move(c));
  return ctls_.back();
}

void FuncTranslator::add_incoming(Ctl& c, bool to_end) {
  BasicBlock* from = b_.GetInsertBlock();
  auto& phis = c.kind == Ctl::Loop && !to_end ? c.header_phis : c.cont_phis;
  const size_t n = phis.size();
  for (size_t i = 0; i < n; ++i) phis[i]->addIncoming(stack_[stack_.size() - n + i], from);
}

void FuncTranslator::branch(uint32_t depth) {
  Ctl& c = ctls_[ctls_.size() - 1 - depth];
  if (c.kind == Ctl::Loop) tick();  // a loop iteration, as the interpreter counts it
  add_incoming(c, false);
  b_.CreateBr(target(c));
}

void FuncTranslator::set_dead() {
  dead_ = true;
  dead_depth_ = 0;
}

void FuncTranslator::else_ctl() {
  Ctl& c = ctls_.back();
  if (!dead_) {
    add_incoming(c, true);
    b_.CreateBr(c.cont);
  }
  dead_ = false;
  stack_.resize(c.height);
  for (Value* v : c.if_params) push(v);
  b_.SetInsertPoint(c.else_bb);
  c.else_bb = nullptr;
}

void FuncTranslator::end_ctl() {
  Ctl& c = ctls_.back();
  if (!dead_) {
    add_incoming(c, true);
    b_.CreateBr(c.cont);
  }
  if (c.else_bb) {  // an if without else: its parameters are its results
    b_.SetInsertPoint(c.else_bb);
    stack_.resize(c.height);
    for (Value* v : c.if_params) push(v);
    add_incoming(c, true);
    b_.CreateBr(c.cont);
  }
  stack_.resize(c.height);
  b_.SetInsertPoint(c.cont);
  dead_ = llvm::pred_empty(c.cont);
  for (auto* phi : c.cont_phis) {
    if (dead_) {
      push(llvm::PoisonValue::get(phi->getType()));
      phi->eraseFromParent();
    } else {
      push(phi);
    }
  }
  if (dead_) {
    b_.CreateUnreachable();
    dead_depth_ = 0;
  }
  ctls_.pop_back();
}

void FuncTranslator::br_table(const Instr& in) {
  Value* idx = pop();
  auto targets = func_.br_tables.subspan(in.a, in.b);
  // One edge block per distinct target: it ticks (loops) and brings the
  // kept values to the target's phis.
  std::vector<std::pair<uint32_t, BasicBlock*>> edges;
  BasicBlock* from = b_.GetInsertBlock();
  auto edge = [&](uint32_t depth) {
    for (auto& [d, bb] : edges)
      if (d == depth) return bb;
    BasicBlock* bb = new_block("br_table");
    b_.SetInsertPoint(bb);
    branch(depth);
    edges.emplace_back(depth, bb);
    b_.SetInsertPoint(from);
    return bb;
  };
  BasicBlock* dflt = edge(uint32_t(in.imm));
  auto* sw = b_.CreateSwitch(idx, dflt, uint32_t(targets.size()));
  for (size_t k = 0; k < targets.size(); ++k) sw->addCase(b_.getInt32(uint32_t(k)), edge(targets[k]));
}

void FuncTranslator::push_results(Value* r, const FuncType& t) {
  if (t.results.size() == 1) push(r);
  else
    for (unsigned k = 0; k < t.results.size(); ++k) push(b_.CreateExtractValue(r, k));
}

void FuncTranslator::call(uint32_t fi) {
  const FuncType& t = m_.types[m_.func_type_index(fi)];
  std::vector<Value*> args(stack_.end() - t.params.size(), stack_.end());
  stack_.resize(stack_.size() - t.params.size());
  if (fi >= m_.num_imported_funcs + mc_.first && fi < m_.num_imported_funcs + mc_.end) {
    args.insert(args.begin(), vm_);
    push_results(b_.CreateCall(mc_.funcs[fi - m_.num_imported_funcs - mc_.first], args), t);
    return;
  }
  Value* f = load_inv(mc_.ptr, at(vm_field(mc_.L.vm_funcs), fi * 8));
  call_ref(f, t, args);
}

void FuncTranslator::call_ref(Value* f, const FuncType& t, std::vector<Value*>& args) {
  Value* native = load_inv(mc_.ptr, at(f, mc_.L.func_native));
  BasicBlock* fast = new_block("native");
  BasicBlock* slow = new_block("slow_call");
  BasicBlock* done = new_block("called");
  b_.CreateCondBr(b_.CreateIsNotNull(native), fast, slow);

  b_.SetInsertPoint(fast);
  Value* callee_vm = at(load_inv(mc_.ptr, at(f, mc_.L.func_instance)), mc_.L.instance_vm);
  std::vector<Value*> fargs{callee_vm};
  fargs.insert(fargs.end(), args.begin(), args.end());
  Value* r1 = b_.CreateCall(mc_.func_type(t), native, fargs);
  std::vector<Value*> fast_results;
  if (t.results.size() == 1) fast_results.push_back(r1);
  else
    for (unsigned k = 0; k < t.results.size(); ++k) fast_results.push_back(b_.CreateExtractValue(r1, k));
  BasicBlock* fast_end = b_.GetInsertBlock();
  b_.CreateBr(done);

  b_.SetInsertPoint(slow);
  const uint32_t n = uint32_t(std::max({t.params.size(), t.results.size(), size_t(1)}));
  if (n > slots_size_) {
    llvm::IRBuilder<> eb(entry_, entry_->begin());
    slots_ = eb.CreateAlloca(mc_.i64, eb.getInt32(n));  // earlier, smaller ones keep their uses
    slots_size_ = n;
  }
  llvm::AllocaInst* slots = slots_;
  for (size_t k = 0; k < args.size(); ++k)
    b_.CreateStore(to_slot(args[k], t.params[k]), at(slots, uint32_t(k * 8)));
  rtcall(RuntimeCall::call_slow, {f, slots});
  std::vector<Value*> slow_results;
  for (size_t k = 0; k < t.results.size(); ++k)
    slow_results.push_back(from_slot(b_.CreateLoad(mc_.i64, at(slots, uint32_t(k * 8))), t.results[k]));
  BasicBlock* slow_end = b_.GetInsertBlock();
  b_.CreateBr(done);

  b_.SetInsertPoint(done);
  for (size_t k = 0; k < t.results.size(); ++k) {
    auto* phi = b_.CreatePHI(mc_.type(t.results[k]), 2);
    phi->addIncoming(fast_results[k], fast_end);
    phi->addIncoming(slow_results[k], slow_end);
    push(phi);
  }
}

void FuncTranslator::call_indirect(uint32_t type_index, uint32_t table) {
  const FuncType& t = m_.types[type_index];
  Value* idx = pop();
  std::vector<Value*> args(stack_.end() - t.params.size(), stack_.end());
  stack_.resize(stack_.size() - t.params.size());
  Value* tbl = load_inv(mc_.ptr, at(vm_field(mc_.L.vm_tables), table * 8));
  Value* begin = b_.CreateLoad(mc_.ptr, at(tbl, mc_.L.table_elems));
  Value* end = b_.CreateLoad(mc_.ptr, at(tbl, mc_.L.table_elems + 8));
  Value* size = b_.CreateLShr(b_.CreateSub(b_.CreatePtrToInt(end, mc_.i64), b_.CreatePtrToInt(begin, mc_.i64)), 3);
  Value* i64idx = b_.CreateZExt(idx, mc_.i64);
  trap_if(b_.CreateICmpUGE(i64idx, size), TrapCode::UndefinedElement);
  Value* f = b_.CreateLoad(mc_.ptr, b_.CreateGEP(mc_.i64, begin, i64idx));
  {
    BasicBlock* null = new_block("null_element");
    BasicBlock* ok = new_block("element");
    b_.CreateCondBr(b_.CreateIsNull(f), null, ok);
    b_.SetInsertPoint(null);
    rtcall(RuntimeCall::trap_element, {idx});
    b_.CreateUnreachable();
    b_.SetInsertPoint(ok);
  }
  Value* want = load_inv(mc_.i32, at(vm_field(mc_.L.vm_type_ids), type_index * 4));
  Value* got = load_inv(mc_.i32, at(f, mc_.L.func_type_id));
  trap_if(b_.CreateICmpNE(want, got), TrapCode::IndirectCallTypeMismatch);
  call_ref(f, t, args);
}

Expected<void> FuncTranslator::instr(const Instr& in) {
  if (dead_) {
    switch (in.op) {
      case Op::Block:
      case Op::Loop:
      case Op::If:
        ++dead_depth_;
        return {};
      case Op::Else:
        if (dead_depth_ == 0) else_ctl();
        return {};
      case Op::End:
        if (dead_depth_ == 0) end_ctl();
        else --dead_depth_;
        return {};
      default:
        return {};
    }
  }
  switch (in.op) {
    case Op::Nop: return {};
    case Op::Unreachable:
      b_.CreateBr(trap_block(TrapCode::Unreachable));
      set_dead();
      return {};
    case Op::Block: push_ctl(Ctl::Block, in.imm); return {};
    case Op::Loop: push_ctl(Ctl::Loop, in.imm); return {};
    case Op::If: {
      Value* cond = b_.CreateICmpNE(pop(), b_.getInt32(0));
      Ctl& c = push_ctl(Ctl::If, in.imm);
      c.if_params.assign(stack_.begin() + c.height, stack_.end());
      BasicBlock* then = new_block("then");
      c.else_bb = new_block("else");
      b_.CreateCondBr(cond, then, c.else_bb);
      b_.SetInsertPoint(then);
      return {};
    }
    case Op::Else: else_ctl(); return {};
    case Op::End: end_ctl(); return {};
    case Op::Br:
      branch(in.a);
      set_dead();
      return {};
    case Op::BrIf: {
      Value* cond = b_.CreateICmpNE(pop(), b_.getInt32(0));
      BasicBlock* taken = new_block("br_if");
      BasicBlock* cont = new_block("br_if_not");
      b_.CreateCondBr(cond, taken, cont);
      b_.SetInsertPoint(taken);
      branch(in.a);
      b_.SetInsertPoint(cont);
      return {};
    }
    case Op::BrTable:
      br_table(in);
      set_dead();
      return {};
    case Op::Return:
      branch(uint32_t(ctls_.size() - 1));
      set_dead();
      return {};
    case Op::Call: call(in.a); return {};
    case Op::CallIndirect: call_indirect(in.a, in.b); return {};
    case Op::Drop: pop(); return {};
    case Op::Select:
    case Op::SelectT: {
      Value* c = b_.CreateICmpNE(pop(), b_.getInt32(0));
      Value* y = pop();
      Value* x = pop();
      push(b_.CreateSelect(c, x, y));
      return {};
    }
    case Op::LocalGet: push(b_.CreateLoad(mc_.type(local_types_[in.a]), locals_[in.a])); return {};
    case Op::LocalSet: b_.CreateStore(pop(), locals_[in.a]); return {};
    case Op::LocalTee: b_.CreateStore(stack_.back(), locals_[in.a]); return {};
    case Op::GlobalGet: {
      ValType t = m_.global_type(in.a).type;
      Value* g = load_inv(mc_.ptr, at(vm_field(mc_.L.vm_globals), in.a * 8));
      push(from_slot(b_.CreateLoad(mc_.i64, at(g, mc_.L.global_value)), t));
      return {};
    }
    case Op::GlobalSet: {
      ValType t = m_.global_type(in.a).type;
      Value* g = load_inv(mc_.ptr, at(vm_field(mc_.L.vm_globals), in.a * 8));
      b_.CreateStore(to_slot(pop(), t), at(g, mc_.L.global_value));
      return {};
    }
    case Op::RefNull: push(b_.getInt64(0)); return {};
    case Op::RefIsNull: push(b_.CreateZExt(b_.CreateICmpEQ(pop(), b_.getInt64(0)), mc_.i32)); return {};
    case Op::RefFunc:
      push(b_.CreatePtrToInt(load_inv(mc_.ptr, at(vm_field(mc_.L.vm_funcs), in.a * 8)), mc_.i64));
      return {};
    case Op::TableGet: {
      Value* i = pop();
      push(rtcall(RuntimeCall::table_get, {b_.getInt32(in.a), i}));
      return {};
    }
    case Op::TableSet: {
      Value* v = pop();
      Value* i = pop();
      rtcall(RuntimeCall::table_set, {b_.getInt32(in.a), i, v});
      return {};
    }
    case Op::TableSize: push(rtcall(RuntimeCall::table_size, {b_.getInt32(in.a)})); return {};
    case Op::TableGrow: {
      Value* n = pop();
      Value* init = pop();
      push(rtcall(RuntimeCall::table_grow, {b_.getInt32(in.a), init, n}));
      return {};
    }
    case Op::TableFill: {
      Value* n = pop();
      Value* v = pop();
      Value* i = pop();
      rtcall(RuntimeCall::table_fill, {b_.getInt32(in.a), i, v, n});
      return {};
    }
    case Op::TableCopy: {
      Value* n = pop();
      Value* s = pop();
      Value* d = pop();
      rtcall(RuntimeCall::table_copy, {b_.getInt32(in.a), b_.getInt32(in.b), d, s, n});
      return {};
    }
    case Op::TableInit: {
      Value* n = pop();
      Value* s = pop();
      Value* d = pop();
      rtcall(RuntimeCall::table_init, {b_.getInt32(in.b), b_.getInt32(in.a), d, s, n});
      return {};
    }
    case Op::ElemDrop: rtcall(RuntimeCall::elem_drop, {b_.getInt32(in.a)}); return {};
    default:
      break;
  }
  if (numeric(in) || memory(in)) return {};
  return make_error("instruction " + std::string(op_info(in.op).text) + " is not compiled by the aot tier yet");
}

Expected<void> FuncTranslator::run() {
  entry_ = new_block("entry");
  b_.SetInsertPoint(entry_);
  auto arg = fn_->arg_begin();
  vm_ = &*arg++;
  for (ValType p : type_.params) {
    auto* a = b_.CreateAlloca(mc_.type(p));
    b_.CreateStore(&*arg++, a);
    locals_.push_back(a);
    local_types_.push_back(p);
  }
  for (ValType l : func_.locals) {
    auto* a = b_.CreateAlloca(mc_.type(l));
    b_.CreateStore(zero(l), a);
    locals_.push_back(a);
    local_types_.push_back(l);
  }
  // Native stack exhaustion traps (the limit is below the deepest frame
  // the thread's stack holds with room for host calls and a leaf's frame:
  // a function that calls nothing, with a frame of bounded size, needs no
  // check), then the entry counts as a tick as the interpreter's does.
  bool leaf = func_.locals.size() < 1024;
  for (const Instr& in : func_.body)
    if (in.op == Op::Call || in.op == Op::CallIndirect) leaf = false;
  if (!leaf) {
    Value* limit = b_.CreateLoad(mc_.i64, at(vm_, mc_.L.vm_stack_limit));
    Value* fa = b_.CreateCall(llvm::Intrinsic::getDeclaration(&mc_.mod, llvm::Intrinsic::frameaddress, {mc_.ptr}),
                              {b_.getInt32(0)});
    // The frame lies below its frame address: a function with many locals
    // checks for their room too.
    Value* low = b_.CreatePtrToInt(fa, mc_.i64);
    if (const uint64_t locals_bytes = (type_.params.size() + func_.locals.size()) * 8; locals_bytes > 4096)
      low = b_.CreateSub(low, b_.getInt64(locals_bytes));
    trap_if(b_.CreateICmpULT(low, limit), TrapCode::StackExhausted);
  }
  tick();

  // The function's own block: its end is the return.
  Ctl fc;
  fc.kind = Ctl::Func;
  fc.cont = new_block("return");
  {
    llvm::IRBuilder<> rb(fc.cont);
    for (ValType r : type_.results) fc.cont_phis.push_back(rb.CreatePHI(mc_.type(r), 2));
  }
  ctls_.push_back(std::move(fc));
  // The body's instructions, with the final End closing the function.
  for (const Instr& in : func_.body) {
    if (ctls_.empty()) break;
    if (ctls_.size() == 1 && in.op == Op::End && !dead_depth_) {
      Ctl& c = ctls_.back();
      if (!dead_) {
        add_incoming(c, true);
        b_.CreateBr(c.cont);
      }
      b_.SetInsertPoint(c.cont);
      if (llvm::pred_empty(c.cont)) {
        for (auto* phi : c.cont_phis) phi->eraseFromParent();
        b_.CreateUnreachable();
      } else if (c.cont_phis.empty()) {
        b_.CreateRetVoid();
      } else if (c.cont_phis.size() == 1) {
        b_.CreateRet(c.cont_phis[0]);
      } else {
        Value* agg = llvm::PoisonValue::get(fn_->getReturnType());
        for (unsigned k = 0; k < c.cont_phis.size(); ++k) agg = b_.CreateInsertValue(agg, c.cont_phis[k], k);
        b_.CreateRet(agg);
      }
      ctls_.pop_back();
      break;
    }
    if (auto r = instr(in); !r) return r;
  }
  return {};
}

// The array-call entry t<i>: arguments from slots, results back into them.
static void make_trampoline(ModuleCtx& mc, uint32_t i) {
  const Module& m = mc.m;
  const FuncType& t = m.types[m.functions[i].type_index];
  auto* ft = llvm::FunctionType::get(mc.voidt, {mc.ptr, mc.ptr}, false);
  auto* fn = llvm::Function::Create(ft, llvm::Function::ExternalLinkage, "t" + std::to_string(m.num_imported_funcs + i),
                                    mc.mod);
  mc.set_attrs(fn);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(mc.ctx, "entry", fn));
  Value* vm = fn->getArg(0);
  Value* slots = fn->getArg(1);
  std::vector<Value*> args{vm};
  auto slot = [&](size_t k) { return b.CreateConstInBoundsGEP1_64(mc.i64, slots, k); };
  for (size_t k = 0; k < t.params.size(); ++k) {
    Value* v = b.CreateLoad(mc.i64, slot(k));
    switch (t.params[k]) {
      case ValType::I32: v = b.CreateTrunc(v, mc.i32); break;
      case ValType::F32: v = b.CreateBitCast(b.CreateTrunc(v, mc.i32), mc.f32); break;
      case ValType::F64: v = b.CreateBitCast(v, mc.f64); break;
      default: break;
    }
    args.push_back(v);
  }
  Value* r = b.CreateCall(mc.funcs[i - mc.first], args);
  for (size_t k = 0; k < t.results.size(); ++k) {
    Value* v = t.results.size() == 1 ? r : b.CreateExtractValue(r, unsigned(k));
    switch (t.results[k]) {
      case ValType::I32: v = b.CreateZExt(v, mc.i64); break;
      case ValType::F32: v = b.CreateZExt(b.CreateBitCast(v, mc.i32), mc.i64); break;
      case ValType::F64: v = b.CreateBitCast(v, mc.i64); break;
      default: break;
    }
    b.CreateStore(v, slot(k));
  }
  b.CreateRetVoid();
}

bool compiles_op(Op op) { return op != Op::Throw && op != Op::ThrowRef && op != Op::TryTable; }

std::string uncompiled_feature(const Module& m) {
  for (const Function& f : m.functions)
    for (const Instr& in : f.body)
      if (!compiles_op(in.op))
        return "exception handling (" + std::string(op_info(in.op).text) + ") is not compiled by the aot tier yet";
  return {};
}

Expected<std::unique_ptr<llvm::Module>> translate_module(const Module& m, llvm::LLVMContext& ctx, uint32_t first,
                                                         uint32_t end) {
  auto mod = std::make_unique<llvm::Module>("wasm", ctx);
  ModuleCtx mc(m, ctx, *mod);
  mc.first = first;
  mc.end = end;
  for (size_t i = first; i < end; ++i) {
    const FuncType& t = m.types[m.functions[i].type_index];
    auto* f = llvm::Function::Create(mc.func_type(t), llvm::Function::ExternalLinkage,
                                     "w" + std::to_string(m.num_imported_funcs + i), *mod);
    mc.set_attrs(f);
    // Each wasm function keeps its own frame, so a trap's backtrace names
    // every function the interpreter's does.
    f->addFnAttr(llvm::Attribute::NoInline);
    mc.funcs.push_back(f);
  }
  for (uint32_t i = first; i < end; ++i) {
    if (m.functions[i].body.empty())
      return make_error("function " + std::to_string(m.num_imported_funcs + i) + " has no body");
    FuncTranslator ft(mc, i);
    if (auto r = ft.run(); !r)
      return make_error("function " + std::to_string(m.num_imported_funcs + i) + ": " + r.error().message);
    std::string err;
    llvm::raw_string_ostream os(err);
    if (llvm::verifyFunction(*mc.funcs[i - first], &os)) {
      if (std::getenv("WHIRL_AOT_DUMP")) mc.funcs[i - first]->print(llvm::errs());
      return make_error("aot: invalid LLVM IR for function " + std::to_string(m.num_imported_funcs + i) +
                        " (a translator bug): " + os.str().substr(0, 500));
    }
    make_trampoline(mc, i);
  }
  std::string err;
  llvm::raw_string_ostream os(err);
  if (llvm::verifyModule(*mod, &os)) return make_error("aot: invalid LLVM IR (a translator bug): " + os.str().substr(0, 2000));
  return mod;
}

}  // namespace whirl::wasm::aot
