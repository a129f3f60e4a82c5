// Instantiation of a component graph (Explainer.md, "Instance
// Definitions"): walks each component's definitions in order, filling the
// runtime index spaces the way validation filled the static ones, so a
// static type at index i describes the runtime entry at index i.
#include <algorithm>
#include <utility>

#include "component/names.h"
#include "component/runtime/frame.h"

namespace whirl::component::runtime {

namespace {

struct Fail {
  std::string message;
  std::optional<wasm::Trap> trap = {};
  bool unlinkable = false;
};


class Instantiator {
 public:
  Instantiator(InstanceImpl& rt, const Linker& linker, const ComponentImports& imports)
      : rt_(rt), linker_(linker), imports_(imports) {}

  using Args = std::unordered_map<std::string_view, RtItem>;

  // `args` null: the root, whose imports come from `imports` and the linker.
  // `parent`: the instance that instantiates this one (reentrance rules).
  // `loaded`: the loaded component `c` is part of.
  Frame& run(const LoadedComponent& loaded, const Component& c, Frame* outer, Frame* parent, const Args* args,
             std::string name) {
    Frame& f = rt_.arena.frames.emplace_back(&rt_, outer, std::move(name));
    f.loaded = &loaded;
    f.ast = &c;
    auto it = loaded.info.scopes.find(&c);
    if (it == loaded.info.scopes.end()) throw Fail{"internal error: component not validated"};
    f.types = &it->second;
    if (auto plan = loaded.plans.find(&c); plan != loaded.plans.end()) {
      for (int s = 0; s < kSortCount; ++s) f.space[s].reserve(plan->second.space_sizes[s]);
      f.alias_hints = plan->second.alias_hints.get();
      f.canon_sigs = plan->second.canon_sigs.get();
      f.import_hints = plan->second.import_hints.get();
    }
    f.exports = &rt_.arena.instances.emplace_back();
    f.state.embedder = static_cast<ComponentInstance*>(&rt_);
    if (parent) f.state.parent = &parent->state;
    for (const Item& item : c.order) step(f, c, item, args);
    return f;
  }

 private:
  void step(Frame& f, const Component& c, const Item& item, const Args* args) {
    switch (item.kind) {
      case Item::Kind::CoreModule: {
        RtItem m;
        m.module = &f.loaded->compiled.at(&c.core_modules[item.index]);
        push(f, Sort::CoreModule, std::move(m));
        break;
      }
      case Item::Kind::CoreInstance: core_instance(f, c.core_instances[item.index]); break;
      case Item::Kind::CoreType: {
        // One index per type of a rec group (as the validator counts them).
        const CoreType& t = *c.core_types[item.index];
        if (t.kind == CoreType::Kind::Module) push(f, Sort::CoreType, {});
        for (const auto& sub : t.rec) {
          RtItem i;
          i.core_func_type = &sub.func;
          push(f, Sort::CoreType, std::move(i));
        }
        break;
      }
      case Item::Kind::Component: {
        RtItem i;
        i.component = &rt_.arena.components.emplace_back(RtComponent{c.components[item.index].get(), &f, f.loaded});
        push(f, Sort::Component, std::move(i));
        break;
      }
      case Item::Kind::Instance: instance(f, c.instances[item.index]); break;
      case Item::Kind::Alias: alias(f, c.aliases[item.index], item.index); break;
      case Item::Kind::Type: type(f, *c.types[item.index]); break;
      case Item::Kind::Canon:
        canon(f, c.canons[item.index], f.canon_sigs ? f.canon_sigs[item.index] : nullptr);
        break;
      case Item::Kind::Start: {
        const RtFunc* fn = f.at(Sort::Func).at(c.starts[item.index].func).func;
        LiftArgs none = [](abi::HandleTable*) -> Expected<std::vector<abi::Value>, abi::Trap> {
          return std::vector<abi::Value>{};
        };
        LowerResults ignore = [](abi::HandleTable*, std::vector<abi::Value>&) -> Expected<void, abi::Trap> {
          return {};
        };
        if (auto r = call_func(*fn, nullptr, none, ignore, &rt_); !r)
          throw Fail{"start function trapped: " + r.error().message, std::move(r.error())};
        break;
      }
      case Item::Kind::Import:
        import(f, c.imports[item.index], args, f.import_hints ? &f.import_hints[item.index] : nullptr);
        break;
      case Item::Kind::Export: {
        const ExportDef& d = c.exports[item.index];
        RtItem i = f.at(d.item.sort).at(d.item.index);
        f.exports->add(d.name.name, i);
        push(f, d.item.sort, std::move(i));
        break;
      }
      case Item::Kind::Value: throw Fail{"value definitions are not supported"};
    }
  }

