// What the validator infers for each definition of a component: the types
// of core and component entities (functions, instances, modules, ...), as
// the index spaces hold them and as instantiation will check them.
#pragma once

#include <memory>
#include <optional>
#include <string>
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
  std::vector<CoreExportType> exports;
  const CoreExtern* find_export(const std::string& name) const;
};
struct CoreInstanceType {
  std::vector<CoreExportType> exports;
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
  std::vector<NamedEntity> exports;
  const EntityType* find_export(const std::string& name) const;
};

struct ComponentTypeInfo {
  std::vector<NamedEntity> imports;
  std::vector<NamedEntity> exports;
};

const char* kind_name(ExternType::Kind k);  // "func", "core module", ...

}  // namespace whirl::component
