// `whirl inspect FILE`: what a module or component needs and provides — a
// core module's imports and exports, or a component's world as WIT-like text.
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>

#include "cli/commands.h"
#include "cli/module_file.h"
#include "component/binary/decoder.h"
#include "component/binary/validator.h"
#include "platform/file.h"
#include "wasm/binary/decoder.h"
#include "wasm/text/wat.h"
#include "wasm/validate/validator.h"

namespace whirl::cli {
namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "whirl inspect: %s\n", what.c_str());
  return 1;
}

// ---- core modules: the text format's type syntax --------------------------

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += char(c);
    else if (c < 0x20 || c == 0x7f) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "\\%02x", c);
      out += buf;
    } else out += char(c);
  }
  return out + "\"";
}

std::string core_func(const wasm::FuncType& t) {
  std::string s = "func";
  auto list = [&](const char* what, const std::vector<wasm::ValType>& v) {
    if (v.empty()) return;
    s += std::string(" (") + what;
    for (auto x : v) s += std::string(" ") + wasm::to_string(x);
    s += ")";
  };
  list("param", t.params);
  list("result", t.results);
  return s;
}

// As the text format writes a tag: its payload as a function type's params.
std::string core_tag(const wasm::FuncType& t) { return "tag" + core_func(t).substr(4); }

std::string limits(const wasm::Limits& l) {
  return std::to_string(l.min) + (l.max ? " " + std::to_string(*l.max) : "");
}
std::string core_table(const wasm::TableType& t) { return "table " + limits(t.limits) + " " + wasm::to_string(t.elem); }
std::string core_memory(const wasm::MemoryType& m) { return "memory " + limits(m.limits); }
std::string core_global(const wasm::GlobalType& g) {
  return g.mut ? std::string("global (mut ") + wasm::to_string(g.type) + ")" : std::string("global ") + wasm::to_string(g.type);
}

