// A scope's index spaces and its imports and exports (wasmparser's
// ComponentState: add_entity, the visibility of types from outside, the
// resources of instance imports and exports, finish).
#include "component/binary/scope.h"

namespace whirl::component::binary {
namespace {

std::string idx(uint32_t i) { return std::to_string(i); }

template <class V>
const auto& at(const V& v, uint32_t index, size_t off, const char* what, const char* space) {
  if (index >= v.size())
    invalid(off, std::string("unknown ") + what + " " + idx(index) + ": " + space + " index out of bounds");
  return v[index];
}

// The object that identifies a type (what the visibility sets hold).
const void* type_key(const TypeEntry& t) {
  switch (t.kind) {
    case TypeDef::Kind::Val: return t.val.get();
    case TypeDef::Kind::Func: return t.func.get();
    case TypeDef::Kind::Component: return t.component.get();
    case TypeDef::Kind::Instance: return t.instance.get();
    case TypeDef::Kind::Resource: return t.resource.get();
  }
  return nullptr;
}

// Whether the types an import or export refers to are themselves imported
// or exported (wasmparser's all_valtypes_named and type_named_valtype):
// records, variants, enums, flags and resources must be referred to by an
// index that an import or export created.
class Named {
 public:
  explicit Named(const TypeSet& set) : set_(set) {}

  // A value type in a position where it must be named (or be structural
  // with named parts).
  bool use(const ValType* t) {
    if (!t || t->is_primitive()) return true;
    switch (t->kind) {
      case TypeKind::Record:
      case TypeKind::Variant:
      case TypeKind::Enum:
      case TypeKind::Flags: return set_.count(t) > 0;
      default: return parts(t);
    }
  }

  // The parts of a defined value type.
  bool parts(const ValType* t) {
    if (!t || t->is_primitive()) return true;
    auto [it, fresh] = memo_.emplace(t, true);
    if (!fresh) return it->second;
    bool ok = true;
    switch (t->kind) {
      case TypeKind::Own:
      case TypeKind::Borrow: ok = set_.count(t->resource.get()) > 0; break;
      default:
        for (const auto* p : {&t->elem, &t->key, &t->ok, &t->err}) ok = ok && use(p->get());
        for (const auto& f : t->fields) ok = ok && use(f.type.get());
        for (const auto& c : t->cases) ok = ok && use(c.type.get());
        for (const auto& e : t->elems) ok = ok && use(e.get());
    }
    memo_[t] = ok;
    return ok;
  }

  bool func(const FuncType& f) {
    for (const auto& p : f.params)
      if (!use(p.type.get())) return false;
    return use(f.result.get());
  }

  bool instance(const InstanceTypeInfo& i) {
    for (const auto& e : i.exports) {
      switch (e.type.kind) {
        case ExternType::Kind::Func:
          if (!func(*e.type.func)) return false;
          break;
        case ExternType::Kind::Type:
          if (!entry(e.type.type)) return false;
          break;
        case ExternType::Kind::Value:
          if (!parts(e.type.value.get())) return false;
          break;
        case ExternType::Kind::Instance:
          if (!instance(*e.type.instance)) return false;
          break;
        default: break;
      }
    }
    return true;
  }

  bool entry(const TypeEntry& t) {
    switch (t.kind) {
      case TypeDef::Kind::Val: return parts(t.val.get());
      case TypeDef::Kind::Func: return func(*t.func);
      case TypeDef::Kind::Instance: return instance(*t.instance);
      default: return true;
    }
  }

