// Validator internals: the state of one scope (a component, or a component
// or instance type being validated) and the helpers shared by the
// validator's files. The model follows wasmparser's component validator,
// whose messages the component-model tests expect:
//
// - Types are identified by object: each type definition is a new object,
//   an alias refers to the same object, and an import or export of a type
//   makes a new "alias" object of it (a copy of a value type, a new
//   ResourceType with the same id): the index a later type refers to
//   decides whether that type is visible outside (the exported/imported
//   type sets hold these objects).
// - A resource's identity is ResourceType::id; resource substitution
//   (instantiation, subtyping of components) rebuilds the types that refer
//   to substituted resources (remap).
// - Component and instance types carry which resources they import,
//   define and export, and where (ComponentTypeV, InstanceTypeV).
//
// A failure throws ValidateFail, which validate_component turns into an
// Error.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "component/ast.h"
#include "component/entity_types.h"

namespace whirl::component::binary {

struct ValidateFail {
  size_t offset = 0;
  std::string message;
};
[[noreturn]] void invalid(size_t offset, std::string message);

// wasmparser's with_context: a failure inside `f` reads "<context>: <its message>".
template <class C, class F>
decltype(auto) with_context(C&& context, F&& f) {
  try {
    return f();
  } catch (ValidateFail& e) {
    e.message = std::string(context()) + ": " + e.message;
    throw;
  }
}

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
  // A value type's Canonical ABI elem_size and alignment with 64-bit
  // pointers (saturating: sizes only need comparing with the limit).
  uint64_t bytes = 0;
  uint32_t align = 1;
};
// CanonicalABI.md "Element Size": every value type's elem_size(t, i64) is
// below 2^28.
inline constexpr uint64_t kMaxValueBytes = uint64_t(1) << 28;
inline constexpr uint64_t kMaxTypeSize = 1'000'000;
inline constexpr uint32_t kMaxTypeDepth = 100;
// By the measured object, which the entry keeps alive: no address of a
// measured type is reused for another object during one validation.
using Measures = std::unordered_map<const void*, std::pair<Measure, std::shared_ptr<const void>>>;

// Where a resource is reached from a component's imports or exports: the
// import or export name, then names of exports of the instances within.
using Path = std::vector<std::string>;

// An insertion-ordered map keyed by resource id (re-inserting a key keeps
// its position and replaces its value).
template <class V>
class ResourceMap {
 public:
  void insert(uint32_t id, V v) {
    auto [it, fresh] = index_.emplace(id, items_.size());
    if (fresh) items_.emplace_back(id, std::move(v));
    else items_[it->second].second = std::move(v);
  }
  const V* find(uint32_t id) const {
    auto it = index_.find(id);
    return it == index_.end() ? nullptr : &items_[it->second].second;
  }
  bool contains(uint32_t id) const { return index_.count(id) > 0; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<std::pair<uint32_t, V>> items_;
  std::unordered_map<uint32_t, size_t> index_;
};

// Every ComponentTypeInfo and InstanceTypeInfo the validator makes is one
// of these (resources_of casts back).
struct ComponentTypeV : ComponentTypeInfo {
  ResourceMap<Path> imported_resources;  // the abstract resources of its imports
  ResourceMap<Path> defined_resources;   // resources each instantiation creates (all exported)
  ResourceMap<Path> explicit_resources;  // resources exported by name, where
};
struct InstanceTypeV : InstanceTypeInfo {
  // Of an instance type definition: the resources its `(sub resource)`
  // exports introduce (fresh for each import or export of the type).
  std::vector<uint32_t> defined_resources;
  ResourceMap<Path> explicit_resources;
};
inline const ComponentTypeV& resources_of(const ComponentTypeInfo& c) { return static_cast<const ComponentTypeV&>(c); }
inline const InstanceTypeV& resources_of(const InstanceTypeInfo& i) { return static_cast<const InstanceTypeV&>(i); }

// State shared by all scopes of one validation.
struct Context {
  Measures measures;
  // A resource alias remapped to a resource id, so that one alias remaps
  // to the same object everywhere (wasmparser keeps the alias id).
  std::map<std::pair<const ResourceType*, uint32_t>,
           std::pair<std::shared_ptr<const ResourceType>, std::shared_ptr<const ResourceType>>>
      remapped;
  // Records `to`'s measure as `from`'s (a copy or remapped version of it).
  void copy_measure(const void* from, std::shared_ptr<const void> to);
};

struct CoreTypeEntry {
  std::optional<wasm::FuncType> func;             // a function type (of a rec group)
  std::shared_ptr<const CoreModuleType> module;   // a module type
};

// The resources named by the top-level imports (or exports) of a scope,
// for `[constructor]r`, `[method]r.f` and `[static]r.f` names.
struct NameContext {
  std::unordered_map<const ResourceType*, std::string> names;  // by alias
  std::set<std::string> all;
};

// An import's or export's type, and whether it is a `(sub resource)`
// bound (a new resource rather than an alias of an existing type).
struct Entity {
  EntityType type;
  bool fresh = false;
};

using TypeSet = std::unordered_set<const void*>;

struct Scope {
  enum class Kind : uint8_t { Component, ComponentType, InstanceType };
  Kind kind = Kind::Component;
  Scope* parent = nullptr;  // for outer aliases
  Context* cx = nullptr;

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
  // Strong uniqueness: the name's key (names.cc) -> the name.
  std::map<std::string, std::string> import_keys, export_keys;

