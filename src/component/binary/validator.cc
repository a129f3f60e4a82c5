// Component validation, definition by definition: each one is checked
// against the index spaces built so far and then extends them.
#include "component/binary/validator.h"

#include <cstdio>
#include <set>
#include <unordered_map>

#include "component/binary/decoder.h"
#include "component/binary/scope.h"
#include "wasm/validate/validator.h"

namespace whirl::component {
namespace binary {

void invalid(size_t offset, std::string message) { throw ValidateFail{offset, std::move(message)}; }

namespace {

CoreExtern core_extern_of(const wasm::Module& m, wasm::ExternKind kind, uint32_t index) {
  CoreExtern e;
  switch (kind) {
    case wasm::ExternKind::Func:
      e.kind = CoreExternType::Kind::Func;
      e.func = m.types[m.func_type_index(index)];
      break;
    case wasm::ExternKind::Table: e.kind = CoreExternType::Kind::Table; e.table = m.table_type(index); break;
    case wasm::ExternKind::Memory: e.kind = CoreExternType::Kind::Memory; e.memory = m.memory_type(index); break;
    case wasm::ExternKind::Global: e.kind = CoreExternType::Kind::Global; e.global = m.global_type(index); break;
    case wasm::ExternKind::Tag:
      // A tag is typed by a function type (its payload as parameters).
      e.kind = CoreExternType::Kind::Tag;
      e.func = m.types[m.tag_type_index(index)];
      break;
  }
  return e;
}

std::shared_ptr<const CoreModuleType> module_type_of(const wasm::Module& m, size_t offset) {
  auto t = std::make_shared<CoreModuleType>();
  std::set<std::pair<std::string, std::string>> names;
  for (const auto& imp : m.imports) {
    // Two-level names must be unique: components see them joined.
    if (!names.insert({imp.module, imp.name}).second)
      invalid(offset, "module has a duplicate import name `" + imp.module + ":" + imp.name +
                          "` that is not allowed in components");
    CoreExtern e;
    e.kind = static_cast<CoreExternType::Kind>(imp.kind);
    if (imp.kind == wasm::ExternKind::Func) e.func = m.types[imp.func_type];
    if (imp.kind == wasm::ExternKind::Tag) e.func = m.types[imp.tag_type];
    e.table = imp.table;
    e.memory = imp.memory;
    e.global = imp.global;
    t->imports.push_back({imp.module, imp.name, e});
  }
  for (const auto& exp : m.exports) t->exports.push_back({exp.name, core_extern_of(m, exp.kind, exp.index)});
  return t;
}

class Validator {
 public:
  Validator(Scope& s, ValidationInfo* info) : s_(s), info_(info) {}

  void run(const Component& c) {
    for (const Item& item : c.order) {
      switch (item.kind) {
        case Item::Kind::CoreModule: core_module(c.core_modules[item.index]); break;
        case Item::Kind::CoreInstance: core_instance(c.core_instances[item.index]); break;
        case Item::Kind::CoreType: define_core_type(s_, *c.core_types[item.index]); break;
        case Item::Kind::Component: nested(*c.components[item.index]); break;
        case Item::Kind::Instance: instance(c.instances[item.index]); break;
        case Item::Kind::Alias: apply_alias(s_, c.aliases[item.index]); break;
        case Item::Kind::Type: s_.types.push_back(define_type(s_, *c.types[item.index])); break;
        case Item::Kind::Canon: validate_canon(s_, c.canons[item.index]); break;
        case Item::Kind::Start: start(c.starts[item.index]); break;
        case Item::Kind::Import: {
          const ImportDef& d = c.imports[item.index];
          s_.declare(d.name, resolve_extern(s_, d.type, d.offset), true, d.offset);
          break;
        }
        case Item::Kind::Export: export_def(c.exports[item.index]); break;
        case Item::Kind::Value:
          invalid(c.values[item.index].offset, "support for component model `value`s is not enabled");
      }
    }
    if (info_) info_->scopes[&c] = ScopeTypes{s_.funcs, s_.types, s_.instances, s_.components};
  }

