// Function-body validation: the spec appendix's algorithm (operand stack of
// value types with Unknown for the polymorphic stack, control frames).
#include <cstdio>
#include <string>
#include <vector>

#include "wasm/validate/context.h"

namespace whirl::wasm {
namespace {

constexpr uint8_t kUnknown = 0;  // the polymorphic stack's "any type"

struct Frame {
  Op op;
  const std::vector<ValType>* start;
  const std::vector<ValType>* end;
  size_t height;
  bool unreachable;
};

std::string type_name(uint8_t t) { return t == kUnknown ? "unknown" : to_string(static_cast<ValType>(t)); }

ValType sig_type(SigType s) {
  switch (s) {
    case SigType::I32: return ValType::I32;
    case SigType::I64: return ValType::I64;
    case SigType::F32: return ValType::F32;
    default: return ValType::F64;
  }
}

class FuncValidator {
 public:
  FuncValidator(const ValidationContext& c, uint32_t func_index, const Function& f)
      : c_(c), index_(func_index), f_(f), type_(c.module.types[f.type_index]) {
    locals_ = type_.params;
    locals_.insert(locals_.end(), f.locals.begin(), f.locals.end());
  }

  Expected<void> run() {
    vals_.reserve(64);
    ctrls_.push_back({Op::Block, &empty_, &type_.results, 0, false});
    for (size_t i = 0; i < f_.body.size(); ++i) {
      const Instr& in = f_.body[i];
      offset_ = in.offset;
      if (!step(in)) return make_error(msg_);
      if (ctrls_.empty()) {
        if (i + 1 != f_.body.size()) return fail("operators remaining after end of function");
        return {};
      }
    }
    return fail("unexpected end of function body");
  }

 private:
  Unexpected<Error> fail(const std::string& what) {
    std::string name = c_.module.func_name(index_);
    char off[32];
    std::snprintf(off, sizeof off, "0x%x", offset_);
    return make_error("func " + std::to_string(index_) + (name.empty() ? "" : " ($" + name + ")") +
                      " at offset " + off + ": " + what);
  }
  bool err(const std::string& what) {
    msg_ = fail(what).error.message;
    return false;
  }

  void push(uint8_t t) { vals_.push_back(t); }
  void push(ValType t) { vals_.push_back(static_cast<uint8_t>(t)); }
  bool pop(uint8_t* out) {
    Frame& f = ctrls_.back();
    if (vals_.size() == f.height) {
      if (f.unreachable) {
        *out = kUnknown;
        return true;
      }
      return err("type mismatch: operand stack is empty");
    }
    *out = vals_.back();
    vals_.pop_back();
    return true;
  }
  bool pop_expect(ValType expect) {
    uint8_t t;
    if (!pop(&t)) return false;
    if (t != kUnknown && t != static_cast<uint8_t>(expect))
      return err(std::string("type mismatch: expected ") + to_string(expect) + ", got " + type_name(t));
    return true;
  }
  bool pop_all(const std::vector<ValType>& ts) {
    for (size_t i = ts.size(); i-- > 0;)
      if (!pop_expect(ts[i])) return false;
    return true;
  }
  void push_all(const std::vector<ValType>& ts) {
    for (ValType t : ts) push(t);
  }
  void push_ctrl(Op op, const std::vector<ValType>* in, const std::vector<ValType>* out) {
    ctrls_.push_back({op, in, out, vals_.size(), false});
    push_all(*in);
  }
  bool pop_ctrl(Frame* out) {
    Frame f = ctrls_.back();
    if (!pop_all(*f.end)) return false;
    if (vals_.size() != f.height) return err("type mismatch: values remaining on the stack at end of block");
    ctrls_.pop_back();
    *out = f;
    return true;
  }
  const std::vector<ValType>& label_types(const Frame& f) { return f.op == Op::Loop ? *f.start : *f.end; }
  void set_unreachable() {
    vals_.resize(ctrls_.back().height);
    ctrls_.back().unreachable = true;
  }
  bool label(uint32_t depth, const Frame** out) {
    if (depth >= ctrls_.size()) return err("unknown label " + std::to_string(depth));
    *out = &ctrls_[ctrls_.size() - 1 - depth];
    return true;
  }

