// component_to_binary: the component's definitions (modules, instances,
// aliases, imports, exports, start, custom sections); types are in
// component_types.cc, canon and func forms in component_canon.cc.
#include "wasm/text/component_text.h"

#include "wasm/text/component_parser.h"

namespace whirl::wasm::text {
namespace comp {

std::vector<uint8_t> Parser::component(const Node& n, size_t start, const std::string& id) {
  Scope scope;
  scope.kind = Scope::Kind::Component;
  scope.id = id;
  stack_.push_back(&scope);
  for (size_t i = start; i < n.children.size(); ++i) field(n.children[i]);
  auto bytes = finish_component();
  stack_.pop_back();
  return bytes;
}

void Parser::field(const Node& f) {
  if (!f.is_list() || f.children.empty() || f.children[0].kind != Node::Kind::Atom)
    fail(f, "expected valid component field");
  const std::string& k = f.children[0].text;
  if (k == "core") {
    const Node* second = f.children.size() > 1 ? &f.children[1] : nullptr;
    if (second && second->is_atom("module")) return core_module(f);
    if (second && second->is_atom("instance")) return core_instance(f);
    if (second && second->is_atom("type")) return core_type_field(f);
    if (second && second->is_atom("func")) return core_func(f);
    if (second && second->is_atom("rec")) fail(f, "core rec groups are not supported");
    fail(f, "expected valid component field");
  }
  if (k == "component") return nested_component(f);
  if (k == "instance") return instance(f);
  if (k == "alias") return alias(f, false);
  if (k == "type") return type_field(f, true);
  if (k == "import") return import(f, false);
  if (k == "func") return func(f);
  if (k == "export") return export_(f);
  if (k == "start") return start(f);
  if (k == "canon") return canon(f);
  if (k == "@custom") return custom(f);
  if (k == "value") fail(f, "value definitions are not supported");
  fail(f, "expected valid component field");
}

size_t Parser::inline_exports(const Node& f, size_t i, std::vector<std::string>& names) {
  while (i < f.children.size() && f.children[i].is_list("export") && f.children[i].children.size() == 2 &&
         f.children[i].children[1].kind == Node::Kind::String)
    names.push_back(f.children[i++].children[1].text);
  return i;
}

void Parser::append_exports(const std::vector<std::string>& names, Ns ns, uint32_t index) {
  for (const auto& name : names) {
    Writer e;
    e.u8(0x00);
    e.bytes(name);
    write_sort(e, ns);
    e.u32(index);
    e.u8(0x00);  // no ascribed type
    cur().appended.push_back({11, std::move(e.b)});
    cur().appended_ns.push_back(ns);
  }
}

const Node* Parser::inline_import(const Node& f, size_t& i) {
  if (i < f.children.size() && f.children[i].is_list("import") && f.children[i].children.size() == 2 &&
      f.children[i].children[1].kind == Node::Kind::String)
    return &f.children[i++];
  return nullptr;
}

// externname with its attributes, in the one order wasm-tools accepts them.
void Parser::extern_name(const Node& f, size_t& i, Writer& w) {
  const auto& c = f.children;
  std::string name;
  if (i < c.size() && c[i].kind == Node::Kind::String) {
    name = c[i++].text;
  } else if (i < c.size() && c[i].is_list("interface") && c[i].children.size() == 2 &&
             c[i].children[1].kind == Node::Kind::String) {
    name = c[i++].children[1].text;  // the old `(interface "...")` form
  } else {
    fail(i < c.size() ? c[i] : f, "unexpected token: expected a name string");
  }
  static const char* const kAttrs[] = {"implements", "versionsuffix", "external-id"};
  Writer attrs;
  uint32_t count = 0;
  for (uint8_t code = 0; code < 3; ++code) {
    if (i < c.size() && c[i].is_list(kAttrs[code])) {
      if (c[i].children.size() != 2 || c[i].children[1].kind != Node::Kind::String)
        fail(c[i], "unexpected token: expected a string");
      attrs.u8(code);
      attrs.bytes(c[i].children[1].text);
      ++count;
      ++i;
    }
  }
  w.u8(count ? 0x02 : 0x00);
  w.bytes(name);
  if (count) {
    w.u32(count);
    w.append(attrs);
  }
}

// `(core module idx "name"*)`, `(func ...)`, `(value ...)`, `(type ...)`,
// `(component ...)` or `(instance ...)`: a sortidx.
void Parser::sortidx(const Node& ref, Writer& w, Ns* ns_out) {
  const auto& c = ref.children;
  if (!ref.is_list() || c.empty()) fail(ref, "unexpected token: expected an item reference");
  Ns ns;
  uint32_t index;
  if (ref.is_list("core")) {
    if (c.size() < 2 || !c[1].is_atom("module")) fail(ref, "unexpected token: expected `core module`");
    ns = CoreModule;
    index = item_ref(ref, 2, ns);
  } else {
    if (ref.is_list("func")) ns = Func;
    else if (ref.is_list("value")) ns = Value;
    else if (ref.is_list("type")) ns = Type;
    else if (ref.is_list("component")) ns = Component;
    else if (ref.is_list("instance")) ns = Instance;
    else fail(ref, "unexpected token: expected an item reference");
    index = item_ref(ref, 1, ns);
  }
  write_sort(w, ns);
  w.u32(index);
  if (ns_out) *ns_out = ns;
}

void Parser::core_module(const Node& f) {
  size_t i = 2;
  const Node* id = i < f.children.size() && f.children[i].kind == Node::Kind::Id ? &f.children[i++] : nullptr;
  std::vector<std::string> exports;
  i = inline_exports(f, i, exports);
  uint32_t index;
  if (const Node* imp = inline_import(f, i)) {
    uint32_t type;
    if (i < f.children.size() && f.children[i].is_list("type") && f.children[i].children.size() >= 2 &&
        !f.children[i].children[1].is_list()) {
      type = core_item_ref(f.children[i], 1, CoreType);
      ++i;
      if (i != f.children.size()) fail(f.children[i], "unexpected token");
    } else {
      Writer def;
      module_type(f, i, "", def);
      type = emit_core_type(std::move(def), nullptr);
    }
    size_t k = 1;
    Writer w;
    extern_name(*imp, k, w);
    w.u8(0x00);
    w.u8(0x11);
    w.u32(type);
    emit_piece(10, std::move(w));
    index = define(CoreModule, id);
  } else {
    std::vector<const Node*> fields;
    for (; i < f.children.size(); ++i) fields.push_back(&f.children[i]);
    WatModule module;
    auto bytes = module.translate(fields);
    if (!bytes) throw Fail{bytes.error().message};
    Writer w;
    w.b = std::move(*bytes);
    emit_piece(1, std::move(w));
    index = define(CoreModule, id);
  }
  append_exports(exports, CoreModule, index);
}

// (export "name" (func|table|memory|global|tag idx "name"?))*
void Parser::core_inline_exports(const Node& f, size_t i, Writer& w) {
  w.u32(f.children.size() - i);
  for (; i < f.children.size(); ++i) {
    const Node& e = f.children[i];
    if (!e.is_list("export") || e.children.size() != 3 || e.children[1].kind != Node::Kind::String)
      fail(e, "unexpected token: expected (export \"name\" (kind idx))");
    const Node& item = e.children[2];
    static const struct { const char* kw; Ns ns; uint8_t code; } kKinds[] = {
        {"func", CoreFunc, 0x00}, {"table", CoreTable, 0x01}, {"memory", CoreMemory, 0x02},
        {"global", CoreGlobal, 0x03}, {"tag", CoreTag, 0x04},
    };
    bool found = false;
    for (const auto& k : kKinds) {
      if (!item.is_list(k.kw)) continue;
      uint32_t index = core_item_ref(item, 1, k.ns);
      w.bytes(e.children[1].text);
      w.u8(k.code);
      w.u32(index);
      found = true;
      break;
    }
    if (!found) fail(item, "unexpected token: expected a core export kind");
  }
}

static bool is_index(const Node& n) { return n.kind == Node::Kind::Id || n.kind == Node::Kind::Atom; }

void Parser::core_instance(const Node& f) {
  size_t i = 2;
  const Node* id = i < f.children.size() && f.children[i].kind == Node::Kind::Id ? &f.children[i++] : nullptr;
  Writer w;
  if (i < f.children.size() && f.children[i].is_list("instantiate")) {
    const Node& in = f.children[i];
    if (i + 1 != f.children.size()) fail(f.children[i + 1], "unexpected token");
    if (in.children.size() < 2) fail(in, "unexpected token: expected a module index");
    // Bundles of exports in arguments become instances of their own first.
    std::vector<uint32_t> bundles(in.children.size(), 0);
    for (size_t k = 2; k < in.children.size(); ++k) {
      const Node& a = in.children[k];
      if (!a.is_list("with") || a.children.size() != 3 || a.children[1].kind != Node::Kind::String ||
          !a.children[2].is_list("instance"))
        fail(a, "unexpected token: expected (with \"name\" (instance ...))");
      const Node& inst = a.children[2];
      if (inst.children.size() >= 2 && is_index(inst.children[1])) continue;
      Writer b;
      b.u8(0x01);
      core_inline_exports(inst, 1, b);
      emit_piece(2, std::move(b));
      bundles[k] = define(CoreInstance, nullptr) + 1;
    }
    uint32_t module = index_or_ref(in.children[1], CoreModule, "module");
    w.u8(0x00);
    w.u32(module);
    w.u32(in.children.size() - 2);
    for (size_t k = 2; k < in.children.size(); ++k) {
      const Node& a = in.children[k];
      uint32_t index = bundles[k] ? bundles[k] - 1 : core_item_ref(a.children[2], 1, CoreInstance);
      w.bytes(a.children[1].text);
      w.u8(0x12);
      w.u32(index);
    }
  } else {
    w.u8(0x01);
    core_inline_exports(f, i, w);
  }
  emit_piece(2, std::move(w));
  define(CoreInstance, id);
}

uint32_t Parser::imported_definition(const Node& f, size_t& i, const Node& imp, Ns ns, uint8_t kind,
                                     const char* what, const Node* id) {
  uint32_t type = type_use(f, i, ns, what);
  if (i != f.children.size()) fail(f.children[i], "unexpected token");
  size_t k = 1;
  Writer w;
  extern_name(imp, k, w);
  w.u8(kind);
  w.u32(type);
  emit_piece(10, std::move(w));
  return define(ns, id);
}

void Parser::nested_component(const Node& f) {
  size_t i = 1;
  const Node* id = i < f.children.size() && f.children[i].kind == Node::Kind::Id ? &f.children[i++] : nullptr;
  std::vector<std::string> exports;
  i = inline_exports(f, i, exports);
  uint32_t index;
  if (const Node* imp = inline_import(f, i)) {
    index = imported_definition(f, i, *imp, Component, 0x04, "component", id);
  } else {
    Writer w;
    w.b = component(f, i, id ? id->text : "");
    emit_piece(4, std::move(w));
    index = define(Component, id);
  }
  append_exports(exports, Component, index);
}

void Parser::instance(const Node& f) {
  size_t i = 1;
  const Node* id = i < f.children.size() && f.children[i].kind == Node::Kind::Id ? &f.children[i++] : nullptr;
  std::vector<std::string> exports;
  i = inline_exports(f, i, exports);
  // (export $id? "name" attrs* (sort idx "name"*) externtype?)* of a bundle:
  // the id and ascribed type are accepted and not encoded, as in wasm-tools.
  auto bundle = [&](const Node& list, size_t from, Writer& w) {
    w.u32(list.children.size() - from);
    for (size_t k = from; k < list.children.size(); ++k) {
      const Node& e = list.children[k];
      if (!e.is_list("export")) fail(e, "unexpected token: expected (export ...)");
      size_t j = 1;
      if (j < e.children.size() && e.children[j].kind == Node::Kind::Id) ++j;
      extern_name(e, j, w);
      if (j >= e.children.size()) fail(e, "unexpected token: expected an item reference");
      sortidx(e.children[j], w, nullptr);
    }
  };
  uint32_t index;
  if (const Node* imp = inline_import(f, i)) {
    index = imported_definition(f, i, *imp, Instance, 0x05, "instance", id);
  } else if (i < f.children.size() && f.children[i].is_list("instantiate")) {
    const Node& in = f.children[i];
    if (i + 1 != f.children.size()) fail(f.children[i + 1], "unexpected token");
    if (in.children.size() < 2) fail(in, "unexpected token: expected a component index");
    std::vector<uint32_t> bundles(in.children.size(), 0);
    for (size_t k = 2; k < in.children.size(); ++k) {
      const Node& a = in.children[k];
      if (!a.is_list("with") || a.children.size() != 3 || a.children[1].kind != Node::Kind::String)
        fail(a, "unexpected token: expected (with \"name\" item)");
      const Node& item = a.children[2];
      if (!item.is_list("instance") || (item.children.size() >= 2 && is_index(item.children[1]))) continue;
      Writer b;
      b.u8(0x01);
      bundle(item, 1, b);
      emit_piece(5, std::move(b));
      bundles[k] = define(Instance, nullptr) + 1;
    }
    uint32_t comp = index_or_ref(in.children[1], Component, "component");
    Writer w;
    w.u8(0x00);
    w.u32(comp);
    w.u32(in.children.size() - 2);
    for (size_t k = 2; k < in.children.size(); ++k) {
      const Node& a = in.children[k];
      w.bytes(a.children[1].text);
      if (bundles[k]) {
        write_sort(w, Instance);
        w.u32(bundles[k] - 1);
      } else {
        sortidx(a.children[2], w, nullptr);
      }
    }
    emit_piece(5, std::move(w));
    index = define(Instance, id);
  } else {
    Writer w;
    w.u8(0x01);
    bundle(f, i, w);
    emit_piece(5, std::move(w));
    index = define(Instance, id);
  }
  append_exports(exports, Instance, index);
}

// The sort of an alias target: `(core module $id?)`, `(func $id?)`, ...;
// `j` is left at the optional id.
static Ns alias_sort(const Node& s, size_t& j) {
  const auto& c = s.children;
  if (!s.is_list() || c.empty()) Parser::fail(s, "unexpected token: expected a sort");
  if (s.is_list("core")) {
    j = 2;
    static const struct { const char* kw; Ns ns; } kCore[] = {
        {"func", CoreFunc}, {"table", CoreTable}, {"memory", CoreMemory}, {"global", CoreGlobal},
        {"tag", CoreTag}, {"type", CoreType}, {"module", CoreModule}, {"instance", CoreInstance},
    };
    for (const auto& k : kCore)
      if (c.size() > 1 && c[1].is_atom(k.kw)) return k.ns;
    Parser::fail(s, "unexpected token: expected a core sort");
  }
  j = 1;
  static const struct { const char* kw; Ns ns; } kSorts[] = {
      {"func", Func}, {"value", Value}, {"type", Type}, {"component", Component}, {"instance", Instance},
  };
  for (const auto& k : kSorts)
    if (s.is_list(k.kw)) return k.ns;
  Parser::fail(s, "unexpected token: expected a sort");
}

void Parser::alias(const Node& f, bool in_type) {
  const auto& c = f.children;
  auto target = [&](size_t at, size_t& j) -> Ns {
    if (at + 1 != c.size()) fail(at < c.size() ? c[at] : f, "unexpected token: expected (sort $id?)");
    Ns ns = alias_sort(c[at], j);
    if (j + (j < c[at].children.size() && c[at].children[j].kind == Node::Kind::Id) != c[at].children.size())
      fail(c[at], "unexpected token");
    return ns;
  };
  auto id_of = [&](size_t at, size_t j) -> const Node* {
    return j < c[at].children.size() ? &c[at].children[j] : nullptr;
  };
  Writer a;
  size_t j = 0;
  if (c.size() > 1 && c[1].is_atom("export")) {
    if (c.size() < 4 || c[3].kind != Node::Kind::String) fail(f, "unexpected token: expected an export name");
    Ns ns = target(4, j);
    if (ns <= CoreInstance && ns != CoreModule) fail(c[4], "unexpected token: expected a component sort");
    uint32_t inst = resolve(c[2], Instance);
    write_sort(a, ns);
    a.u8(0x00);
    a.u32(inst);
    a.bytes(c[3].text);
    emit_alias(std::move(a), ns, id_of(4, j));
  } else if (c.size() > 2 && c[1].is_atom("core") && c[2].is_atom("export")) {
    if (c.size() < 5 || c[4].kind != Node::Kind::String) fail(f, "unexpected token: expected an export name");
    Ns ns = target(5, j);
    if (ns != CoreFunc && ns != CoreTable && ns != CoreMemory && ns != CoreGlobal && ns != CoreTag)
      fail(c[5], "unexpected token: expected a core export kind");
    uint32_t inst = resolve(c[3], CoreInstance);
    write_sort(a, ns);
    a.u8(0x01);
    a.u32(inst);
    a.bytes(c[4].text);
    emit_alias(std::move(a), ns, id_of(5, j));
  } else if (c.size() > 1 && c[1].is_atom("outer")) {
    if (c.size() < 4) fail(f, "unexpected token: expected an outer count and index");
    Ns ns = target(4, j);
    if (ns != CoreModule && ns != CoreType && ns != Type && ns != Component)
      fail(c[4], "unexpected token: expected core module, core type, type or component");
    uint32_t depth = 0;
    uint32_t index = resolve_outer_alias(c[2], c[3], ns, depth);
    write_sort(a, ns);
    a.u8(0x02);
    a.u32(depth);
    a.u32(index);
    emit_alias(std::move(a), ns, id_of(4, j));
  } else {
    fail(f, "unexpected token: expected export, core export or outer");
  }
}

void Parser::import(const Node& f, bool decl) {
  size_t i = 1;
  Writer w;
  extern_name(f, i, w);
  if (i + 1 != f.children.size()) fail(i < f.children.size() ? f.children[i] : f, "unexpected token");
  const Node* id = nullptr;
  Ns ns = item_sig(f.children[i], true, w, &id);
  if (decl) emit_decl(0x03, w);
  else emit_piece(10, std::move(w));
  define(ns, id);
}

void Parser::export_decl(const Node& f) {
  size_t i = 1;
  Writer w;
  extern_name(f, i, w);
  if (i + 1 != f.children.size()) fail(i < f.children.size() ? f.children[i] : f, "unexpected token");
  const Node* id = nullptr;
  Ns ns = item_sig(f.children[i], true, w, &id);
  emit_decl(0x04, w);
  define(ns, id);
}

void Parser::export_(const Node& f) {
  const auto& c = f.children;
  size_t i = 1;
  const Node* id = i < c.size() && c[i].kind == Node::Kind::Id ? &c[i++] : nullptr;
  Writer w;
  extern_name(f, i, w);
  if (i >= c.size()) fail(f, "unexpected token: expected an item reference");
  const Node& ref = c[i++];
  Writer ascribed;
  if (i < c.size()) {
    if (i + 1 != c.size()) fail(c[i + 1], "unexpected token");
    item_sig(c[i], false, ascribed, nullptr);
  }
  Ns ns;
  sortidx(ref, w, &ns);
  if (ascribed.b.empty()) {
    w.u8(0x00);
  } else {
    w.u8(0x01);
    w.append(ascribed);
  }
  emit_piece(11, std::move(w));
  define(ns, id);
}

void Parser::start(const Node& f) {
  const auto& c = f.children;
  if (c.size() < 2) fail(f, "unexpected token: expected a function index");
  uint32_t fn = resolve(c[1], Func);
  std::vector<uint32_t> args;
  std::vector<const Node*> results;
  size_t i = 2;
  for (; i < c.size() && c[i].is_list("value"); ++i) args.push_back(item_ref(c[i], 1, Value));
  for (; i < c.size() && c[i].is_list("result"); ++i) {
    const Node& r = c[i];
    if (r.children.size() != 2 || !r.children[1].is_list("value") || r.children[1].children.size() > 2)
      fail(r, "unexpected token: expected (result (value $id?))");
    results.push_back(r.children[1].children.size() == 2 ? &r.children[1].children[1] : nullptr);
  }
  if (i != c.size()) fail(c[i], "unexpected token");
  Writer w;
  w.u32(fn);
  w.u32(args.size());
  for (uint32_t a : args) w.u32(a);
  w.u32(results.size());
  emit_piece(9, std::move(w));
  for (const Node* r : results) define(Value, r && r->kind == Node::Kind::Id ? r : nullptr);
}

void Parser::custom(const Node& f) {
  const auto& c = f.children;
  if (c.size() < 2 || c[1].kind != Node::Kind::String) fail(f, "unexpected token: expected a custom section name");
  Writer w;
  w.bytes(c[1].text);
  for (size_t i = 2; i < c.size(); ++i) {
    if (c[i].kind != Node::Kind::String) fail(c[i], "unexpected token: expected a string");
    w.b.insert(w.b.end(), c[i].text.begin(), c[i].text.end());
  }
  emit_piece(0, std::move(w));
}

}  // namespace comp

Expected<std::vector<uint8_t>> component_to_binary(std::string_view source) {
  auto nodes = read_sexprs(source);
  if (!nodes) {
    // The reference encoder's wording for the test scripts' escape errors.
    std::string m = nodes.error().message;
    if (auto at = m.find("illegal escape"); at != std::string::npos) m.replace(at, 14, "invalid string escape");
    return make_error(std::move(m));
  }
  try {
    comp::Parser parser;
    if (nodes->size() == 1 && (*nodes)[0].is_list("component")) {
      const Node& c = (*nodes)[0];
      size_t i = 1;
      std::string id;
      for (int k = 0; k < 2 && i < c.children.size(); ++k) {
        if (c.children[i].kind == Node::Kind::Id && id.empty()) id = c.children[i++].text;
        else if (c.children[i].is_atom("definition")) ++i;
      }
      if (i < c.children.size() && (c.children[i].is_atom("binary") || c.children[i].is_atom("quote"))) {
        bool binary = c.children[i].is_atom("binary");
        std::string joined;
        for (size_t k = i + 1; k < c.children.size(); ++k) {
          if (c.children[k].kind != Node::Kind::String)
            comp::Parser::fail(c.children[k], "unexpected token: expected a string");
          joined += c.children[k].text;
        }
        if (binary) return std::vector<uint8_t>(joined.begin(), joined.end());
        return component_to_binary(joined);
      }
      return parser.component(c, i, id);
    }
    // A bare sequence of definitions (the text of `(component quote ...)`).
    Node all;
    all.kind = Node::Kind::List;
    all.children = std::move(*nodes);
    return parser.component(all, 0, "");
  } catch (const Fail& f) {
    return make_error(f.message);
  }
}

}  // namespace whirl::wasm::text
