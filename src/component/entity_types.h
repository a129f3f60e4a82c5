// What the validator infers for each definition of a component: the types
// of core and component entities (functions, instances, modules, ...), as
// the index spaces hold them and as instantiation will check them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "component/ast.h"
#include "component/types.h"
#include "wasm/types.h"

namespace whirl::component {

// A core function, table, memory, global or tag.
struct CoreExtern {
  CoreExternType::Kind kind = CoreExternType::Kind::Func;
  // Func, Tag. Absent for the core functions of canon built-ins whose
  // signature is not computed yet (lower: the Canonical ABI's flattening).
  std::optional<wasm::FuncType> func;
  wasm::TableType table;
  wasm::MemoryType memory;
  wasm::GlobalType global;
};

// A list of named entries with a lookup by name (the first entry of a name
// wins; validation rejects duplicates where the spec does): searched in
// place while short (most interfaces: no node or key copy per entry), then
// through an index, so lookups stay O(1) however many exports a hostile
// binary declares.
template <class E>
class NamedList {
 public:
  static constexpr size_t kIndexedFrom = 16;

  void push_back(E e) {
    items_.push_back(std::move(e));
    if (items_.size() == kIndexedFrom) {
      for (size_t i = 0; i < items_.size(); ++i) index_.emplace(items_[i].name, i);
    } else if (items_.size() > kIndexedFrom) {
      index_.emplace(items_.back().name, items_.size() - 1);
    }
  }
  const E* find(const std::string& name) const {
    if (items_.size() < kIndexedFrom) {
      for (const E& e : items_)
        if (e.name == name) return &e;
      return nullptr;
    }
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &items_[it->second];
  }
  typename std::vector<E>::const_iterator begin() const { return items_.begin(); }
  typename std::vector<E>::const_iterator end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<E> items_;
  std::unordered_map<std::string, size_t> index_;
};

struct CoreImportType {
  std::string module, name;
  CoreExtern type;
};
struct CoreExportType {
  std::string name;
  CoreExtern type;
};
struct CoreModuleType {
  std::vector<CoreImportType> imports;
  NamedList<CoreExportType> exports;
  const CoreExtern* find_export(const std::string& name) const;
};
struct CoreInstanceType {
  NamedList<CoreExportType> exports;
  const CoreExtern* find_export(const std::string& name) const;
};

struct ComponentTypeInfo;
struct InstanceTypeInfo;

// An entry of the type index space.
struct TypeEntry {
  TypeDef::Kind kind = TypeDef::Kind::Val;
  ValTypePtr val;
  std::shared_ptr<const FuncType> func;
  std::shared_ptr<const ComponentTypeInfo> component;
  std::shared_ptr<const InstanceTypeInfo> instance;
  std::shared_ptr<const ResourceType> resource;
};

// externtype, resolved: what an import, export or index-space entry is.
struct EntityType {
  ExternType::Kind kind = ExternType::Kind::Func;
  std::shared_ptr<const CoreModuleType> module;   // CoreModule
  std::shared_ptr<const FuncType> func;           // Func
  ValTypePtr value;                               // Value
  TypeEntry type;                                 // Type
  std::shared_ptr<const ComponentTypeInfo> component;  // Component
  std::shared_ptr<const InstanceTypeInfo> instance;    // Instance
};

struct NamedEntity {
  std::string name;  // the externname (attributes are not part of a type)
  EntityType type;
};

struct InstanceTypeInfo {
  NamedList<NamedEntity> exports;
  const EntityType* find_export(const std::string& name) const;
};

struct ComponentTypeInfo {
  NamedList<NamedEntity> imports;
  NamedList<NamedEntity> exports;
};

const char* kind_name(ExternType::Kind k);  // "func", "core module", ...

}  // namespace whirl::component