  // Adds an entry to an index space; a resource type (directly, or among
  // an instance's exports) maps the static resource at that index to it.
  void push(Frame& f, Sort sort, RtItem item) {
    item.sort = sort;
    size_t index = f.at(sort).size();
    if (sort == Sort::Type && item.resource && index < f.types->types.size()) {
      const TypeEntry& st = f.types->types[index];
      if (st.kind == TypeDef::Kind::Resource) f.resources.alias(st.resource->id, item.resource);
    }
    if (sort == Sort::Instance && item.instance && index < f.types->instances.size())
      map_resources(f, *f.types->instances[index], *item.instance);
    f.at(sort).push_back(std::move(item));
  }

  void map_resources(Frame& f, const InstanceTypeInfo& t, const RtInstance& inst) {
    uint32_t hint = 0;  // types list exports in the order instances add them
    for (const auto& e : t.exports) {
      const RtItem* item = inst.find(e.name, hint++);
      if (!item) continue;
      if (item->sort == Sort::Type && e.type.kind == ExternType::Kind::Type &&
          e.type.type.kind == TypeDef::Kind::Resource && item->resource)
        f.resources.alias(e.type.type.resource->id, item->resource);
      if (item->sort == Sort::Instance && e.type.kind == ExternType::Kind::Instance && e.type.instance)
        map_resources(f, *e.type.instance, *item->instance);
    }
  }

  void core_instance(Frame& f, const CoreInstanceDef& d) {
    RtCoreInstance& ci = rt_.arena.core_instances.emplace_back();
    if (d.instantiate) {
      const auto& module = *f.at(Sort::CoreModule).at(d.module).module;
      args_.clear();
      for (const auto& a : d.args) args_.push_back(f.at(Sort::CoreInstance).at(a.instance).core_instance);
      auto link = f.loaded->core_link(&d);
      if (!fits(link.get(), module->module())) {
        link = core_link(d, module->module());
        f.loaded->set_core_link(&d, link);
      }
      std::vector<wasm::ExternVal> imports;
      imports.reserve(link->imports.size());
      for (const auto& [arg, pos] : link->imports) imports.push_back(args_[arg]->at(pos));
      auto inst = rt_.store().instantiate(module, imports);
      if (!inst)
        throw Fail{inst.error().message, inst.error().trap,
                   inst.error().kind == wasm::InstantiationError::Kind::Link};
      ci.instance = *inst;
    } else {
      ci.def = &d;
      ci.exports.reserve(d.exports.size());
      for (const auto& e : d.exports) ci.exports.push_back(f.at(e.item.sort).at(e.item.index).core);
    }
    RtItem i;
    i.core_instance = &ci;
    push(f, Sort::CoreInstance, std::move(i));
  }

  // Whether `link` holds for this instantiation's module and arguments.
  bool fits(const LoadedComponent::CoreLink* link, const wasm::Module& m) const {
    if (!link || link->module != &m || link->arg_shapes.size() != args_.size()) return false;
    for (size_t i = 0; i < args_.size(); ++i)
      if (link->arg_shapes[i] != args_[i]->shape()) return false;
    return true;
  }