 private:
  const TypeSet& set_;
  std::unordered_map<const ValType*, bool> memo_;
};

Path prefixed(const std::string& name, const Path& rest) {
  Path p{name};
  p.insert(p.end(), rest.begin(), rest.end());
  return p;
}

}  // namespace

void Scope::push(const EntityType& e) {
  switch (e.kind) {
    case ExternType::Kind::CoreModule: core_modules.push_back(e.module); break;
    case ExternType::Kind::Func: funcs.push_back(e.func); break;
    case ExternType::Kind::Value: values.push_back(e.value); break;
    case ExternType::Kind::Type: types.push_back(e.type); break;
    case ExternType::Kind::Component: components.push_back(e.component); break;
    case ExternType::Kind::Instance: instances.push_back(e.instance); break;
  }
}

void Scope::push_core(Sort sort, const CoreExtern& e) {
  switch (sort) {
    case Sort::CoreFunc: core_funcs.push_back(e); break;
    case Sort::CoreTable: core_tables.push_back(e); break;
    case Sort::CoreMemory: core_memories.push_back(e); break;
    case Sort::CoreGlobal: core_globals.push_back(e); break;
    case Sort::CoreTag: core_tags.push_back(e); break;
    default: break;
  }
}

EntityType Scope::entity(Sort sort, uint32_t index, size_t off) const {
  EntityType e;
  switch (sort) {
    case Sort::CoreModule: e.kind = ExternType::Kind::CoreModule; e.module = core_module(index, off); break;
    case Sort::Func: e.kind = ExternType::Kind::Func; e.func = func(index, off); break;
    case Sort::Value:
      e.kind = ExternType::Kind::Value;
      e.value = at(values, index, off, "value", "value");
      break;
    case Sort::Type: e.kind = ExternType::Kind::Type; e.type = type(index, off); break;
    case Sort::Component: e.kind = ExternType::Kind::Component; e.component = component(index, off); break;
    case Sort::Instance: e.kind = ExternType::Kind::Instance; e.instance = instance(index, off); break;
    default: invalid(off, std::string("a ") + sort_name(sort) + " cannot be used here");
  }
  return e;
}

const CoreExtern& Scope::core_entity(Sort sort, uint32_t index, size_t off) const {
  switch (sort) {
    case Sort::CoreFunc: return at(core_funcs, index, off, "core function", "function");
    case Sort::CoreTable: return at(core_tables, index, off, "table", "table");
    case Sort::CoreMemory: return at(core_memories, index, off, "memory", "memory");
    case Sort::CoreGlobal: return at(core_globals, index, off, "global", "global");
    case Sort::CoreTag: return at(core_tags, index, off, "tag", "tag");
    default: invalid(off, std::string("a ") + sort_name(sort) + " cannot be used here");
  }
}

const TypeEntry& Scope::type(uint32_t index, size_t off) const { return at(types, index, off, "type", "type"); }
const CoreTypeEntry& Scope::core_type(uint32_t index, size_t off) const {
  return at(core_types, index, off, "type", "type");
}
const std::shared_ptr<const FuncType>& Scope::func(uint32_t index, size_t off) const {
  return at(funcs, index, off, "function", "function");
}
const std::shared_ptr<const InstanceTypeInfo>& Scope::instance(uint32_t index, size_t off) const {
  return at(instances, index, off, "instance", "instance");
}
const std::shared_ptr<const ComponentTypeInfo>& Scope::component(uint32_t index, size_t off) const {
  return at(components, index, off, "component", "component");
}
const std::shared_ptr<const CoreModuleType>& Scope::core_module(uint32_t index, size_t off) const {
  return at(core_modules, index, off, "module", "module");
}
const std::shared_ptr<const CoreInstanceType>& Scope::core_instance(uint32_t index, size_t off) const {
  return at(core_instances, index, off, "core instance", "instance");
}

ValTypePtr Scope::defined_type(uint32_t index, size_t off) const {
  const TypeEntry& t = type(index, off);
  if (t.kind != TypeDef::Kind::Val) invalid(off, "type index " + idx(index) + " is not a defined type");
  return t.val;
}

const std::shared_ptr<const ResourceType>& Scope::resource(uint32_t index, size_t off) const {
  const TypeEntry& t = type(index, off);
  if (t.kind != TypeDef::Kind::Resource) invalid(off, "type index " + idx(index) + " is not a resource type");
  return t.resource;
}

void Scope::add_aliased(const EntityType& e) { push(e); }

void Scope::declare(const AttributedName& name, Entity e, bool is_import, size_t offset) {
  EntityType& type = e.type;
  const std::string& n = name.name;
  switch (type.kind) {
    case ExternType::Kind::Value: invalid(offset, "support for component model `value`s is not enabled");
    case ExternType::Kind::Instance: {
      // An instance type's own resources become fresh ones: imported
      // (abstract) for an import, defined here for an export.
      const InstanceTypeV& t = resources_of(*type.instance);
      if (!t.defined_resources.empty()) {
        Remapping fresh;
        for (uint32_t old : t.defined_resources) {
          uint32_t id = fresh_resource()->id;
          fresh.resources[old] = id;
          if (is_import) {
            const Path* path = t.explicit_resources.find(old);
            imported_resources.insert(id, prefixed(n, path ? *path : Path{}));
          } else {
            defined_resources.insert(id, false);
          }
        }
        auto copy = std::make_shared<InstanceTypeV>();
        for (const auto& x : t.exports) {
          NamedEntity ne = x;
          remap(*cx, ne.type, fresh);
          copy->exports.push_back(std::move(ne));
        }
        for (const auto& [id, path] : t.explicit_resources) {
          auto it = fresh.resources.find(id);
          copy->explicit_resources.insert(it == fresh.resources.end() ? id : it->second, path);
        }
        cx->copy_measure(type.instance.get(), copy);
        type.instance = std::move(copy);
      }
      if (!is_import)
        for (const auto& [id, path] : resources_of(*type.instance).explicit_resources)
          explicit_resources.insert(id, prefixed(n, path));
      break;
    }
    case ExternType::Kind::Type:
      if (type.type.kind == TypeDef::Kind::Resource) {
        uint32_t id = type.type.resource->id;
        if (is_import) {
          if (e.fresh) imported_resources.insert(id, {n});
        } else {
          if (e.fresh) defined_resources.insert(id, false);
          explicit_resources.insert(id, {n});
        }
      }
      break;
    default: break;
  }
  push(type);

  // The types the item refers to must be visible outside (wasmparser's
  // validate_and_register_named_types); a resource imported or exported
  // by a top-level name gets that name for annotated function names.
  if (type.kind == ExternType::Kind::Type && type.type.kind == TypeDef::Kind::Resource) {
    NameContext& names = is_import ? imported_names : exported_names;
    names.names.emplace(type.type.resource.get(), n);
    names.all.insert(n);
  }
  auto registered = [&](auto& self, const EntityType& t) -> bool {
    if (kind == Kind::InstanceType) return true;
    TypeSet& set = is_import ? imported_types : exported_types;
    switch (t.kind) {
      case ExternType::Kind::Type:
        if (!Named(set).entry(t.type)) return false;
        exported_types.insert(type_key(t.type));
        if (is_import) imported_types.insert(type_key(t.type));
        return true;
      case ExternType::Kind::Instance:
        for (const auto& x : t.instance->exports)
          if (!self(self, x.type)) return false;
        return true;
      case ExternType::Kind::Func: return Named(set).func(*t.func);
      case ExternType::Kind::Value: return Named(set).use(t.value.get());
      default: return true;
    }
  };
  if (!registered(registered, type))
    invalid(offset, std::string(desc(type)) + " not valid to be used as " + (is_import ? "import" : "export"));

  check_extern(name, type, is_import, is_import ? imported_names : exported_names, is_import ? import_keys : export_keys,
               is_import ? imports : exports, offset);
  (is_import ? imports : exports).push_back({n, type});
}

std::shared_ptr<ComponentTypeV> Scope::finish(size_t offset) {
  auto t = std::make_shared<ComponentTypeV>();
  t->imports = std::move(imports);  // the scope is done: its lists move to its type
  t->exports = std::move(exports);
  t->imported_resources = imported_resources;
  t->explicit_resources = explicit_resources;
  // Resources defined here may not be reached from the imports, and those
  // the exports refer to must be exported.
  std::set<uint32_t> free;
  for (const auto& i : t->imports) free_variables(i.type, free);
  for (const auto& [id, known] : defined_resources)
    if (free.count(id)) invalid(offset, "local resource type found in imports");
  free.clear();
  for (const auto& x : t->exports) free_variables(x.type, free);
  for (const auto& [id, known] : defined_resources) {
    if (!free.count(id)) continue;
    const Path* path = explicit_resources.find(id);
    if (!path) invalid(offset, "local resource type found in export but not exported itself");
    t->defined_resources.insert(id, *path);
  }
  return t;
}

std::shared_ptr<const InstanceTypeV> Scope::finish_instance_type() {
  auto t = std::make_shared<InstanceTypeV>();
  t->exports = exports;
  for (const auto& [id, known] : defined_resources) t->defined_resources.push_back(id);
  t->explicit_resources = explicit_resources;
  return t;
}

}  // namespace whirl::component::binary