 private:
  void core_module(const CoreModuleDef& m) {
    if (auto v = wasm::validate_module(*m.module, wasm::Features::process_default(), /*bodies=*/!m.compiled_before); !v)
      invalid(m.offset, kCoreModuleError + v.error().message);
    s_.core_modules.push_back(module_type_of(*m.module, m.offset));
  }

  void core_instance(const CoreInstanceDef& d) {
    auto t = std::make_shared<CoreInstanceType>();
    if (d.instantiate) {
      const auto& module = s_.core_module(d.module, d.offset);
      std::unordered_map<std::string, const CoreInstanceType*> args;
      for (const auto& a : d.args) {
        const auto& inst = s_.core_instance(a.instance, d.offset);
        if (!args.emplace(a.name, inst.get()).second)
          invalid(d.offset, "duplicate module instantiation argument named `" + a.name + "`");
      }
      for (const auto& imp : module->imports) {
        auto found = args.find(imp.module);
        if (found == args.end()) invalid(d.offset, "missing module instantiation argument named `" + imp.module + "`");
        const CoreExtern* e = found->second->find_export(imp.name);
        if (!e)
          invalid(d.offset, "module instantiation argument `" + imp.module + "` does not export an item named `" +
                                imp.name + "`");
        with_context(
            [&] { return "type mismatch for export `" + imp.name + "` of module instantiation argument `" + imp.module + "`"; },
            [&] { check_core_extern(*e, imp.type, d.offset); });
      }
      t->exports = module->exports;
    } else {
      std::set<std::string> seen;
      for (const auto& e : d.exports) {
        if (e.item.sort > Sort::CoreTag)
          invalid(d.offset, std::string("a core instance cannot export a ") + sort_name(e.item.sort));
        CoreExtern x = s_.core_entity(e.item.sort, e.item.index, d.offset);
        if (!seen.insert(e.name).second)
          invalid(d.offset, "duplicate instantiation export name `" + e.name + "` already defined");
        t->exports.push_back({e.name, x});
      }
    }
    s_.core_instances.push_back(std::move(t));
  }

  void nested(const Component& c) {
    Scope inner;
    inner.parent = &s_;
    inner.cx = s_.cx;
    Validator(inner, info_).run(c);
    s_.components.push_back(inner.finish(c.offset));
  }

  // An instantiation argument or bag-of-exports item: the entity itself
  // (a type as it is, without a new alias).
  EntityType item(const SortIdx& i, size_t off) {
    if (i.sort == Sort::Value) invalid(off, "support for component model `value`s is not enabled");
    return s_.entity(i.sort, i.index, off);
  }

  void instance(const InstanceDef& d) {
    if (d.instantiate) instantiate(d);
    else bag_of_exports(d);
  }

  void instantiate(const InstanceDef& d) {
    const auto& comp = s_.component(d.component, d.offset);
    NamedList<NamedEntity> args;
    for (const auto& a : d.args) {
      EntityType e = item(a.item, d.offset);
      if (args.find(a.name))
        invalid(d.offset, "instantiation argument `" + a.name + "` conflicts with previous argument `" + a.name + "`");
      args.push_back({a.name, std::move(e)});
    }
    const ComponentTypeV& type = resources_of(*comp);
    // The imports' resources become the arguments', and the resources the
    // component defines are new for each instantiation.
    Remapping mapping = open_instance_type(*s_.cx, args, type, true, d.offset);
    std::vector<uint32_t> fresh;
    for (const auto& [old, path] : type.defined_resources) {
      uint32_t id = fresh_resource()->id;
      mapping.resources[old] = id;
      fresh.push_back(id);
    }
    auto t = std::make_shared<InstanceTypeV>();
    for (const auto& e : type.exports) {
      NamedEntity n = e;
      remap(*s_.cx, n.type, mapping);
      t->exports.push_back(std::move(n));
    }
    for (const auto& [id, path] : type.explicit_resources) {
      auto it = mapping.resources.find(id);
      t->explicit_resources.insert(it == mapping.resources.end() ? id : it->second, path);
    }
    for (uint32_t id : fresh) s_.defined_resources.insert(id, false);
    s_.cx->copy_measure(comp.get(), t);
    s_.instances.push_back(std::move(t));
  }

