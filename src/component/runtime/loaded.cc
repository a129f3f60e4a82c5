// Loading a component (decode, validate, compile every core module once)
// and what is worked out once per loaded component for its instantiations:
// index-space sizes, signatures, host imports resolved against a Linker
// (and the instances shared by every instantiation), core import links.
#include <algorithm>
#include <unordered_set>

#include "component/binary/decoder.h"
#include "component/runtime/frame.h"
#include "wasm/runtime/tier.h"

namespace whirl::component::runtime {

Sort sort_of(ExternType::Kind k) {
  switch (k) {
    case ExternType::Kind::CoreModule: return Sort::CoreModule;
    case ExternType::Kind::Func: return Sort::Func;
    case ExternType::Kind::Value: return Sort::Value;
    case ExternType::Kind::Type: return Sort::Type;
    case ExternType::Kind::Component: return Sort::Component;
    case ExternType::Kind::Instance: return Sort::Instance;
  }
  return Sort::Func;
}

// The item of a host import's function `x`, made in `rf`; `rt` null: a
// shared one (the caller's instance's host data).
RtItem host_func_item(RtFunc& rf, const FuncType* type, const Signature* sig,
                      const LoadedComponent::HostImport::Export& x, InstanceImpl* rt) {
  rf.type = type;
  rf.sig = sig;
  rf.host = x.func;
  rf.name = x.name;
  rf.rt = rt;
  RtItem item;
  item.sort = Sort::Func;
  item.func = &rf;
  return item;
}

namespace {

Expected<void> compile_all(const Component& c, LoadedComponent& out, const wasm::CompileOptions& options) {
  for (const auto& m : c.core_modules) {
    wasm::CompileOptions o = options;
    o.source = m.bytes;
    o.found = m.compiled_before;
    auto compiled = wasm::compile_module(m.module, o);
    if (!compiled) return make_error("core module at offset " + std::to_string(m.offset) + ": " + compiled.error().message);
    // As load_module does (the module is this component's own, made by its
    // decoder).
    wasm::release_bodies(const_cast<wasm::Module&>(*m.module), **compiled);
    out.compiled[&m] = std::move(*compiled);
  }
  for (const auto& nested : c.components)
    if (auto r = compile_all(*nested, out, options); !r) return r;
  return {};
}

// The entries each definition adds to the index spaces, as
// Instantiator::step pushes them.
void count_spaces(const Component& c, LoadedComponent& out) {
  std::array<uint32_t, kSortCount> n{};
  auto add = [&n](Sort s, uint32_t k = 1) { n[static_cast<int>(s)] += k; };
  for (const Item& item : c.order) {
    switch (item.kind) {
      case Item::Kind::CoreModule: add(Sort::CoreModule); break;
      case Item::Kind::CoreInstance: add(Sort::CoreInstance); break;
      case Item::Kind::CoreType: {
        const CoreType& t = *c.core_types[item.index];
        add(Sort::CoreType, uint32_t(t.rec.size()) + (t.kind == CoreType::Kind::Module ? 1 : 0));
        break;
      }
      case Item::Kind::Component: add(Sort::Component); break;
      case Item::Kind::Instance: add(Sort::Instance); break;
      case Item::Kind::Alias: add(c.aliases[item.index].sort); break;
      case Item::Kind::Type: add(Sort::Type); break;
      case Item::Kind::Canon: add(c.canons[item.index].kind == CanonKind::Lift ? Sort::Func : Sort::CoreFunc); break;
      case Item::Kind::Import: add(sort_of(c.imports[item.index].type.kind)); break;
      case Item::Kind::Export: add(c.exports[item.index].item.sort); break;
      case Item::Kind::Start:
      case Item::Kind::Value: break;
    }
  }
  LoadedComponent::Plan& plan = out.plans[&c];
  plan.space_sizes = n;
  plan.alias_hints = std::make_unique<LoadedComponent::AliasHint[]>(c.aliases.size());
  plan.canon_sigs = std::make_unique<const Signature*[]>(c.canons.size());
  plan.import_hints = std::make_unique<std::atomic<const LoadedComponent::HostImport*>[]>(c.imports.size());
  auto scope = out.info.scopes.find(&c);
  auto sig = [&out](const FuncType* t) -> const Signature* {
    auto it = t ? out.signatures.find(t) : out.signatures.end();
    return it == out.signatures.end() ? nullptr : &it->second;
  };
  for (size_t i = 0; i < c.canons.size() && scope != out.info.scopes.end(); ++i) {
    const Canon& k = c.canons[i];
    const ScopeTypes& st = scope->second;
    if (k.kind == CanonKind::Lift && k.type < st.types.size()) plan.canon_sigs[i] = sig(st.types[k.type].func.get());
    if (k.kind == CanonKind::Lower && k.func < st.funcs.size()) plan.canon_sigs[i] = sig(st.funcs[k.func].get());
  }
  for (const auto& nested : c.components) count_spaces(*nested, out);
}

// Every function type reachable from the validator's results, once each.
struct SignatureCollector {
  LoadedComponent& out;
  std::unordered_set<const void*> seen;

