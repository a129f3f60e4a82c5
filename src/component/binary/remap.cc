// Resource substitution over types (wasmparser's Remap), free resource
// variables, and the aliases type imports and exports create.
#include <atomic>

#include "component/binary/scope.h"

namespace whirl::component::binary {
namespace {

class Remapper {
 public:
  Remapper(Context& cx, Remapping& map) : cx_(cx), map_(map) {}

  bool entity(EntityType& e) {
    switch (e.kind) {
      case ExternType::Kind::CoreModule: return false;
      case ExternType::Kind::Func: return func(e.func);
      case ExternType::Kind::Value: return val(e.value);
      case ExternType::Kind::Type: return entry(e.type);
      case ExternType::Kind::Component: return component(e.component);
      case ExternType::Kind::Instance: return instance(e.instance);
    }
    return false;
  }

  bool entry(TypeEntry& t) {
    switch (t.kind) {
      case TypeDef::Kind::Val: return val(t.val);
      case TypeDef::Kind::Func: return func(t.func);
      case TypeDef::Kind::Component: return component(t.component);
      case TypeDef::Kind::Instance: return instance(t.instance);
      case TypeDef::Kind::Resource: return resource(t.resource);
    }
    return false;
  }

 private:
  // A type met before in this remapping (or renamed to an argument's).
  template <class T>
  std::optional<bool> cached(std::shared_ptr<const T>& p) {
    auto it = map_.types.find(p.get());
    if (it == map_.types.end()) return std::nullopt;
    if (it->second.get() == p.get()) return false;
    p = std::static_pointer_cast<const T>(it->second);
    return true;
  }

  template <class T, class U>
  bool settle(std::shared_ptr<const T>& p, bool changed, std::shared_ptr<U> copy) {
    if (!changed) {
      map_.types[p.get()] = p;
      return false;
    }
    cx_.copy_measure(p.get(), copy);
    map_.types[p.get()] = copy;
    p = std::move(copy);
    return true;
  }

  bool resource(std::shared_ptr<const ResourceType>& r) {
    if (!r) return false;
    if (auto c = cached(r)) return *c;
    auto it = map_.resources.find(r->id);
    if (it == map_.resources.end()) return false;
    auto& slot = cx_.remapped[{r.get(), it->second}];
    if (!slot.second) {
      auto n = std::make_shared<ResourceType>(*r);
      n->id = it->second;
      slot = {r, std::move(n)};
    }
    r = slot.second;
    return true;
  }

  bool val(ValTypePtr& t) {
    if (!t || t->is_primitive()) return false;
    if (auto c = cached(t)) return *c;
    auto copy = std::make_shared<ValType>(*t);
    bool changed = false;
    for (auto* p : {&copy->elem, &copy->key, &copy->ok, &copy->err}) changed |= val(*p);
    for (auto& f : copy->fields) changed |= val(f.type);
    for (auto& c : copy->cases) changed |= val(c.type);
    for (auto& e : copy->elems) changed |= val(e);
    changed |= resource(copy->resource);
    return settle(t, changed, std::move(copy));
  }

  bool func(std::shared_ptr<const FuncType>& f) {
    if (!f) return false;
    if (auto c = cached(f)) return *c;
    auto copy = std::make_shared<FuncType>(*f);
    bool changed = false;
    for (auto& p : copy->params) changed |= val(p.type);
    changed |= val(copy->result);
    return settle(f, changed, std::move(copy));
  }

  bool list(const NamedList<NamedEntity>& in, NamedList<NamedEntity>& out) {
    bool changed = false;
    for (const auto& e : in) {
      NamedEntity n = e;
      changed |= entity(n.type);
      out.push_back(std::move(n));
    }
    return changed;
  }

  template <class V>
  bool ids(const ResourceMap<V>& in, ResourceMap<V>& out) {
    bool changed = false;
    for (const auto& [id, v] : in) {
      auto it = map_.resources.find(id);
      changed |= it != map_.resources.end();
      out.insert(it == map_.resources.end() ? id : it->second, v);
    }
    return changed;
  }

  bool instance(std::shared_ptr<const InstanceTypeInfo>& i) {
    if (!i) return false;
    if (auto c = cached(i)) return *c;
    const InstanceTypeV& old = resources_of(*i);
    auto copy = std::make_shared<InstanceTypeV>();
    bool changed = list(old.exports, copy->exports);
    for (uint32_t id : old.defined_resources) {
      auto it = map_.resources.find(id);
      changed |= it != map_.resources.end();
      copy->defined_resources.push_back(it == map_.resources.end() ? id : it->second);
    }
    changed |= ids(old.explicit_resources, copy->explicit_resources);
    return settle(i, changed, std::move(copy));
  }

