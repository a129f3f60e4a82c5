// Component validation, definition by definition: each one is checked
// against the index spaces built so far and then extends them.
#include "component/binary/validator.h"

#include <cstdio>
#include <set>
#include <unordered_map>

#include "component/binary/decoder.h"
#include "component/abi/layout.h"
#include "component/binary/scope.h"
#include "component/names.h"
#include "wasm/validate/validator.h"

namespace whirl::component {
namespace binary {

void invalid(size_t offset, std::string message) { throw ValidateFail{offset, std::move(message)}; }

namespace {

std::string idx(uint32_t i) { return std::to_string(i); }

[[noreturn]] void out_of_bounds(Sort sort, uint32_t index, size_t off) {
  std::string s = sort_name(sort);
  invalid(off, "unknown " + s + " " + idx(index) + ": " + s + " index out of bounds");
}

template <class V>
const auto& at(const V& v, Sort sort, uint32_t index, size_t off) {
  if (index >= v.size()) out_of_bounds(sort, index, off);
  return v[index];
}

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
  }
  return e;
}

std::shared_ptr<const CoreModuleType> module_type_of(const wasm::Module& m) {
  auto t = std::make_shared<CoreModuleType>();
  for (const auto& imp : m.imports) {
    CoreExtern e;
    e.kind = static_cast<CoreExternType::Kind>(imp.kind);
    if (imp.kind == wasm::ExternKind::Func) e.func = m.types[imp.func_type];
    e.table = imp.table;
    e.memory = imp.memory;
    e.global = imp.global;
    t->imports.push_back({imp.module, imp.name, e});
  }
  for (const auto& exp : m.exports) t->exports.push_back({exp.name, core_extern_of(m, exp.kind, exp.index)});
  return t;
}

wasm::FuncType core_of(const abi::CoreFuncType& f) {
  static const wasm::ValType kCore[] = {wasm::ValType::I32, wasm::ValType::I64, wasm::ValType::F32, wasm::ValType::F64};
  wasm::FuncType out;
  for (auto t : f.params) out.params.push_back(kCore[static_cast<int>(t)]);
  for (auto t : f.results) out.results.push_back(kCore[static_cast<int>(t)]);
  return out;
}

class Validator {
 public:
  Validator(Scope& s, ValidationInfo* info) : s_(s), info_(info) {}

  void run(const Component& c) {
    run_items(c);
    if (info_) info_->scopes[&c] = ScopeTypes{s_.funcs, s_.types, s_.instances, s_.components};
  }

  void run_items(const Component& c) {
    for (const Item& item : c.order) {
      switch (item.kind) {
        case Item::Kind::CoreModule: core_module(c.core_modules[item.index]); break;
        case Item::Kind::CoreInstance: core_instance(c.core_instances[item.index]); break;
        case Item::Kind::CoreType: define_core_type(s_, *c.core_types[item.index]); break;
        case Item::Kind::Component: nested(*c.components[item.index]); break;
        case Item::Kind::Instance: instance(c.instances[item.index]); break;
        case Item::Kind::Alias: apply_alias(s_, c.aliases[item.index]); break;
        case Item::Kind::Type: s_.types.push_back(define_type(s_, *c.types[item.index])); break;
        case Item::Kind::Canon: canon(c.canons[item.index]); break;
        case Item::Kind::Start: start(c.starts[item.index]); break;
        case Item::Kind::Import: {
          const ImportDef& d = c.imports[item.index];
          declare(s_, d.name, resolve_extern(s_, d.type, d.offset), true, d.offset);
          break;
        }
        case Item::Kind::Export: export_def(c.exports[item.index]); break;
        case Item::Kind::Value:
          invalid(c.values[item.index].offset, "value definitions are not supported (the component-model-values feature)");
      }
    }
  }

 private:
  void core_module(const CoreModuleDef& m) {
    if (auto v = wasm::validate_module(*m.module); !v) invalid(m.offset, kCoreModuleError + v.error().message);
    s_.core_modules.push_back(module_type_of(*m.module));
  }

