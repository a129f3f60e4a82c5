// Validation of type definitions (value, function, component, instance,
// resource and core types), extern types, aliases and declarations: the
// rules of Binary.md "Type Definitions" and "Alias Definitions".
#include <atomic>
#include <set>

#include "component/binary/scope.h"
#include "component/names.h"

namespace whirl::component::binary {
namespace {

std::string idx(uint32_t i) { return std::to_string(i); }

bool is_map_key(TypeKind k) {
  return k != TypeKind::F32 && k != TypeKind::F64 && k != TypeKind::ErrorContext && k <= TypeKind::String;
}

// Combines children's measures into their parent's and records it.
class Measurer {
 public:
  Measurer(Scope& s, size_t offset) : s_(s), off_(offset) {}
  void add(const Measure& c) {
    m_.size += c.size;
    if (c.depth + 1 > m_.depth) m_.depth = c.depth + 1;
    m_.borrow = m_.borrow || c.borrow;
    m_.memory = m_.memory || c.memory;
  }
  void add(const ValTypePtr& t) {
    if (t) add(measure(s_, *t));
  }
  const Measure& record(std::shared_ptr<const void> p) {
    if (m_.size > kMaxTypeSize)
      invalid(off_, "effective type size exceeds the limit of " + std::to_string(kMaxTypeSize));
    if (m_.depth > kMaxTypeDepth)
      invalid(off_, "type nesting is too deep (implementation limit: " + std::to_string(kMaxTypeDepth) + ")");
    const void* key = p.get();
    return ((*s_.measures)[key] = {m_, std::move(p)}).first;
  }
  Measure& self() { return m_; }

