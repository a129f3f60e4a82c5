// Canonical definitions of the component text format: `(canon lift ...)`,
// `(canon lower ...)` and the built-ins, their `(func ...)` / `(core func ...)`
// abbreviations, and the canon options.
#include "wasm/text/component_parser.h"

#include "wasm/text/numbers.h"

namespace whirl::wasm::text::comp {
namespace {

// Built-ins that are one opcode and nothing else.
struct Simple {
  const char* name;
  uint8_t code;
};
constexpr Simple kSimple[] = {
    {"backpressure.inc", 0x24}, {"backpressure.dec", 0x25}, {"task.cancel", 0x05}, {"subtask.drop", 0x0d},
    {"error-context.drop", 0x1e}, {"waitable-set.new", 0x1f}, {"waitable-set.drop", 0x22},
    {"waitable.join", 0x23}, {"thread.index", 0x26}, {"thread.resume-later", 0x28},
    {"thread.available-parallelism", 0x42},
};
// Built-ins with an optional `cancellable` flag.
constexpr Simple kCancellable[] = {
    {"thread.yield", 0x0c}, {"thread.suspend", 0x29}, {"thread.suspend-then-resume", 0x2a},
    {"thread.yield-then-resume", 0x2b}, {"thread.suspend-then-promote", 0x2c}, {"thread.yield-then-promote", 0x2d},
};
// Built-ins taking a type index; `opts`: then canon options; `async`: then an
// optional `async` flag.
struct Typed {
  const char* name;
  uint8_t code;
  bool opts, async;
};
constexpr Typed kTyped[] = {
    {"resource.new", 0x02, false, false}, {"resource.drop", 0x03, false, false}, {"resource.rep", 0x04, false, false},
    {"stream.new", 0x0e, false, false}, {"stream.read", 0x0f, true, false}, {"stream.write", 0x10, true, false},
    {"stream.cancel-read", 0x11, false, true}, {"stream.cancel-write", 0x12, false, true},
    {"stream.drop-readable", 0x13, false, false}, {"stream.drop-writable", 0x14, false, false},
    {"future.new", 0x15, false, false}, {"future.read", 0x16, true, false}, {"future.write", 0x17, true, false},
    {"future.cancel-read", 0x18, false, true}, {"future.cancel-write", 0x19, false, true},
    {"future.drop-readable", 0x1a, false, false}, {"future.drop-writable", 0x1b, false, false},
};

}  // namespace

void Parser::canon_opts(const Node& f, size_t& i, Writer& w) {
  const auto& c = f.children;
  Writer opts;
  uint32_t count = 0;
  for (; i < c.size(); ++i, ++count) {
    const Node& o = c[i];
    if (o.is_atom("string-encoding=utf8")) opts.u8(0x00);
    else if (o.is_atom("string-encoding=utf16")) opts.u8(0x01);
    else if (o.is_atom("string-encoding=latin1+utf16")) opts.u8(0x02);
    else if (o.is_atom("async")) opts.u8(0x06);
    else if (o.is_list("memory")) {
      // `(memory idx "name"?)` or `(memory (core memory idx "name"?))`.
      uint32_t m;
      if (o.children.size() >= 2 && !o.children[1].is_list()) {
        m = core_item_ref(o, 1, CoreMemory);
      } else if (o.children.size() == 2 && o.children[1].is_list("core") && o.children[1].children.size() > 1 &&
                 o.children[1].children[1].is_atom("memory")) {
        m = core_item_ref(o.children[1], 2, CoreMemory);
      } else {
        fail(o, "unexpected token: expected (memory idx)");
      }
      opts.u8(0x03);
      opts.u32(m);
    } else if (o.is_list("realloc") || o.is_list("post-return") || o.is_list("callback")) {
      if (o.children.size() != 2) fail(o, "unexpected token: expected one function reference");
      uint32_t fn = core_prefixed_ref(o.children[1], CoreFunc, "func");
      opts.u8(o.is_list("realloc") ? 0x04 : o.is_list("post-return") ? 0x05 : 0x07);
      opts.u32(fn);
    } else {
      break;
    }
  }
  w.u32(count);
  w.append(opts);
}

// The built-in at f.children[i] and its immediates, up to children[end).
void Parser::canon_builtin(const Node& f, size_t& i, Writer& w) {
  const auto& c = f.children;
  if (i >= c.size() || c[i].kind != Node::Kind::Atom) fail(i < c.size() ? c[i] : f, "unexpected token: expected a canonical built-in");
  const std::string& k = c[i++].text;
  auto flag = [&](const char* word) {
    if (i < c.size() && c[i].is_atom(word)) return ++i, true;
    return false;
  };
  auto arg = [&]() -> const Node& {
    if (i >= c.size()) fail(f, "unexpected token: expected an argument to " + k);
    return c[i++];
  };
  if (k == "lower") {
    const Node& fn = arg();
    if (!fn.is_list("func")) fail(fn, "unexpected token: expected (func idx)");
    uint32_t index = item_ref(fn, 1, Func);
    w.u8(0x01);
    w.u8(0x00);
    w.u32(index);
    canon_opts(f, i, w);
    return;
  }
  for (const auto& s : kSimple)
    if (k == s.name) return w.u8(s.code);
  for (const auto& s : kCancellable) {
    if (k != s.name) continue;
    w.u8(s.code);
    w.u8(flag("cancellable") ? 1 : 0);
    return;
  }
  for (const auto& t : kTyped) {
    if (k != t.name) continue;
    uint32_t type = index_or_ref(arg(), Type, "type");
    w.u8(t.code);
    w.u32(type);
    if (t.opts) canon_opts(f, i, w);
    if (t.async) w.u8(flag("async") ? 1 : 0);
    return;
  }
  if (k == "subtask.cancel") {
    w.u8(0x06);
    w.u8(flag("async") ? 1 : 0);
  } else if (k == "task.return") {
    std::optional<ValRef> result;
    if (i < c.size() && c[i].is_list("result")) {
      if (c[i].children.size() != 2) fail(c[i], "unexpected token: expected (result type)");
      result = hoist_valtype(c[i++].children[1]);
    }
    w.u8(0x09);
    if (result) {
      w.u8(0x00);
      write_valtype(*result, w);
    } else {
      w.u8(0x01);
      w.u8(0x00);
    }
    canon_opts(f, i, w);
  } else if (k == "context.get" || k == "context.set") {
    uint8_t t = core_valtype(arg());
    const Node& slot = arg();
    auto n = slot.kind == Node::Kind::Atom ? parse_uint(slot.text, 32) : std::nullopt;
    if (!n) fail(slot, "unexpected token: expected a slot number");
    w.u8(k == "context.get" ? 0x0a : 0x0b);
    w.u8(t);
    w.u32(*n);
  } else if (k == "error-context.new" || k == "error-context.debug-message") {
    w.u8(k == "error-context.new" ? 0x1c : 0x1d);
    canon_opts(f, i, w);
  } else if (k == "waitable-set.wait" || k == "waitable-set.poll") {
    bool cancel = flag("cancellable");
    const Node& m = arg();
    uint32_t mem;
    if (m.is_list("memory") && m.children.size() >= 2 && !m.children[1].is_list()) mem = core_item_ref(m, 1, CoreMemory);
    else if (m.is_list("memory") && m.children.size() == 2) mem = core_prefixed_ref(m.children[1], CoreMemory, "memory");
    else fail(m, "unexpected token: expected (memory idx)");
    w.u8(k == "waitable-set.wait" ? 0x20 : 0x21);
    w.u8(cancel ? 1 : 0);
    w.u32(mem);
  } else if (k == "thread.new-indirect" || k == "thread.spawn-indirect") {
    uint32_t type = core_prefixed_ref(arg(), CoreType, "type");
    uint32_t table = core_prefixed_ref(arg(), CoreTable, "table");
    w.u8(k == "thread.new-indirect" ? 0x27 : 0x41);
    w.u32(type);
    w.u32(table);
  } else if (k == "thread.spawn-ref") {
    uint32_t type = core_prefixed_ref(arg(), CoreType, "type");
    w.u8(0x40);
    w.u32(type);
  } else {
    fail(c[i - 1], "unknown canonical built-in `" + k + "`");
  }
}

void Parser::canon(const Node& f) {
  const auto& c = f.children;
  if (c.size() < 3) fail(f, "unexpected token: expected a canonical definition");
  const Node& last = c.back();
  if (c[1].is_atom("lift")) {
    if (!last.is_list("func")) fail(last, "unexpected token: expected (func $id? type)");
    size_t j = 1;
    const Node* id = j < last.children.size() && last.children[j].kind == Node::Kind::Id ? &last.children[j++] : nullptr;
    uint32_t type = type_use(last, j, Func, "func");
    if (j != last.children.size()) fail(last.children[j], "unexpected token");
    const Node& fn = c[2];
    if (!fn.is_list("core") || fn.children.size() < 3 || !fn.children[1].is_atom("func"))
      fail(fn, "unexpected token: expected (core func idx)");
    uint32_t core = core_item_ref(fn, 2, CoreFunc);
    Writer w;
    w.u8(0x00);
    w.u8(0x00);
    w.u32(core);
    size_t i = 3;
    Writer o;
    canon_opts(f, i, o);
    if (i != c.size() - 1) fail(c[i], "unexpected token");
    w.append(o);
    w.u32(type);
    emit_piece(8, std::move(w));
    define(Func, id);
    return;
  }
  if (!last.is_list("core") || last.children.size() < 2 || !last.children[1].is_atom("func") ||
      last.children.size() > 3 || (last.children.size() == 3 && last.children[2].kind != Node::Kind::Id))
    fail(last, "unexpected token: expected (core func $id?)");
  const Node* id = last.children.size() == 3 ? &last.children[2] : nullptr;
  // The built-in's immediates are children [1, size-1): parse a copy
  // without the trailing (core func) so the parsers see the list end.
  Node body;
  body.kind = Node::Kind::List;
  body.line = f.line, body.col = f.col;
  body.children.assign(c.begin(), c.end() - 1);
  size_t i = 1;
  Writer w;
  canon_builtin(body, i, w);
  if (i != body.children.size()) fail(body.children[i], "unexpected token");
  emit_piece(8, std::move(w));
  define(CoreFunc, id);
}

void Parser::func(const Node& f) {
  const auto& c = f.children;
  size_t i = 1;
  const Node* id = i < c.size() && c[i].kind == Node::Kind::Id ? &c[i++] : nullptr;
  std::vector<std::string> exports;
  i = inline_exports(f, i, exports);
  uint32_t index;
  if (const Node* imp = inline_import(f, i)) {
    index = imported_definition(f, i, *imp, Func, 0x01, "func", id);
  } else if (i < c.size() && c[i].is_list("alias")) {
    const Node& a = c[i];
    if (i + 1 != c.size()) fail(c[i + 1], "unexpected token");
    if (a.children.size() != 4 || !a.children[1].is_atom("export") || a.children[3].kind != Node::Kind::String)
      fail(a, "unexpected token: expected (alias export idx \"name\")");
    uint32_t inst = resolve(a.children[2], Instance);
    Writer w;
    w.u8(0x01);
    w.u8(0x00);
    w.u32(inst);
    w.bytes(a.children[3].text);
    index = emit_alias(std::move(w), Func, id);
  } else {
    uint32_t type = type_use(f, i, Func, "func");
    if (i + 1 != c.size() || !c[i].is_list("canon") || c[i].children.size() < 3 || !c[i].children[1].is_atom("lift"))
      fail(i < c.size() ? c[i] : f, "unexpected token: expected (canon lift ...)");
    const Node& cl = c[i];
    const Node& fn = cl.children[2];
    if (!fn.is_list("core") || fn.children.size() < 3 || !fn.children[1].is_atom("func"))
      fail(fn, "unexpected token: expected (core func idx)");
    uint32_t core = core_item_ref(fn, 2, CoreFunc);
    Writer w;
    w.u8(0x00);
    w.u8(0x00);
    w.u32(core);
    size_t k = 3;
    canon_opts(cl, k, w);
    if (k != cl.children.size()) fail(cl.children[k], "unexpected token");
    w.u32(type);
    emit_piece(8, std::move(w));
    index = define(Func, id);
  }
  append_exports(exports, Func, index);
}

void Parser::core_func(const Node& f) {
  const auto& c = f.children;
  size_t i = 2;
  const Node* id = i < c.size() && c[i].kind == Node::Kind::Id ? &c[i++] : nullptr;
  if (i + 1 != c.size()) fail(i < c.size() ? c[i + 1] : f, "unexpected token: expected (canon ...) or (alias ...)");
  const Node& d = c[i];
  if (d.is_list("alias")) {
    const auto& a = d.children;
    if (a.size() != 5 || !a[1].is_atom("core") || !a[2].is_atom("export") || a[4].kind != Node::Kind::String)
      fail(d, "unexpected token: expected (alias core export idx \"name\")");
    uint32_t inst = resolve(a[3], CoreInstance);
    Writer w;
    write_sort(w, CoreFunc);
    w.u8(0x01);
    w.u32(inst);
    w.bytes(a[4].text);
    emit_alias(std::move(w), CoreFunc, id);
    return;
  }
  if (!d.is_list("canon")) fail(d, "unexpected token: expected (canon ...) or (alias ...)");
  size_t k = 1;
  Writer w;
  canon_builtin(d, k, w);
  if (k != d.children.size()) fail(d.children[k], "unexpected token");
  emit_piece(8, std::move(w));
  define(CoreFunc, id);
}

}  // namespace whirl::wasm::text::comp