  void core_instance(const CoreInstanceDef& d) {
    auto t = std::make_shared<CoreInstanceType>();
    if (d.instantiate) {
      const auto& module = at(s_.core_modules, Sort::CoreModule, d.module, d.offset);
      std::unordered_map<std::string, const CoreInstanceDef::Arg*> args;
      for (const auto& a : d.args) {
        if (!args.emplace(a.name, &a).second)
          invalid(d.offset, "duplicate module instantiation argument named `" + a.name + "`");
        at(s_.core_instances, Sort::CoreInstance, a.instance, d.offset);
      }
      for (const auto& imp : module->imports) {
        auto found = args.find(imp.module);
        if (found == args.end()) invalid(d.offset, "missing module instantiation argument named `" + imp.module + "`");
        const CoreInstanceDef::Arg* arg = found->second;
        const CoreExtern* e = s_.core_instances[arg->instance]->find_export(imp.name);
        if (!e)
          invalid(d.offset, "module instantiation argument `" + imp.module + "` does not export an item named `" +
                                imp.name + "`");
        std::string why;
        if (!core_extern_matches(*e, imp.type, why))
          invalid(d.offset, "type mismatch for export `" + imp.name + "` of module instantiation argument `" +
                                imp.module + "`: " + why);
      }
      t->exports = module->exports;
    } else {
      std::set<std::string> seen;
      for (const auto& e : d.exports) {
        if (e.item.sort > Sort::CoreTag)
          invalid(d.offset, std::string("a core instance cannot export a ") + sort_name(e.item.sort));
        if (!seen.insert(e.name).second) invalid(d.offset, "export name `" + e.name + "` already defined");
        t->exports.push_back({e.name, s_.core_entity(e.item.sort, e.item.index, d.offset)});
      }
    }
    s_.core_instances.push_back(std::move(t));
  }

  void nested(const Component& c) {
    Scope inner;
    inner.parent = &s_;
    inner.measures = s_.measures;
    Validator(inner, info_).run(c);
    auto t = std::make_shared<ComponentTypeInfo>();
    t->imports = std::move(inner.imports);
    t->exports = std::move(inner.exports);
    s_.components.push_back(std::move(t));
  }

  void instance(const InstanceDef& d) {
    auto t = std::make_shared<InstanceTypeInfo>();
    if (d.instantiate) {
      const auto& comp = at(s_.components, Sort::Component, d.component, d.offset);
      NamedList<NamedEntity> args;
      for (const auto& a : d.args) {
        if (args.find(a.name))
          invalid(d.offset, "instantiation argument `" + a.name + "` conflicts with a previous argument");
        args.push_back({a.name, s_.entity(a.item.sort, a.item.index, d.offset)});
      }
      Subst subst;
      for (const auto& imp : comp->imports) {
        const NamedEntity* arg = args.find(imp.name);
        if (!arg) invalid(d.offset, "missing import named `" + imp.name + "`");
        std::string why;
        if (!is_subtype(arg->type, imp.type, subst, why))
          invalid(d.offset, "type mismatch for import `" + imp.name + "`: " + why);
      }
      t->exports = comp->exports;
    } else {
      Scope names;  // for the name rules only
      for (const auto& e : d.exports) {
        EntityType type = s_.entity(e.item.sort, e.item.index, d.offset);
        check_extern_name(e.name, type, "export", d.offset);
        if (!names.export_names.insert(uniqueness_key(e.name.name)).second)
          invalid(d.offset, "export name `" + e.name.name + "` conflicts with a previous name");
        t->exports.push_back({e.name.name, type});
      }
    }
    s_.instances.push_back(std::move(t));
  }

  void export_def(const ExportDef& d) {
    EntityType type = s_.entity(d.item.sort, d.item.index, d.offset);
    if (d.type) {
      EntityType ascribed = resolve_extern(s_, *d.type, d.offset);
      Subst subst;
      std::string why;
      if (!is_subtype(type, ascribed, subst, why))
        invalid(d.offset, "type mismatch in export `" + d.name.name + "`: " + why);
      type = std::move(ascribed);
    }
    declare(s_, d.name, type, false, d.offset);
  }

  void start(const StartDef& d) {
    const auto& f = at(s_.funcs, Sort::Func, d.func, d.offset);
    if (!d.args.empty() || d.results != 0 || !f->params.empty() || f->result)
      invalid(d.offset, "start functions with arguments or results need values (the component-model-values feature)");
  }

  const CoreExtern& core_func(uint32_t index, size_t off) { return s_.core_entity(Sort::CoreFunc, index, off); }

