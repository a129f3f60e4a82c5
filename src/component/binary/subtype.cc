// Type matching for instantiation arguments, ascribed export types and
// component subtyping (wasmparser's SubtypeCx, whose messages the tests
// expect): value and function types must be equal (resources by id),
// instances may export more than expected, components are matched by
// opening their imports and exports with resource substitution.

#include "component/binary/scope.h"

namespace whirl::component::binary {
namespace {

class Subtype {
 public:
  Subtype(Context& cx, size_t offset) : cx_(cx), off_(offset) {}

  void entity(const EntityType& a, const EntityType& b) {
    if (a.kind != b.kind) fail(std::string("expected ") + desc(b) + ", found " + desc(a));
    switch (a.kind) {
      case ExternType::Kind::CoreModule: module(*a.module, *b.module); break;
      case ExternType::Kind::Func: func(*a.func, *b.func); break;
      case ExternType::Kind::Value: val(*a.value, *b.value); break;
      case ExternType::Kind::Type: any(a.type, b.type); break;
      case ExternType::Kind::Component: component(*a.component, *b.component); break;
      case ExternType::Kind::Instance: instance(*a.instance, *b.instance); break;
    }
  }

  void any(const TypeEntry& a, const TypeEntry& b) {
    if (a.kind != b.kind) {
      static const char* const kFound[] = {"defined type", "func type", "component type", "instance type", "resource"};
      fail(std::string("expected ") + desc(b) + ", found " + kFound[static_cast<int>(a.kind)]);
    }
    switch (a.kind) {
      case TypeDef::Kind::Resource:
        if (a.resource->id != b.resource->id) fail("resource types are not the same");
        break;
      case TypeDef::Kind::Val: defined(*a.val, *b.val); break;
      case TypeDef::Kind::Func: func(*a.func, *b.func); break;
      case TypeDef::Kind::Instance: instance(*a.instance, *b.instance); break;
      case TypeDef::Kind::Component: component(*a.component, *b.component); break;
    }
  }

  void func(const FuncType& a, const FuncType& b) {
    if (&a == &b) return;
    if (a.async != b.async)
      fail(std::string("expected ") + (a.async ? "async" : "sync") + " function, found " + (b.async ? "async" : "sync") +
           " function");
    if (a.params.size() != b.params.size())
      fail("expected " + std::to_string(b.params.size()) + " parameters, found " + std::to_string(a.params.size()));
    for (size_t i = 0; i < a.params.size(); ++i) {
      const std::string& an = a.params[i].label;
      if (!equal_lowered(an, b.params[i].label)) fail("expected parameter named `" + b.params[i].label + "`, found `" + an + "`");
      with_context([&] { return "type mismatch in function parameter `" + an + "`"; },
                   [&] { val(*a.params[i].type, *b.params[i].type); });
    }
    if (a.result && b.result)
      with_context([] { return "type mismatch with result type"; }, [&] { val(*a.result, *b.result); });
    else if (a.result) fail("expected a result, found none");
    else if (b.result) fail("expected no result, found one");
  }

  void instance(const InstanceTypeInfo& a, const InstanceTypeInfo& b) {
    if (&a == &b) return;
    std::vector<std::pair<const NamedEntity*, const EntityType*>> pairs;
    for (const auto& e : b.exports) {
      const EntityType* found = a.find_export(e.name);
      if (!found) fail("missing expected export `" + e.name + "`");
      pairs.push_back({&e, found});
    }
    for (const auto& pair : pairs) {
      const NamedEntity* expected = pair.first;  // a plain variable: lambdas may capture it
      const EntityType* actual = pair.second;
      with_context([&] { return "type mismatch in instance export `" + expected->name + "`"; },
                   [&] { entity(*actual, expected->type); });
    }
  }

