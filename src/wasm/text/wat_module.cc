// Module fields of the text format: declarations (pass 1) and their binary
// encoding (pass 2). Errors are thrown as Fail inside this library and
// returned as values from translate().
#include "wasm/text/wat_module.h"

#include "wasm/text/numbers.h"

namespace whirl::wasm::text {

void WatModule::fail(const Node& at, const std::string& what) { throw Fail{at.where() + ": " + what}; }

uint32_t WatModule::resolve(Space& s, const Node& ref) {
  if (ref.kind == Node::Kind::Id) {
    auto it = s.ids.find(ref.text);
    if (it == s.ids.end()) fail(ref, std::string("unknown ") + s.kind + " " + ref.text);
    return it->second;
  }
  if (ref.kind == Node::Kind::Atom) {
    if (auto v = parse_uint(ref.text, 32)) return uint32_t(*v);
  }
  fail(ref, std::string("unexpected token: expected a ") + s.kind + " index");
}

ValType WatModule::val_type(const Node& n) {
  if (n.kind == Node::Kind::Atom) {
    if (n.text == "i32") return ValType::I32;
    if (n.text == "i64") return ValType::I64;
    if (n.text == "f32") return ValType::F32;
    if (n.text == "f64") return ValType::F64;
    if (n.text == "funcref") return ValType::FuncRef;
    if (n.text == "externref") return ValType::ExternRef;
    if (n.text == "v128") fail(n, "SIMD is not supported (v128)");
  }
  fail(n, "unexpected token: expected a value type");
}

ValType WatModule::ref_type(const Node& n) {
  ValType t = val_type(n);
  if (!is_ref(t)) fail(n, "unexpected token: expected a reference type");
  return t;
}

Limits WatModule::limits(const Node& p, size_t& i, uint64_t max) {
  Limits l;
  if (i >= p.children.size()) fail(p, "unexpected end: expected limits");
  auto parse = [&](const Node& n) -> uint32_t {
    auto v = n.kind == Node::Kind::Atom ? parse_uint(n.text, 64) : std::nullopt;
    if (!v) fail(n, "unexpected token: expected a number");
    if (*v > max) fail(n, "constant out of range");
    return uint32_t(*v);
  };
  l.min = parse(p.children[i++]);
  if (i < p.children.size() && p.children[i].kind == Node::Kind::Atom && parse_uint(p.children[i].text, 64))
    l.max = parse(p.children[i++]);
  return l;
}

MemoryType WatModule::memory_type(const Node& p, size_t& i) {
  MemoryType t{limits(p, i, 0xffffffffull)};
  if (i < p.children.size() && (p.children[i].is_atom("shared") || p.children[i].is_atom("unshared")))
    t.shared = p.children[i++].text == "shared";
  return t;
}

GlobalType WatModule::global_type(const Node& n) {
  if (n.is_list("mut")) {
    if (n.children.size() != 2) fail(n, "unexpected token in global type");
    return {val_type(n.children[1]), true};
  }
  return {val_type(n), false};
}

uint32_t WatModule::find_or_add_type(const FuncType& t) {
  for (size_t k = 0; k < types_.size(); ++k)
    if (types_[k] == t) return uint32_t(k);
  types_.push_back(t);
  return uint32_t(types_.size() - 1);
}

uint32_t WatModule::type_use(const Node& p, size_t& i, std::vector<std::string>* ids, bool allow_ids) {
  const auto& c = p.children;
  std::optional<uint32_t> explicit_type;
  const Node* type_node = nullptr;
  if (i < c.size() && c[i].is_list("type")) {
    type_node = &c[i];
    if (c[i].children.size() != 2) fail(c[i], "unexpected token in type use");
    explicit_type = resolve(type_space, c[i].children[1]);
    ++i;
  }
  FuncType inline_t;
  bool has_inline = false;
  while (i < c.size() && c[i].is_list("param")) {
    has_inline = true;
    const Node& pl = c[i];
    if (pl.children.size() >= 2 && pl.children[1].kind == Node::Kind::Id) {
      if (!allow_ids) fail(pl.children[1], "unexpected token: parameter names are not allowed here");
      if (pl.children.size() != 3) fail(pl, "unexpected token: one type after a parameter name");
      inline_t.params.push_back(val_type(pl.children[2]));
      if (ids) ids->push_back(pl.children[1].text);
    } else {
      for (size_t k = 1; k < pl.children.size(); ++k) {
        inline_t.params.push_back(val_type(pl.children[k]));
        if (ids) ids->push_back("");
      }
    }
    ++i;
  }
  while (i < c.size() && c[i].is_list("result")) {
    has_inline = true;
    for (size_t k = 1; k < c[i].children.size(); ++k) inline_t.results.push_back(val_type(c[i].children[k]));
    ++i;
  }
  if (i < c.size() && (c[i].is_list("param"))) fail(c[i], "unexpected token: param after result");
  if (explicit_type) {
    if (*explicit_type >= types_.size()) {
      if (has_inline) fail(*type_node, "unknown type");
      return *explicit_type;  // the validator reports the unknown index
    }
    if (has_inline && !(types_[*explicit_type] == inline_t)) fail(*type_node, "inline function type does not match");
    if (!has_inline && ids) ids->assign(types_[*explicit_type].params.size(), "");
    return *explicit_type;
  }
  return find_or_add_type(inline_t);
}

void WatModule::bind(Space& s, const Node& f, size_t& i) {
  if (i < f.children.size() && f.children[i].kind == Node::Kind::Id) {
    const std::string& id = f.children[i].text;
    if (!s.ids.emplace(id, s.count).second) fail(f.children[i], std::string("duplicate ") + s.kind + " " + id);
    ++i;
  }
  ++s.count;
}

void WatModule::note_import(ExternKind kind, const Node& at) {
  if (seen_definition_) fail(at, std::string("import after ") + first_definition_);
}

void WatModule::note_definition(ExternKind kind) {
  if (!seen_definition_) first_definition_ = to_string(kind);
  seen_definition_ = true;
}

size_t WatModule::inline_exports(const Node& f, size_t i, ExternKind kind, uint32_t index) {
  while (i < f.children.size() && f.children[i].is_list("export")) {
    const Node& e = f.children[i];
    if (e.children.size() != 2 || e.children[1].kind != Node::Kind::String) fail(e, "unexpected token in export");
    exports_.push_back({e.children[1].text, kind, nullptr, index});
    ++i;
  }
  return i;
}

bool WatModule::inline_import(const Node& f, size_t& i, std::string& module, std::string& name) {
  if (i < f.children.size() && f.children[i].is_list("import")) {
    const Node& im = f.children[i];
    if (im.children.size() != 3 || im.children[1].kind != Node::Kind::String ||
        im.children[2].kind != Node::Kind::String)
      fail(im, "unexpected token in import");
    module = im.children[1].text;
    name = im.children[2].text;
    ++i;
    return true;
  }
  return false;
}

void WatModule::declare_types(const std::vector<const Node*>& fields) {
  for (const Node* f : fields) {
    if (!f->is_list("type")) continue;
    size_t i = 1;
    bind(type_space, *f, i);
    if (i + 1 != f->children.size() || !f->children[i].is_list("func")) fail(*f, "unexpected token in type");
    const Node& fn = f->children[i];
    size_t k = 1;
    FuncType t;
    for (; k < fn.children.size() && fn.children[k].is_list("param"); ++k) {
      const Node& pl = fn.children[k];
      if (pl.children.size() >= 2 && pl.children[1].kind == Node::Kind::Id) {
        if (pl.children.size() != 3) fail(pl, "unexpected token");
        t.params.push_back(val_type(pl.children[2]));
      } else {
        for (size_t j = 1; j < pl.children.size(); ++j) t.params.push_back(val_type(pl.children[j]));
      }
    }
    for (; k < fn.children.size() && fn.children[k].is_list("result"); ++k)
      for (size_t j = 1; j < fn.children[k].children.size(); ++j) t.results.push_back(val_type(fn.children[k].children[j]));
    if (k != fn.children.size()) fail(fn.children[k], "unexpected token in function type");
    types_.push_back(t);
  }
}

void WatModule::declare_func(const Node& f) {
  size_t i = 1;
  uint32_t index = func_space.count;
  if (i < f.children.size() && f.children[i].kind == Node::Kind::Id) func_names_[index] = f.children[i].text.substr(1);
  bind(func_space, f, i);
  i = inline_exports(f, i, ExternKind::Func, index);
  std::string mod, name;
  if (inline_import(f, i, mod, name)) {
    note_import(ExternKind::Func, f);
    Import im{mod, name, ExternKind::Func};
    im.type = type_use(f, i, nullptr, true);
    if (i != f.children.size()) fail(f.children[i], "unexpected token in imported function");
    imports_.push_back(im);
    return;
  }
  note_definition(ExternKind::Func);
  Func fn{&f, 0, 0, {}};
  fn.type = type_use(f, i, &fn.param_ids, true);
  fn.body_start = i;
  funcs_.push_back(std::move(fn));
}

void WatModule::declare_table(const Node& f) {
  size_t i = 1;
  uint32_t index = table_space.count;
  bind(table_space, f, i);
  i = inline_exports(f, i, ExternKind::Table, index);
  std::string mod, name;
  bool imported = inline_import(f, i, mod, name);
  if (imported) note_import(ExternKind::Table, f);
  else note_definition(ExternKind::Table);
  if (i < f.children.size() && f.children[i].kind == Node::Kind::Atom && !parse_uint(f.children[i].text, 64)) {
    // reftype (elem ...): size from the element list.
    if (imported) fail(f, "unexpected token in imported table");
    ValType t = ref_type(f.children[i++]);
    if (i + 1 != f.children.size() || !f.children[i].is_list("elem")) fail(f, "unexpected token in table");
    const Node& el = f.children[i];
    Elem e{&el};
    e.table_index = index;
    e.type = t;
    bool exprs = el.children.size() > 1 && el.children[1].is_list();
    for (size_t k = 1; k < el.children.size(); ++k) (exprs ? e.exprs : e.funcs).push_back(&el.children[k]);
    uint32_t n = uint32_t(el.children.size() - 1);
    tables_.push_back({t, Limits{n, n}});
    elems_.push_back(std::move(e));
    ++elem_space.count;
    return;
  }
  TableType tt;
  tt.limits = limits(f, i, 0xffffffffull);
  if (i >= f.children.size()) fail(f, "unexpected end: expected a reference type");
  tt.elem = ref_type(f.children[i++]);
  if (i != f.children.size()) fail(f.children[i], "unexpected token in table");
  if (imported) {
    Import im{mod, name, ExternKind::Table};
    im.table = tt;
    imports_.push_back(im);
  } else {
    tables_.push_back(tt);
  }
}

void WatModule::declare_memory(const Node& f) {
  size_t i = 1;
  uint32_t index = memory_space.count;
  bind(memory_space, f, i);
  i = inline_exports(f, i, ExternKind::Memory, index);
  std::string mod, name;
  bool imported = inline_import(f, i, mod, name);
  if (imported) note_import(ExternKind::Memory, f);
  else note_definition(ExternKind::Memory);
  if (i < f.children.size() && f.children[i].is_list("data")) {
    if (imported) fail(f, "unexpected token in imported memory");
    const Node& d = f.children[i];
    Data data{&d};
    data.memory = index;
    for (size_t k = 1; k < d.children.size(); ++k) {
      if (d.children[k].kind != Node::Kind::String) fail(d.children[k], "unexpected token: expected a string");
      data.bytes += d.children[k].text;
    }
    uint32_t pages = uint32_t((data.bytes.size() + kPageSize - 1) / kPageSize);
    memories_.push_back({Limits{pages, pages}});
    datas_.push_back(std::move(data));
    ++data_space.count;
    if (i + 1 != f.children.size()) fail(f, "unexpected token in memory");
    return;
  }
  MemoryType mt = memory_type(f, i);
  if (i != f.children.size()) fail(f.children[i], "unexpected token in memory");
  if (imported) {
    Import im{mod, name, ExternKind::Memory};
    im.memory = mt;
    imports_.push_back(im);
  } else {
    memories_.push_back(mt);
  }
}

void WatModule::declare_global(const Node& f) {
  size_t i = 1;
  uint32_t index = global_space.count;
  bind(global_space, f, i);
  i = inline_exports(f, i, ExternKind::Global, index);
  std::string mod, name;
  bool imported = inline_import(f, i, mod, name);
  if (i >= f.children.size()) fail(f, "unexpected end: expected a global type");
  GlobalType gt = global_type(f.children[i++]);
  if (imported) {
    note_import(ExternKind::Global, f);
    if (i != f.children.size()) fail(f.children[i], "unexpected token in imported global");
    Import im{mod, name, ExternKind::Global};
    im.global = gt;
    imports_.push_back(im);
    return;
  }
  note_definition(ExternKind::Global);
  globals_.push_back({&f, i, gt});
}

void WatModule::declare_tag(const Node& f) {
  size_t i = 1;
  uint32_t index = tag_space.count;
  bind(tag_space, f, i);
  i = inline_exports(f, i, ExternKind::Tag, index);
  std::string mod, name;
  bool imported = inline_import(f, i, mod, name);
  uint32_t type = type_use(f, i, nullptr, true);
  if (i != f.children.size()) fail(f.children[i], "unexpected token in tag");
  if (imported) {
    note_import(ExternKind::Tag, f);
    Import im{mod, name, ExternKind::Tag};
    im.type = type;
    imports_.push_back(im);
    return;
  }
  note_definition(ExternKind::Tag);
  tags_.push_back(type);
}

void WatModule::declare_import(const Node& f) {
  if (f.children.size() != 4 || f.children[1].kind != Node::Kind::String ||
      f.children[2].kind != Node::Kind::String || !f.children[3].is_list())
    fail(f, "unexpected token in import");
  const Node& d = f.children[3];
  Import im{f.children[1].text, f.children[2].text, ExternKind::Func};
  size_t i = 1;
  if (d.is_list("func")) {
    note_import(ExternKind::Func, f);
    uint32_t index = func_space.count;
    if (i < d.children.size() && d.children[i].kind == Node::Kind::Id) func_names_[index] = d.children[i].text.substr(1);
    bind(func_space, d, i);
    im.type = type_use(d, i, nullptr, true);
  } else if (d.is_list("table")) {
    note_import(ExternKind::Table, f);
    im.kind = ExternKind::Table;
    bind(table_space, d, i);
    im.table.limits = limits(d, i, 0xffffffffull);
    if (i >= d.children.size()) fail(d, "unexpected end: expected a reference type");
    im.table.elem = ref_type(d.children[i++]);
  } else if (d.is_list("memory")) {
    note_import(ExternKind::Memory, f);
    im.kind = ExternKind::Memory;
    bind(memory_space, d, i);
    im.memory = memory_type(d, i);
  } else if (d.is_list("tag")) {
    note_import(ExternKind::Tag, f);
    im.kind = ExternKind::Tag;
    bind(tag_space, d, i);
    im.type = type_use(d, i, nullptr, true);
  } else if (d.is_list("global")) {
    note_import(ExternKind::Global, f);
    im.kind = ExternKind::Global;
    bind(global_space, d, i);
    if (i >= d.children.size()) fail(d, "unexpected end: expected a global type");
    im.global = global_type(d.children[i++]);
  } else {
    fail(d, "unexpected token: unknown import kind");
  }
  if (i != d.children.size()) fail(d.children[i], "unexpected token in import");
  imports_.push_back(im);
}

void WatModule::declare_elem(const Node& f) {
  Elem e{&f};
  size_t i = 1;
  bind(elem_space, f, i);
  const auto& c = f.children;
  if (i < c.size() && c[i].is_atom("declare")) {
    e.mode = Elem::Declare;
    ++i;
  } else if (i < c.size() && (c[i].is_list("table") || c[i].is_list("offset") ||
                              (c[i].is_list() && !c[i].is_list("item")))) {
    if (c[i].is_list("table")) {
      if (c[i].children.size() != 2) fail(c[i], "unexpected token in elem table");
      e.table = &c[i].children[1];
      ++i;
    }
    if (i >= c.size() || !c[i].is_list()) fail(f, "unexpected token: expected an offset");
    e.offset = &c[i++];
  } else {
    e.mode = Elem::Passive;
  }
  // Element list: `func x*`, reftype expr*, or (legacy, active without table) x*.
  if (i < c.size() && c[i].is_atom("func")) {
    ++i;
    for (; i < c.size(); ++i) e.funcs.push_back(&c[i]);
  } else if (i < c.size() && c[i].kind == Node::Kind::Atom && (c[i].text == "funcref" || c[i].text == "externref")) {
    e.type = ref_type(c[i++]);
    for (; i < c.size(); ++i) {
      if (!c[i].is_list()) fail(c[i], "unexpected token: expected an element expression");
      e.exprs.push_back(&c[i]);
    }
  } else {
    if (e.mode != Elem::Active && i < c.size()) fail(c[i], "unexpected token: expected 'func' or a reference type");
    for (; i < c.size(); ++i) e.funcs.push_back(&c[i]);
  }
  elems_.push_back(std::move(e));
}

void WatModule::declare_data(const Node& f) {
  Data d{&f};
  size_t i = 1;
  bind(data_space, f, i);
  const auto& c = f.children;
  if (i < c.size() && c[i].is_list("memory")) {
    if (c[i].children.size() != 2) fail(c[i], "unexpected token in data memory");
    d.memory_ref = &c[i].children[1];
    ++i;
  }
  if (i < c.size() && c[i].is_list()) {
    d.offset = &c[i++];
  } else {
    if (d.memory_ref) fail(f, "unexpected token: expected an offset");
    d.active = false;
  }
  for (; i < c.size(); ++i) {
    if (c[i].kind != Node::Kind::String) fail(c[i], "unexpected token: expected a string");
    d.bytes += c[i].text;
  }
  datas_.push_back(std::move(d));
}

void WatModule::declare(const Node& f) {
  if (!f.is_list() || f.children.empty() || f.children[0].kind != Node::Kind::Atom)
    fail(f, "unexpected token: expected a module field");
  const std::string& k = f.children[0].text;
  if (k == "type") return;
  if (k == "func") return declare_func(f);
  if (k == "table") return declare_table(f);
  if (k == "memory") return declare_memory(f);
  if (k == "global") return declare_global(f);
  if (k == "tag") return declare_tag(f);
  if (k == "import") return declare_import(f);
  if (k == "elem") return declare_elem(f);
  if (k == "data") return declare_data(f);
  if (k == "export") {
    if (f.children.size() != 3 || f.children[1].kind != Node::Kind::String || !f.children[2].is_list() ||
        f.children[2].children.size() != 2)
      fail(f, "unexpected token in export");
    const Node& d = f.children[2];
    ExternKind kind;
    if (d.is_list("func")) kind = ExternKind::Func;
    else if (d.is_list("table")) kind = ExternKind::Table;
    else if (d.is_list("memory")) kind = ExternKind::Memory;
    else if (d.is_list("global")) kind = ExternKind::Global;
    else if (d.is_list("tag")) kind = ExternKind::Tag;
    else fail(d, "unexpected token: unknown export kind");
    exports_.push_back({f.children[1].text, kind, &d.children[1], 0});
    return;
  }
  if (k == "start") {
    if (start_) fail(f, "multiple start sections");
    if (f.children.size() != 2) fail(f, "unexpected token in start");
    start_ = &f.children[1];
    return;
  }
  fail(f, "unexpected token: unknown module field " + k);
}

void WatModule::encode_const_expr(const Node& parent, size_t start, Writer& w, size_t end) {
  static const std::map<std::string, uint32_t> no_locals;
  encode_instrs(*this, parent, start, end == SIZE_MAX ? parent.children.size() : end, no_locals, w);
  w.u8(0x0b);
}

Expected<std::vector<uint8_t>> WatModule::translate(const std::vector<const Node*>& fields) {
  try {
    declare_types(fields);
    for (const Node* f : fields) declare(*f);
    Space* spaces[] = {&func_space, &table_space, &memory_space, &global_space};
    (void)spaces;

    // Encode function bodies first: block types may add types.
    std::vector<Writer> bodies(funcs_.size());
    for (size_t k = 0; k < funcs_.size(); ++k) encode_func(funcs_[k], bodies[k]);
    std::vector<Writer> global_inits(globals_.size());
    for (size_t k = 0; k < globals_.size(); ++k) encode_const_expr(*globals_[k].node, globals_[k].init_start, global_inits[k]);

    Writer out;
    out.b = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    Writer s;
    s.u32(types_.size());
    for (const auto& t : types_) {
      s.u8(0x60);
      s.u32(t.params.size());
      for (ValType v : t.params) s.u8(uint8_t(v));
      s.u32(t.results.size());
      for (ValType v : t.results) s.u8(uint8_t(v));
    }
    out.section(1, s);
    auto write_limits = [](Writer& w, const Limits& l, bool shared = false) {
      w.u8((l.max ? 1 : 0) | (shared ? 2 : 0));
      w.u32(l.min);
      if (l.max) w.u32(*l.max);
    };
    if (!imports_.empty()) {
      s = Writer{};
      s.u32(imports_.size());
      for (const auto& im : imports_) {
        s.bytes(im.module);
        s.bytes(im.name);
        s.u8(uint8_t(im.kind));
        switch (im.kind) {
          case ExternKind::Func: s.u32(im.type); break;
          case ExternKind::Table: s.u8(uint8_t(im.table.elem)); write_limits(s, im.table.limits); break;
          case ExternKind::Memory: write_limits(s, im.memory.limits, im.memory.shared); break;
          case ExternKind::Global: s.u8(uint8_t(im.global.type)); s.u8(im.global.mut); break;
          case ExternKind::Tag: s.u8(0x00); s.u32(im.type); break;
        }
      }
      out.section(2, s);
    }
    if (!funcs_.empty()) {
      s = Writer{};
      s.u32(funcs_.size());
      for (const auto& f : funcs_) s.u32(f.type);
      out.section(3, s);
    }
    if (!tables_.empty()) {
      s = Writer{};
      s.u32(tables_.size());
      for (const auto& t : tables_) {
        s.u8(uint8_t(t.elem));
        write_limits(s, t.limits);
      }
      out.section(4, s);
    }
    if (!memories_.empty()) {
      s = Writer{};
      s.u32(memories_.size());
      for (const auto& m : memories_) write_limits(s, m.limits, m.shared);
      out.section(5, s);
    }
    if (!tags_.empty()) {
      s = Writer{};
      s.u32(tags_.size());
      for (uint32_t t : tags_) s.u8(0x00), s.u32(t);
      out.section(13, s);
    }
    if (!globals_.empty()) {
      s = Writer{};
      s.u32(globals_.size());
      for (size_t k = 0; k < globals_.size(); ++k) {
        s.u8(uint8_t(globals_[k].type.type));
        s.u8(globals_[k].type.mut);
        s.append(global_inits[k]);
      }
      out.section(6, s);
    }
    if (!exports_.empty()) {
      s = Writer{};
      s.u32(exports_.size());
      for (const auto& e : exports_) {
        if (!valid_utf8(e.name)) throw Fail{"malformed UTF-8 encoding in export name"};
        s.bytes(e.name);
        s.u8(uint8_t(e.kind));
        Space* sp = e.kind == ExternKind::Func    ? &func_space
                    : e.kind == ExternKind::Table ? &table_space
                    : e.kind == ExternKind::Memory ? &memory_space
                    : e.kind == ExternKind::Tag    ? &tag_space
                                                   : &global_space;
        s.u32(e.ref ? resolve(*sp, *e.ref) : e.index);
      }
      out.section(7, s);
    }
    if (start_) {
      s = Writer{};
      s.u32(resolve(func_space, *start_));
      out.section(8, s);
    }
    if (!elems_.empty()) {
      s = Writer{};
      s.u32(elems_.size());
      for (const auto& e : elems_) {
        // Always the expression forms: 6 (active, explicit table), 5 (passive), 7 (declarative).
        if (e.mode == Elem::Active) {
          s.u8(6);
          s.u32(e.table ? resolve(table_space, *e.table) : e.table_index);
          if (!e.offset) {  // inline (table ... (elem ...)): offset 0
            s.u8(0x41);
            s.u8(0x00);
            s.u8(0x0b);
          } else if (const Node& off = *e.offset; off.is_list("offset")) encode_const_expr(off, 1, s);
          else encode_const_expr(*e.node, size_t(&off - e.node->children.data()), s, size_t(&off - e.node->children.data()) + 1);
        } else {
          s.u8(e.mode == Elem::Passive ? 5 : 7);
        }
        s.u8(uint8_t(e.type));
        s.u32(e.funcs.size() + e.exprs.size());
        for (const Node* fn : e.funcs) {
          s.u8(0xd2);
          s.u32(resolve(func_space, *fn));
          s.u8(0x0b);
        }
        for (const Node* ex : e.exprs) {
          if (ex->is_list("item")) encode_const_expr(*ex, 1, s);
          else encode_const_expr(*e.node, size_t(ex - e.node->children.data()), s, size_t(ex - e.node->children.data()) + 1);
        }
      }
      out.section(9, s);
    }
    if (!datas_.empty() || uses_data_count_) {
      s = Writer{};
      s.u32(datas_.size());
      out.section(12, s);
    }
    if (!funcs_.empty()) {
      s = Writer{};
      s.u32(funcs_.size());
      for (const auto& b : bodies) {
        s.u32(b.b.size());
        s.append(b);
      }
      out.section(10, s);
    }
    if (!datas_.empty()) {
      s = Writer{};
      s.u32(datas_.size());
      for (const auto& d : datas_) {
        if (!d.active) {
          s.u8(1);
        } else {
          uint32_t mem = d.memory_ref ? resolve(memory_space, *d.memory_ref) : d.memory;
          if (mem == 0) {
            s.u8(0);
          } else {
            s.u8(2);
            s.u32(mem);
          }
          if (!d.offset) {  // inline (memory (data ...)): offset 0
            s.u8(0x41);
            s.u8(0x00);
            s.u8(0x0b);
          } else if (d.offset->is_list("offset")) {
            encode_const_expr(*d.offset, 1, s);
          } else {
            size_t at = size_t(d.offset - d.node->children.data());
            encode_const_expr(*d.node, at, s, at + 1);
          }
        }
        s.bytes(d.bytes);
      }
      out.section(11, s);
    }
    if (!func_names_.empty()) {
      Writer names, sub;
      names.bytes("name");
      sub.u32(func_names_.size());
      for (const auto& [idx, name] : func_names_) {
        sub.u32(idx);
        sub.bytes(name);
      }
      names.u8(1);
      names.u32(sub.b.size());
      names.append(sub);
      out.section(0, names);
    }
    return std::move(out.b);
  } catch (const Fail& f) {
    return make_error(f.message);
  }
}

}  // namespace whirl::wasm::text
