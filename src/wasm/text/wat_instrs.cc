// Instructions of the text format, plain and folded, into binary code.
#include <cstring>

#include "wasm/opcodes.h"
#include "wasm/text/numbers.h"
#include "wasm/text/wat_module.h"

namespace whirl::wasm::text {

class FuncBody {
 public:
  FuncBody(WatModule& m, const std::map<std::string, uint32_t>& locals, Writer& w) : m_(m), locals_(locals), w_(w) {}

  // Encodes children [i, end) of `p` as an instruction sequence.
  void sequence(const Node& p, size_t i, size_t end) {
    while (i < end) {
      const Node& n = p.children[i];
      if (n.is_list()) {
        folded(n);
        ++i;
        continue;
      }
      if (n.kind != Node::Kind::Atom) m_.fail(n, "unexpected token: expected an instruction");
      const std::string& k = n.text;
      ++i;
      if (k == "block" || k == "loop" || k == "if") {
        std::string label = take_label(p, i, end);
        w_.u8(k == "block" ? 0x02 : k == "loop" ? 0x03 : 0x04);
        block_type(p, i, end);
        labels_.push_back(label);
        continue;
      }
      if (k == "try_table") {
        std::string label = take_label(p, i, end);
        try_table(p, i, end);
        labels_.push_back(label);
        continue;
      }
      if (k == "else") {
        if (labels_.empty()) m_.fail(n, "unexpected token: else outside a block");
        check_end_label(p, i, end);
        w_.u8(0x05);
        continue;
      }
      if (k == "end") {
        if (labels_.empty()) m_.fail(n, "unexpected token: end outside a block");
        check_end_label(p, i, end);
        labels_.pop_back();
        w_.u8(0x0b);
        continue;
      }
      plain(n, p, i, end);
    }
  }

  void finish(const Node& p) {
    if (!labels_.empty()) m_.fail(p, "unexpected end: unclosed block");
  }

 private:
  std::string take_label(const Node& p, size_t& i, size_t end) {
    if (i < end && p.children[i].kind == Node::Kind::Id) return p.children[i++].text;
    return "";
  }
  void check_end_label(const Node& p, size_t& i, size_t end) {
    if (i < end && p.children[i].kind == Node::Kind::Id) {
      if (p.children[i].text != labels_.back()) m_.fail(p.children[i], "mismatching label");
      ++i;
    }
  }

  // blocktype: (type x)? (param t*)* (result t*)*
  void block_type(const Node& p, size_t& i, size_t end) {
    size_t start = i;
    bool has_type = i < end && p.children[i].is_list("type");
    bool has_param = false;
    std::vector<ValType> results;
    size_t k = i + (has_type ? 1 : 0);
    for (; k < end && p.children[k].is_list("param"); ++k) has_param = true;
    for (size_t r = k; r < end && p.children[r].is_list("result"); ++r)
      for (size_t j = 1; j < p.children[r].children.size(); ++j) results.push_back(m_.val_type(p.children[r].children[j]));
    if (!has_type && !has_param && results.size() <= 1) {
      while (i < end && p.children[i].is_list("result")) ++i;
      if (results.empty()) w_.u8(0x40);
      else w_.u8(uint8_t(results[0]));
      return;
    }
    (void)start;
    uint32_t t = m_.type_use(p, i, nullptr, false);
    w_.s64(t);
  }

  // try_table's blocktype and catch clauses (their labels resolved outside
  // the try_table's own label).
  void try_table(const Node& p, size_t& i, size_t end) {
    w_.u8(0x1f);
    block_type(p, i, end);
    std::vector<const Node*> catches;
    while (i < end && (p.children[i].is_list("catch") || p.children[i].is_list("catch_ref") ||
                       p.children[i].is_list("catch_all") || p.children[i].is_list("catch_all_ref")))
      catches.push_back(&p.children[i++]);
    w_.u32(catches.size());
    for (const Node* c : catches) {
      const std::string& k = c->children[0].text;
      const bool all = k == "catch_all" || k == "catch_all_ref";
      const uint8_t kind = k == "catch" ? 0 : k == "catch_ref" ? 1 : k == "catch_all" ? 2 : 3;
      if (c->children.size() != (all ? 2u : 3u)) m_.fail(*c, "unexpected token in " + k);
      w_.u8(kind);
      if (!all) w_.u32(m_.resolve(m_.tag_space, c->children[1]));
      w_.u32(label_depth(c->children.back()));
    }
  }