  void check_signature(uint32_t index, const wasm::FuncType& want, const char* what, size_t off) {
    const CoreExtern& f = core_func(index, off);
    if (f.func && *f.func != want)
      invalid(off, std::string("canonical option `") + what + "` uses a core function with the wrong signature: " +
                       wasm::to_string(*f.func) + ", expected " + wasm::to_string(want));
  }

  // `memory_for`: whether the function's types put values in linear memory;
  // `realloc_for`: whether the callee side allocates there.
  void opts(const Canon& c, bool memory_for, bool realloc_for) {
    const CanonOpts& o = c.opts;
    using wasm::ValType;
    if (!o.duplicates.empty())
      invalid(c.offset, "canonical option `" + o.duplicates.front() + "` is specified more than once");
    if (o.memory) s_.core_entity(Sort::CoreMemory, *o.memory, c.offset);
    if (o.realloc) check_signature(*o.realloc, {{ValType::I32, ValType::I32, ValType::I32, ValType::I32}, {ValType::I32}}, "realloc", c.offset);
    if (o.callback) {
      if (c.kind != CanonKind::Lift) invalid(c.offset, "canonical option `callback` is only allowed on `lift`");
      if (!o.async) invalid(c.offset, "cannot specify callback without async");
      check_signature(*o.callback, {{ValType::I32, ValType::I32, ValType::I32}, {ValType::I32}}, "callback", c.offset);
    }
    if (o.post_return) {
      if (c.kind != CanonKind::Lift) invalid(c.offset, "canonical option `post-return` is only allowed on `lift`");
      core_func(*o.post_return, c.offset);
    }
    if (memory_for && !o.memory) invalid(c.offset, "canonical option `memory` is required");
    if (realloc_for && !o.realloc) invalid(c.offset, "canonical option `realloc` is required");
  }

  const TypeEntry& val_type_of(uint32_t index, TypeKind kind, const char* what, size_t off) {
    const TypeEntry& t = s_.type(index, off);
    if (t.kind != TypeDef::Kind::Val || t.val->kind != kind) invalid(off, "type index " + idx(index) + " is not " + what);
    return t;
  }

  void canon(const Canon& c) {
    using wasm::ValType;
    size_t off = c.offset;
    CoreExtern result;  // the core function most built-ins define
    switch (c.kind) {
      case CanonKind::Lift: {
        const CoreExtern& callee = core_func(c.func, off);
        const TypeEntry& t = s_.type(c.type, off);
        if (t.kind != TypeDef::Kind::Func) invalid(off, "type index " + idx(c.type) + " is not a function type");
        bool params = false;
        for (const auto& p : t.func->params) params = params || measure(s_, *p.type).memory;
        bool results = t.func->result && measure(s_, *t.func->result).memory;
        opts(c, params || results, params);
        wasm::FuncType want = core_of(abi::flatten_functype(
            *t.func, abi::FlattenContext::Lift, {abi::PtrType::I32, c.opts.async, c.opts.callback.has_value()}));
        if (callee.func && *callee.func != want)
          invalid(off, "canon lift: core func " + idx(c.func) + " has type " + wasm::to_string(*callee.func) +
                           ", the lifted function type flattens to " + wasm::to_string(want));
        if (c.opts.post_return) check_signature(*c.opts.post_return, {want.results, {}}, "post-return", off);
        s_.funcs.push_back(t.func);
        return;
      }
      case CanonKind::Lower: {
        const auto& f = at(s_.funcs, Sort::Func, c.func, off);
        bool params = false;
        for (const auto& p : f->params) params = params || measure(s_, *p.type).memory;
        bool results = f->result && measure(s_, *f->result).memory;
        opts(c, params || results, results);
        result.func = core_of(abi::flatten_functype(*f, abi::FlattenContext::Lower, {abi::PtrType::I32, c.opts.async, false}));
        break;
      }
      case CanonKind::ResourceNew:
      case CanonKind::ResourceDrop:
      case CanonKind::ResourceRep: {
        const TypeEntry& t = s_.type(c.type, off);
        if (t.kind != TypeDef::Kind::Resource) invalid(off, "type index " + idx(c.type) + " is not a resource type");
        result.func = c.kind == CanonKind::ResourceDrop ? wasm::FuncType{{ValType::I32}, {}}
                                                        : wasm::FuncType{{ValType::I32}, {ValType::I32}};
        break;
      }
      case CanonKind::TaskReturn:
        if (c.result) resolve_valtype(s_, *c.result, off);
        opts(c, false, false);
        break;
      case CanonKind::ContextGet:
      case CanonKind::ContextSet:
        if (c.core_type != ValType::I32) invalid(off, std::string(canon_name(c.kind)) + " type must be `i32`");
        if (c.context >= 2) invalid(off, "context slot " + idx(c.context) + " is out of bounds (there are 2)");
        result.func = c.kind == CanonKind::ContextGet ? wasm::FuncType{{}, {ValType::I32}} : wasm::FuncType{{ValType::I32}, {}};
        break;
      case CanonKind::StreamNew: case CanonKind::StreamRead: case CanonKind::StreamWrite:
      case CanonKind::StreamCancelRead: case CanonKind::StreamCancelWrite:
      case CanonKind::StreamDropReadable: case CanonKind::StreamDropWritable:
        val_type_of(c.type, TypeKind::Stream, "a stream type", off);
        opts(c, false, false);
        break;
      case CanonKind::FutureNew: case CanonKind::FutureRead: case CanonKind::FutureWrite:
      case CanonKind::FutureCancelRead: case CanonKind::FutureCancelWrite:
      case CanonKind::FutureDropReadable: case CanonKind::FutureDropWritable:
        val_type_of(c.type, TypeKind::Future, "a future type", off);
        opts(c, false, false);
        break;
      case CanonKind::ErrorContextNew:
      case CanonKind::ErrorContextDebugMessage: opts(c, false, false); break;
      case CanonKind::WaitableSetWait:
      case CanonKind::WaitableSetPoll: s_.core_entity(Sort::CoreMemory, c.memory, off); break;
      case CanonKind::ThreadNewIndirect:
      case CanonKind::ThreadSpawnIndirect:
        s_.core_entity(Sort::CoreTable, c.table, off);
        [[fallthrough]];
      case CanonKind::ThreadSpawnRef:
        if (c.type >= s_.core_types.size() || !s_.core_types[c.type].func)
          invalid(off, "core type index " + idx(c.type) + " is not a function type");
        break;
      default: break;
    }
    s_.core_funcs.push_back(result);
  }

