// Translation of validated function bodies into the internal code: block
// structure becomes jumps with precomputed stack heights.
#include <algorithm>

#include "wasm/interp/code.h"

namespace whirl::wasm::interp {
namespace {

struct Ctrl {
  Op kind;
  uint32_t height;      // operand height at entry (below the block's params)
  uint32_t n_in, n_out;
  uint32_t start_pc;    // loop target
  std::vector<uint32_t> fixups;  // Ins indices whose `a` gets the end pc
  std::vector<uint32_t> table_fixups;  // br_table entries whose pc gets the end pc
  int64_t else_fixup = -1;       // the BrUnless of an if
  bool unreachable = false;
};

class Compiler {
 public:
  Compiler(const Module& m, const Function& f) : m_(m), f_(f) {}

  CompiledFunc run() {
    const FuncType& t = m_.types[f_.type_index];
    out_.type_index = f_.type_index;
    out_.num_params = uint32_t(t.params.size());
    out_.num_results = uint32_t(t.results.size());
    out_.num_locals = uint32_t(t.params.size() + f_.locals.size());
    out_.code.reserve(f_.body.size() + 1);
    ctrls_.push_back({Op::Block, 0, 0, uint32_t(t.results.size()), 0, {}, {}, -1, false});
    for (const Instr& in : f_.body) step(in);
    out_.max_height = max_h_ + 1;
    return std::move(out_);
  }

 private:
  uint32_t pc() const { return uint32_t(out_.code.size()); }
  void emit(uint16_t op, uint32_t a = 0, uint32_t b = 0, uint32_t c = 0, uint64_t imm = 0) {
    out_.code.push_back({op, a, b, c, imm});
  }
  void push(uint32_t n = 1) {
    h_ += n;
    max_h_ = std::max(max_h_, h_);
  }
  void pop(uint32_t n = 1) {
    uint32_t floor = ctrls_.back().height;
    h_ = h_ >= floor + n ? h_ - n : floor;
  }
  void set_unreachable() {
    h_ = ctrls_.back().height;
    ctrls_.back().unreachable = true;
  }
  void block_arity(uint64_t imm, uint32_t* in, uint32_t* out) {
    BlockType bt = BlockType::from_imm(imm);
    if (bt.kind == BlockType::Empty) *in = 0, *out = 0;
    else if (bt.kind == BlockType::Value) *in = 0, *out = 1;
    else *in = uint32_t(m_.types[bt.type_index].params.size()), *out = uint32_t(m_.types[bt.type_index].results.size());
  }
  // Emits a branch (kBr or kBrIf) to the label at `depth`.
  void branch(uint16_t op, uint32_t depth) {
    Ctrl& c = ctrls_[ctrls_.size() - 1 - depth];
    if (c.kind == Op::Loop) {
      emit(op, c.start_pc, c.n_in, c.height);
    } else {
      c.fixups.push_back(pc());
      emit(op, 0, c.n_out, c.height);
    }
  }
  BrTarget target(uint32_t depth) {
    Ctrl& c = ctrls_[ctrls_.size() - 1 - depth];
    if (c.kind == Op::Loop) return {c.start_pc, c.n_in, c.height};
    c.table_fixups.push_back(uint32_t(out_.table.size()));
    return {0, c.n_out, c.height};
  }