  // Resolves each import of `m` by name among the arguments (args_).
  std::shared_ptr<const LoadedComponent::CoreLink> core_link(const CoreInstanceDef& d, const wasm::Module& m) const {
    auto link = std::make_shared<LoadedComponent::CoreLink>();
    link->module = &m;
    for (const RtCoreInstance* a : args_) link->arg_shapes.push_back(a->shape());
    link->imports.reserve(m.imports.size());
    for (const auto& imp : m.imports) {
      std::optional<uint32_t> pos;
      uint32_t arg = 0;
      for (; arg < d.args.size(); ++arg)
        if (d.args[arg].name == imp.module) break;
      if (arg < d.args.size()) pos = args_[arg]->position(imp.name);
      if (!pos) throw Fail{"core module import `" + imp.module + "` `" + imp.name + "` is not provided", {}, true};
      link->imports.emplace_back(arg, *pos);
    }
    return link;
  }

  void instance(Frame& f, const InstanceDef& d) {
    RtItem i;
    if (d.instantiate) {
      const RtComponent* comp = f.at(Sort::Component).at(d.component).component;
      Args args;
      for (const auto& a : d.args) args[a.name] = f.at(a.item.sort).at(a.item.index);
      Frame& child =
          run(*comp->loaded, *comp->ast, comp->outer, &f, &args, f.state.name + "/" + std::to_string(d.offset));
      // Function types seen from here still name the child's resources.
      for (size_t k = 0; k < child.resources.size(); ++k)
        f.resources.alias(child.resources.id(k), child.resources.type(k));
      i.instance = child.exports;
    } else {
      RtInstance& inst = rt_.arena.instances.emplace_back();
      inst.reserve(d.exports.size());
      for (const auto& e : d.exports) inst.add(e.name.name, f.at(e.item.sort).at(e.item.index));
      i.instance = &inst;
    }
    push(f, Sort::Instance, std::move(i));
  }

  // `k`: its index in the component's aliases (its hint).
  void alias(Frame& f, const Alias& a, uint32_t k) {
    switch (a.target) {
      case Alias::Target::Export: {
        const RtInstance* inst = f.at(Sort::Instance).at(a.instance).instance;
        LoadedComponent::AliasHint* hint = f.alias_hints ? &f.alias_hints[k] : nullptr;
        std::optional<uint32_t> pos;
        if (hint) {
          // Racing instantiations may store the two fields from different
          // instances, but `key` only ever holds bytes equal to a.name that
          // live as long as this component: an address match is a match.
          const uint32_t at = hint->position.load(std::memory_order_relaxed);
          if (at < inst->names.size() && inst->names[at].size() == a.name.size() &&
              inst->names[at].data() == hint->key.load(std::memory_order_relaxed))
            pos = at;
          else
            pos = inst->position(a.name, at);
        } else {
          pos = inst->position(a.name);
        }
        if (!pos) throw Fail{"instance has no export named `" + a.name + "`"};
        if (hint) {
          hint->position.store(*pos, std::memory_order_relaxed);
          if (inst->names_owner == f.loaded) hint->key.store(inst->names[*pos].data(), std::memory_order_relaxed);
        }
        push(f, a.sort, inst->items[*pos]);
        break;
      }
      case Alias::Target::CoreExport: {
        const RtCoreInstance* ci = f.at(Sort::CoreInstance).at(a.instance).core_instance;
        auto v = ci->find(a.name);
        if (!v) throw Fail{"core instance has no export named `" + a.name + "`"};
        RtItem i;
        i.core = *v;
        push(f, a.sort, std::move(i));
        break;
      }
      case Alias::Target::Outer: {
        Frame* target = &f;
        for (uint32_t n = 0; n < a.count && target; ++n) target = target->outer;
        if (!target) throw Fail{"outer alias beyond the outermost component"};
        push(f, a.sort, target->at(a.sort).at(a.index));
        break;
      }
    }
  }

  void type(Frame& f, const TypeDef& t) {
    RtItem i;
    size_t index = f.at(Sort::Type).size();
    if (t.kind == TypeDef::Kind::Resource) {
      const TypeEntry& st = f.types->types.at(index);
      abi::Destructor dtor;
      if (t.resource.dtor) {
        wasm::FuncInst* fn = f.at(Sort::CoreFunc).at(*t.resource.dtor).core.as_func();
        Frame* fr = &f;
        dtor = [fr, fn](uint32_t rep, abi::InstanceState&) -> Expected<void, abi::Trap> {
          wasm::Value arg = wasm::Value::i32(rep);
          auto r = run_core(*fr, fn, {&arg, 1});
          if (r) return {};
          return unexpected(keep_core_trap(std::move(r.error())));
        };
      }
      i.resource = &f.resources.add(st.resource->id, &f.state, std::move(dtor), "resource");
    }
    push(f, Sort::Type, std::move(i));
  }