  ResourceMap<Path> imported_resources;
  ResourceMap<bool> defined_resources;  // true: defined here (`resource`), its representation known
  ResourceMap<Path> explicit_resources;
  // Types valid to refer to from imports (exports): imported (imported or
  // exported) types, by alias object.
  TypeSet imported_types, exported_types;
  NameContext imported_names, exported_names;
  std::optional<wasm::ValType> context_type;  // of context.get/set

  // Adds an entity to the index space of its kind.
  void push(const EntityType& e);
  void push_core(Sort sort, const CoreExtern& e);
  // Index lookups; errors are wasmparser's ("unknown function 3: function index out of bounds").
  EntityType entity(Sort sort, uint32_t index, size_t offset) const;
  const CoreExtern& core_entity(Sort sort, uint32_t index, size_t offset) const;
  const TypeEntry& type(uint32_t index, size_t offset) const;
  const CoreTypeEntry& core_type(uint32_t index, size_t offset) const;
  const std::shared_ptr<const FuncType>& func(uint32_t index, size_t offset) const;
  const std::shared_ptr<const InstanceTypeInfo>& instance(uint32_t index, size_t offset) const;
  const std::shared_ptr<const ComponentTypeInfo>& component(uint32_t index, size_t offset) const;
  const std::shared_ptr<const CoreModuleType>& core_module(uint32_t index, size_t offset) const;
  const std::shared_ptr<const CoreInstanceType>& core_instance(uint32_t index, size_t offset) const;
  // The value type at a type index ("type index 3 is not a defined type").
  ValTypePtr defined_type(uint32_t index, size_t offset) const;
  const std::shared_ptr<const ResourceType>& resource(uint32_t index, size_t offset) const;

  // An import or export of this scope (wasmparser's add_import /
  // add_export): the index space, resource bookkeeping, the visibility of
  // the types it refers to, its name.
  void declare(const AttributedName& name, Entity e, bool is_import, size_t offset);
  // Adds an entity that has no name (an alias of an instance export).
  void add_aliased(const EntityType& e);
  // The scope's type, once all its definitions are validated; checks that
  // its resources stay inside (wasmparser's ComponentState::finish). Its
  // import and export lists move there: the scope is not used after.
  std::shared_ptr<ComponentTypeV> finish(size_t offset);
  std::shared_ptr<const InstanceTypeV> finish_instance_type();
};

// ---- type_validator.cc ----
ValTypePtr resolve_valtype(const Scope& s, const ValTypeRef& r, size_t offset);
TypeEntry define_type(Scope& s, const TypeDef& t);
void define_core_type(Scope& s, const CoreType& t);
// An externtype (wasmparser's check_type_ref).
Entity resolve_extern(Scope& s, const ExternType& t, size_t offset);
// Applies an alias (definition or declarator) to `s`.
void apply_alias(Scope& s, const Alias& a);
Measure measure(const Scope& s, const ValType& t);
Measure measure(const Scope& s, const EntityType& e);
const char* desc(const EntityType& e);   // "func", "instance", ... (wasmparser's ComponentEntityType::desc)
const char* desc(const TypeEntry& t);    // "resource", "defined type", "func type", ...
const char* desc(const ValType& t);      // "record", "u32", ... (a defined type's or primitive's)
// "(func (param i32) (result i32))", as wasmparser prints a core function type.
std::string core_func_text(const wasm::FuncType& f);

// ---- canon.cc ----
void validate_canon(Scope& s, const Canon& c);

// ---- names.cc ----
// An import's or export's name and attributes (wasmparser's
// validate_extern): syntax, annotations against the type and the scope's
// resource names, strong uniqueness. Adds the name to `keys`.
void check_extern(const AttributedName& n, const EntityType& type, bool is_import, const NameContext& names,
                  std::map<std::string, std::string>& keys, const NamedList<NamedEntity>& items, size_t offset);
// Record fields, variant cases, flags, enums, parameters: kebab case and
// unique ("record field name `A` conflicts with previous field name `a`").
void check_labels(const std::vector<std::string>& labels, const char* what, const char* previous, size_t offset);
// Kebab names compare ASCII-case-insensitively.
bool equal_lowered(std::string_view a, std::string_view b);

// ---- subtype.cc ----
// Resource and type substitutions (wasmparser's Remapping).
struct Remapping {
  std::unordered_map<uint32_t, uint32_t> resources;
  // Types already remapped (or renamed to an argument's): old object -> new.
  std::unordered_map<const void*, std::shared_ptr<const void>> types;
};
// Checks that `a` can be used where `b` is expected; throws wasmparser's
// messages ("expected func, found instance", "type mismatch in record field `x`").
void check_subtype(Context& cx, const EntityType& a, const EntityType& b, size_t offset);
void check_core_extern(const CoreExtern& a, const CoreExtern& b, size_t offset);
// Matches `args` against the imports (is_import) or exports of component
// type `b`: the mapping of `b`'s imported (defined) resources to the
// arguments', with the types the arguments stand for.
Remapping open_instance_type(Context& cx, const NamedList<NamedEntity>& args, const ComponentTypeV& b, bool is_import,
                             size_t offset);

// ---- remap.cc ----
// Rewrites the types `map` substitutes; true if anything changed.
bool remap(Context& cx, EntityType& e, Remapping& map);
bool remap(Context& cx, TypeEntry& t, Remapping& map);
// The resource ids an entity refers to but does not define.
void free_variables(const EntityType& e, std::set<uint32_t>& out);
void free_variables(const TypeEntry& t, std::set<uint32_t>& out);
std::shared_ptr<const ResourceType> fresh_resource();
// A type import's or export's new alias of `t` (wasmparser's with_unique).
TypeEntry unique_alias(Context& cx, const TypeEntry& t);

}  // namespace whirl::component::binary