  void step(const Instr& in) {
    const OpInfo& info = op_info(in.op);
    if (info.p0 != SigType::Special) {
      uint32_t pops = (info.p0 != SigType::X) + (info.p1 != SigType::X);
      pop(pops);
      emit(uint16_t(in.op), in.a, in.b, 0, in.imm);
      if (info.result != SigType::X) push();
      return;
    }
    switch (in.op) {
      case Op::Nop: return;
      case Op::Unreachable: emit(uint16_t(in.op)); set_unreachable(); return;
      case Op::Block:
      case Op::Loop: {
        uint32_t n_in, n_out;
        block_arity(in.imm, &n_in, &n_out);
        ctrls_.push_back({in.op, h_ - std::min(h_, n_in), n_in, n_out, pc(), {}, {}, -1, false});
        return;
      }
      case Op::If: {
        uint32_t n_in, n_out;
        block_arity(in.imm, &n_in, &n_out);
        pop();
        Ctrl c{Op::If, h_ - std::min(h_, n_in), n_in, n_out, 0, {}, {}, int64_t(pc()), false};
        emit(kBrUnless);
        ctrls_.push_back(std::move(c));
        return;
      }
      case Op::Else: {
        Ctrl& c = ctrls_.back();
        c.fixups.push_back(pc());
        emit(kJump);
        out_.code[c.else_fixup].a = pc();
        c.else_fixup = -1;
        c.kind = Op::Else;
        c.unreachable = false;
        h_ = c.height + c.n_in;
        return;
      }
      case Op::End: {
        Ctrl c = std::move(ctrls_.back());
        ctrls_.pop_back();
        if (ctrls_.empty()) {
          emit(kReturn);
          for (uint32_t f : c.fixups) out_.code[f].a = pc() - 1;
          for (uint32_t f : c.table_fixups) out_.table[f].pc = pc() - 1;
          return;
        }
        if (c.else_fixup >= 0) out_.code[c.else_fixup].a = pc();
        for (uint32_t f : c.fixups) out_.code[f].a = pc();
        for (uint32_t f : c.table_fixups) out_.table[f].pc = pc();
        h_ = c.height + c.n_out;
        max_h_ = std::max(max_h_, h_);
        return;
      }
      case Op::Br: branch(kBr, in.a); set_unreachable(); return;
      case Op::BrIf: pop(); branch(kBrIf, in.a); return;
      case Op::BrTable: {
        pop();
        uint32_t first = uint32_t(out_.table.size());
        for (uint32_t i = 0; i < in.b; ++i) out_.table.push_back(target(f_.br_tables[in.a + i]));
        out_.table.push_back(target(uint32_t(in.imm)));
        emit(kBrTable, first, in.b);
        set_unreachable();
        return;
      }
      case Op::Return: emit(kReturn); set_unreachable(); return;
      case Op::Call: {
        const FuncType& t = m_.types[m_.func_type_index(in.a)];
        pop(uint32_t(t.params.size()));
        emit(uint16_t(in.op), in.a);
        push(uint32_t(t.results.size()));
        return;
      }
      case Op::CallIndirect: {
        const FuncType& t = m_.types[in.a];
        pop(uint32_t(t.params.size()) + 1);
        emit(uint16_t(in.op), in.a, in.b);
        push(uint32_t(t.results.size()));
        return;
      }
      case Op::Drop: pop(); emit(uint16_t(in.op)); return;
      case Op::Select:
      case Op::SelectT: pop(3); emit(uint16_t(Op::Select)); push(); return;
      case Op::LocalGet: case Op::GlobalGet: case Op::TableSize: case Op::MemorySize:
      case Op::RefNull: case Op::RefFunc:
        emit(uint16_t(in.op), in.a, in.b, 0, in.imm);
        push();
        return;
      case Op::LocalSet: case Op::GlobalSet:
        pop();
        emit(uint16_t(in.op), in.a);
        return;
      case Op::LocalTee: emit(uint16_t(in.op), in.a); return;
      case Op::TableGet: case Op::MemoryGrow: case Op::RefIsNull:
        pop();
        emit(uint16_t(in.op), in.a, in.b);
        push();
        return;
      case Op::TableSet: pop(2); emit(uint16_t(in.op), in.a); return;
      case Op::TableGrow: pop(2); emit(uint16_t(in.op), in.a); push(); return;
      case Op::TableFill: case Op::TableCopy: case Op::TableInit: case Op::MemoryFill:
      case Op::MemoryCopy: case Op::MemoryInit:
        pop(3);
        emit(uint16_t(in.op), in.a, in.b);
        return;
      case Op::ElemDrop: case Op::DataDrop: emit(uint16_t(in.op), in.a); return;
      default: emit(uint16_t(in.op), in.a, in.b, 0, in.imm); return;
    }
  }

  const Module& m_;
  const Function& f_;
  CompiledFunc out_;
  std::vector<Ctrl> ctrls_;
  uint32_t h_ = 0, max_h_ = 0;
};

}  // namespace

CompiledFunc compile_function(const Module& m, const Function& f) { return Compiler(m, f).run(); }

}  // namespace whirl::wasm::interp