  CanonOptions options(Frame& f, const CanonOpts& o) {
    CanonOptions out;
    if (o.encoding) out.encoding = static_cast<abi::StringEncoding>(*o.encoding);
    if (o.memory) out.memory = f.at(Sort::CoreMemory).at(*o.memory).core.as_memory();
    if (o.realloc) out.realloc = f.at(Sort::CoreFunc).at(*o.realloc).core.as_func();
    if (o.post_return) out.post_return = f.at(Sort::CoreFunc).at(*o.post_return).core.as_func();
    // Async lifts and lowers instantiate; calling one traps as unsupported.
    out.async = o.async || o.callback.has_value();
    out.callback = o.callback.has_value();
    return out;
  }

  // `sig`: the plan's signature of a lift's or lower's function type.
  void canon(Frame& f, const Canon& c, const Signature* sig) {
    switch (c.kind) {
      case CanonKind::Lift: {
        RtFunc& fn = rt_.arena.funcs.emplace_back();
        fn.type = f.types->types.at(c.type).func.get();
        fn.sig = sig ? sig : signature_of(f, *fn.type);
        fn.frame = &f;
        fn.callee = f.at(Sort::CoreFunc).at(c.func).core.as_func();
        fn.opts = options(f, c.opts);
        RtItem i;
        i.func = &fn;
        push(f, Sort::Func, std::move(i));
        break;
      }
      case CanonKind::Lower: {
        const RtFunc* callee = f.at(Sort::Func).at(c.func).func;
        const FuncType& type = *f.types->funcs.at(c.func);
        RtItem i;
        i.core = wasm::ExternVal::func(make_lowered(f, *callee, type, options(f, c.opts), sig));
        push(f, Sort::CoreFunc, std::move(i));
        break;
      }
      default: {
        const abi::RuntimeResourceType* rt = nullptr;
        if (c.kind == CanonKind::ResourceNew || c.kind == CanonKind::ResourceDrop || c.kind == CanonKind::ResourceRep) {
          const TypeEntry& st = f.types->types.at(c.type);
          rt = f.resources.find(st.resource->id);
        }
        auto fn = make_builtin(f, c, rt);
        if (!fn) throw Fail{std::string("canon ") + canon_name(c.kind) + ": " + fn.error().message};
        RtItem i;
        i.core = wasm::ExternVal::func(*fn);
        push(f, Sort::CoreFunc, std::move(i));
        break;
      }
    }
  }