  uint32_t label_depth(const Node& ref) {
    if (ref.kind == Node::Kind::Id) {
      for (size_t d = 0; d < labels_.size(); ++d)
        if (labels_[labels_.size() - 1 - d] == ref.text) return uint32_t(d);
      m_.fail(ref, "unknown label " + ref.text);
    }
    if (ref.kind == Node::Kind::Atom)
      if (auto v = parse_uint(ref.text, 32)) return uint32_t(*v);
    m_.fail(ref, "unexpected token: expected a label");
  }

  uint32_t local(const Node& ref) {
    if (ref.kind == Node::Kind::Id) {
      auto it = locals_.find(ref.text);
      if (it == locals_.end()) m_.fail(ref, "unknown local " + ref.text);
      return it->second;
    }
    if (ref.kind == Node::Kind::Atom)
      if (auto v = parse_uint(ref.text, 32)) return uint32_t(*v);
    m_.fail(ref, "unexpected token: expected a local index");
  }

  static bool is_index(const Node& n) {
    return n.kind == Node::Kind::Id || (n.kind == Node::Kind::Atom && parse_uint(n.text, 32).has_value());
  }

  const Node& need(const Node& op, const Node& p, size_t& i, size_t end) {
    if (i >= end) m_.fail(op, "unexpected end: missing immediate of " + op.text);
    return p.children[i++];
  }

  // Folded: (block ...), (loop ...), (if ...), or (op imm* folded*).
  void folded(const Node& n) {
    if (n.children.empty() || n.children[0].kind != Node::Kind::Atom) m_.fail(n, "unexpected token: expected an instruction");
    const std::string& k = n.children[0].text;
    size_t i = 1, end = n.children.size();
    if (k == "try_table") {
      std::string label = take_label(n, i, end);
      try_table(n, i, end);
      labels_.push_back(label);
      sequence(n, i, end);
      labels_.pop_back();
      w_.u8(0x0b);
      return;
    }
    if (k == "block" || k == "loop") {
      std::string label = take_label(n, i, end);
      w_.u8(k == "block" ? 0x02 : 0x03);
      block_type(n, i, end);
      labels_.push_back(label);
      sequence(n, i, end);
      labels_.pop_back();
      w_.u8(0x0b);
      return;
    }
    if (k == "if") {
      std::string label = take_label(n, i, end);
      Writer bt;
      std::swap(bt, w_);
      block_type(n, i, end);
      std::swap(bt, w_);
      // Condition: folded expressions before (then ...).
      while (i < end && !n.children[i].is_list("then")) {
        if (!n.children[i].is_list()) m_.fail(n.children[i], "unexpected token in if");
        folded(n.children[i++]);
      }
      if (i >= end) m_.fail(n, "unexpected token: expected (then ...)");
      w_.u8(0x04);
      w_.append(bt);
      labels_.push_back(label);
      const Node& then = n.children[i++];
      sequence(then, 1, then.children.size());
      if (i < end && n.children[i].is_list("else")) {
        w_.u8(0x05);
        const Node& els = n.children[i++];
        sequence(els, 1, els.children.size());
      }
      if (i != end) m_.fail(n.children[i], "unexpected token after else");
      labels_.pop_back();
      w_.u8(0x0b);
      return;
    }
    // Immediates first, then operands (the remaining folded children).
    Writer op;
    std::swap(op, w_);
    plain(n.children[0], n, i, end);
    std::swap(op, w_);
    for (; i < end; ++i) {
      if (!n.children[i].is_list()) m_.fail(n.children[i], "unexpected token in folded instruction");
      folded(n.children[i]);
    }
    w_.append(op);
  }

  // An optional memory index (memory.size, the memargs, ...).
  uint32_t memory_index(const Node& p, size_t& i, size_t end) {
    return i < end && is_index(p.children[i]) ? m_.resolve(m_.memory_space, p.children[i++]) : 0;
  }

  void memarg(const Node& p, size_t& i, size_t end, uint32_t natural) {
    const uint32_t mem = memory_index(p, i, end);
    uint64_t offset = 0;
    uint32_t align_log = 0;
    while (natural >> (align_log + 1)) ++align_log;
    if (i < end && p.children[i].kind == Node::Kind::Atom && p.children[i].text.rfind("offset=", 0) == 0) {
      auto v = parse_uint(std::string_view(p.children[i].text).substr(7), 32);
      if (!v) m_.fail(p.children[i], "unexpected token: offset out of range");
      offset = *v;
      ++i;
    }
    if (i < end && p.children[i].kind == Node::Kind::Atom && p.children[i].text.rfind("align=", 0) == 0) {
      auto v = parse_uint(std::string_view(p.children[i].text).substr(6), 32);
      if (!v || *v == 0 || (*v & (*v - 1))) m_.fail(p.children[i], "alignment must be a power of two");
      align_log = 0;
      while ((uint64_t(1) << align_log) < *v) ++align_log;
      ++i;
    }
    // Memory 0 in the 2.0 form (no index): the same instruction.
    w_.u32(mem ? align_log | 64 : align_log);
    if (mem) w_.u32(mem);
    w_.u32(offset);
  }