  void func(const std::shared_ptr<const FuncType>& t) {
    if (t && !out.signatures.count(t.get())) out.signatures.emplace(t.get(), make_signature(*t));
  }
  void entity(const EntityType& e) {
    func(e.func);
    if (e.instance) instance(*e.instance);
    if (e.component) component(*e.component);
    type(e.type);
  }
  void type(const TypeEntry& t) {
    func(t.func);
    if (t.instance) instance(*t.instance);
    if (t.component) component(*t.component);
  }
  void instance(const InstanceTypeInfo& t) {
    if (!seen.insert(&t).second) return;
    for (const auto& e : t.exports) entity(e.type);
  }
  void component(const ComponentTypeInfo& t) {
    if (!seen.insert(&t).second) return;
    for (const auto& e : t.imports) entity(e.type);
    for (const auto& e : t.exports) entity(e.type);
  }
  void run() {
    for (const auto& [c, scope] : out.info.scopes) {
      for (const auto& f : scope.funcs) func(f);
      for (const auto& t : scope.types) type(t);
      for (const auto& i : scope.instances)
        if (i) instance(*i);
      for (const auto& k : scope.components)
        if (k) component(*k);
    }
    component(out.type);
  }
};

}  // namespace

const LoadedComponent::HostImport& LoadedComponent::host_import(const ImportDef& d, const InstanceTypeInfo& t,
                                                                 const Linker& linker) const {
  std::lock_guard lock(host_imports_mu_);
  auto& slot = host_imports_[{&d, linker.version()}];
  if (slot) return *slot;
  slot = std::make_unique<HostImport>();
  HostImport& p = *slot;
  p.linker_version = linker.version();
  p.found = linker.find(d.name.name);
  if (!p.found.def) return p;
  for (const auto& e : t.exports) {
    HostImport::Export& x = p.exports.emplace_back();
    if (e.type.kind == ExternType::Kind::Func) {
      x.name = d.name.name + "#" + e.name;
      auto fn = p.found.def->funcs.find(e.name);
      if (fn != p.found.def->funcs.end()) {
        x.func = &fn->second;
        if (auto s = signatures.find(e.type.func.get()); s != signatures.end()) x.sig = &s->second;
        continue;
      }
      if (p.error.empty())
        p.error = "component imports function `" + e.name + "` of `" + d.name.name + "`, which the host's `" +
                  *p.found.name + "` does not define";
    } else if (e.type.kind == ExternType::Kind::Type) {
      if (e.type.type.kind != TypeDef::Kind::Resource) continue;
      x.name = *p.found.name + "#" + e.name;
      auto dtor = p.found.def->resources.find(e.name);
      if (dtor != p.found.def->resources.end()) {
        x.dtor = &dtor->second;
        continue;
      }
      // Only an error if the import's resource is not mapped through
      // another import first (checked at instantiation: see import()).
    } else if (p.error.empty()) {
      p.error = "component imports " + std::string(kind_name(e.type.kind)) + " `" + e.name + "` of `" +
                d.name.name + "`; host interfaces hold functions and types only";
    }
  }
  if (p.error.empty()) p.shared = share(p, t, linker, host_resource_ids_[linker.version()]);
  return p;
}

std::shared_ptr<SharedHostInstance> LoadedComponent::share(
    const HostImport& p, const InstanceTypeInfo& t, const Linker& linker,
    std::unordered_map<uint32_t, const abi::RuntimeResourceType*>& ids) const {
  auto s = std::make_shared<SharedHostInstance>();
  s->instance.reserve(t.exports.size());
  s->instance.names_owner = this;  // views of t's names, and t is this component's
  std::vector<std::pair<uint32_t, const abi::RuntimeResourceType*>> added;
  size_t n = 0;
  for (const auto& e : t.exports) {
    const HostImport::Export& x = p.exports[n++];
    RtItem item;
    if (e.type.kind == ExternType::Kind::Func) {
      const FuncType* type = e.type.func.get();
      auto sig = signatures.find(type);
      item = host_func_item(s->funcs.emplace_back(), type,
                            sig != signatures.end() ? &sig->second : &s->signatures.emplace_back(make_signature(*type)),
                            x, nullptr);
    } else {
      item.sort = Sort::Type;
      if (e.type.type.kind == TypeDef::Kind::Resource) {
        // As import() maps it: a resource mapped already (by an earlier
        // import this one `use`s it from, or earlier in this one) keeps
        // its type; else the host's definition.
        uint32_t id = e.type.type.resource->id;
        if (auto known = ids.find(id); known != ids.end()) {
          item.resource = known->second;
        } else if (x.dtor) {
          item.resource = &linker.resource_type(*p.found.name, e.name, x.dtor);
          ids.emplace(id, item.resource);
          added.emplace_back(id, item.resource);
        } else {
          for (const auto& [id, type] : added) ids.erase(id);
          return nullptr;  // defined elsewhere: import() maps it per instance
        }
        bool listed = std::any_of(s->resources.begin(), s->resources.end(),
                                  [id](const auto& r) { return r.first == id; });
        if (!listed) s->resources.emplace_back(id, item.resource);
      }
    }
    s->instance.add(e.name, std::move(item));
  }
  return s;
}

std::shared_ptr<const LoadedComponent::CoreLink> LoadedComponent::core_link(const CoreInstanceDef* d) const {
  std::lock_guard lock(core_links_mu_);
  auto it = core_links_.find(d);
  return it == core_links_.end() ? nullptr : it->second;
}

void LoadedComponent::set_core_link(const CoreInstanceDef* d, std::shared_ptr<const CoreLink> link) const {
  std::lock_guard lock(core_links_mu_);
  core_links_[d] = std::move(link);
}

namespace {

// After validation, instantiation reads of a type definition only whether
// it is a resource (and its destructor): every other definition becomes
// one shared placeholder, so a loaded component does not keep its decoded
// types twice (the validator's resolved ones are in `info`).
void drop_type_definitions(Component& c) {
  static const auto placeholder = std::make_shared<const TypeDef>();
  for (auto& t : c.types)
    if (t->kind != TypeDef::Kind::Resource) t = placeholder;
  // Nested components were made here, mutable, and are not shared yet.
  for (auto& nested : c.components) drop_type_definitions(const_cast<Component&>(*nested));
}

Expected<std::shared_ptr<const LoadedComponent>> load_component_with(std::span<const uint8_t> bytes,
                                                                     std::shared_ptr<const void> owner,
                                                                     const wasm::CompileOptions& options,
                                                                     const FindCompiled& find) {
  auto c = std::make_shared<LoadedComponent>();
  auto ast = decode_component(bytes, std::move(owner), find);
  if (!ast) return unexpected(std::move(ast.error()));
  c->ast = std::move(*ast);
  auto type = validate_component(c->ast, &c->info);
  if (!type) return unexpected(std::move(type.error()));
  c->type = std::move(*type);
  drop_type_definitions(c->ast);
  if (auto r = compile_all(c->ast, *c, options); !r) return unexpected(std::move(r.error()));
  SignatureCollector{*c, {}}.run();
  count_spaces(c->ast, *c);  // after the signatures: plans point at them
  return std::shared_ptr<const LoadedComponent>(std::move(c));
}

}  // namespace

Expected<std::shared_ptr<const LoadedComponent>> load_component(std::span<const uint8_t> bytes,
                                                                std::shared_ptr<const void> owner,
                                                                const wasm::CompileOptions& options) {
  // Core modules whose code the tier holds skip their bodies (load_module's
  // fast path); when such code then does not load, the whole load again,
  // whose errors are the ones to report.
  const wasm::rt::Tier* tier = wasm::rt::tier_for(options.tier);
  if (!tier) return load_component_with(bytes, std::move(owner), options, {});
  bool found_any = false;
  auto c = load_component_with(bytes, owner, options, [&](std::span<const uint8_t> b) {
    auto code = tier->find_compiled(b);
    found_any = found_any || code;
    return code;
  });
  if (c || !found_any) return c;
  return load_component_with(bytes, std::move(owner), options, {});
}

const ComponentTypeInfo& component_type(const LoadedComponent& c) { return c.type; }
const Component& component_ast(const LoadedComponent& c) { return c.ast; }

bool compiled_by(const LoadedComponent& c, std::string_view tier) {
  for (const auto& [def, compiled] : c.compiled)
    if (compiled->tier_name() != tier) return false;
  return true;
}

}  // namespace whirl::component::runtime