  void import(Frame& f, const ImportDef& d, const Args* args,
              std::atomic<const LoadedComponent::HostImport*>* hint) {
    Sort sort = sort_of(d.type.kind);
    if (args) {
      auto it = args->find(d.name.name);
      if (it == args->end()) throw Fail{"missing instantiation argument `" + d.name.name + "`"};
      push(f, sort, it->second);
      return;
    }
    if (other_component(f, d, sort)) return;
    if (sort != Sort::Instance)
      throw Fail{"component imports " + std::string(kind_name(d.type.kind)) + " `" + d.name.name +
                     "`, which is not defined (the host provides only interfaces, as instances)",
                 {}, true};
    const InstanceTypeInfo& t = *f.types->instances.at(f.at(Sort::Instance).size());
    const LoadedComponent::HostImport* hinted = hint ? hint->load(std::memory_order_acquire) : nullptr;
    if (!hinted || hinted->linker_version != linker_.version()) {
      hinted = &f.loaded->host_import(d, t, linker_);
      if (hint) hint->store(hinted, std::memory_order_release);
    }
    const LoadedComponent::HostImport& plan = *hinted;
    if (!plan.found.def)
      throw Fail{"component imports instance `" + d.name.name + "`, which is not defined" + host_has(d.name.name), {},
                 true};
    if (!plan.error.empty()) throw Fail{plan.error, {}, true};
    if (plan.shared && fits(f, *plan.shared)) {
      // What push() would map through map_resources, known beforehand.
      for (const auto& [id, type] : plan.shared->resources) f.resources.alias(id, type);
      RtItem i;
      i.sort = Sort::Instance;
      i.instance = &plan.shared->instance;
      f.at(Sort::Instance).push_back(std::move(i));
      return;
    }
    RtInstance& inst = rt_.arena.instances.emplace_back();
    inst.reserve(t.exports.size());
    // Resources already exported under another name (wasi:http's `type
    // headers = fields` is `(export "headers" (type (eq fields)))`).
    std::vector<std::pair<uint32_t, const abi::RuntimeResourceType*>> seen;
    size_t n = 0;
    for (const auto& e : t.exports) {
      const LoadedComponent::HostImport::Export& x = plan.exports[n++];
      RtItem item;
      if (e.type.kind == ExternType::Kind::Func) {
        const FuncType* type = e.type.func.get();
        item = host_func_item(rt_.arena.funcs.emplace_back(), type, x.sig ? x.sig : signature_of(f, *type), x, &rt_);
      } else {
        item.sort = Sort::Type;
        if (e.type.type.kind == TypeDef::Kind::Resource) {
          // A resource the interface `use`s from another one (wasi:io/streams'
          // `error`) is already mapped through that import.
          uint32_t id = e.type.type.resource->id;
          auto same = std::find_if(seen.begin(), seen.end(), [id](const auto& p) { return p.first == id; });
          if (const auto* known = f.resources.find(id))
            item.resource = known;
          else if (same != seen.end())
            item.resource = same->second;
          else if (x.dtor)
            item.resource = &linker_.resource_type(*plan.found.name, e.name, x.dtor);
          else
            throw Fail{"component imports resource `" + e.name + "` of `" + d.name.name + "`, which the host's `" +
                           *plan.found.name + "` does not define",
                       {}, true};
          if (same == seen.end()) seen.emplace_back(id, item.resource);
        }
      }
      inst.add(e.name, std::move(item));
    }
    RtItem i;
    i.instance = &inst;
    push(f, Sort::Instance, std::move(i));
  }

  // A root import satisfied by another component instance or component
  // (ComponentImports), after checking its type as instantiation checks an
  // argument's; false if `imports_` has nothing of that name.
  bool other_component(Frame& f, const ImportDef& d, Sort sort) {
    const NamedEntity* want = f.loaded->type.imports.find(d.name.name);
    if (sort == Sort::Instance) {
      auto it = find_named(imports_.instances, d.name.name);
      if (it == imports_.instances.end()) return false;
      auto* other = static_cast<InstanceImpl*>(it->second.get());
      if (!other->root) throw Fail{"instance `" + it->first + "` was not instantiated", {}, true};
      EntityType have;
      have.kind = ExternType::Kind::Instance;
      auto t = std::make_shared<InstanceTypeInfo>();
      t->exports = other->component->type.exports;
      have.instance = t;
      check_type(have, want, d.name.name);
      rt_.imported_instances.push_back(it->second);
      RtItem i;
      i.instance = bind_host_funcs(other->root->exports, other, it->first);
      push(f, Sort::Instance, std::move(i));
      return true;
    }
    if (sort == Sort::Component) {
      auto it = find_named(imports_.components, d.name.name);
      if (it == imports_.components.end()) return false;
      EntityType have;
      have.kind = ExternType::Kind::Component;
      have.component = std::make_shared<ComponentTypeInfo>(it->second->type);
      check_type(have, want, d.name.name);
      rt_.imported_components.push_back(it->second);
      RtItem i;
      i.component = &rt_.arena.components.emplace_back(RtComponent{&it->second->ast, nullptr, it->second.get()});
      push(f, Sort::Component, std::move(i));
      return true;
    }
    return false;
  }

