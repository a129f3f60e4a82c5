// Index spaces, name resolution and emission for the component text format:
// a $name not found in the current scope but in an enclosing one becomes an
// outer alias (as wasm-tools inserts one); `(kind $i "a" "b")` becomes export
// aliases; definitions are grouped into sections as wasm-tools groups them.
#include "wasm/text/component_parser.h"

#include "wasm/text/numbers.h"

namespace whirl::wasm::text::comp {

const char* ns_desc(Ns ns) {
  static const char* const kNames[kNsCount] = {
      "core func", "core table", "core memory", "core global", "core tag", "core type", "core module",
      "core instance", "func", "value", "type", "component", "instance",
  };
  return kNames[ns];
}

static uint8_t core_sort_byte(Ns ns) {
  switch (ns) {
    case CoreFunc: return 0x00;
    case CoreTable: return 0x01;
    case CoreMemory: return 0x02;
    case CoreGlobal: return 0x03;
    case CoreTag: return 0x04;
    case CoreType: return 0x10;
    case CoreModule: return 0x11;
    default: return 0x12;  // CoreInstance
  }
}

void write_sort(Writer& w, Ns ns) {
  switch (ns) {
    case Func: w.u8(0x01); return;
    case Value: w.u8(0x02); return;
    case Type: w.u8(0x03); return;
    case Component: w.u8(0x04); return;
    case Instance: w.u8(0x05); return;
    default:
      w.u8(0x00);
      w.u8(core_sort_byte(ns));
  }
}

void Parser::fail(const Node& at, const std::string& what) { throw Fail{at.where() + ": " + what}; }

uint32_t Parser::define(Ns ns, const Node* id) {
  Scope& s = cur();
  uint32_t index = s.count[ns]++;
  if (id && !s.ids[ns].emplace(id->text, index).second)
    fail(*id, std::string("duplicate ") + ns_desc(ns) + " identifier");
  return index;
}

static bool outer_aliasable(Ns ns) { return ns == CoreModule || ns == CoreType || ns == Type || ns == Component; }

uint32_t Parser::resolve(const Node& idx, Ns ns) {
  if (idx.kind == Node::Kind::Atom) {
    if (auto v = parse_uint(idx.text, 32)) return uint32_t(*v);
    fail(idx, std::string("unexpected token: expected a ") + ns_desc(ns) + " index");
  }
  if (idx.kind != Node::Kind::Id) fail(idx, std::string("unexpected token: expected a ") + ns_desc(ns) + " index");
  // Module types resolve their core types locally only (wasm-tools does not
  // insert outer aliases there).
  size_t scopes = cur().kind == Scope::Kind::ModuleType ? 1 : stack_.size();
  for (size_t depth = 0; depth < scopes; ++depth) {
    Scope& s = *stack_[stack_.size() - 1 - depth];
    auto it = s.ids[ns].find(idx.text);
    if (it == s.ids[ns].end()) continue;
    if (depth == 0) return it->second;
    if (!outer_aliasable(ns))
      fail(idx, "outer item `" + idx.text.substr(1) + "` is not a module, type, or component");
    Writer a;
    write_sort(a, ns);
    a.u8(0x02);
    a.u32(depth);
    a.u32(it->second);
    return emit_alias(std::move(a), ns, &idx);
  }
  fail(idx, std::string("unknown ") + ns_desc(ns) + ": failed to find name `" + idx.text + "`");
}

uint32_t Parser::resolve_outer_alias(const Node& outer, const Node& idx, Ns ns, uint32_t& depth) {
  if (outer.kind == Node::Kind::Id) {
    depth = 0;
    for (; depth < stack_.size(); ++depth)
      if (stack_[stack_.size() - 1 - depth]->id == outer.text) break;
    if (depth == stack_.size()) fail(outer, "outer component `" + outer.text.substr(1) + "` not found");
  } else {
    auto v = outer.kind == Node::Kind::Atom ? parse_uint(outer.text, 32) : std::nullopt;
    if (!v) fail(outer, "unexpected token: expected an outer count");
    depth = uint32_t(*v);
    if (idx.kind == Node::Kind::Atom) {  // both numbers: left to the validator
      auto n = parse_uint(idx.text, 32);
      if (!n) fail(idx, "unexpected token: expected an index");
      return uint32_t(*n);
    }
  }
  if (depth >= stack_.size()) fail(outer, "outer count of `" + std::to_string(depth) + "` is too large");
  Scope& s = *stack_[stack_.size() - 1 - depth];
  if (idx.kind == Node::Kind::Atom) {
    auto n = parse_uint(idx.text, 32);
    if (!n) fail(idx, "unexpected token: expected an index");
    return uint32_t(*n);
  }
  if (idx.kind != Node::Kind::Id) fail(idx, "unexpected token: expected an index");
  auto it = s.ids[ns].find(idx.text);
  if (it == s.ids[ns].end()) fail(idx, std::string("unknown ") + ns_desc(ns) + ": failed to find name `" + idx.text + "`");
  return it->second;
}

uint32_t Parser::item_ref(const Node& l, size_t i, Ns ns) {
  const auto& c = l.children;
  if (i >= c.size()) fail(l, "unexpected token: expected an index");
  const Node& idx = c[i];
  if (i + 1 == c.size()) return resolve(idx, ns);
  uint32_t index = resolve(idx, Instance);
  for (size_t k = i + 1; k < c.size(); ++k) {
    if (c[k].kind != Node::Kind::String) fail(c[k], "unexpected token: expected an export name");
    bool last = k + 1 == c.size();
    Writer a;
    write_sort(a, last ? ns : Instance);
    a.u8(0x00);
    a.u32(index);
    a.bytes(c[k].text);
    index = emit_alias(std::move(a), last ? ns : Instance, nullptr);
  }
  return index;
}

uint32_t Parser::core_item_ref(const Node& l, size_t i, Ns ns) {
  const auto& c = l.children;
  if (i >= c.size()) fail(l, "unexpected token: expected an index");
  if (i + 1 == c.size()) return resolve(c[i], ns);
  if (c[i + 1].kind != Node::Kind::String || i + 2 != c.size())
    fail(c[i + 1], "unexpected token: expected an export name");
  if (ns != CoreFunc && ns != CoreTable && ns != CoreMemory && ns != CoreGlobal && ns != CoreTag)
    fail(c[i], "core instances cannot export this kind of item, so an export name cannot be used to resolve this reference");
  uint32_t inst = resolve(c[i], CoreInstance);
  Writer a;
  write_sort(a, ns);
  a.u8(0x01);
  a.u32(inst);
  a.bytes(c[i + 1].text);
  return emit_alias(std::move(a), ns, nullptr);
}

uint32_t Parser::index_or_ref(const Node& n, Ns ns, const char* kind) {
  if (!n.is_list()) return resolve(n, ns);
  if (!n.is_list(kind)) fail(n, std::string("unexpected token: expected a ") + kind + " reference");
  return item_ref(n, 1, ns);
}

uint32_t Parser::core_prefixed_ref(const Node& n, Ns ns, const char* kind) {
  if (!n.is_list()) return resolve(n, ns);
  if (n.is_list("core") && n.children.size() > 1 && n.children[1].is_atom(kind)) return core_item_ref(n, 2, ns);
  if (n.is_list(kind)) return core_item_ref(n, 1, ns);  // legacy form without `core`
  fail(n, std::string("unexpected token: expected `(core ") + kind + " ...)`");
}

void Parser::emit_piece(uint8_t section, Writer w) { cur().pieces.push_back({section, std::move(w.b)}); }

void Parser::emit_decl(uint8_t tag, const Writer& body) {
  Scope& s = cur();
  s.decls.u8(tag);
  s.decls.append(body);
  ++s.decl_count;
}

uint32_t Parser::emit_alias(Writer body, Ns ns, const Node* id) {
  switch (cur().kind) {
    case Scope::Kind::Component: emit_piece(6, std::move(body)); break;
    case Scope::Kind::ComponentType:
    case Scope::Kind::InstanceType: emit_decl(0x02, body); break;
    case Scope::Kind::ModuleType: fail(id ? *id : Node{}, "aliases in module types are outer core type aliases only");
  }
  return define(ns, id);
}

uint32_t Parser::emit_type(Writer def, const Node* id) {
  switch (cur().kind) {
    case Scope::Kind::Component: emit_piece(7, std::move(def)); break;
    case Scope::Kind::ComponentType:
    case Scope::Kind::InstanceType: emit_decl(0x01, def); break;
    case Scope::Kind::ModuleType: fail(id ? *id : Node{}, "component types are not allowed in a module type");
  }
  return define(Type, id);
}

uint32_t Parser::emit_core_type(Writer def, const Node* id) {
  switch (cur().kind) {
    case Scope::Kind::Component: emit_piece(3, std::move(def)); break;
    case Scope::Kind::ComponentType:
    case Scope::Kind::InstanceType: emit_decl(0x00, def); break;
    case Scope::Kind::ModuleType: emit_decl(0x01, def); break;
  }
  return define(CoreType, id);
}

// Consecutive definitions of one kind share a section; modules, components,
// start and custom sections stand alone.
std::vector<uint8_t> Parser::finish_component() {
  Scope& s = cur();
  for (size_t k = 0; k < s.appended.size(); ++k) {
    s.pieces.push_back(std::move(s.appended[k]));
    ++s.count[s.appended_ns[k]];
  }
  Writer out;
  for (uint8_t b : {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}) out.u8(b);
  for (size_t k = 0; k < s.pieces.size();) {
    uint8_t id = s.pieces[k].section;
    Writer body;
    if (id == 0 || id == 1 || id == 4 || id == 9) {
      body.b = std::move(s.pieces[k].bytes);
      ++k;
    } else {
      size_t end = k;
      while (end < s.pieces.size() && s.pieces[end].section == id) ++end;
      body.u32(end - k);
      for (; k < end; ++k) body.b.insert(body.b.end(), s.pieces[k].bytes.begin(), s.pieces[k].bytes.end());
    }
    out.section(id, body);
  }
  return std::move(out.b);
}

}  // namespace whirl::wasm::text::comp