  [[noreturn]] void unknown_op(const Node& n) {
    const std::string& k = n.text;
    if (k.rfind("v128", 0) == 0 || k.find("x4.") != std::string::npos || k.find("x8.") != std::string::npos ||
        k.find("x16.") != std::string::npos || k.find("x2.") != std::string::npos)
      m_.fail(n, "SIMD is not supported (" + k + ")");
    m_.fail(n, "unknown operator " + k);
  }

  void plain(const Node& n, const Node& p, size_t& i, size_t end) {
    if (n.kind != Node::Kind::Atom) m_.fail(n, "unexpected token: expected an instruction");
    auto op = op_from_text(n.text);
    if (!op) unknown_op(n);
    const OpInfo& info = op_info(*op);
    if (*op == Op::Block || *op == Op::Loop || *op == Op::If || *op == Op::Else || *op == Op::End ||
        *op == Op::TryTable)
      m_.fail(n, "unexpected token " + n.text);
    if (*op == Op::Select) {
      std::vector<ValType> ts;
      bool typed = false;
      while (i < end && p.children[i].is_list("result")) {
        typed = true;
        for (size_t j = 1; j < p.children[i].children.size(); ++j) ts.push_back(m_.val_type(p.children[i].children[j]));
        ++i;
      }
      if (!typed) {
        w_.u8(0x1b);
        return;
      }
      w_.u8(0x1c);
      w_.u32(ts.size());
      for (ValType t : ts) w_.u8(uint8_t(t));
      return;
    }
    if (info.prefix) {
      w_.u8(info.prefix);
      w_.u32(info.code);
    } else {
      w_.u8(uint8_t(info.code));
    }
    switch (info.imm) {
      case ImmKind::None: return;
      case ImmKind::LabelIdx: w_.u32(label_depth(need(n, p, i, end))); return;
      case ImmKind::BrTable: {
        std::vector<uint32_t> ls;
        while (i < end && is_index(p.children[i])) ls.push_back(label_depth(p.children[i++]));
        if (ls.empty()) m_.fail(n, "unexpected token: br_table needs a label");
        w_.u32(ls.size() - 1);
        for (uint32_t l : ls) w_.u32(l);
        return;
      }
      case ImmKind::FuncIdx: w_.u32(m_.resolve(m_.func_space, need(n, p, i, end))); return;
      case ImmKind::CallIndirect: {
        uint32_t table = 0;
        if (i < end && is_index(p.children[i])) table = m_.resolve(m_.table_space, p.children[i++]);
        uint32_t t = m_.type_use(p, i, nullptr, false);
        w_.u32(t);
        w_.u32(table);
        return;
      }
      case ImmKind::LocalIdx: w_.u32(local(need(n, p, i, end))); return;
      case ImmKind::GlobalIdx: w_.u32(m_.resolve(m_.global_space, need(n, p, i, end))); return;
      case ImmKind::TagIdx: w_.u32(m_.resolve(m_.tag_space, need(n, p, i, end))); return;
      case ImmKind::TableIdx: {
        uint32_t t = 0;
        if (i < end && is_index(p.children[i])) t = m_.resolve(m_.table_space, p.children[i++]);
        w_.u32(t);
        return;
      }
      case ImmKind::MemArg: memarg(p, i, end, info.mem_bytes); return;
      case ImmKind::MemIdx: w_.u32(memory_index(p, i, end)); return;
      case ImmKind::I32: {
        const Node& v = need(n, p, i, end);
        auto x = v.kind == Node::Kind::Atom ? parse_int(v.text, 32) : std::nullopt;
        if (!x) m_.fail(v, "i32 constant out of range or malformed");
        w_.s64(int32_t(uint32_t(*x)));
        return;
      }
      case ImmKind::I64: {
        const Node& v = need(n, p, i, end);
        auto x = v.kind == Node::Kind::Atom ? parse_int(v.text, 64) : std::nullopt;
        if (!x) m_.fail(v, "i64 constant out of range or malformed");
        w_.s64(int64_t(*x));
        return;
      }
      case ImmKind::F32: {
        const Node& v = need(n, p, i, end);
        auto x = v.kind == Node::Kind::Atom ? parse_f32(v.text) : std::nullopt;
        if (!x) m_.fail(v, "f32 constant out of range or malformed");
        w_.fixed(*x, 4);
        return;
      }
      case ImmKind::F64: {
        const Node& v = need(n, p, i, end);
        auto x = v.kind == Node::Kind::Atom ? parse_f64(v.text) : std::nullopt;
        if (!x) m_.fail(v, "f64 constant out of range or malformed");
        w_.fixed(*x, 8);
        return;
      }
      case ImmKind::RefType: {
        const Node& v = need(n, p, i, end);
        if (v.is_atom("func")) w_.u8(0x70);
        else if (v.is_atom("extern")) w_.u8(0x6f);
        else m_.fail(v, "unexpected token: expected func or extern");
        return;
      }
      case ImmKind::MemoryInit: {
        // memory.init memidx? dataidx
        m_.uses_data_count_ = true;
        uint32_t mem = i + 1 < end && is_index(p.children[i]) && is_index(p.children[i + 1]) ? memory_index(p, i, end) : 0;
        w_.u32(m_.resolve(m_.data_space, need(n, p, i, end)));
        w_.u32(mem);
        return;
      }
      case ImmKind::DataIdx:
        m_.uses_data_count_ = true;
        w_.u32(m_.resolve(m_.data_space, need(n, p, i, end)));
        return;
      case ImmKind::MemoryCopy: {
        // memory.copy (dst src)?
        uint32_t dst = 0, src = 0;
        if (i < end && is_index(p.children[i])) {
          dst = memory_index(p, i, end);
          src = m_.resolve(m_.memory_space, need(n, p, i, end));
        }
        w_.u32(dst);
        w_.u32(src);
        return;
      }
      case ImmKind::TableInit: {
        const Node& a = need(n, p, i, end);
        if (i < end && is_index(p.children[i])) {
          uint32_t table = m_.resolve(m_.table_space, a);
          w_.u32(m_.resolve(m_.elem_space, p.children[i++]));
          w_.u32(table);
        } else {
          w_.u32(m_.resolve(m_.elem_space, a));
          w_.u32(0);
        }
        return;
      }
      case ImmKind::ElemIdx: w_.u32(m_.resolve(m_.elem_space, need(n, p, i, end))); return;
      case ImmKind::TableCopy: {
        uint32_t dst = 0, src = 0;
        if (i < end && is_index(p.children[i])) {
          dst = m_.resolve(m_.table_space, p.children[i++]);
          src = m_.resolve(m_.table_space, need(n, p, i, end));
        }
        w_.u32(dst);
        w_.u32(src);
        return;
      }
      case ImmKind::BlockType:
      case ImmKind::TryTable:
      case ImmKind::SelectT: break;
    }
    m_.fail(n, "unexpected token " + n.text);
  }