  template <class Map>
  static typename Map::const_iterator find_named(const Map& m, const std::string& name) {
    if (auto it = m.find(name); it != m.end()) return it;
    auto best = m.end();
    for (auto it = m.begin(); it != m.end(); ++it)
      if (import_name_matches(name, it->first) && (best == m.end() || prefer_version(it->first, best->first)))
        best = it;
    return best;
  }

  // Whether what another component exports can stand for the import `want`:
  // every export the import's type names is there, of the same kind, and
  // functions have the same shape. Lighter than the validator's subtyping
  // (resources match by position, not identity): the provider was
  // validated against its own types.
  static void check_type(const EntityType& have, const NamedEntity* want, const std::string& name) {
    if (!want) return;
    std::string why = mismatch(have, want->type);
    if (!why.empty()) throw Fail{"type mismatch for import `" + name + "`: " + why, {}, true};
  }

  static std::string mismatch(const EntityType& have, const EntityType& want) {
    if (have.kind != want.kind)
      return std::string("expected ") + kind_name(want.kind) + ", found " + kind_name(have.kind);
    const NamedList<NamedEntity>* have_exports = nullptr;
    const NamedList<NamedEntity>* want_exports = nullptr;
    if (want.kind == ExternType::Kind::Instance && have.instance && want.instance) {
      have_exports = &have.instance->exports;
      want_exports = &want.instance->exports;
    } else if (want.kind == ExternType::Kind::Component && have.component && want.component) {
      // It will be instantiated with the arguments the import's type promises.
      for (const auto& i : have.component->imports)
        if (!want.component->imports.find(i.name)) return "the component imports `" + i.name + "`, not promised";
      have_exports = &have.component->exports;
      want_exports = &want.component->exports;
    } else if (want.kind == ExternType::Kind::Func && have.func && want.func) {
      if (!same_func(*have.func, *want.func)) return "function type mismatch";
    }
    if (!want_exports) return {};
    for (const auto& e : *want_exports) {
      const NamedEntity* h = have_exports->find(e.name);
      if (!h) return "missing expected export `" + e.name + "`";
      std::string why = mismatch(h->type, e.type);
      if (!why.empty()) return "type mismatch in instance export `" + e.name + "`: " + why;
    }
    return {};
  }

  static bool same_func(const FuncType& a, const FuncType& b) {
    if (a.params.size() != b.params.size() || !a.result != !b.result) return false;
    for (size_t i = 0; i < a.params.size(); ++i)
      if (a.params[i].label != b.params[i].label || !same_shape(*a.params[i].type, *b.params[i].type)) return false;
    return !a.result || same_shape(*a.result, *b.result);
  }

  static bool same_shape(const ValType& a, const ValType& b) {
    if (a.kind != b.kind || a.labels != b.labels || a.fields.size() != b.fields.size() ||
        a.cases.size() != b.cases.size() || a.elems.size() != b.elems.size())
      return false;
    auto same = [](const ValTypePtr& x, const ValTypePtr& y) { return !x == !y && (!x || same_shape(*x, *y)); };
    if (!same(a.elem, b.elem) || !same(a.key, b.key) || !same(a.ok, b.ok) || !same(a.err, b.err)) return false;
    for (size_t i = 0; i < a.fields.size(); ++i)
      if (a.fields[i].label != b.fields[i].label || !same(a.fields[i].type, b.fields[i].type)) return false;
    for (size_t i = 0; i < a.cases.size(); ++i)
      if (a.cases[i].label != b.cases[i].label || !same(a.cases[i].type, b.cases[i].type)) return false;
    for (size_t i = 0; i < a.elems.size(); ++i)
      if (!same(a.elems[i], b.elems[i])) return false;
    return true;
  }

  // " (the host has ...)": the instances that could have been meant.
  std::string host_has(const std::string& name) const {
    std::string have;
    auto want = parse_extern_name(name);
    for (const auto& n : linker_.names()) {
      auto h = parse_extern_name(n);
      if (want && h && want->unversioned() == h->unversioned()) have += (have.empty() ? "" : ", ") + ("`" + n + "`");
    }
    return have.empty() ? "" : " (the host has " + have + ")";
  }

