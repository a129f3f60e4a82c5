// Validation of type definitions (value, function, component, instance,
// resource and core types), extern types and aliases: Binary.md "Type
// Definitions" and "Alias Definitions", with wasmparser's messages.
#include <algorithm>
#include <set>

#include "component/binary/scope.h"

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
    return (s_.cx->measures[key] = {m_, std::move(p)}).first;
  }
  Measure& self() { return m_; }

 private:
  Scope& s_;
  size_t off_;
  Measure m_;
};

std::vector<std::string> labels_of(const std::vector<LabeledRef>& l) {
  std::vector<std::string> out;
  for (const auto& f : l) out.push_back(f.label);
  return out;
}

uint64_t align_up(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

// elem_size and alignment (CanonicalABI.md, with 64-bit pointers) of a
// defined type from its children's, saturated above the limit.
void abi_size(const Scope& s, const ValType& t, Measure& m) {
  auto saturate = [](uint64_t n) { return std::min<uint64_t>(n, kMaxValueBytes); };
  auto child = [&](const ValTypePtr& c) { return c ? measure(s, *c) : Measure{1, 1, false, false, 0, 1}; };
  auto record = [&](auto&& each) {
    uint64_t size = 0;
    uint32_t align = 1;
    each([&](const ValTypePtr& f) {
      Measure c = child(f);
      size = saturate(align_up(size, c.align) + c.bytes);
      align = std::max(align, c.align);
    });
    m.bytes = saturate(align_up(size, align));
    m.align = align;
  };
  auto variant = [&](size_t cases, auto&& each) {
    uint32_t disc = cases <= 256 ? 1 : cases <= 65536 ? 2 : 4, align = 1;
    uint64_t payload = 0;
    each([&](const ValTypePtr& c) {
      if (!c) return;
      Measure x = child(c);
      payload = std::max(payload, x.bytes);
      align = std::max(align, x.align);
    });
    m.align = std::max(disc, align);
    m.bytes = saturate(align_up(saturate(align_up(disc, align) + payload), m.align));
  };
  switch (t.kind) {
    case TypeKind::List:
      if (t.fixed_length) {
        Measure e = child(t.elem);
        m.bytes = saturate(e.bytes == 0 ? 0 : std::min<uint64_t>(*t.fixed_length, kMaxValueBytes) * e.bytes);
        m.align = e.align;
      } else {
        m.bytes = 16;
        m.align = 8;
      }
      break;
    case TypeKind::Map: m.bytes = 16; m.align = 8; break;
    case TypeKind::Record: record([&](auto f) { for (const auto& x : t.fields) f(x.type); }); break;
    case TypeKind::Tuple: record([&](auto f) { for (const auto& x : t.elems) f(x); }); break;
    case TypeKind::Variant: variant(t.cases.size(), [&](auto f) { for (const auto& c : t.cases) f(c.type); }); break;
    case TypeKind::Enum: variant(t.labels.size(), [](auto) {}); break;
    case TypeKind::Option: variant(2, [&](auto f) { f(t.elem); }); break;
    case TypeKind::Result: variant(2, [&](auto f) { f(t.ok); f(t.err); }); break;
    case TypeKind::Flags: m.bytes = m.align = t.labels.size() <= 8 ? 1 : t.labels.size() <= 16 ? 2 : 4; break;
    default: m.bytes = m.align = 4; break;  // own, borrow, stream, future
  }
}

ValTypePtr define_valtype(Scope& s, const DefValType& d, size_t off) {
  if (d.kind <= TypeKind::ErrorContext) return primitive(d.kind);
  auto t = std::make_shared<ValType>();
  t->kind = d.kind;
  auto resolve = [&](const ValTypeRef& r) { return resolve_valtype(s, r, off); };
  auto opt = [&](const std::optional<ValTypeRef>& r) { return r ? resolve(*r) : nullptr; };
  switch (d.kind) {
    case TypeKind::Record: {
      if (d.fields.empty()) invalid(off, "record type must have at least one field");
      check_labels(labels_of(d.fields), "record field", "field", off);
      for (const auto& f : d.fields) t->fields.push_back({f.label, resolve(f.type)});
      break;
    }
    case TypeKind::Variant: {
      if (d.cases.empty()) invalid(off, "variant type must have at least one case");
      std::vector<std::string> labels;
      for (const auto& c : d.cases) labels.push_back(c.label);
      check_labels(labels, "variant case", "case", off);
      for (const auto& c : d.cases) t->cases.push_back({c.label, opt(c.type)});
      break;
    }
    case TypeKind::Tuple:
      if (d.elems.empty()) invalid(off, "tuple type must have at least one type");
      for (const auto& e : d.elems) t->elems.push_back(resolve(e));
      break;
    case TypeKind::Flags:
      if (d.labels.empty()) invalid(off, "flags must have at least one entry");
      if (d.labels.size() > 32) invalid(off, "cannot have more than 32 flags");
      check_labels(d.labels, "flag", "flag", off);
      t->labels = d.labels;
      break;
    case TypeKind::Enum:
      if (d.labels.empty()) invalid(off, "enum type must have at least one variant");
      check_labels(d.labels, "enum tag", "tag", off);
      t->labels = d.labels;
      break;
    case TypeKind::List:
      if (d.fixed_length && *d.fixed_length == 0) invalid(off, "Fixed-length lists must have more than zero elements");
      t->elem = opt(d.elem);
      t->fixed_length = d.fixed_length;
      break;
    case TypeKind::Option: t->elem = opt(d.elem); break;
    case TypeKind::Result: t->ok = opt(d.ok); t->err = opt(d.err); break;
    case TypeKind::Own:
    case TypeKind::Borrow: t->resource = s.resource(d.resource, off); break;
    case TypeKind::Stream:
    case TypeKind::Future:
      t->elem = opt(d.elem);
      if (t->elem && measure(s, *t->elem).borrow)
        invalid(off, std::string(d.kind == TypeKind::Stream ? "stream" : "future") + " element type cannot contain a `borrow`");
      if (d.kind == TypeKind::Stream && t->elem && t->elem->kind == TypeKind::Char)
        invalid(off, "`stream<char>` is not valid at this time, use `stream<u8>` with a defined by encoding instead for now");
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
  abi_size(s, *t, m.self());
  if (m.self().bytes >= kMaxValueBytes)
    invalid(off, "type exceeds maximum byte size: its elem_size with 64-bit pointers is at least 2^28");
  m.record(t);
  return t;
}

// An alias in a component or instance type may only name types and instances.
void check_type_context_alias(const Alias& a, size_t off) {
  bool ok = a.target == Alias::Target::Export   ? (a.sort == Sort::Instance || a.sort == Sort::Type)
            : a.target == Alias::Target::Outer ? (a.sort == Sort::CoreType || a.sort == Sort::Type)
                                               : false;
  if (!ok) invalid(off, "aliases in a component or instance type may only refer to types or instances");
}

// The declarators of a component or instance type, in its own scope.
void type_decls(Scope& scope, const TypeDef& t) {
  for (const auto& d : t.decls) {
    switch (d.kind) {
      case TypeDecl::Kind::CoreType: define_core_type(scope, *d.core_type); break;
      case TypeDecl::Kind::Type: scope.types.push_back(define_type(scope, *d.type)); break;
      case TypeDecl::Kind::Alias:
        check_type_context_alias(*d.alias, d.offset);
        apply_alias(scope, *d.alias);
        break;
      case TypeDecl::Kind::Import:
      case TypeDecl::Kind::Export:
        scope.declare(d.name, resolve_extern(scope, d.extern_type, d.offset), d.kind == TypeDecl::Kind::Import,
                      d.offset);
        break;
    }
  }
}

// A module type's core:externtype, checked as a core module's import or export.
CoreExtern core_extern(const std::vector<CoreTypeEntry>& types, const CoreExternType& t, size_t off) {
  CoreExtern e;
  e.kind = t.kind;
  e.table = t.table;
  e.memory = t.memory;
  e.global = t.global;
  auto limits = [&](const wasm::Limits& l) {
    if (l.max && l.min > *l.max) invalid(off, "size minimum must not be greater than maximum");
  };
  switch (t.kind) {
    case CoreExternType::Kind::Func:
    case CoreExternType::Kind::Tag:
      if (t.type_index >= types.size()) invalid(off, "unknown type " + idx(t.type_index) + ": type index out of bounds");
      if (!types[t.type_index].func) invalid(off, "type index " + idx(t.type_index) + " is not a function type");
      e.func = types[t.type_index].func;
      if (t.kind == CoreExternType::Kind::Tag && !e.func->results.empty())
        invalid(off, "invalid exception type: non-empty tag result type");
      break;
    case CoreExternType::Kind::Table: limits(t.table.limits); break;
    case CoreExternType::Kind::Memory:
      limits(t.memory.limits);
      if (t.memory.limits.min > 65536 || (t.memory.limits.max && *t.memory.limits.max > 65536))
        invalid(off, "memory size must be at most 0x10000 65536-byte pages");
      break;
    case CoreExternType::Kind::Global: break;
  }
  return e;
}

std::shared_ptr<const CoreModuleType> module_type(const Scope& s, const CoreType& t) {
  auto m = std::make_shared<CoreModuleType>();
  std::vector<CoreTypeEntry> types;  // a module type's own, initially empty, type index space
  std::set<std::string> export_names;
  std::set<std::pair<std::string, std::string>> import_names;
  std::optional<std::pair<std::string, std::string>> duplicate_import;
  for (const auto& d : t.module) {
    switch (d.kind) {
      case CoreModuleDecl::Kind::Import:
        m->imports.push_back({d.module, d.name, core_extern(types, d.type, d.offset)});
        if (!import_names.insert({d.module, d.name}).second && !duplicate_import) duplicate_import = {d.module, d.name};
        break;
      case CoreModuleDecl::Kind::Export: {
        CoreExtern e = core_extern(types, d.type, d.offset);
        if (!export_names.insert(d.name).second)
          invalid(d.offset, "duplicate export name `" + d.name + "` already defined");
        m->exports.push_back({d.name, e});
        break;
      }
      case CoreModuleDecl::Kind::Type:
        if (d.def->kind == CoreType::Kind::Module)
          invalid(d.def->offset, "invalid leading byte (0x50) for type definition: a module type cannot be declared inside a module type");
        for (const auto& sub : d.def->rec) types.push_back({sub.func, nullptr});
        break;
      case CoreModuleDecl::Kind::Alias: {
        const CoreTypeEntry* target = nullptr;
        if (d.outer_count == 0) {
          if (d.outer_index >= types.size())
            invalid(d.offset, "unknown type " + idx(d.outer_index) + ": type index out of bounds");
          target = &types[d.outer_index];
        } else {
          const Scope* sc = &s;
          for (uint32_t i = 1; sc && i < d.outer_count; ++i) sc = sc->parent;
          if (!sc) invalid(d.offset, "invalid outer alias count of " + idx(d.outer_count - 1));
          target = &sc->core_type(d.outer_index, d.offset);
        }
        if (target->module)
          invalid(d.offset, "not implemented: aliasing core module types into a core module's types index space");
        types.push_back(*target);
        break;
      }
    }
  }
  if (duplicate_import)
    invalid(t.offset, "module has a duplicate import name `" + duplicate_import->first + ":" +
                          duplicate_import->second + "` that is not allowed in components");
  return m;
}

}  // namespace

Measure measure(const Scope& s, const ValType& t) {
  if (t.is_primitive()) {
    static const uint8_t kBytes[] = {1, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 4, 16, 4};
    uint8_t b = kBytes[static_cast<int>(t.kind)];
    return {1, 1, false, t.kind == TypeKind::String, b, t.kind == TypeKind::String ? 8u : b};
  }
  auto it = s.cx->measures.find(&t);
  return it == s.cx->measures.end() ? Measure{} : it->second.first;
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
  auto it = s.cx->measures.find(p);
  return it == s.cx->measures.end() ? Measure{} : it->second.first;
}

const char* desc(const EntityType& e) {
  static const char* const kNames[] = {"module", "func", "value", "type", "component", "instance"};
  return kNames[static_cast<int>(e.kind)];
}

const char* desc(const TypeEntry& t) {
  static const char* const kNames[] = {"defined type", "func", "component", "instance", "resource"};
  return kNames[static_cast<int>(t.kind)];
}

const char* desc(const ValType& t) {
  switch (t.kind) {
    case TypeKind::Record: return "record";
    case TypeKind::Variant: return "variant";
    case TypeKind::Tuple: return "tuple";
    case TypeKind::Enum: return "enum";
    case TypeKind::Flags: return "flags";
    case TypeKind::Option: return "option";
    case TypeKind::List: return t.fixed_length ? "fixed-length list" : "list";
    case TypeKind::Map: return "map";
    case TypeKind::Result: return "result";
    case TypeKind::Own: return "own";
    case TypeKind::Borrow: return "borrow";
    case TypeKind::Future: return "future";
    case TypeKind::Stream: return "stream";
    default: return "primitive";
  }
}

std::string core_func_text(const wasm::FuncType& f) {
  std::string s = "(func";
  if (!f.params.empty()) {
    s += " (param";
    for (auto t : f.params) s += std::string(" ") + wasm::to_string(t);
    s += ")";
  }
  if (!f.results.empty()) {
    s += " (result";
    for (auto t : f.results) s += std::string(" ") + wasm::to_string(t);
    s += ")";
  }
  return s + ")";
}

ValTypePtr resolve_valtype(const Scope& s, const ValTypeRef& r, size_t offset) {
  if (!r.is_index) return primitive(r.prim);
  return s.defined_type(r.index, offset);
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
      check_labels(labels_of(t.func.params), "function parameter", "parameter", off);
      for (const auto& p : t.func.params) f->params.push_back({p.label, resolve_valtype(s, p.type, off)});
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
      inner.cx = s.cx;
      type_decls(inner, t);
      Measurer m(s, off);
      for (const auto& i : inner.imports) m.add(measure(s, i.type));
      for (const auto& x : inner.exports) m.add(measure(s, x.type));
      if (t.kind == TypeDef::Kind::Component) {
        auto c = inner.finish(off);
        m.record(c);
        e.component = std::move(c);
      } else {
        auto i = inner.finish_instance_type();
        m.record(i);
        e.instance = std::move(i);
      }
      break;
    }
    case TypeDef::Kind::Resource: {
      if (s.kind != Scope::Kind::Component) invalid(off, "resources can only be defined within a concrete component");
      if (t.resource.rep == wasm::ValType::I64)
        invalid(off, "resources with `i64` require the `cm64` feature to be enabled");
      if (t.resource.rep != wasm::ValType::I32) invalid(off, "resources can only be represented by `i32` or `i64`");
      if (t.resource.dtor) {
        const CoreExtern& d = s.core_entity(Sort::CoreFunc, *t.resource.dtor, off);
        wasm::FuncType want{{wasm::ValType::I32}, {}};
        if (d.func && *d.func != want)
          invalid(off, "core function " + idx(*t.resource.dtor) + " has wrong signature for a destructor");
      }
      e.resource = fresh_resource();
      s.defined_resources.insert(e.resource->id, true);
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
    for (uint32_t super : t.rec[i].supertypes) {
      if (super >= base + i) invalid(t.offset, "unknown type " + idx(super) + ": type index out of bounds");
      if (!s.core_types[super].func) invalid(t.offset, "type index " + idx(super) + " is a module type, not a sub type");
    }
    s.core_types.push_back({t.rec[i].func, nullptr});
  }
}

