// Types of the component text format: value types (inline non-primitive ones
// hoisted into type definitions of their own, as wasm-tools does, without
// deduplication), function, component, instance and resource types, core
// function and module types, and the item signatures of imports and exports.
//
// Each definition first hoists its inline types, then resolves its
// references (hoist_valtype leaves $names pending; write_valtype resolves
// them), so hoisted types and implicit aliases land where wasm-tools puts
// them.
#include "wasm/text/component_parser.h"

#include "wasm/text/numbers.h"

namespace whirl::wasm::text::comp {
namespace {

uint8_t primitive(std::string_view s) {
  static const struct { const char* name; uint8_t code; } kPrims[] = {
      {"bool", 0x7f}, {"s8", 0x7e}, {"u8", 0x7d}, {"s16", 0x7c}, {"u16", 0x7b}, {"s32", 0x7a},
      {"u32", 0x79}, {"s64", 0x78}, {"u64", 0x77}, {"f32", 0x76}, {"float32", 0x76}, {"f64", 0x75},
      {"float64", 0x75}, {"char", 0x74}, {"string", 0x73}, {"error-context", 0x64},
  };
  for (const auto& p : kPrims)
    if (s == p.name) return p.code;
  return 0;
}

bool is_index(const Node& n) {
  return n.kind == Node::Kind::Id || (n.kind == Node::Kind::Atom && parse_uint(n.text, 32).has_value());
}

// `(type idx "name"*)`: a reference rather than an inline definition.
bool is_type_ref(const Node& n) {
  if (!n.is_list("type") || n.children.size() < 2 || !is_index(n.children[1])) return false;
  for (size_t k = 2; k < n.children.size(); ++k)
    if (n.children[k].kind != Node::Kind::String) return false;
  return true;
}

// Lists that start an inline value type (what wasm-tools peeks for).
bool is_valtype_list(const Node& n) {
  for (const char* k : {"record", "variant", "list", "map", "tuple", "flags", "enum", "option", "result", "own", "borrow"})
    if (n.is_list(k)) return true;
  return false;
}

const std::string& label(const Node& n) {
  if (n.kind != Node::Kind::String) Parser::fail(n, "unexpected token: expected a string");
  return n.text;
}

}  // namespace

ValRef Parser::hoist_valtype(const Node& n) {
  ValRef v;
  if (n.kind == Node::Kind::Atom) {
    if ((v.prim = primitive(n.text))) return v;
    if (parse_uint(n.text, 32)) return v.ref = &n, v;
  } else if (n.kind == Node::Kind::Id) {
    return v.ref = &n, v;
  } else if (n.is_list()) {
    Writer def;
    defvaltype(n, def);
    v.index = emit_type(std::move(def), nullptr);
    return v;
  }
  fail(n, "unexpected token: expected a value type");
}

void Parser::write_valtype(const ValRef& v, Writer& w) {
  if (v.prim) w.u8(v.prim);
  else w.s64(v.ref ? resolve(*v.ref, Type) : v.index);
}

void Parser::defvaltype(const Node& n, Writer& w) {
  if (!n.is_list()) {
    uint8_t p = n.kind == Node::Kind::Atom ? primitive(n.text) : 0;
    if (!p) fail(n, "unexpected token: expected a defined type");
    w.u8(p);
    return;
  }
  const auto& c = n.children;
  auto one = [&](size_t at) -> const Node& {
    if (at >= c.size()) fail(n, "unexpected token: expected a value type");
    return c[at];
  };
  if (n.is_list("record")) {
    std::vector<ValRef> types;
    for (size_t k = 1; k < c.size(); ++k) {
      if (!c[k].is_list("field") || c[k].children.size() != 3) fail(c[k], "unexpected token: expected (field \"name\" type)");
      label(c[k].children[1]);
      types.push_back(hoist_valtype(c[k].children[2]));
    }
    w.u8(0x72);
    w.u32(types.size());
    for (size_t k = 1; k < c.size(); ++k) {
      w.bytes(c[k].children[1].text);
      write_valtype(types[k - 1], w);
    }
  } else if (n.is_list("variant")) {
    std::vector<std::optional<ValRef>> types;
    std::vector<std::string> names, ids;
    for (size_t k = 1; k < c.size(); ++k) {
      const Node& cs = c[k];
      if (!cs.is_list("case")) fail(cs, "unexpected token: expected (case \"name\" type?)");
      size_t j = 1;
      if (j < cs.children.size() && cs.children[j].kind == Node::Kind::Id) {
        for (const auto& seen : ids)
          if (seen == cs.children[j].text) fail(cs.children[j], "duplicate variant case identifier");
        ids.push_back(cs.children[j++].text);
      }
      if (j >= cs.children.size()) fail(cs, "unexpected token: expected a case name");
      names.push_back(label(cs.children[j++]));
      std::optional<ValRef> t;
      if (j < cs.children.size() && (is_index(cs.children[j]) || cs.children[j].kind == Node::Kind::Atom ||
                                     is_valtype_list(cs.children[j])))
        t = hoist_valtype(cs.children[j++]);
      if (j != cs.children.size()) fail(cs.children[j], "unexpected token");
      types.push_back(t);
    }
    w.u8(0x71);
    w.u32(types.size());
    for (size_t k = 0; k < types.size(); ++k) {
      w.bytes(names[k]);
      if (types[k]) {
        w.u8(0x01);
        write_valtype(*types[k], w);
      } else {
        w.u8(0x00);
      }
      w.u8(0x00);
    }
  } else if (n.is_list("list")) {
    ValRef t = hoist_valtype(one(1));
    std::optional<uint64_t> len;
    if (c.size() == 3) {
      len = c[2].kind == Node::Kind::Atom ? parse_uint(c[2].text, 32) : std::nullopt;
      if (!len) fail(c[2], "unexpected token: expected a length");
    } else if (c.size() != 2) {
      fail(n, "unexpected token");
    }
    w.u8(len ? 0x67 : 0x70);
    write_valtype(t, w);
    if (len) w.u32(*len);
  } else if (n.is_list("map")) {
    if (c.size() != 3) fail(n, "unexpected token: expected (map key value)");
    ValRef k = hoist_valtype(c[1]), v = hoist_valtype(c[2]);
    w.u8(0x63);
    write_valtype(k, w);
    write_valtype(v, w);
  } else if (n.is_list("tuple")) {
    std::vector<ValRef> types;
    for (size_t k = 1; k < c.size(); ++k) types.push_back(hoist_valtype(c[k]));
    w.u8(0x6f);
    w.u32(types.size());
    for (const auto& t : types) write_valtype(t, w);
  } else if (n.is_list("flags") || n.is_list("enum")) {
    w.u8(n.is_list("flags") ? 0x6e : 0x6d);
    w.u32(c.size() - 1);
    for (size_t k = 1; k < c.size(); ++k) w.bytes(label(c[k]));
  } else if (n.is_list("option")) {
    if (c.size() != 2) fail(n, "unexpected token: expected (option type)");
    ValRef t = hoist_valtype(c[1]);
    w.u8(0x6b);
    write_valtype(t, w);
  } else if (n.is_list("result")) {
    size_t k = 1;
    std::optional<ValRef> ok, err;
    if (k < c.size() && !c[k].is_list("error")) ok = hoist_valtype(c[k++]);
    if (k < c.size() && c[k].is_list("error")) {
      if (c[k].children.size() != 2) fail(c[k], "unexpected token: expected (error type)");
      err = hoist_valtype(c[k++].children[1]);
    }
    if (k != c.size()) fail(c[k], "unexpected token");
    w.u8(0x6a);
    for (const auto& t : {ok, err}) {
      if (!t) {
        w.u8(0x00);
      } else {
        w.u8(0x01);
        write_valtype(*t, w);
      }
    }
  } else if (n.is_list("own") || n.is_list("borrow")) {
    if (c.size() != 2) fail(n, "unexpected token: expected a resource type index");
    w.u8(n.is_list("own") ? 0x69 : 0x68);
    w.u32(resolve(c[1], Type));
  } else if (n.is_list("stream") || n.is_list("future")) {
    std::optional<ValRef> t;
    if (c.size() == 2) t = hoist_valtype(c[1]);
    else if (c.size() != 1) fail(n, "unexpected token");
    w.u8(n.is_list("stream") ? 0x66 : 0x65);
    if (!t) {
      w.u8(0x00);
    } else {
      w.u8(0x01);
      write_valtype(*t, w);
    }
  } else {
    fail(n, "unexpected token: expected a defined type");
  }
}

void Parser::functype(const Node& f, size_t& i, Writer& w) {
  const auto& c = f.children;
  bool async = false;
  if (i < c.size() && c[i].is_atom("async")) async = true, ++i;
  std::vector<std::pair<std::string, ValRef>> params;
  for (; i < c.size() && c[i].is_list("param"); ++i) {
    if (c[i].children.size() != 3) fail(c[i], "unexpected token: expected (param \"name\" type)");
    params.emplace_back(label(c[i].children[1]), hoist_valtype(c[i].children[2]));
  }
  std::optional<ValRef> result;
  if (i < c.size() && c[i].is_list("result")) {
    if (c[i].children.size() != 2) fail(c[i], "unexpected token: expected (result type)");
    result = hoist_valtype(c[i].children[1]);
    ++i;
  }
  w.u8(async ? 0x43 : 0x40);
  w.u32(params.size());
  for (const auto& [name, t] : params) {
    w.bytes(name);
    write_valtype(t, w);
  }
  if (result) {
    w.u8(0x00);
    write_valtype(*result, w);
  } else {
    w.u8(0x01);
    w.u8(0x00);
  }
}

void Parser::resource_type(const Node& r, Writer& w) {
  const auto& c = r.children;
  if (c.size() < 2 || !c[1].is_list("rep") || c[1].children.size() != 2) fail(r, "unexpected token: expected (rep i32)");
  uint8_t rep = core_valtype(c[1].children[1]);
  std::optional<uint32_t> dtor;
  if (c.size() == 3) {
    if (!c[2].is_list("dtor") || c[2].children.size() != 2) fail(c[2], "unexpected token: expected (dtor ...)");
    dtor = core_prefixed_ref(c[2].children[1], CoreFunc, "func");
  } else if (c.size() != 2) {
    fail(c[3], "unexpected token");
  }
  w.u8(0x3f);
  w.u8(rep);
  if (dtor) {
    w.u8(0x01);
    w.u32(*dtor);
  } else {
    w.u8(0x00);
  }
}

void Parser::deftype(const Node& f, size_t i, Writer& w) {
  if (i + 1 != f.children.size()) fail(i < f.children.size() ? f.children[i + 1] : f, "unexpected token");
  const Node& d = f.children[i];
  size_t k = 1;
  if (d.is_list("func")) {
    functype(d, k, w);
    if (k != d.children.size()) fail(d.children[k], "unexpected token");
  } else if (d.is_list("component")) {
    component_type(d, 1, "", w);
  } else if (d.is_list("instance")) {
    instance_type(d, 1, "", w);
  } else if (d.is_list("resource")) {
    resource_type(d, w);
  } else {
    defvaltype(d, w);
  }
}

void Parser::type_field(const Node& f, bool allow_exports) {
  size_t i = 1;
  const Node* id = i < f.children.size() && f.children[i].kind == Node::Kind::Id ? &f.children[i++] : nullptr;
  std::vector<std::string> exports;
  if (allow_exports) i = inline_exports(f, i, exports);
  if (i >= f.children.size()) fail(f, "unexpected token: expected a type definition");
  Writer def;
  const Node& d = f.children[i];
  // Component and instance types are scopes named by the type's id (for
  // `alias outer $T ...` inside them).
  if (d.is_list("component") && i + 1 == f.children.size()) component_type(d, 1, id ? id->text : "", def);
  else if (d.is_list("instance") && i + 1 == f.children.size()) instance_type(d, 1, id ? id->text : "", def);
  else deftype(f, i, def);
  uint32_t index = emit_type(std::move(def), id);
  append_exports(exports, Type, index);
}

void Parser::component_type(const Node& f, size_t i, const std::string& id, Writer& w) {
  declarations(f, i, id, w, true);
}

void Parser::instance_type(const Node& f, size_t i, const std::string& id, Writer& w) {
  declarations(f, i, id, w, false);
}

// A component type's or an instance type's declarators (an instance type
// has no imports), in their own scope.
void Parser::declarations(const Node& f, size_t i, const std::string& id, Writer& w, bool component) {
  Scope scope;
  scope.kind = component ? Scope::Kind::ComponentType : Scope::Kind::InstanceType;
  scope.id = id;
  stack_.push_back(&scope);
  for (; i < f.children.size(); ++i) {
    const Node& d = f.children[i];
    if (d.is_list("core") && d.children.size() > 1 && d.children[1].is_atom("type")) core_type_field(d);
    else if (d.is_list("type")) type_field(d, false);
    else if (d.is_list("alias")) alias(d, true);
    else if (component && d.is_list("import")) import(d, true);
    else if (d.is_list("export")) export_decl(d);
    else fail(d, component ? "unexpected token: expected a component type declaration"
                           : "unexpected token: expected an instance type declaration");
  }
  stack_.pop_back();
  w.u8(component ? 0x41 : 0x42);
  w.u32(scope.decl_count);
  w.append(scope.decls);
}

uint8_t Parser::core_valtype(const Node& n) {
  static const struct { const char* name; uint8_t code; } kTypes[] = {
      {"i32", 0x7f}, {"i64", 0x7e}, {"f32", 0x7d}, {"f64", 0x7c}, {"v128", 0x7b}, {"funcref", 0x70}, {"externref", 0x6f},
  };
  if (n.kind == Node::Kind::Atom)
    for (const auto& t : kTypes)
      if (n.text == t.name) return t.code;
  fail(n, "unexpected token: expected a core value type");
}

void Parser::core_functype(const Node& f, size_t& i, Writer& w) {
  const auto& c = f.children;
  std::vector<uint8_t> params, results;
  for (; i < c.size() && c[i].is_list("param"); ++i) {
    const Node& p = c[i];
    if (p.children.size() >= 2 && p.children[1].kind == Node::Kind::Id) {
      if (p.children.size() != 3) fail(p, "unexpected token");
      params.push_back(core_valtype(p.children[2]));
    } else {
      for (size_t k = 1; k < p.children.size(); ++k) params.push_back(core_valtype(p.children[k]));
    }
  }
  for (; i < c.size() && c[i].is_list("result"); ++i)
    for (size_t k = 1; k < c[i].children.size(); ++k) results.push_back(core_valtype(c[i].children[k]));
  w.u8(0x60);
  w.u32(params.size());
  for (uint8_t t : params) w.u8(t);
  w.u32(results.size());
  for (uint8_t t : results) w.u8(t);
}

void Parser::core_type_field(const Node& f) {
  size_t i = 2;
  const Node* id = i < f.children.size() && f.children[i].kind == Node::Kind::Id ? &f.children[i++] : nullptr;
  if (i + 1 != f.children.size()) fail(i < f.children.size() ? f.children[i + 1] : f, "unexpected token: expected a core type");
  const Node& d = f.children[i];
  Writer def;
  if (d.is_list("func")) {
    size_t k = 1;
    core_functype(d, k, def);
    if (k != d.children.size()) fail(d.children[k], "unexpected token");
  } else if (d.is_list("module")) {
    module_type(d, 1, id ? id->text : "", def);
  } else {
    fail(d, "unexpected token: only core function and module types are supported");
  }
  emit_core_type(std::move(def), id);
}

// A core function type use inside a module type: `(type idx)` (any inline
// signature beside it is ignored, as in wasm-tools) or an inline signature,
// which reuses an equal earlier explicit `(type (func ...))` or becomes a new
// type (wasm-tools does not reuse the ones it generated).
uint32_t Parser::core_type_use(const Node& f, size_t& i) {
  const auto& c = f.children;
  if (i < c.size() && c[i].is_list("type")) {
    if (c[i].children.size() != 2) fail(c[i], "unexpected token: expected (type idx)");
    uint32_t index = resolve(c[i].children[1], CoreType);
    ++i;
    Writer ignored;
    core_functype(f, i, ignored);
    return index;
  }
  Writer def;
  core_functype(f, i, def);
  auto it = cur().func_types.find(def.b);
  if (it != cur().func_types.end()) return it->second;
  return emit_core_type(std::move(def), nullptr);
}

void Parser::limits(const Node& n, size_t& i, Writer& w) {
  const auto& c = n.children;
  auto num = [&](size_t at) { return at < c.size() && c[at].kind == Node::Kind::Atom ? parse_uint(c[at].text, 64) : std::nullopt; };
  auto min = num(i);
  if (!min) fail(i < c.size() ? c[i] : n, "unexpected token: expected limits");
  ++i;
  auto max = num(i);
  if (max) ++i;
  w.u8(max ? 0x01 : 0x00);
  w.u32(*min);
  if (max) w.u32(*max);
}

void Parser::core_externtype(const Node& n, Writer& w) {
  const auto& c = n.children;
  size_t i = 1;
  if (i < c.size() && c[i].kind == Node::Kind::Id) ++i;
  if (n.is_list("func") || n.is_list("tag")) {
    uint32_t type = core_type_use(n, i);
    if (n.is_list("tag")) w.u8(0x04), w.u8(0x00);
    else w.u8(0x00);
    w.u32(type);
  } else if (n.is_list("memory")) {
    w.u8(0x02);
    limits(n, i, w);
  } else if (n.is_list("table")) {
    Writer l;
    limits(n, i, l);
    if (i >= c.size()) fail(n, "unexpected token: expected a reference type");
    w.u8(0x01);
    w.u8(core_valtype(c[i++]));
    w.append(l);
  } else if (n.is_list("global")) {
    if (i >= c.size()) fail(n, "unexpected token: expected a global type");
    w.u8(0x03);
    if (c[i].is_list("mut")) {
      if (c[i].children.size() != 2) fail(c[i], "unexpected token");
      w.u8(core_valtype(c[i].children[1]));
      w.u8(0x01);
    } else {
      w.u8(core_valtype(c[i]));
      w.u8(0x00);
    }
    ++i;
  } else {
    fail(n, "unexpected token: expected a core extern type");
  }
  if (i != c.size()) fail(c[i], "unexpected token");
}

void Parser::module_type(const Node& f, size_t i, const std::string& id, Writer& w) {
  Scope scope;
  scope.kind = Scope::Kind::ModuleType;
  scope.id = id;
  stack_.push_back(&scope);
  for (; i < f.children.size(); ++i) {
    const Node& d = f.children[i];
    const auto& c = d.children;
    if (d.is_list("type")) {
      size_t k = 1;
      const Node* tid = k < c.size() && c[k].kind == Node::Kind::Id ? &c[k++] : nullptr;
      if (k + 1 != c.size() || !c[k].is_list("func")) fail(d, "unexpected token: expected (type (func ...))");
      Writer def;
      size_t j = 1;
      core_functype(c[k], j, def);
      if (j != c[k].children.size()) fail(c[k].children[j], "unexpected token");
      std::vector<uint8_t> key = def.b;
      uint32_t index = emit_core_type(std::move(def), tid);
      scope.func_types[std::move(key)] = index;  // the latest equal one is reused
    } else if (d.is_list("alias")) {
      if (c.size() != 5 || !c[1].is_atom("outer") || !c[4].is_list("type") || c[4].children.size() > 2)
        fail(d, "unexpected token: expected (alias outer $outer $index (type $id?))");
      uint32_t depth = 0;
      uint32_t index = resolve_outer_alias(c[2], c[3], CoreType, depth);
      Writer a;
      a.u8(0x10);
      a.u8(0x01);
      a.u32(depth);
      a.u32(index);
      emit_decl(0x02, a);
      define(CoreType, c[4].children.size() == 2 ? &c[4].children[1] : nullptr);
    } else if (d.is_list("import")) {
      if (c.size() != 4 || c[1].kind != Node::Kind::String || c[2].kind != Node::Kind::String)
        fail(d, "unexpected token: expected (import \"module\" \"name\" type)");
      Writer imp;
      imp.bytes(c[1].text);
      imp.bytes(c[2].text);
      core_externtype(c[3], imp);
      emit_decl(0x00, imp);
    } else if (d.is_list("export")) {
      if (c.size() != 3 || c[1].kind != Node::Kind::String) fail(d, "unexpected token: expected (export \"name\" type)");
      Writer exp;
      exp.bytes(c[1].text);
      core_externtype(c[2], exp);
      emit_decl(0x03, exp);
    } else {
      fail(d, "unexpected token: expected a module type declaration");
    }
  }
  stack_.pop_back();
  w.u8(0x50);
  w.u32(scope.decl_count);
  w.append(scope.decls);
}

uint32_t Parser::type_use(const Node& f, size_t& i, Ns kind, const std::string& what) {
  const auto& c = f.children;
  if (i < c.size() && is_type_ref(c[i])) return item_ref(c[i++], 1, Type);
  Writer def;
  if (kind == Func) {
    functype(f, i, def);
  } else if (kind == Component) {
    component_type(f, i, "", def);
    i = c.size();
  } else {
    instance_type(f, i, "", def);
    i = c.size();
  }
  return emit_type(std::move(def), nullptr);
}

Ns Parser::item_sig(const Node& sig, bool allow_id, Writer& w, const Node** id_out) {
  const auto& c = sig.children;
  size_t i = sig.is_list("core") ? 2 : 1;
  if (sig.is_list("core") && !(c.size() > 1 && c[1].is_atom("module")))
    fail(sig, "unexpected token: expected `core module`");
  const Node* id = nullptr;
  if (allow_id && i < c.size() && c[i].kind == Node::Kind::Id) id = &c[i++];
  if (id_out) *id_out = id;
  Ns ns;
  if (sig.is_list("core")) {
    uint32_t type;
    if (i < c.size() && c[i].is_list("type") && c[i].children.size() >= 2 && !c[i].children[1].is_list()) {
      type = core_item_ref(c[i++], 1, CoreType);
    } else {
      Writer def;
      module_type(sig, i, "", def);
      i = c.size();
      type = emit_core_type(std::move(def), nullptr);
    }
    w.u8(0x00);
    w.u8(0x11);
    w.u32(type);
    ns = CoreModule;
  } else if (sig.is_list("func") || sig.is_list("component") || sig.is_list("instance")) {
    ns = sig.is_list("func") ? Func : sig.is_list("component") ? Component : Instance;
    uint32_t type = type_use(sig, i, ns, "");
    w.u8(ns == Func ? 0x01 : ns == Component ? 0x04 : 0x05);
    w.u32(type);
  } else if (sig.is_list("value")) {
    if (i + 1 != c.size()) fail(sig, "unexpected token: expected a value type");
    ValRef v = is_type_ref(c[i]) && c[i].children.size() == 2 ? ValRef{0, &c[i].children[1], 0} : hoist_valtype(c[i]);
    ++i;
    w.u8(0x02);
    w.u8(0x01);
    write_valtype(v, w);
    ns = Value;
  } else if (sig.is_list("type")) {
    if (i >= c.size()) fail(sig, "unexpected token: expected (eq idx) or (sub resource)");
    const Node& b = c[i++];
    w.u8(0x03);
    if (b.is_list("eq") && b.children.size() == 2) {
      w.u8(0x00);
      w.u32(resolve(b.children[1], Type));
    } else if (b.is_list("sub") && b.children.size() == 2 && b.children[1].is_atom("resource")) {
      w.u8(0x01);
    } else {
      fail(b, "unexpected token: expected (eq idx) or (sub resource)");
    }
    ns = Type;
  } else {
    fail(sig, "unexpected token: expected core module, func, component, instance, value or type");
  }
  if (i != c.size()) fail(c[i], "unexpected token");
  return ns;
}

}  // namespace whirl::wasm::text::comp