  void component(const ComponentTypeInfo& a, const ComponentTypeInfo& b) {
    if (&a == &b) return;
    // b's imports given to a: a's imported resources become b's; a's
    // exports (so substituted) must then satisfy b's exports.
    Remapping imports = open_instance_type(cx_, b.imports, resources_of(a), true, off_);
    NamedList<NamedEntity> a_exports;
    for (const auto& e : a.exports) {
      NamedEntity n = e;
      remap(cx_, n.type, imports);
      a_exports.push_back(std::move(n));
    }
    open_instance_type(cx_, a_exports, resources_of(b), false, off_);
  }

  void module(const CoreModuleType& a, const CoreModuleType& b) {
    if (&a == &b) return;
    for (const auto& ai : a.imports) {
      const CoreImportType* found = nullptr;
      for (const auto& bi : b.imports)
        if (bi.module == ai.module && bi.name == ai.name) found = &bi;
      if (!found) fail("missing expected import `" + ai.module + "::" + ai.name + "`");
      with_context([&] { return "type mismatch in import `" + ai.module + "::" + ai.name + "`"; },
                   [&] { check_core_extern(found->type, ai.type, off_); });
    }
    for (const auto& be : b.exports) {
      const CoreExtern* found = a.find_export(be.name);
      if (!found) fail("missing expected export `" + be.name + "`");
      with_context([&] { return "type mismatch in export `" + be.name + "`"; },
                   [&] { check_core_extern(*found, be.type, off_); });
    }
  }

  // A value type where inline primitives and defined types differ only in
  // the wording of mismatches.
  void val(const ValType& a, const ValType& b) {
    if (&a == &b) return;
    if (a.is_primitive() && b.is_primitive()) return primitive(a, b);
    if (a.is_primitive()) fail(std::string("expected ") + desc(b) + ", found " + to_string(a));
    if (b.is_primitive()) fail("expected " + to_string(b) + ", found " + desc(a));
    defined(a, b);
  }

  void defined(const ValType& a, const ValType& b) {
    if (&a == &b) return;
    if (a.is_primitive()) {
      if (b.is_primitive()) return primitive(a, b);
      fail(std::string("expected ") + desc(b) + ", found " + to_string(a));
    }
    bool a_fixed = a.kind == TypeKind::List && a.fixed_length, b_fixed = b.kind == TypeKind::List && b.fixed_length;
    if (a.kind != b.kind || a_fixed != b_fixed)
      fail(std::string("expected ") + (b.is_primitive() ? "primitive" : desc(b)) + ", found " +
           (a_fixed ? "list" : desc(a)));
    auto optional = [&](const ValTypePtr& x, const ValTypePtr& y, const char* what, const char* context) {
      if (x && y) return with_context([&] { return std::string(context); }, [&] { val(*x, *y); });
      std::string w = what;
      if (y) fail("expected " + w + " type, but found none");
      if (x) fail("expected " + w + " type to not be present");
    };
    switch (a.kind) {
      case TypeKind::Record:
        if (a.fields.size() != b.fields.size())
          fail("expected " + std::to_string(b.fields.size()) + " fields, found " + std::to_string(a.fields.size()));
        for (size_t i = 0; i < a.fields.size(); ++i) {
          const std::string& an = a.fields[i].label;
          if (!equal_lowered(an, b.fields[i].label))
            fail("expected field name `" + b.fields[i].label + "`, found `" + an + "`");
          with_context([&] { return "type mismatch in record field `" + an + "`"; },
                       [&] { val(*a.fields[i].type, *b.fields[i].type); });
        }
        break;
      case TypeKind::Variant:
        if (a.cases.size() != b.cases.size())
          fail("expected " + std::to_string(b.cases.size()) + " cases, found " + std::to_string(a.cases.size()));
        for (size_t i = 0; i < a.cases.size(); ++i) {
          const std::string& an = a.cases[i].label;
          if (!equal_lowered(an, b.cases[i].label))
            fail("expected case named `" + b.cases[i].label + "`, found `" + an + "`");
          const ValTypePtr &x = a.cases[i].type, &y = b.cases[i].type;
          if (x && y)
            with_context([&] { return "type mismatch in variant case `" + an + "`"; }, [&] { val(*x, *y); });
          else if (y) fail("expected case `" + an + "` to have a type, found none");
          else if (x) fail("expected case `" + an + "` to have no type");
        }
        break;
      case TypeKind::List:
        if (a_fixed && *a.fixed_length != *b.fixed_length)
          fail("expected fixed-length " + std::to_string(*b.fixed_length) + ", found size " +
               std::to_string(*a.fixed_length));
        val(*a.elem, *b.elem);
        break;
      case TypeKind::Option: val(*a.elem, *b.elem); break;
      case TypeKind::Map:
        with_context([] { return "type mismatch in map key"; }, [&] { val(*a.key, *b.key); });
        with_context([] { return "type mismatch in map value"; }, [&] { val(*a.elem, *b.elem); });
        break;
      case TypeKind::Tuple:
        if (a.elems.size() != b.elems.size())
          fail("expected " + std::to_string(b.elems.size()) + " types, found " + std::to_string(a.elems.size()));
        for (size_t i = 0; i < a.elems.size(); ++i)
          with_context([&] { return "type mismatch in tuple field " + std::to_string(i); },
                       [&] { val(*a.elems[i], *b.elems[i]); });
        break;
      case TypeKind::Flags:
      case TypeKind::Enum: {
        bool same = a.labels.size() == b.labels.size();
        for (size_t i = 0; same && i < a.labels.size(); ++i) same = equal_lowered(a.labels[i], b.labels[i]);
        if (!same) fail(std::string("mismatch in ") + (a.kind == TypeKind::Flags ? "flags" : "enum") + " elements");
        break;
      }
      case TypeKind::Result:
        optional(a.ok, b.ok, "ok", "type mismatch in ok variant");
        optional(a.err, b.err, "err", "type mismatch in err variant");
        break;
      case TypeKind::Own:
      case TypeKind::Borrow:
        if (a.resource->id != b.resource->id) fail("resource types are not the same");
        break;
      case TypeKind::Future: optional(a.elem, b.elem, "future", "type mismatch in future"); break;
      case TypeKind::Stream: optional(a.elem, b.elem, "stream", "type mismatch in stream"); break;
      default: break;
    }
  }