  WatModule& m_;
  const std::map<std::string, uint32_t>& locals_;
  Writer& w_;
  std::vector<std::string> labels_;
};

void encode_instrs(WatModule& m, const Node& parent, size_t start, size_t end,
                   const std::map<std::string, uint32_t>& locals, Writer& w) {
  FuncBody body(m, locals, w);
  body.sequence(parent, start, end);
  body.finish(parent);
}

void WatModule::encode_func(const Func& f, Writer& w) {
  const Node& n = *f.node;
  std::map<std::string, uint32_t> ids;
  uint32_t index = 0;
  for (const auto& id : f.param_ids) {
    if (!id.empty() && !ids.emplace(id, index).second) fail(n, "duplicate local " + id);
    ++index;
  }
  // Locals: (local $x t) | (local t*), run-length encoded.
  std::vector<ValType> locals;
  size_t i = f.body_start;
  for (; i < n.children.size() && n.children[i].is_list("local"); ++i) {
    const Node& l = n.children[i];
    if (l.children.size() >= 2 && l.children[1].kind == Node::Kind::Id) {
      if (l.children.size() != 3) fail(l, "unexpected token in local");
      if (!ids.emplace(l.children[1].text, index).second) fail(l.children[1], "duplicate local " + l.children[1].text);
      locals.push_back(val_type(l.children[2]));
      ++index;
    } else {
      for (size_t k = 1; k < l.children.size(); ++k, ++index) locals.push_back(val_type(l.children[k]));
    }
  }
  std::vector<std::pair<uint32_t, ValType>> runs;
  for (ValType t : locals) {
    if (!runs.empty() && runs.back().second == t) ++runs.back().first;
    else runs.push_back({1, t});
  }
  w.u32(runs.size());
  for (auto [count, t] : runs) {
    w.u32(count);
    w.u8(uint8_t(t));
  }
  encode_instrs(*this, n, i, n.children.size(), ids, w);
  w.u8(0x0b);
}

}  // namespace whirl::wasm::text