int inspect_module(const std::string& file, const platform::FileBytes& bytes) {
  auto m = wasm::decode_module(bytes.bytes, bytes.owner);
  if (!m) return fail(file + ": " + m.error().message);
  if (auto v = wasm::validate_module(*m); !v) return fail(file + ": " + v.error().message);
  // The index spaces: imports first, then definitions.
  std::vector<const wasm::FuncType*> funcs;
  std::vector<wasm::TableType> tables;
  std::vector<wasm::MemoryType> memories;
  std::vector<wasm::GlobalType> globals;
  std::string out = "imports:\n";
  for (const auto& imp : m->imports) {
    std::string type;
    switch (imp.kind) {
      case wasm::ExternKind::Func:
        funcs.push_back(&m->types[imp.func_type]);
        type = core_func(*funcs.back());
        break;
      case wasm::ExternKind::Table: tables.push_back(imp.table), type = core_table(imp.table); break;
      case wasm::ExternKind::Memory: memories.push_back(imp.memory), type = core_memory(imp.memory); break;
      case wasm::ExternKind::Global: globals.push_back(imp.global), type = core_global(imp.global); break;
      case wasm::ExternKind::Tag: type = core_tag(m->types[imp.tag_type]); break;
    }
    out += "  import " + quoted(imp.module) + " " + quoted(imp.name) + ": " + type + "\n";
  }
  for (const auto& f : m->functions) funcs.push_back(&m->types[f.type_index]);
  tables.insert(tables.end(), m->tables.begin(), m->tables.end());
  memories.insert(memories.end(), m->memories.begin(), m->memories.end());
  for (const auto& g : m->globals) globals.push_back(g.type);
  out += "exports:\n";
  for (const auto& e : m->exports) {
    std::string type;
    switch (e.kind) {
      case wasm::ExternKind::Func: type = core_func(*funcs[e.index]); break;
      case wasm::ExternKind::Table: type = core_table(tables[e.index]); break;
      case wasm::ExternKind::Memory: type = core_memory(memories[e.index]); break;
      case wasm::ExternKind::Global: type = core_global(globals[e.index]); break;
      case wasm::ExternKind::Tag: type = core_tag(m->types[m->tag_type_index(e.index)]); break;
    }
    out += "  export " + quoted(e.name) + ": " + type + "\n";
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

// ---- components: a WIT-like world -----------------------------------------

// Names of the types (by identity) and resources declared in one scope.
struct Scope {
  std::unordered_map<const component::ValType*, std::string> types;
  std::unordered_map<uint32_t, std::string> resources;

  void declare(const component::NamedList<component::NamedEntity>& entities) {
    for (const auto& e : entities) {
      if (e.type.kind != component::ExternType::Kind::Type) continue;
      const auto& t = e.type.type;
      if (t.kind == component::TypeDef::Kind::Resource && t.resource) resources.emplace(t.resource->id, e.name);
      if (t.kind == component::TypeDef::Kind::Val && t.val && !t.val->is_primitive()) types.emplace(t.val.get(), e.name);
    }
  }
  component::TypeNames names() const {
    return {[this](const component::ValType& v) {
              auto it = types.find(&v);
              return it == types.end() ? std::string() : it->second;
            },
            [this](const component::ResourceType& r) {
              auto it = resources.find(r.id);
              return it == resources.end() ? std::string() : it->second;
            }};
  }
  // A use of a type: its name if it has one, else its structure.
  std::string use(const component::ValType& v) const {
    auto n = names();
    if (std::string s = n.type(v); !s.empty()) return s;
    return component::to_string(v, n);
  }
};

std::string wit_func(const component::FuncType& f, const Scope& scope) {
  std::string s = f.async ? "async func(" : "func(";
  for (size_t i = 0; i < f.params.size(); ++i)
    s += (i ? ", " : "") + f.params[i].label + ": " + (f.params[i].type ? scope.use(*f.params[i].type) : "_");
  s += ")";
  if (f.result) s += " -> " + scope.use(*f.result);
  return s;
}

// An interface name ("wasi:io/streams@0.2.0"), as opposed to a plain name.
bool is_interface_name(const std::string& name) { return name.find(':') != std::string::npos; }

// `name: <type>` for one named entity; instances take several lines.
void print_entity(std::string& out, const std::string& indent, const char* keyword, const component::NamedEntity& e,
                  const Scope& scope) {
  using K = component::ExternType::Kind;
  std::string head = indent + keyword + (*keyword ? " " : "");
  switch (e.type.kind) {
    case K::Func:
      out += head + e.name + ": " + (e.type.func ? wit_func(*e.type.func, scope) : "func") + ";\n";
      return;
    case K::Type: {
      const auto& t = e.type.type;
      if (t.kind == component::TypeDef::Kind::Resource) out += head + "resource " + e.name + ";\n";
      else if (t.kind == component::TypeDef::Kind::Val && t.val)
        out += head + "type " + e.name + " = " + component::to_string(*t.val, scope.names()) + ";\n";
      else out += head + "type " + e.name + ";\n";
      return;
    }
    case K::Value:
      out += head + e.name + ": value" + (e.type.value ? " " + scope.use(*e.type.value) : "") + ";\n";
      return;
    case K::Instance: {
      Scope inner;
      if (e.type.instance) inner.declare(e.type.instance->exports);
      // Types of the enclosing scope stay visible by name.
      inner.types.insert(scope.types.begin(), scope.types.end());
      inner.resources.insert(scope.resources.begin(), scope.resources.end());
      std::string members;
      if (e.type.instance)
        for (const auto& x : e.type.instance->exports) print_entity(members, indent + "  ", "", x, inner);
      if (is_interface_name(e.name)) {
        out += head + e.name + ";\n" + members;
      } else {
        out += head + e.name + ": interface {\n" + members + indent + "}\n";
      }
      return;
    }
    case K::CoreModule:
    case K::Component:
      out += head + e.name + ": " + component::kind_name(e.type.kind) + ";\n";
      return;
  }
}

int inspect_component(const std::string& file, const platform::FileBytes& bytes) {
  auto c = component::decode_component(bytes.bytes, bytes.owner);
  if (!c) return fail(file + ": " + c.error().message);
  auto info = component::validate_component(*c);
  if (!info) return fail(file + ": " + info.error().message);
  Scope scope;
  scope.declare(info->imports);
  scope.declare(info->exports);
  std::string out = "world root {\n";
  for (const auto& e : info->imports) print_entity(out, "  ", "import", e, scope);
  for (const auto& e : info->exports) print_entity(out, "  ", "export", e, scope);
  out += "}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

int inspect(const std::string& file) {
  auto bytes = read_module_file(file);
  if (!bytes) return fail(bytes.error().message);
  if (component::is_component_binary(bytes->bytes)) return inspect_component(file, *bytes);
  return inspect_module(file, *bytes);
}

}  // namespace

void add_inspect_command(CLI::App& app, int* exit_code) {
  auto file = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("inspect", "Print a module's imports and exports, or a component's world (WIT)");
  cmd->add_option("file", *file, "The module or component (.wasm, or .wat for a core module)")->required();
  cmd->callback([file, exit_code] { *exit_code = inspect(*file); });
}

}  // namespace whirl::cli
