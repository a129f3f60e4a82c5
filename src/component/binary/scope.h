// Validator internals: the index spaces of one scope (a component, or a
// component or instance type being validated) and the helpers shared by
// validator.cc, type_validator.cc, names.cc and subtype.cc. A failure
// throws ValidateFail, which validate_component turns into an Error.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "component/ast.h"
#include "component/entity_types.h"

namespace whirl::component::binary {

struct ValidateFail {
  size_t offset = 0;
  std::string message;
};
[[noreturn]] void invalid(size_t offset, std::string message);

// What the validator knows of each defined value type (and the size and
// depth of function, component and instance types), computed once from its
// children's: every later walk over a type is then bounded, and the
// borrow/memory rules need no walk at all. Shared subtrees count each time
// they occur, so a chain of types referring twice to the previous one
// cannot grow exponentially large unnoticed.
struct Measure {
  uint64_t size = 1;
  uint32_t depth = 1;
  bool borrow = false;  // contains a `borrow`
  bool memory = false;  // contains a string or list (lives in linear memory)
};
inline constexpr uint64_t kMaxTypeSize = 1'000'000;
inline constexpr uint32_t kMaxTypeDepth = 100;
// By the measured object, which the entry keeps alive: no address of a
// measured type is reused for another object during one validation.
using Measures = std::unordered_map<const void*, std::pair<Measure, std::shared_ptr<const void>>>;

struct CoreTypeEntry {
  std::optional<wasm::FuncType> func;             // a function type (of a rec group)
  std::shared_ptr<const CoreModuleType> module;   // a module type
};

struct Scope {
  enum class Kind : uint8_t { Component, ComponentType, InstanceType };
  Kind kind = Kind::Component;
  Scope* parent = nullptr;  // for outer aliases
  Measures* measures = nullptr;  // shared by all scopes of one validation

  std::vector<CoreExtern> core_funcs, core_tables, core_memories, core_globals, core_tags;
  std::vector<CoreTypeEntry> core_types;
  std::vector<std::shared_ptr<const CoreModuleType>> core_modules;
  std::vector<std::shared_ptr<const CoreInstanceType>> core_instances;
  std::vector<std::shared_ptr<const FuncType>> funcs;
  std::vector<ValTypePtr> values;
  std::vector<TypeEntry> types;
  std::vector<std::shared_ptr<const ComponentTypeInfo>> components;
  std::vector<std::shared_ptr<const InstanceTypeInfo>> instances;

  NamedList<NamedEntity> imports, exports;
  std::set<std::string> import_names, export_names;  // strongly-unique forms

  // Adds an entity to the index space of its kind.
  void push(const EntityType& e);
  void push_core(Sort sort, const CoreExtern& e);
  // An entity by sort and index; errors name the sort ("unknown func 3: func index out of bounds").
  EntityType entity(Sort sort, uint32_t index, size_t offset) const;
  const CoreExtern& core_entity(Sort sort, uint32_t index, size_t offset) const;
  const TypeEntry& type(uint32_t index, size_t offset) const;
};

// Resources are distinct per definition: each gets a process-unique id.
std::shared_ptr<const ResourceType> fresh_resource(bool host_defined);

// ---- type_validator.cc ----
ValTypePtr resolve_valtype(const Scope& s, const ValTypeRef& r, size_t offset);
TypeEntry define_type(Scope& s, const TypeDef& t);
void define_core_type(Scope& s, const CoreType& t);
EntityType resolve_extern(Scope& s, const ExternType& t, size_t offset);
// Applies an alias (definition or declarator) to `s`.
void apply_alias(Scope& s, const Alias& a);
// An import or export declaration of `s` (also of a component's own
// imports and exports): name rules, uniqueness, then the index space.
void declare(Scope& s, const AttributedName& name, const EntityType& type, bool is_import, size_t offset);
Measure measure(const Scope& s, const ValType& t);
Measure measure(const Scope& s, const EntityType& e);

// ---- names.cc ----
// Checks an externname and its attributes; `what` is "import" or "export".
void check_extern_name(const AttributedName& n, const EntityType& type, const char* what, size_t offset);
// Labels of record fields, variant cases, flags, enums, parameters: kebab
// case and strongly-unique.
void check_labels(const std::vector<std::string>& labels, const char* what, size_t offset);

// ---- subtype.cc ----
// Resource substitutions made while matching instantiation arguments: an
// imported abstract resource stands for the argument's resource.
using Subst = std::map<const ResourceType*, std::shared_ptr<const ResourceType>>;
// True if `a` can be used where `b` is expected; else `why` says why.
bool is_subtype(const EntityType& a, const EntityType& b, Subst& subst, std::string& why);
bool same_valtype(const ValType& a, const ValType& b, const Subst& subst);
bool core_extern_matches(const CoreExtern& a, const CoreExtern& b, std::string& why);

}  // namespace whirl::component::binary