 private:
  Scope& s_;
  size_t off_;
  Measure m_;
};

ValTypePtr define_valtype(Scope& s, const DefValType& d, size_t off) {
  if (d.kind <= TypeKind::ErrorContext) return primitive(d.kind);
  auto t = std::make_shared<ValType>();
  t->kind = d.kind;
  auto resolve = [&](const ValTypeRef& r) { return resolve_valtype(s, r, off); };
  auto opt = [&](const std::optional<ValTypeRef>& r) { return r ? resolve(*r) : nullptr; };
  switch (d.kind) {
    case TypeKind::Record: {
      if (d.fields.empty()) invalid(off, "record type must have at least one field");
      std::vector<std::string> labels;
      for (const auto& f : d.fields) {
        labels.push_back(f.label);
        t->fields.push_back({f.label, resolve(f.type)});
      }
      check_labels(labels, "record field", off);
      break;
    }
    case TypeKind::Variant: {
      if (d.cases.empty()) invalid(off, "variant type must have at least one case");
      std::vector<std::string> labels;
      for (const auto& c : d.cases) {
        labels.push_back(c.label);
        t->cases.push_back({c.label, opt(c.type)});
      }
      check_labels(labels, "variant case", off);
      break;
    }
    case TypeKind::Tuple:
      if (d.elems.empty()) invalid(off, "tuple type must have at least one type");
      for (const auto& e : d.elems) t->elems.push_back(resolve(e));
      break;
    case TypeKind::Flags:
      if (d.labels.empty()) invalid(off, "flags must have at least one entry");
      if (d.labels.size() > 32) invalid(off, "cannot have more than 32 flags");
      check_labels(d.labels, "flag", off);
      t->labels = d.labels;
      break;
    case TypeKind::Enum:
      if (d.labels.empty()) invalid(off, "enum type must have at least one variant");
      check_labels(d.labels, "enum tag", off);
      t->labels = d.labels;
      break;
    case TypeKind::List:
      if (d.fixed_length && *d.fixed_length == 0) invalid(off, "fixed-length list must have at least one element");
      t->elem = opt(d.elem);
      t->fixed_length = d.fixed_length;
      break;
    case TypeKind::Option: t->elem = opt(d.elem); break;
    case TypeKind::Result: t->ok = opt(d.ok); t->err = opt(d.err); break;
    case TypeKind::Own:
    case TypeKind::Borrow: {
      const TypeEntry& r = s.type(d.resource, off);
      if (r.kind != TypeDef::Kind::Resource) invalid(off, "type index " + idx(d.resource) + " is not a resource type");
      t->resource = r.resource;
      break;
    }
    case TypeKind::Stream:
    case TypeKind::Future:
      t->elem = opt(d.elem);
      if (t->elem && measure(s, *t->elem).borrow)
        invalid(off, std::string(d.kind == TypeKind::Stream ? "stream" : "future") + " element type cannot contain a `borrow`");
      if (d.kind == TypeKind::Stream && t->elem && t->elem->kind == TypeKind::Char)
        invalid(off, "`stream<char>` is not valid at this time");
      break;
    case TypeKind::Map:
      t->key = opt(d.key);
      t->elem = opt(d.elem);
      if (!is_map_key(t->key->kind)) invalid(off, "map key type `" + to_string(*t->key) + "` is not a valid key type");
      break;
    default: break;
  }
  Measurer m(s, off);
  for (const auto* p : {&t->elem, &t->key, &t->ok, &t->err}) m.add(*p);
  for (const auto& f : t->fields) m.add(f.type);
  for (const auto& c : t->cases) m.add(c.type);
  for (const auto& e : t->elems) m.add(e);
  m.self().borrow = m.self().borrow || t->kind == TypeKind::Borrow;
  m.self().memory = m.self().memory || (t->kind == TypeKind::List && !t->fixed_length) || t->kind == TypeKind::Map;
  m.record(t);
  return t;
}

// The declarators of a component or instance type, in a new scope.
void type_decls(Scope& scope, const TypeDef& t) {
  for (const auto& d : t.decls) {
    switch (d.kind) {
      case TypeDecl::Kind::CoreType: define_core_type(scope, *d.core_type); break;
      case TypeDecl::Kind::Type: scope.types.push_back(define_type(scope, *d.type)); break;
      case TypeDecl::Kind::Alias: {
        const Alias& a = *d.alias;
        bool ok = a.target == Alias::Target::Export ? (a.sort == Sort::Instance || a.sort == Sort::Type)
                  : a.target == Alias::Target::Outer ? (a.sort == Sort::CoreType || a.sort == Sort::Type)
                                                     : false;
        if (!ok) invalid(d.offset, std::string("a type declaration cannot alias a ") + sort_name(a.sort) +
                                       (a.target == Alias::Target::Outer ? " (outer)" : " (export)"));
        apply_alias(scope, a);
        break;
      }
      case TypeDecl::Kind::Import:
      case TypeDecl::Kind::Export:
        declare(scope, d.name, resolve_extern(scope, d.extern_type, d.offset), d.kind == TypeDecl::Kind::Import,
                d.offset);
        break;
    }
  }
}

CoreExtern core_extern(const std::vector<CoreTypeEntry>& types, const CoreExternType& t, size_t off) {
  CoreExtern e;
  e.kind = t.kind;
  e.table = t.table;
  e.memory = t.memory;
  e.global = t.global;
  if (t.kind == CoreExternType::Kind::Func || t.kind == CoreExternType::Kind::Tag) {
    if (t.type_index >= types.size() || !types[t.type_index].func)
      invalid(off, "unknown core type " + idx(t.type_index) + ": not a function type in this scope");
    e.func = types[t.type_index].func;
  }
  return e;
}

std::shared_ptr<const CoreModuleType> module_type(const Scope& s, const CoreType& t) {
  auto m = std::make_shared<CoreModuleType>();
  std::vector<CoreTypeEntry> types;  // a module type's own, initially empty, type index space
  std::set<std::string> export_names;
  for (const auto& d : t.module) {
    switch (d.kind) {
      case CoreModuleDecl::Kind::Import: m->imports.push_back({d.module, d.name, core_extern(types, d.type, d.offset)}); break;
      case CoreModuleDecl::Kind::Export:
        if (!export_names.insert(d.name).second) invalid(d.offset, "duplicate export name `" + d.name + "` in a module type");
        m->exports.push_back({d.name, core_extern(types, d.type, d.offset)});
        break;
      case CoreModuleDecl::Kind::Type:
        if (d.def->kind == CoreType::Kind::Module)
          invalid(d.def->offset, "invalid leading byte (0x50) for type definition: a module type cannot be declared inside a module type");
        for (const auto& sub : d.def->rec) types.push_back({sub.func, nullptr});
        break;
      case CoreModuleDecl::Kind::Alias: {
        const CoreTypeEntry* target = nullptr;
        if (d.outer_count == 0) {
          if (d.outer_index < types.size()) target = &types[d.outer_index];
        } else {
          const Scope* sc = &s;
          for (uint32_t i = 1; sc && i < d.outer_count; ++i) sc = sc->parent;
          if (!sc) invalid(d.offset, "invalid outer alias count of " + idx(d.outer_count));
          if (d.outer_index < sc->core_types.size()) target = &sc->core_types[d.outer_index];
        }
        if (!target) invalid(d.offset, "unknown core type " + idx(d.outer_index) + ": type index out of bounds");
        if (target->module) invalid(d.offset, "a module type cannot alias a module type");
        types.push_back(*target);
        break;
      }
    }
  }
  return m;
}

}  // namespace

std::shared_ptr<const ResourceType> fresh_resource(bool host_defined) {
  static std::atomic<uint32_t> next{1};
  auto r = std::make_shared<ResourceType>();
  r->id = next++;
  r->host_defined = host_defined;
  return r;
}

Measure measure(const Scope& s, const ValType& t) {
  if (t.is_primitive()) return {1, 1, false, t.kind == TypeKind::String};
  auto it = s.measures->find(&t);
  return it == s.measures->end() ? Measure{} : it->second.first;
}

Measure measure(const Scope& s, const EntityType& e) {
  const void* p = nullptr;
  switch (e.kind) {
    case ExternType::Kind::CoreModule: return {1 + e.module->imports.size() + e.module->exports.size(), 1};
    case ExternType::Kind::Func: p = e.func.get(); break;
    case ExternType::Kind::Value: return measure(s, *e.value);
    case ExternType::Kind::Type:
      switch (e.type.kind) {
        case TypeDef::Kind::Val: return measure(s, *e.type.val);
        case TypeDef::Kind::Func: p = e.type.func.get(); break;
        case TypeDef::Kind::Component: p = e.type.component.get(); break;
        case TypeDef::Kind::Instance: p = e.type.instance.get(); break;
        case TypeDef::Kind::Resource: return {};
      }
      break;
    case ExternType::Kind::Component: p = e.component.get(); break;
    case ExternType::Kind::Instance: p = e.instance.get(); break;
  }
  auto it = s.measures->find(p);
  return it == s.measures->end() ? Measure{} : it->second.first;
}

ValTypePtr resolve_valtype(const Scope& s, const ValTypeRef& r, size_t offset) {
  if (!r.is_index) return primitive(r.prim);
  const TypeEntry& e = s.type(r.index, offset);
  if (e.kind != TypeDef::Kind::Val) invalid(offset, "type index " + idx(r.index) + " is not a defined type");
  return e.val;
}

TypeEntry define_type(Scope& s, const TypeDef& t) {
  TypeEntry e;
  e.kind = t.kind;
  size_t off = t.offset;
  switch (t.kind) {
    case TypeDef::Kind::Val: e.val = define_valtype(s, t.val, off); break;
    case TypeDef::Kind::Func: {
      auto f = std::make_shared<FuncType>();
      f->async = t.func.async;
      std::vector<std::string> labels;
      for (const auto& p : t.func.params) {
        labels.push_back(p.label);
        f->params.push_back({p.label, resolve_valtype(s, p.type, off)});
      }
      check_labels(labels, "function parameter", off);
      if (t.func.result) {
        f->result = resolve_valtype(s, *t.func.result, off);
        if (measure(s, *f->result).borrow) invalid(off, "function result cannot contain a `borrow` type");
      }
      Measurer m(s, off);
      for (const auto& p : f->params) m.add(p.type);
      m.add(f->result);
      m.record(f);
      e.func = std::move(f);
      break;
    }
    case TypeDef::Kind::Component:
    case TypeDef::Kind::Instance: {
      Scope inner;
      inner.kind = t.kind == TypeDef::Kind::Component ? Scope::Kind::ComponentType : Scope::Kind::InstanceType;
      inner.parent = &s;
      inner.measures = s.measures;
      type_decls(inner, t);
      Measurer m(s, off);
      for (const auto& i : inner.imports) m.add(measure(s, i.type));
      for (const auto& x : inner.exports) m.add(measure(s, x.type));
      if (t.kind == TypeDef::Kind::Component) {
        auto c = std::make_shared<ComponentTypeInfo>();
        c->imports = std::move(inner.imports);
        c->exports = std::move(inner.exports);
        m.record(c);
        e.component = std::move(c);
      } else {
        auto i = std::make_shared<InstanceTypeInfo>();
        i->exports = std::move(inner.exports);
        m.record(i);
        e.instance = std::move(i);
      }
      break;
    }
    case TypeDef::Kind::Resource: {
      if (s.kind != Scope::Kind::Component) invalid(off, "resources can only be defined within a concrete component");
      if (t.resource.rep != wasm::ValType::I32) invalid(off, "resources can only be represented by `i32`");
      if (t.resource.dtor) {
        const CoreExtern& d = s.core_entity(Sort::CoreFunc, *t.resource.dtor, off);
        wasm::FuncType want{{wasm::ValType::I32}, {}};
        if (d.func && *d.func != want)
          invalid(off, "wrong signature for a destructor: " + wasm::to_string(*d.func) + ", expected [i32] -> []");
      }
      e.resource = fresh_resource(false);
      break;
    }
  }
  return e;
}

void define_core_type(Scope& s, const CoreType& t) {
  if (t.kind == CoreType::Kind::Module) {
    s.core_types.push_back({std::nullopt, module_type(s, t)});
    return;
  }
  size_t base = s.core_types.size();
  for (size_t i = 0; i < t.rec.size(); ++i) {
    for (uint32_t super : t.rec[i].supertypes)
      if (super >= base + i || !s.core_types[super].func)
        invalid(t.offset, "unknown core type " + idx(super) + ": not a preceding function type");
    s.core_types.push_back({t.rec[i].func, nullptr});
  }
}

EntityType resolve_extern(Scope& s, const ExternType& t, size_t off) {
  EntityType e;
  e.kind = t.kind;
  switch (t.kind) {
    case ExternType::Kind::CoreModule:
      if (t.index >= s.core_types.size()) invalid(off, "unknown core type " + idx(t.index) + ": type index out of bounds");
      if (!s.core_types[t.index].module) invalid(off, "core type index " + idx(t.index) + " is not a module type");
      e.module = s.core_types[t.index].module;
      break;
    case ExternType::Kind::Func: {
      const TypeEntry& f = s.type(t.index, off);
      if (f.kind != TypeDef::Kind::Func) invalid(off, "type index " + idx(t.index) + " is not a function type");
      e.func = f.func;
      break;
    }
    case ExternType::Kind::Value:
      invalid(off, "value imports and exports are not supported (the component-model-values feature)");
    case ExternType::Kind::Type:
      if (t.eq) {
        e.type = s.type(t.index, off);
      } else {
        e.type.kind = TypeDef::Kind::Resource;
        e.type.resource = fresh_resource(false);
      }
      break;
    case ExternType::Kind::Component: {
      const TypeEntry& c = s.type(t.index, off);
      if (c.kind != TypeDef::Kind::Component) invalid(off, "type index " + idx(t.index) + " is not a component type");
      e.component = c.component;
      break;
    }
    case ExternType::Kind::Instance: {
      const TypeEntry& i = s.type(t.index, off);
      if (i.kind != TypeDef::Kind::Instance) invalid(off, "type index " + idx(t.index) + " is not an instance type");
      e.instance = i.instance;
      break;
    }
  }
  return e;
}

void apply_alias(Scope& s, const Alias& a) {
  size_t off = a.offset;
  switch (a.target) {
    case Alias::Target::Export: {
      if (a.instance >= s.instances.size())
        invalid(off, "unknown instance " + idx(a.instance) + ": instance index out of bounds");
      const EntityType* e = s.instances[a.instance]->find_export(a.name);
      if (!e) invalid(off, "instance " + idx(a.instance) + " has no export named `" + a.name + "`");
      static const Sort kSortOf[] = {Sort::CoreModule, Sort::Func, Sort::Value, Sort::Type, Sort::Component,
                                     Sort::Instance};
      if (kSortOf[static_cast<int>(e->kind)] != a.sort)
        invalid(off, "export `" + a.name + "` of instance " + idx(a.instance) + " is a " + kind_name(e->kind) +
                         ", not a " + sort_name(a.sort));
      s.push(*e);
      break;
    }
    case Alias::Target::CoreExport: {
      if (a.instance >= s.core_instances.size())
        invalid(off, "unknown core instance " + idx(a.instance) + ": instance index out of bounds");
      const CoreExtern* e = s.core_instances[a.instance]->find_export(a.name);
      if (!e) invalid(off, "core instance " + idx(a.instance) + " has no export named `" + a.name + "`");
      if (a.sort > Sort::CoreTag || static_cast<int>(e->kind) != static_cast<int>(a.sort))
        invalid(off, "export `" + a.name + "` of core instance " + idx(a.instance) + " is not a " + sort_name(a.sort));
      s.push_core(a.sort, *e);
      break;
    }
    case Alias::Target::Outer: {
      const Scope* target = &s;
      for (uint32_t i = 0; target && i < a.count; ++i) target = target->parent;
      if (!target) invalid(off, "invalid outer alias count of " + idx(a.count));
      if (a.sort == Sort::CoreType) {
        if (a.index >= target->core_types.size())
          invalid(off, "unknown core type " + idx(a.index) + ": type index out of bounds");
        s.core_types.push_back(target->core_types[a.index]);
      } else if (a.sort == Sort::CoreModule) {
        if (a.index >= target->core_modules.size())
          invalid(off, "unknown core module " + idx(a.index) + ": module index out of bounds");
        s.core_modules.push_back(target->core_modules[a.index]);
      } else {
        s.push(target->entity(a.sort, a.index, off));
      }
      break;
    }
  }
}

void declare(Scope& s, const AttributedName& name, const EntityType& type, bool is_import, size_t offset) {
  const char* what = is_import ? "import" : "export";
  check_extern_name(name, type, what, offset);
  auto& names = is_import ? s.import_names : s.export_names;
  if (!names.insert(uniqueness_key(name.name)).second)
    invalid(offset, std::string(what) + " name `" + name.name + "` conflicts with a previous name");
  (is_import ? s.imports : s.exports).push_back({name.name, type});
  s.push(type);
}

}  // namespace whirl::component::binary
