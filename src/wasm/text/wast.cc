// parse_wast: the spec test-suite's script commands.
#include "wasm/text/wast.h"

#include "wasm/text/component_parser.h"
#include "wasm/text/numbers.h"
#include "wasm/text/sexpr.h"

namespace whirl::wasm::text {
namespace {

struct ScriptFail {
  std::string message;
};

[[noreturn]] void fail(const Node& at, const std::string& what) { throw ScriptFail{at.where() + ": " + what}; }

std::string_view source_text;

bool is_module(const Node& n) { return n.is_list("module") || n.is_list("component"); }

WastModule module_of(const Node& n) {
  if (!is_module(n)) fail(n, "expected a module or component");
  WastModule m;
  m.component = n.is_list("component");
  size_t i = 1;
  // (component definition $id? ...) and (component $id? definition ...) both occur.
  for (int k = 0; k < 2 && i < n.children.size(); ++k) {
    if (n.children[i].kind == Node::Kind::Id && !m.id) m.id = n.children[i++].text;
    else if (m.component && n.children[i].is_atom("definition")) m.definition = true, ++i;
  }
  if (i < n.children.size() && (n.children[i].is_atom("binary") || n.children[i].is_atom("quote"))) {
    bool binary = n.children[i].is_atom("binary");
    std::string joined;
    for (size_t k = i + 1; k < n.children.size(); ++k) {
      if (n.children[k].kind != Node::Kind::String) fail(n.children[k], "expected a string");
      joined += n.children[k].text;
    }
    if (binary) {
      m.form = WastModule::Form::Binary;
      m.binary.assign(joined.begin(), joined.end());
    } else {
      m.form = WastModule::Form::Quote;
      m.text = std::move(joined);
    }
    return m;
  }
  m.form = WastModule::Form::Text;
  m.text = std::string(source_text.substr(n.begin, n.end - n.begin));
  return m;
}

WastValue value_of(const Node& n, bool expected) {
  if (!n.is_list() || n.children.empty() || n.children[0].kind != Node::Kind::Atom) fail(n, "expected a constant");
  const std::string& k = n.children[0].text;
  WastValue v;
  auto arg = [&]() -> const Node& {
    if (n.children.size() != 2) fail(n, "expected one value");
    return n.children[1];
  };
  if (k == "v128.const") {
    v.kind = WastValue::Kind::V128;
    v.type = ValType::V128;
    return v;
  }
  if (k == "ref.null") {
    const Node& t = arg();
    v.kind = WastValue::Kind::RefNull;
    if (t.is_atom("func")) v.type = ValType::FuncRef;
    else if (t.is_atom("extern")) v.type = ValType::ExternRef;
    else fail(t, "expected func or extern");
    return v;
  }
  if (k == "ref.extern") {
    v.kind = WastValue::Kind::RefExtern;
    v.type = ValType::ExternRef;
    auto x = parse_uint(arg().text, 64);
    if (!x) fail(n, "bad ref.extern value");
    v.bits = *x;
    return v;
  }
  if (k == "ref.func" && expected) {
    v.kind = WastValue::Kind::RefFunc;
    v.type = ValType::FuncRef;
    return v;
  }
  const Node& a = arg();
  if (a.kind != Node::Kind::Atom) fail(a, "expected a number");
  if (k == "i32.const" || k == "i64.const") {
    bool is32 = k == "i32.const";
    auto x = parse_int(a.text, is32 ? 32 : 64);
    if (!x) fail(a, "bad integer constant");
    v.kind = is32 ? WastValue::Kind::I32 : WastValue::Kind::I64;
    v.type = is32 ? ValType::I32 : ValType::I64;
    v.bits = *x;
    return v;
  }
  if (k == "f32.const" || k == "f64.const") {
    bool is32 = k == "f32.const";
    v.type = is32 ? ValType::F32 : ValType::F64;
    if (expected && (a.text == "nan:canonical" || a.text == "nan:arithmetic")) {
      v.kind = a.text == "nan:canonical" ? WastValue::Kind::NanCanonical : WastValue::Kind::NanArithmetic;
      return v;
    }
    v.kind = is32 ? WastValue::Kind::F32 : WastValue::Kind::F64;
    if (is32) {
      auto x = parse_f32(a.text);
      if (!x) fail(a, "bad f32 constant");
      v.bits = *x;
    } else {
      auto x = parse_f64(a.text);
      if (!x) fail(a, "bad f64 constant");
      v.bits = *x;
    }
    return v;
  }
  fail(n, "unknown constant " + k);
}

// Reads a constant both ways: as a core value when it is one, and as a
// component value when it has that reading (f32/f64.const have both).
void read_value(const Node& n, bool expected, std::vector<WastValue>& core,
                std::vector<component::abi::Value>& comp, bool& component_only) {
  static const char* const kCore[] = {"i32.const", "i64.const", "f32.const", "f64.const",
                                      "v128.const", "ref.null", "ref.extern", "ref.func"};
  std::string head = n.is_list() && !n.children.empty() ? n.children[0].text : "";
  bool is_core = false;
  for (const char* k : kCore) is_core = is_core || head == k;
  try {
    if (is_core) {
      core.push_back(value_of(n, expected));
      bool nan_pattern = n.children.size() == 2 && n.children[1].text.starts_with("nan:");
      if ((head == "f32.const" || head == "f64.const") && !nan_pattern) comp.push_back(comp::component_value(n));
      return;
    }
    comp.push_back(comp::component_value(n));
    component_only = true;
  } catch (const Fail& f) {
    throw ScriptFail{f.message};
  }
}

WastAction action_of(const Node& n) {
  WastAction a;
  if (n.is_list("invoke")) a.kind = WastAction::Kind::Invoke;
  else if (n.is_list("get")) a.kind = WastAction::Kind::Get;
  else fail(n, "expected an action (invoke or get)");
  size_t i = 1;
  if (i < n.children.size() && n.children[i].kind == Node::Kind::Id) a.module_id = n.children[i++].text;
  if (i >= n.children.size() || n.children[i].kind != Node::Kind::String) fail(n, "expected an export name");
  a.field = n.children[i++].text;
  for (; i < n.children.size(); ++i) read_value(n.children[i], false, a.args, a.component_args, a.component);
  return a;
}

std::string message_of(const Node& n, size_t i) {
  if (i >= n.children.size() || n.children[i].kind != Node::Kind::String) fail(n, "expected a message string");
  return n.children[i].text;
}

WastCommand command_of(const Node& n) {
  WastCommand c;
  c.line = n.line;
  if (!n.is_list() || n.children.empty() || n.children[0].kind != Node::Kind::Atom) fail(n, "expected a command");
  const std::string& k = n.children[0].text;
  auto need = [&](size_t count) {
    if (n.children.size() < count) fail(n, "missing arguments to " + k);
  };
  if (k == "component" && n.children.size() > 1 && n.children[1].is_atom("instance")) {
    // (component instance $id $definition): instantiates a component definition.
    if (n.children.size() != 4 || n.children[2].kind != Node::Kind::Id || n.children[3].kind != Node::Kind::Id)
      fail(n, "expected (component instance $id $definition)");
    c.kind = WastCommandKind::ComponentInstance;
    c.instance_id = n.children[2].text;
    c.definition_id = n.children[3].text;
  } else if (k == "module" || k == "component") {
    c.kind = WastCommandKind::Module;
    c.has_module = true;
    c.module = module_of(n);
  } else if (k == "register") {
    need(2);
    c.kind = WastCommandKind::Register;
    c.register_name = message_of(n, 1);
    if (n.children.size() > 2) c.register_module = n.children[2].text;
  } else if (k == "invoke" || k == "get") {
    c.kind = WastCommandKind::Action;
    c.has_action = true;
    c.action = action_of(n);
  } else if (k == "assert_return") {
    need(2);
    c.kind = WastCommandKind::AssertReturn;
    c.has_action = true;
    c.action = action_of(n.children[1]);
    for (size_t i = 2; i < n.children.size(); ++i)
      read_value(n.children[i], true, c.expected, c.component_expected, c.component_values);
  } else if (k == "assert_trap" || k == "assert_exhaustion") {
    need(3);
    c.kind = k == "assert_trap" ? WastCommandKind::AssertTrap : WastCommandKind::AssertExhaustion;
    if (is_module(n.children[1])) {
      c.has_module = true;
      c.module = module_of(n.children[1]);
    } else {
      c.has_action = true;
      c.action = action_of(n.children[1]);
    }
    c.message = message_of(n, 2);
  } else if (k == "assert_exception") {
    need(2);
    c.kind = WastCommandKind::AssertException;
    c.has_action = true;
    c.action = action_of(n.children[1]);
  } else if (k == "assert_invalid" || k == "assert_malformed" || k == "assert_unlinkable" ||
             k == "assert_uninstantiable") {
    need(3);
    c.kind = k == "assert_invalid"     ? WastCommandKind::AssertInvalid
             : k == "assert_malformed" ? WastCommandKind::AssertMalformed
             : k == "assert_unlinkable" ? WastCommandKind::AssertUnlinkable
                                        : WastCommandKind::AssertUninstantiable;
    c.has_module = true;
    c.module = module_of(n.children[1]);
    c.message = message_of(n, 2);
  } else {
    fail(n, "unknown command " + k);
  }
  return c;
}

}  // namespace

Expected<std::vector<WastCommand>> parse_wast(std::string_view source) {
  auto nodes = read_sexprs(source);
  if (!nodes) return unexpected(std::move(nodes).error());
  source_text = source;
  std::vector<WastCommand> out;
  // A script that is just module fields is one inline module.
  static const char* kFields[] = {"type", "import", "func", "table", "memory", "global", "export", "start", "elem", "data"};
  if (!nodes->empty() && (*nodes)[0].is_list()) {
    for (const char* f : kFields) {
      if ((*nodes)[0].is_list(f)) {
        WastCommand c;
        c.line = (*nodes)[0].line;
        c.has_module = true;
        c.module.text = std::string(source);
        out.push_back(std::move(c));
        return out;
      }
    }
  }
  try {
    for (const auto& n : *nodes) out.push_back(command_of(n));
  } catch (const ScriptFail& f) {
    return make_error(f.message);
  }
  return out;
}

}  // namespace whirl::wasm::text