  // Whether a shared host import's resources mean the same in `f`: none
  // of them is mapped to another type already (say, by an import another
  // component instance satisfied).
  static bool fits(const Frame& f, const SharedHostInstance& shared) {
    for (const auto& [id, type] : shared.resources)
      if (const auto* known = f.resources.find(id); known && known != type) return false;
    return true;
  }

  // `inst` with the shared host functions among its exports (and its
  // instances' exports) bound to `owner`, the instance that imported
  // them: a component importing `owner`'s exports calls them with
  // `owner`'s host data, not its own. A host resource type with a
  // destructor among them is refused: its destructor runs with the host
  // data of the instance that drops a handle, which for a handle made in
  // `owner` and dropped here would be the wrong one.
  RtInstance* bind_host_funcs(RtInstance* inst, InstanceImpl* owner, const std::string& import) {
    RtInstance* copy = nullptr;
    for (size_t k = 0; k < inst->names.size(); ++k) {
      const RtItem& item = inst->items[k];
      std::string_view name = inst->names[k];
      if (item.sort == Sort::Type && item.resource && !item.resource->impl && item.resource->dtor)
        throw Fail{"instance `" + import + "` exports `" + std::string(name) + "`, a resource of the host (" +
                       item.resource->name + "): handles of host resources cannot pass between instances linked "
                       "to each other",
                   {}, true};
      RtItem bound = item;
      if (item.sort == Sort::Func && item.func && item.func->host && !item.func->rt) {
        RtFunc& rf = rt_.arena.funcs.emplace_back(*item.func);
        rf.rt = owner;
        bound.func = &rf;
      } else if (item.sort == Sort::Instance) {
        bound.instance = bind_host_funcs(item.instance, owner, import);
      }
      if (bound.none == item.none) continue;
      if (!copy) copy = &rt_.arena.instances.emplace_back(*inst);
      copy->items[k] = bound;
    }
    return copy ? copy : inst;
  }

  InstanceImpl& rt_;
  const Linker& linker_;
  const ComponentImports& imports_;
  std::vector<const RtCoreInstance*> args_;  // core_instance's arguments, in d.args' order
};

}  // namespace

const Signature* signature_of(Frame& frame, const FuncType& t) {
  if (frame.loaded) {
    auto it = frame.loaded->signatures.find(&t);
    if (it != frame.loaded->signatures.end()) return &it->second;
  }
  return &frame.rt->arena.signatures.emplace_back(make_signature(t));
}

std::optional<uint32_t> RtCoreInstance::position(std::string_view name) const {
  if (instance) return instance->export_position(name);
  // The last export of a name wins, as a map filled in order would have it.
  for (size_t i = def->exports.size(); i-- > 0;)
    if (def->exports[i].name == name) return uint32_t(i);
  return std::nullopt;
}

wasm::ExternVal RtCoreInstance::at(uint32_t position) const {
  return instance ? instance->export_at(position) : exports[position];
}

std::optional<wasm::ExternVal> RtCoreInstance::find(std::string_view name) const {
  auto pos = position(name);
  if (!pos) return std::nullopt;
  return at(*pos);
}

Expected<std::unique_ptr<ComponentInstance>, InstantiateError> instantiate(
    std::shared_ptr<const LoadedComponent> component, std::unique_ptr<wasm::Store> store, const Linker& linker,
    std::any host_data) {
  return instantiate(std::move(component), std::move(store), linker, std::move(host_data), ComponentImports{});
}

Expected<std::unique_ptr<ComponentInstance>, InstantiateError> instantiate(
    std::shared_ptr<const LoadedComponent> component, std::unique_ptr<wasm::Store> store, const Linker& linker,
    std::any host_data, const ComponentImports& imports) {
  auto rt = std::make_unique<InstanceImpl>(component, std::move(store));
  rt->host_data = std::move(host_data);
  try {
    rt->root = &Instantiator(*rt, linker, imports).run(*component, component->ast, nullptr, nullptr, nullptr, "root");
  } catch (const Fail& f) {
    return unexpected(InstantiateError{f.message, f.trap, f.unlinkable});
  }
  return std::unique_ptr<ComponentInstance>(std::move(rt));
}

}  // namespace whirl::component::runtime