  bool component(std::shared_ptr<const ComponentTypeInfo>& c) {
    if (!c) return false;
    if (auto x = cached(c)) return *x;
    const ComponentTypeV& old = resources_of(*c);
    auto copy = std::make_shared<ComponentTypeV>();
    bool changed = list(old.imports, copy->imports);
    changed |= list(old.exports, copy->exports);
    changed |= ids(old.imported_resources, copy->imported_resources);
    changed |= ids(old.defined_resources, copy->defined_resources);
    changed |= ids(old.explicit_resources, copy->explicit_resources);
    return settle(c, changed, std::move(copy));
  }

  Context& cx_;
  Remapping& map_;
};

// Free resource variables, each shared subtree walked once (a component or
// instance type is walked on its own: what it defines is not free outside).
class FreeVars {
 public:
  explicit FreeVars(std::set<uint32_t>& out) : out_(out) {}

  void entity(const EntityType& e) {
    switch (e.kind) {
      case ExternType::Kind::CoreModule: break;
      case ExternType::Kind::Func: func(e.func.get()); break;
      case ExternType::Kind::Value: val(e.value.get()); break;
      case ExternType::Kind::Type: entry(e.type); break;
      case ExternType::Kind::Component: component(e.component.get()); break;
      case ExternType::Kind::Instance: instance(e.instance.get()); break;
    }
  }

  void entry(const TypeEntry& t) {
    switch (t.kind) {
      case TypeDef::Kind::Val: val(t.val.get()); break;
      case TypeDef::Kind::Func: func(t.func.get()); break;
      case TypeDef::Kind::Component: component(t.component.get()); break;
      case TypeDef::Kind::Instance: instance(t.instance.get()); break;
      case TypeDef::Kind::Resource: out_.insert(t.resource->id); break;
    }
  }

 private:
  bool first(const void* p) { return p && seen_.insert(p).second; }

  void val(const ValType* t) {
    if (!t || t->is_primitive() || !first(t)) return;
    for (const auto* p : {&t->elem, &t->key, &t->ok, &t->err}) val(p->get());
    for (const auto& f : t->fields) val(f.type.get());
    for (const auto& c : t->cases) val(c.type.get());
    for (const auto& e : t->elems) val(e.get());
    if (t->resource) out_.insert(t->resource->id);
  }

  void func(const FuncType* f) {
    if (!first(f)) return;
    for (const auto& p : f->params) val(p.type.get());
    val(f->result.get());
  }

  void instance(const InstanceTypeInfo* i) {
    if (!first(i)) return;
    std::set<uint32_t> inner;
    FreeVars walk(inner);
    for (const auto& e : i->exports) walk.entity(e.type);
    for (uint32_t id : resources_of(*i).defined_resources) inner.erase(id);
    out_.insert(inner.begin(), inner.end());
  }

  void component(const ComponentTypeInfo* c) {
    if (!first(c)) return;
    std::set<uint32_t> inner;
    FreeVars walk(inner);
    for (const auto& e : c->imports) walk.entity(e.type);
    for (const auto& e : c->exports) walk.entity(e.type);
    const ComponentTypeV& r = resources_of(*c);
    for (const auto& [id, path] : r.imported_resources) inner.erase(id);
    for (const auto& [id, path] : r.defined_resources) inner.erase(id);
    out_.insert(inner.begin(), inner.end());
  }

  std::set<uint32_t>& out_;
  std::unordered_set<const void*> seen_;
};

}  // namespace

void Context::copy_measure(const void* from, std::shared_ptr<const void> to) {
  auto it = measures.find(from);
  if (it == measures.end()) return;
  Measure m = it->second.first;
  const void* key = to.get();
  measures[key] = {m, std::move(to)};
}

bool remap(Context& cx, EntityType& e, Remapping& map) { return Remapper(cx, map).entity(e); }
bool remap(Context& cx, TypeEntry& t, Remapping& map) { return Remapper(cx, map).entry(t); }

void free_variables(const EntityType& e, std::set<uint32_t>& out) { FreeVars(out).entity(e); }
void free_variables(const TypeEntry& t, std::set<uint32_t>& out) { FreeVars(out).entry(t); }

std::shared_ptr<const ResourceType> fresh_resource() {
  static std::atomic<uint32_t> next{1};
  auto r = std::make_shared<ResourceType>();
  r->id = next++;
  return r;
}

TypeEntry unique_alias(Context& cx, const TypeEntry& t) {
  TypeEntry out = t;
  if (t.kind == TypeDef::Kind::Resource) {
    out.resource = std::make_shared<ResourceType>(*t.resource);
  } else if (t.kind == TypeDef::Kind::Val && !t.val->is_primitive()) {
    auto copy = std::make_shared<const ValType>(*t.val);
    cx.copy_measure(t.val.get(), copy);
    out.val = std::move(copy);
  }
  return out;
}

}  // namespace whirl::component::binary