  // Block types: params and results as vectors owned by the module or by us.
  bool block_type(uint64_t imm, const std::vector<ValType>** in, const std::vector<ValType>** out) {
    BlockType bt = BlockType::from_imm(imm);
    switch (bt.kind) {
      case BlockType::Empty:
        *in = &empty_;
        *out = &empty_;
        return true;
      case BlockType::Value:
        *in = &empty_;
        *out = &single_[static_cast<uint8_t>(bt.value)];
        if (single_[static_cast<uint8_t>(bt.value)].empty()) single_[static_cast<uint8_t>(bt.value)] = {bt.value};
        return true;
      case BlockType::TypeIndex:
        if (bt.type_index >= c_.module.types.size()) return err("unknown type " + std::to_string(bt.type_index));
        *in = &c_.module.types[bt.type_index].params;
        *out = &c_.module.types[bt.type_index].results;
        return true;
    }
    return err("malformed block type");
  }

  bool need_memory(uint32_t x) {
    if (x >= c_.module.total_memories()) return err("unknown memory " + std::to_string(x));
    return true;
  }
  bool need_table(uint32_t t) {
    if (t >= c_.module.total_tables()) return err("unknown table " + std::to_string(t));
    return true;
  }
  bool need_data(uint32_t d) {
    if (!c_.module.data_count || d >= *c_.module.data_count) return err("unknown data segment " + std::to_string(d));
    return true;
  }
  bool need_elem(uint32_t e) {
    if (e >= c_.module.elems.size()) return err("unknown elem segment " + std::to_string(e));
    return true;
  }

  bool step(const Instr& in);