  Scope& s_;
  ValidationInfo* info_;
};

}  // namespace

// ---- Scope ----

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
    case Sort::CoreModule: e.kind = ExternType::Kind::CoreModule; e.module = at(core_modules, sort, index, off); break;
    case Sort::Func: e.kind = ExternType::Kind::Func; e.func = at(funcs, sort, index, off); break;
    case Sort::Value: e.kind = ExternType::Kind::Value; e.value = at(values, sort, index, off); break;
    case Sort::Type: e.kind = ExternType::Kind::Type; e.type = at(types, sort, index, off); break;
    case Sort::Component: e.kind = ExternType::Kind::Component; e.component = at(components, sort, index, off); break;
    case Sort::Instance: e.kind = ExternType::Kind::Instance; e.instance = at(instances, sort, index, off); break;
    default: invalid(off, std::string("a ") + sort_name(sort) + " cannot be used here (only core modules of the core sorts)");
  }
  return e;
}

const CoreExtern& Scope::core_entity(Sort sort, uint32_t index, size_t off) const {
  switch (sort) {
    case Sort::CoreFunc: return at(core_funcs, sort, index, off);
    case Sort::CoreTable: return at(core_tables, sort, index, off);
    case Sort::CoreMemory: return at(core_memories, sort, index, off);
    case Sort::CoreGlobal: return at(core_globals, sort, index, off);
    case Sort::CoreTag: return at(core_tags, sort, index, off);
    default: invalid(off, std::string("a ") + sort_name(sort) + " cannot be used here");
  }
}

const TypeEntry& Scope::type(uint32_t index, size_t off) const { return at(types, Sort::Type, index, off); }

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
  binary::Measures measures;
  binary::Scope scope;
  scope.measures = &measures;
  try {
    binary::Validator(scope, info).run(component);
  } catch (const binary::ValidateFail& f) {
    char at[48];
    std::snprintf(at, sizeof at, "at offset 0x%zx: ", f.offset);
    return make_error(at + f.message);
  }
  ComponentTypeInfo t;
  t.imports = std::move(scope.imports);
  t.exports = std::move(scope.exports);
  return t;
}

}  // namespace whirl::component