  void bag_of_exports(const InstanceDef& d) {
    auto t = std::make_shared<InstanceTypeV>();
    NameContext no_names;  // a bag of exports names no resources of its own
    std::map<std::string, std::string> keys;
    for (const auto& e : d.exports) {
      EntityType type = item(e.item, d.offset);
      if (type.kind == ExternType::Kind::Instance) {
        for (const auto& [id, path] : resources_of(*type.instance).explicit_resources) {
          Path p{e.name.name};
          p.insert(p.end(), path.begin(), path.end());
          t->explicit_resources.insert(id, std::move(p));
        }
      } else if (type.kind == ExternType::Kind::Type && type.type.kind == TypeDef::Kind::Resource) {
        t->explicit_resources.insert(type.type.resource->id, {e.name.name});
      }
      check_extern(e.name, type, false, no_names, keys, t->exports, d.offset);
      t->exports.push_back({e.name.name, std::move(type)});
    }
    s_.instances.push_back(std::move(t));
  }

  void export_def(const ExportDef& d) {
    Entity e;
    e.type = item(d.item, d.offset);
    if (e.type.kind == ExternType::Kind::Type) e.type.type = unique_alias(*s_.cx, e.type.type);
    if (d.type) {
      Entity ascribed = resolve_extern(s_, *d.type, d.offset);
      with_context([] { return "ascribed type of export is not compatible with item's type"; },
                   [&] { check_subtype(*s_.cx, e.type, ascribed.type, d.offset); });
      e = std::move(ascribed);
    }
    s_.declare(d.name, std::move(e), false, d.offset);
  }

  void start(const StartDef& d) {
    if (has_start_) invalid(d.offset, "component cannot have more than one start function");
    has_start_ = true;
    const auto& f = s_.func(d.func, d.offset);
    if (!d.args.empty() || d.results != 0) invalid(d.offset, "support for component model `value`s is not enabled");
    if (!f->params.empty())
      invalid(d.offset, "component start function requires " + std::to_string(f->params.size()) +
                            " arguments but was given 0");
    if (f->result)
      invalid(d.offset, "component start function has a result count of 0 but the function type has a result count of 1");
  }

  Scope& s_;
  ValidationInfo* info_;
  bool has_start_ = false;
};

}  // namespace
}  // namespace binary

// ---- entity_types.h ----

const CoreExtern* CoreModuleType::find_export(const std::string& name) const {
  const auto* e = exports.find(name);
  return e ? &e->type : nullptr;
}

const CoreExtern* CoreInstanceType::find_export(const std::string& name) const {
  const auto* e = exports.find(name);
  return e ? &e->type : nullptr;
}

const EntityType* InstanceTypeInfo::find_export(const std::string& name) const {
  const auto* e = exports.find(name);
  return e ? &e->type : nullptr;
}

const char* kind_name(ExternType::Kind k) {
  static const char* const kNames[] = {"core module", "func", "value", "type", "component", "instance"};
  return kNames[static_cast<int>(k)];
}

Expected<ComponentTypeInfo> validate_component(const Component& component) {
  return validate_component(component, nullptr);
}

Expected<ComponentTypeInfo> validate_component(const Component& component, ValidationInfo* info) {
  binary::Context cx;
  // A measure per type object the validation makes: a few per definition
  // (reserved once rather than rehashed as it grows).
  cx.measures.reserve(4 * (component.types.size() + component.imports.size() + component.exports.size()) + 64);
  binary::Scope scope;
  scope.cx = &cx;
  std::shared_ptr<binary::ComponentTypeV> type;
  try {
    binary::Validator(scope, info).run(component);
    type = scope.finish(component.offset);
  } catch (const binary::ValidateFail& f) {
    char at[48];
    std::snprintf(at, sizeof at, "at offset 0x%zx: ", f.offset);
    return make_error(at + f.message);
  }
  ComponentTypeInfo t;  // the root's type is held nowhere else
  t.imports = std::move(type->imports);
  t.exports = std::move(type->exports);
  return t;
}

}  // namespace whirl::component
