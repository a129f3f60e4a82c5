// Internal to component_to_binary (component_text.h): one pass over the
// s-expression tree that does what wasm-tools does in three (expand, resolve,
// encode). Per definition it first hoists inline types (emitted as their own
// type definitions before it), then resolves references (emitting the
// aliases that `$i "name"` projections and names of enclosing scopes
// need), then emits the definition itself: the same order, hence the same
// indices, as wasm-tools. Inline `(export "x")` sugar is emitted after the
// last definition, as wasm-tools appends it.
//
// Errors are thrown as Fail (wat_module.h) inside the library and returned
// as values by component_to_binary.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "component/abi/value.h"
#include "wasm/text/sexpr.h"
#include "wasm/text/wat_module.h"
#include "wasm/text/writer.h"

namespace whirl::wasm::text::comp {

// Index spaces, named as wasm-tools names them in messages (ns_desc).
enum Ns : uint8_t {
  CoreFunc, CoreTable, CoreMemory, CoreGlobal, CoreTag, CoreType, CoreModule, CoreInstance,
  Func, Value, Type, Component, Instance,
};
inline constexpr int kNsCount = 13;
const char* ns_desc(Ns ns);
// The binary `sort` of Binary.md (core sorts prefixed by 0x00).
void write_sort(Writer& w, Ns ns);

// A value type after hoisting: a primitive code, a type index already known
// (a hoisted inline type), or a reference still to resolve.
struct ValRef {
  uint8_t prim = 0;            // non-zero: primvaltype code
  const Node* ref = nullptr;   // a $name or number in the type index space
  uint32_t index = 0;
};

struct Scope {
  enum class Kind : uint8_t { Component, ComponentType, InstanceType, ModuleType };
  Kind kind = Kind::Component;
  std::string id;  // "$name" of the component or type, "" without one
  std::map<std::string, uint32_t> ids[kNsCount];
  uint32_t count[kNsCount] = {};
  // Component: one entry per definition in order; sections 0, 1, 4 and 9
  // hold a whole section's contents, the others one vector element.
  struct Piece {
    uint8_t section;
    std::vector<uint8_t> bytes;
  };
  std::vector<Piece> pieces;
  std::vector<Piece> appended;  // inline exports, emitted after the last definition
  std::vector<Ns> appended_ns;
  // Type scopes: the declarators.
  uint32_t decl_count = 0;
  Writer decls;
  // ModuleType: core function types by encoding, for inline type uses.
  std::map<std::vector<uint8_t>, uint32_t> func_types;
};

// A component value constant of a .wast script (component_values.cc).
::whirl::component::abi::Value component_value(const Node& n);

class Parser {
 public:
  // A component's fields: children [start, end) of `n`; returns its binary.
  std::vector<uint8_t> component(const Node& n, size_t start, const std::string& id);

  [[noreturn]] static void fail(const Node& at, const std::string& what);

 private:
  // ---- scopes and references (component_scope.cc) ----
  Scope& cur() { return *stack_.back(); }
  uint32_t define(Ns ns, const Node* id);
  uint32_t resolve(const Node& idx, Ns ns);
  uint32_t resolve_outer_alias(const Node& outer, const Node& idx, Ns ns, uint32_t& depth);
  // (kind idx "name"*) item references: names become export aliases.
  uint32_t item_ref(const Node& list, size_t start, Ns ns);
  uint32_t core_item_ref(const Node& list, size_t start, Ns ns);
  // `idx` or `(kind idx "name"*)`.
  uint32_t index_or_ref(const Node& n, Ns ns, const char* kind);
  // `idx`, `(core kind idx "name"?)` or, legacy, `(kind idx "name"?)`.
  uint32_t core_prefixed_ref(const Node& n, Ns ns, const char* kind);
  void emit_piece(uint8_t section, Writer w);
  uint32_t emit_alias(Writer body, Ns ns, const Node* id);
  uint32_t emit_type(Writer def, const Node* id);
  uint32_t emit_core_type(Writer def, const Node* id);
  void emit_decl(uint8_t tag, const Writer& body);
  std::vector<uint8_t> finish_component();

  // ---- definitions (component_text.cc) ----
  void field(const Node& f);
  void core_module(const Node& f);
  void core_instance(const Node& f);
  void nested_component(const Node& f);
  void instance(const Node& f);
  void alias(const Node& f, bool in_type);
  void import(const Node& f, bool decl);
  void export_(const Node& f);
  void export_decl(const Node& f);
  void start(const Node& f);
  void custom(const Node& f);
  size_t inline_exports(const Node& f, size_t i, std::vector<std::string>& names);
  void append_exports(const std::vector<std::string>& names, Ns ns, uint32_t index);
  const Node* inline_import(const Node& f, size_t& i);
  // `(func|component|instance $id? (import "name") typeuse)`: the rest of
  // `f` from `i` is the type use; emits the import and defines the index.
  uint32_t imported_definition(const Node& f, size_t& i, const Node& imp, Ns ns, uint8_t kind, const char* what,
                               const Node* id);
  void extern_name(const Node& f, size_t& i, Writer& w);
  void sortidx(const Node& ref, Writer& w, Ns* ns_out);
  void core_inline_exports(const Node& f, size_t i, Writer& w);

  // ---- types (component_types.cc) ----
 public:
  ValRef hoist_valtype(const Node& n);
  void write_valtype(const ValRef& v, Writer& w);
  void type_field(const Node& f, bool allow_exports);
  void core_type_field(const Node& f);
  // deftype at f.children[i] (the rest of the list): encoded into w.
  void deftype(const Node& f, size_t i, Writer& w);
  void defvaltype(const Node& n, Writer& w);
  void functype(const Node& f, size_t& i, Writer& w);
  void component_type(const Node& f, size_t i, const std::string& id, Writer& w);
  void instance_type(const Node& f, size_t i, const std::string& id, Writer& w);
  void declarations(const Node& f, size_t i, const std::string& id, Writer& w, bool component);
  void module_type(const Node& f, size_t i, const std::string& id, Writer& w);
  void core_functype(const Node& f, size_t& i, Writer& w);
  uint32_t core_type_use(const Node& f, size_t& i);  // in a module type: (type idx) or inline, deduplicated
  uint8_t core_valtype(const Node& n);
  // An item signature `(sort $id? ...)`: hoists inline types, resolves, and
  // writes the externtype; returns the index space it extends.
  Ns item_sig(const Node& sig, bool allow_id, Writer& w, const Node** id_out);
  // A type use at f.children[i..]: `(type idx "name"*)` or an inline type of
  // `kind` (hoisted). Returns the type index.
  uint32_t type_use(const Node& f, size_t& i, Ns kind, const std::string& what);
  void core_externtype(const Node& n, Writer& w);
  void resource_type(const Node& r, Writer& w);
  void limits(const Node& n, size_t& i, Writer& w);

  // ---- canon and func forms (component_canon.cc) ----
  void canon(const Node& f);
  void func(const Node& f);
  void core_func(const Node& f);
  void canon_opts(const Node& f, size_t& i, Writer& w);
  void canon_builtin(const Node& f, size_t& i, Writer& w);

 private:
  std::vector<Scope*> stack_;
};

}  // namespace whirl::wasm::text::comp
