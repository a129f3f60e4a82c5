// Type matching for instantiation arguments and ascribed export types:
// value types structurally (resources by identity, after substitution),
// instances and components by their exports (and imports, contravariantly).
#include "component/binary/scope.h"

namespace whirl::component::binary {
namespace {

const ResourceType* subst_of(const std::shared_ptr<const ResourceType>& r, const Subst& s) {
  auto it = s.find(r.get());
  return it == s.end() ? r.get() : it->second.get();
}

bool same_opt(const ValTypePtr& a, const ValTypePtr& b, const Subst& s) {
  if (!a || !b) return !a && !b;
  return same_valtype(*a, *b, s);
}

bool same_func(const FuncType& a, const FuncType& b, const Subst& s) {
  if (a.async != b.async || a.params.size() != b.params.size()) return false;
  for (size_t i = 0; i < a.params.size(); ++i)
    if (a.params[i].label != b.params[i].label || !same_valtype(*a.params[i].type, *b.params[i].type, s)) return false;
  return same_opt(a.result, b.result, s);
}

bool limits_match(const wasm::Limits& a, const wasm::Limits& b) {
  if (a.min < b.min) return false;
  if (!b.max) return true;
  return a.max && *a.max <= *b.max;
}

}  // namespace

bool same_valtype(const ValType& a, const ValType& b, const Subst& s) {
  if (a.kind != b.kind) return false;
  if (a.is_primitive()) return true;
  if (a.kind == TypeKind::Own || a.kind == TypeKind::Borrow) return subst_of(a.resource, s) == subst_of(b.resource, s);
  if (a.fixed_length != b.fixed_length || a.labels != b.labels) return false;
  if (!same_opt(a.elem, b.elem, s) || !same_opt(a.key, b.key, s) || !same_opt(a.ok, b.ok, s) || !same_opt(a.err, b.err, s))
    return false;
  if (a.fields.size() != b.fields.size() || a.cases.size() != b.cases.size() || a.elems.size() != b.elems.size())
    return false;
  for (size_t i = 0; i < a.fields.size(); ++i)
    if (a.fields[i].label != b.fields[i].label || !same_valtype(*a.fields[i].type, *b.fields[i].type, s)) return false;
  for (size_t i = 0; i < a.cases.size(); ++i)
    if (a.cases[i].label != b.cases[i].label || !same_opt(a.cases[i].type, b.cases[i].type, s)) return false;
  for (size_t i = 0; i < a.elems.size(); ++i)
    if (!same_valtype(*a.elems[i], *b.elems[i], s)) return false;
  return true;
}

bool core_extern_matches(const CoreExtern& a, const CoreExtern& b, std::string& why) {
  if (a.kind != b.kind) return why = "expected a different kind of core item", false;
  switch (a.kind) {
    case CoreExternType::Kind::Func:
    case CoreExternType::Kind::Tag:
      // An uncomputed signature (a lowered function) is checked when it is computed.
      if (a.func && b.func && *a.func != *b.func)
        return why = "type mismatch: expected " + wasm::to_string(*b.func) + ", found " + wasm::to_string(*a.func), false;
      return true;
    case CoreExternType::Kind::Table:
      if (a.table.elem != b.table.elem || !limits_match(a.table.limits, b.table.limits))
        return why = "table type mismatch", false;
      return true;
    case CoreExternType::Kind::Memory:
      if (!limits_match(a.memory.limits, b.memory.limits)) return why = "memory type mismatch", false;
      return true;
    case CoreExternType::Kind::Global:
      if (!(a.global == b.global)) return why = "global type mismatch", false;
      return true;
  }
  return false;
}

bool is_subtype(const EntityType& a, const EntityType& b, Subst& s, std::string& why) {
  if (a.kind != b.kind) {
    why = std::string("expected a ") + kind_name(b.kind) + ", found a " + kind_name(a.kind);
    return false;
  }
  switch (a.kind) {
    case ExternType::Kind::CoreModule: {
      // Every import `a` needs, `b` promises to satisfy; every export `b` promises, `a` has.
      std::map<std::pair<std::string, std::string>, const CoreImportType*> b_imports;
      for (const auto& bi : b.module->imports) b_imports.emplace(std::pair{bi.module, bi.name}, &bi);
      for (const auto& imp : a.module->imports) {
        auto it = b_imports.find({imp.module, imp.name});
        const CoreImportType* found = it == b_imports.end() ? nullptr : it->second;
        if (!found) return why = "module has an extra import `" + imp.module + "` `" + imp.name + "`", false;
        if (!core_extern_matches(found->type, imp.type, why)) return false;
      }
      for (const auto& exp : b.module->exports) {
        const CoreExtern* found = a.module->find_export(exp.name);
        if (!found) return why = "module is missing export `" + exp.name + "`", false;
        if (!core_extern_matches(*found, exp.type, why)) return false;
      }
      return true;
    }
    case ExternType::Kind::Func:
      if (!same_func(*a.func, *b.func, s)) return why = "function type mismatch", false;
      return true;
    case ExternType::Kind::Value:
      if (!same_valtype(*a.value, *b.value, s)) return why = "value type mismatch", false;
      return true;
    case ExternType::Kind::Type: {
      const TypeEntry &x = a.type, &y = b.type;
      if (y.kind == TypeDef::Kind::Resource) {
        if (x.kind != TypeDef::Kind::Resource) return why = "expected a resource type", false;
        // An abstract resource of `b` first met here stands for `x`'s resource.
        if (!s.count(y.resource.get())) s[y.resource.get()] = x.resource;
        if (subst_of(x.resource, s) != subst_of(y.resource, s)) return why = "resource types are not the same", false;
        return true;
      }
      if (x.kind != y.kind) return why = "type definitions of different kinds", false;
      EntityType ex, ey;
      switch (x.kind) {
        case TypeDef::Kind::Val:
          if (!same_valtype(*x.val, *y.val, s)) return why = "value type mismatch", false;
          return true;
        case TypeDef::Kind::Func:
          if (!same_func(*x.func, *y.func, s)) return why = "function type mismatch", false;
          return true;
        case TypeDef::Kind::Component:
          ex.kind = ey.kind = ExternType::Kind::Component;
          ex.component = x.component;
          ey.component = y.component;
          return is_subtype(ex, ey, s, why);
        case TypeDef::Kind::Instance:
          ex.kind = ey.kind = ExternType::Kind::Instance;
          ex.instance = x.instance;
          ey.instance = y.instance;
          return is_subtype(ex, ey, s, why);
        case TypeDef::Kind::Resource: return true;
      }
      return true;
    }
    case ExternType::Kind::Component: {
      for (const auto& imp : a.component->imports) {
        const NamedEntity* found = b.component->imports.find(imp.name);
        if (!found) return why = "component has an extra import `" + imp.name + "`", false;
        if (!is_subtype(found->type, imp.type, s, why)) return false;
      }
      for (const auto& exp : b.component->exports) {
        const NamedEntity* found = a.component->exports.find(exp.name);
        if (!found) return why = "component is missing export `" + exp.name + "`", false;
        if (!is_subtype(found->type, exp.type, s, why)) return false;
      }
      return true;
    }
    case ExternType::Kind::Instance:
      for (const auto& exp : b.instance->exports) {
        const EntityType* found = a.instance->find_export(exp.name);
        if (!found) return why = "instance is missing export `" + exp.name + "`", false;
        if (!is_subtype(*found, exp.type, s, why)) return why = "export `" + exp.name + "`: " + why, false;
      }
      return true;
  }
  return false;
}

}  // namespace whirl::component::binary