  const ValidationContext& c_;
  uint32_t index_;
  const Function& f_;
  const FuncType& type_;
  std::vector<ValType> locals_;
  std::vector<uint8_t> vals_;
  std::vector<Frame> ctrls_;
  std::vector<ValType> empty_;
  std::vector<ValType> single_[256];
  uint32_t offset_ = 0;
  std::string msg_;
};

bool FuncValidator::step(const Instr& in) {
  const OpInfo& info = op_info(in.op);
  if (info.mem_bytes) {
    if (!need_memory(uint32_t(in.imm))) return false;
    if ((uint64_t{1} << in.a) > info.mem_bytes) return err("alignment must not be larger than natural");
  }
  if (info.p0 != SigType::Special) {
    if (info.p1 != SigType::X && !pop_expect(sig_type(info.p1))) return false;
    if (info.p0 != SigType::X && !pop_expect(sig_type(info.p0))) return false;
    if (info.result != SigType::X) push(sig_type(info.result));
    return true;
  }
  const Module& m = c_.module;
  switch (in.op) {
    case Op::Unreachable: set_unreachable(); return true;
    case Op::Block:
    case Op::Loop: {
      const std::vector<ValType>*a, *b;
      if (!block_type(in.imm, &a, &b) || !pop_all(*a)) return false;
      push_ctrl(in.op, a, b);
      return true;
    }
    case Op::TryTable: {
      const std::vector<ValType>*a, *b;
      if (!block_type(in.imm, &a, &b) || !pop_all(*a)) return false;
      // Catch labels are resolved outside the try_table's own label.
      for (uint32_t i = 0; i < in.b; ++i) {
        const uint32_t* k = &f_.br_tables[in.a + 3 * i];
        const Frame* l;
        if (k[0] == uint32_t(CatchKind::Catch) && k[1] >= m.total_tags()) return err("unknown tag " + std::to_string(k[1]));
        if (!label(k[2], &l)) return false;
        const auto& want = k[0] == uint32_t(CatchKind::Catch) ? m.types[m.tag_type_index(k[1])].params : empty_;
        if (label_types(*l) != want) return err("type mismatch in catch clause");
      }
      push_ctrl(in.op, a, b);
      return true;
    }
    case Op::Throw: {
      if (in.a >= m.total_tags()) return err("unknown tag " + std::to_string(in.a));
      if (!pop_all(m.types[m.tag_type_index(in.a)].params)) return false;
      set_unreachable();
      return true;
    }
    case Op::If: {
      const std::vector<ValType>*a, *b;
      if (!block_type(in.imm, &a, &b) || !pop_expect(ValType::I32) || !pop_all(*a)) return false;
      push_ctrl(Op::If, a, b);
      return true;
    }
    case Op::Else: {
      Frame f;
      if (ctrls_.back().op != Op::If) return err("else without matching if");
      if (!pop_ctrl(&f)) return false;
      push_ctrl(Op::Else, f.start, f.end);
      return true;
    }
    case Op::End: {
      Frame f;
      if (!pop_ctrl(&f)) return false;
      if (f.op == Op::If && *f.start != *f.end) return err("type mismatch: if without else must leave its parameters");
      if (!ctrls_.empty()) push_all(*f.end);
      return true;
    }
    case Op::Br: {
      const Frame* l;
      if (!label(in.a, &l) || !pop_all(label_types(*l))) return false;
      set_unreachable();
      return true;
    }
    case Op::BrIf: {
      const Frame* l;
      if (!pop_expect(ValType::I32) || !label(in.a, &l)) return false;
      const auto& ts = label_types(*l);
      if (!pop_all(ts)) return false;
      push_all(ts);
      return true;
    }
    case Op::BrTable: {
      const Frame* dflt;
      if (!pop_expect(ValType::I32) || !label(static_cast<uint32_t>(in.imm), &dflt)) return false;
      size_t arity = label_types(*dflt).size();
      for (uint32_t i = 0; i < in.b; ++i) {
        const Frame* l;
        if (!label(f_.br_tables[in.a + i], &l)) return false;
        const auto& ts = label_types(*l);
        if (ts.size() != arity) return err("type mismatch: br_table targets have different arities");
        // Check the operands against this target without consuming them.
        std::vector<uint8_t> popped;
        for (size_t k = ts.size(); k-- > 0;) {
          uint8_t t;
          if (!pop(&t)) return false;
          if (t != kUnknown && t != static_cast<uint8_t>(ts[k]))
            return err(std::string("type mismatch: expected ") + to_string(ts[k]) + ", got " + type_name(t));
          popped.push_back(t);
        }
        for (size_t k = popped.size(); k-- > 0;) push(popped[k]);
      }
      if (!pop_all(label_types(*dflt))) return false;
      set_unreachable();
      return true;
    }
    case Op::Return:
      if (!pop_all(type_.results)) return false;
      set_unreachable();
      return true;
    case Op::Call: {
      if (in.a >= m.total_funcs()) return err("unknown function " + std::to_string(in.a));
      const FuncType& t = m.types[m.func_type_index(in.a)];
      if (!pop_all(t.params)) return false;
      push_all(t.results);
      return true;
    }
    case Op::CallIndirect: {
      if (!need_table(in.b)) return false;
      if (m.table_type(in.b).elem != ValType::FuncRef) return err("type mismatch: call_indirect on a non-funcref table");
      if (in.a >= m.types.size()) return err("unknown type " + std::to_string(in.a));
      const FuncType& t = m.types[in.a];
      if (!pop_expect(ValType::I32) || !pop_all(t.params)) return false;
      push_all(t.results);
      return true;
    }
    case Op::Drop: {
      uint8_t t;
      return pop(&t);
    }
    case Op::Select: {
      uint8_t t1, t2;
      if (!pop_expect(ValType::I32) || !pop(&t1) || !pop(&t2)) return false;
      auto num = [](uint8_t t) { return t == kUnknown || is_num(static_cast<ValType>(t)); };
      if (!num(t1) || !num(t2)) return err("type mismatch: select without type needs numeric operands");
      if (t1 != t2 && t1 != kUnknown && t2 != kUnknown) return err("type mismatch: select operands differ");
      push(t1 == kUnknown ? t2 : t1);
      return true;
    }
    case Op::SelectT: {
      if (in.a != 1) return err("invalid result arity");
      auto t = static_cast<ValType>(in.imm);
      if (!pop_expect(ValType::I32) || !pop_expect(t) || !pop_expect(t)) return false;
      push(t);
      return true;
    }
    case Op::LocalGet:
    case Op::LocalSet:
    case Op::LocalTee: {
      if (in.a >= locals_.size()) return err("unknown local " + std::to_string(in.a));
      ValType t = locals_[in.a];
      if (in.op == Op::LocalGet) push(t);
      else if (!pop_expect(t)) return false;
      else if (in.op == Op::LocalTee) push(t);
      return true;
    }
    case Op::GlobalGet:
    case Op::GlobalSet: {
      if (in.a >= m.total_globals()) return err("unknown global " + std::to_string(in.a));
      GlobalType g = m.global_type(in.a);
      if (in.op == Op::GlobalGet) {
        push(g.type);
        return true;
      }
      if (!g.mut) return err("global is immutable");
      return pop_expect(g.type);
    }
    case Op::TableGet:
    case Op::TableSet: {
      if (!need_table(in.a)) return false;
      ValType t = m.table_type(in.a).elem;
      if (in.op == Op::TableGet) {
        if (!pop_expect(ValType::I32)) return false;
        push(t);
        return true;
      }
      return pop_expect(t) && pop_expect(ValType::I32);
    }
    case Op::TableSize:
      if (!need_table(in.a)) return false;
      push(ValType::I32);
      return true;
    case Op::TableGrow: {
      if (!need_table(in.a)) return false;
      if (!pop_expect(ValType::I32) || !pop_expect(m.table_type(in.a).elem)) return false;
      push(ValType::I32);
      return true;
    }
    case Op::TableFill:
      if (!need_table(in.a)) return false;
      return pop_expect(ValType::I32) && pop_expect(m.table_type(in.a).elem) && pop_expect(ValType::I32);
    case Op::TableCopy:
      if (!need_table(in.a) || !need_table(in.b)) return false;
      if (m.table_type(in.a).elem != m.table_type(in.b).elem) return err("type mismatch: table.copy element types differ");
      return pop_expect(ValType::I32) && pop_expect(ValType::I32) && pop_expect(ValType::I32);
    case Op::TableInit:
      if (!need_table(in.b) || !need_elem(in.a)) return false;
      if (m.table_type(in.b).elem != m.elems[in.a].type) return err("type mismatch: table.init element types differ");
      return pop_expect(ValType::I32) && pop_expect(ValType::I32) && pop_expect(ValType::I32);
    case Op::ElemDrop: return need_elem(in.a);
    case Op::MemorySize:
      if (!need_memory(in.a)) return false;
      push(ValType::I32);
      return true;
    case Op::MemoryGrow:
      if (!need_memory(in.a) || !pop_expect(ValType::I32)) return false;
      push(ValType::I32);
      return true;
    case Op::MemoryFill:
      if (!need_memory(in.a)) return false;
      return pop_expect(ValType::I32) && pop_expect(ValType::I32) && pop_expect(ValType::I32);
    case Op::MemoryCopy:
      if (!need_memory(in.a) || !need_memory(in.b)) return false;
      return pop_expect(ValType::I32) && pop_expect(ValType::I32) && pop_expect(ValType::I32);
    case Op::MemoryInit:
      if (!need_memory(in.b) || !need_data(in.a)) return false;
      return pop_expect(ValType::I32) && pop_expect(ValType::I32) && pop_expect(ValType::I32);
    case Op::DataDrop: return need_data(in.a);
    case Op::RefNull: push(static_cast<ValType>(in.a)); return true;
    case Op::RefIsNull: {
      uint8_t t;
      if (!pop(&t)) return false;
      if (t != kUnknown && !is_ref(static_cast<ValType>(t))) return err("type mismatch: ref.is_null needs a reference");
      push(ValType::I32);
      return true;
    }
    case Op::RefFunc:
      if (in.a >= m.total_funcs()) return err("unknown function " + std::to_string(in.a));
      if (!c_.declared_refs.count(in.a)) return err("undeclared function reference");
      push(ValType::FuncRef);
      return true;
    default: return err(std::string("unexpected instruction ") + std::string(info.text));
  }
}

}  // namespace

Expected<void> validate_function(const ValidationContext& c, uint32_t func_index, const Function& f) {
  if (f.type_index >= c.module.types.size()) return make_error("unknown type " + std::to_string(f.type_index));
  FuncValidator v(c, func_index, f);
  return v.run();
}

}  // namespace whirl::wasm