 private:
  [[noreturn]] void fail(std::string message) { invalid(off_, std::move(message)); }

  void primitive(const ValType& a, const ValType& b) {
    if (a.kind != b.kind) fail("expected primitive `" + to_string(b) + "` found primitive `" + to_string(a) + "`");
  }

  Context& cx_;
  size_t off_;
};

// After a successful match, the types `expected` declares stand for the
// argument's (wasmparser's register_type_renamings).
void register_renamings(const EntityType& actual, const EntityType& expected, Remapping& map) {
  if (expected.kind == ExternType::Kind::Type && actual.kind == ExternType::Kind::Type) {
    const TypeEntry &e = expected.type, &a = actual.type;
    auto key = [](const TypeEntry& t) -> std::shared_ptr<const void> {
      switch (t.kind) {
        case TypeDef::Kind::Val: return t.val->is_primitive() ? nullptr : t.val;
        case TypeDef::Kind::Func: return t.func;
        case TypeDef::Kind::Component: return t.component;
        case TypeDef::Kind::Instance: return t.instance;
        case TypeDef::Kind::Resource: return t.resource;
      }
      return nullptr;
    };
    auto ek = key(e), ak = key(a);
    if (ek && ak && e.kind == a.kind) map.types[ek.get()] = ak;
  } else if (expected.kind == ExternType::Kind::Instance && actual.kind == ExternType::Kind::Instance) {
    for (const auto& x : expected.instance->exports)
      if (const EntityType* found = actual.instance->find_export(x.name)) register_renamings(*found, x.type, map);
  }
}

bool limits_match(const wasm::Limits& a, const wasm::Limits& b) {
  if (a.min < b.min) return false;
  if (!b.max) return true;
  return a.max && *a.max <= *b.max;
}

const char* core_desc(CoreExternType::Kind k) {
  static const char* const kNames[] = {"func", "table", "memory", "global", "tag"};
  return kNames[static_cast<int>(k)];
}

}  // namespace

void check_subtype(Context& cx, const EntityType& a, const EntityType& b, size_t offset) {
  Subtype(cx, offset).entity(a, b);
}

void check_core_extern(const CoreExtern& a, const CoreExtern& b, size_t offset) {
  if (a.kind != b.kind)
    invalid(offset, std::string("expected ") + core_desc(b.kind) + ", found " + core_desc(a.kind));
  switch (a.kind) {
    case CoreExternType::Kind::Func:
    case CoreExternType::Kind::Tag:
      // An uncomputed signature (of some async built-ins) matches any.
      if (a.func && b.func && *a.func != *b.func)
        invalid(offset, "expected: " + core_func_text(*b.func) + ", found: " + core_func_text(*a.func));
      break;
    case CoreExternType::Kind::Table:
      if (a.table.elem != b.table.elem)
        invalid(offset, std::string("expected table element type ") + wasm::to_string(b.table.elem) + ", found " +
                            wasm::to_string(a.table.elem));
      if (!limits_match(a.table.limits, b.table.limits)) invalid(offset, "mismatch in table limits");
      break;
    case CoreExternType::Kind::Memory:
      if (a.memory.shared != b.memory.shared) invalid(offset, "mismatch in the shared flag for memories");
      if (!limits_match(a.memory.limits, b.memory.limits)) invalid(offset, "mismatch in memory limits");
      break;
    case CoreExternType::Kind::Global:
      if (a.global.mut != b.global.mut) invalid(offset, "global types differ in mutability");
      if (a.global.type != b.global.type)
        invalid(offset, std::string("expected global type ") + wasm::to_string(b.global.type) + ", found " +
                            wasm::to_string(a.global.type));
      break;
  }
}

Remapping open_instance_type(Context& cx, const NamedList<NamedEntity>& args, const ComponentTypeV& b, bool is_import,
                             size_t offset) {
  const NamedList<NamedEntity>& entities = is_import ? b.imports : b.exports;
  const ResourceMap<Path>& resources = is_import ? b.imported_resources : b.defined_resources;
  const char* kind = is_import ? "import" : "export";
  // Which of the arguments' resources each of b's resources stands for,
  // found by following its path; ill-typed arguments are left to the
  // checks below.
  Remapping mapping;
  for (const auto& [resource, path] : resources) {
    const NamedEntity* e = entities.find(path[0]);
    const NamedEntity* a = args.find(path[0]);
    if (!e || !a) continue;
    const EntityType* ty = &e->type;
    const EntityType* arg = &a->type;
    for (size_t i = 1; arg && ty && i < path.size(); ++i) {
      ty = ty->kind == ExternType::Kind::Instance ? ty->instance->find_export(path[i]) : nullptr;
      arg = arg->kind == ExternType::Kind::Instance ? arg->instance->find_export(path[i]) : nullptr;
    }
    if (arg && arg->kind == ExternType::Kind::Type && arg->type.kind == TypeDef::Kind::Resource)
      mapping.resources[resource] = arg->type.resource->id;
  }
  std::vector<std::pair<const NamedEntity*, const EntityType*>> checks;
  for (const auto& e : entities) {
    const NamedEntity* a = args.find(e.name);
    if (!a) invalid(offset, std::string("missing ") + kind + " named `" + e.name + "`");
    checks.push_back({&e, &a->type});
  }
  Remapping renamings;
  for (const auto& check : checks) {
    const auto* expected = check.first;  // plain variables: lambdas may capture them
    const auto* actual = check.second;
    EntityType want = expected->type;
    remap(cx, want, mapping);
    mapping.types.clear();
    with_context([&] { return std::string("type mismatch for ") + kind + " `" + expected->name + "`"; },
                 [&] { check_subtype(cx, *actual, want, offset); });
    register_renamings(*actual, expected->type, renamings);
  }
  mapping.types = std::move(renamings.types);
  return mapping;
}

}  // namespace whirl::component::binary