Entity resolve_extern(Scope& s, const ExternType& t, size_t off) {
  Entity out;
  EntityType& e = out.type;
  e.kind = t.kind;
  switch (t.kind) {
    case ExternType::Kind::CoreModule: {
      const CoreTypeEntry& c = s.core_type(t.index, off);
      if (!c.module) invalid(off, "core type index " + idx(t.index) + " is not a module type");
      e.module = c.module;
      break;
    }
    case ExternType::Kind::Func: {
      const TypeEntry& f = s.type(t.index, off);
      if (f.kind != TypeDef::Kind::Func) invalid(off, "type index " + idx(t.index) + " is not a function type");
      e.func = f.func;
      break;
    }
    case ExternType::Kind::Value: invalid(off, "support for component model `value`s is not enabled");
    case ExternType::Kind::Type:
      if (t.eq) {
        e.type = unique_alias(*s.cx, s.type(t.index, off));
      } else {
        e.type.kind = TypeDef::Kind::Resource;
        e.type.resource = fresh_resource();
        out.fresh = true;
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
  return out;
}

void apply_alias(Scope& s, const Alias& a) {
  size_t off = a.offset;
  switch (a.target) {
    case Alias::Target::Export: {
      if (a.sort == Sort::Value) invalid(off, "support for component model `value`s is not enabled");
      const auto& inst = s.instance(a.instance, off);
      const EntityType* e = inst->find_export(a.name);
      if (!e) invalid(off, "instance " + idx(a.instance) + " has no export named `" + a.name + "`");
      static const Sort kSortOf[] = {Sort::CoreModule, Sort::Func, Sort::Value, Sort::Type, Sort::Component,
                                     Sort::Instance};
      if (kSortOf[static_cast<int>(e->kind)] != a.sort) {
        static const char* const kSortDesc[] = {"func", "value", "type", "component", "instance"};
        const char* want = a.sort == Sort::CoreModule ? "module"
                           : a.sort >= Sort::Func     ? kSortDesc[static_cast<int>(a.sort) - static_cast<int>(Sort::Func)]
                                                      : sort_name(a.sort);
        invalid(off, "export `" + a.name + "` for instance " + idx(a.instance) + " is not a " + want);
      }
      s.add_aliased(*e);
      break;
    }
    case Alias::Target::CoreExport: {
      const auto& inst = s.core_instance(a.instance, off);
      const CoreExtern* e = inst->find_export(a.name);
      if (!e) invalid(off, "core instance " + idx(a.instance) + " has no export named `" + a.name + "`");
      static const char* const kCoreDesc[] = {"function", "table", "memory", "global", "tag"};
      if (a.sort > Sort::CoreTag || static_cast<int>(e->kind) != static_cast<int>(a.sort))
        invalid(off, "export `" + a.name + "` for core instance " + idx(a.instance) + " is not a " +
                         (a.sort <= Sort::CoreTag ? kCoreDesc[static_cast<int>(a.sort)] : sort_name(a.sort)));
      s.push_core(a.sort, *e);
      break;
    }
    case Alias::Target::Outer: {
      // The scope `count` levels out, and the one just inside it.
      const Scope* target = &s;
      const Scope* inside = nullptr;
      for (uint32_t i = 0; target && i < a.count; ++i) {
        inside = target;
        target = target->parent;
      }
      if (!target) invalid(off, "invalid outer alias count of " + idx(a.count));
      switch (a.sort) {
        case Sort::CoreType: s.core_types.push_back(target->core_type(a.index, off)); break;
        case Sort::CoreModule: s.core_modules.push_back(target->core_module(a.index, off)); break;
        case Sort::Component: s.components.push_back(target->component(a.index, off)); break;
        case Sort::Type: {
          const TypeEntry& t = target->type(a.index, off);
          // Crossing into another component: the type may not refer to
          // resources of the components outside.
          if (inside && inside->kind == Scope::Kind::Component) {
            std::set<uint32_t> free;
            free_variables(t, free);
            if (!free.empty())
              invalid(off, "cannot alias outer type which transitively refers to resources not defined in the current component");
          }
          s.types.push_back(t);
          break;
        }
        default: invalid(off, std::string("an outer alias cannot refer to a ") + sort_name(a.sort));
      }
      break;
    }
  }
}

}  // namespace whirl::component::binary
