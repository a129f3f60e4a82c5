#include "component/snapshot/snapshot.h"

#include <memory>
#include <vector>

#include "component/runtime/component.h"
#include "component/snapshot/rewrite.h"
#include "wasm/runtime/deadline.h"

namespace whirl::component::snapshot {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

// The core module index space: each entry's position among the module
// sections, or kNone (imported, aliased, an export's).
std::vector<uint32_t> module_space(const Component& c) {
  std::vector<uint32_t> space;
  for (const Item& it : c.order) {
    switch (it.kind) {
      case Item::Kind::CoreModule: space.push_back(it.index); break;
      case Item::Kind::Import:
        if (c.imports[it.index].type.kind == ExternType::Kind::CoreModule) space.push_back(kNone);
        break;
      case Item::Kind::Alias:
        if (c.aliases[it.index].sort == Sort::CoreModule) space.push_back(kNone);
        break;
      case Item::Kind::Export:
        if (c.exports[it.index].item.sort == Sort::CoreModule) space.push_back(kNone);
        break;
      default: break;
    }
  }
  return space;
}

bool instantiates_modules(const Component& c) {
  for (const auto& i : c.core_instances)
    if (i.instantiate) return true;
  for (const auto& nested : c.components)
    if (instantiates_modules(*nested)) return true;
  return false;
}

// For each core instance of the outermost component, the module section it
// instantiates (kNone: inline exports); refuses what a snapshot cannot hold.
Expected<std::vector<uint32_t>> instantiations(const Component& c) {
  if (!c.starts.empty()) return make_error("it has a start function, which a snapshot cannot hold");
  for (const auto& imp : c.imports)
    if (imp.type.kind == ExternType::Kind::Component || imp.type.kind == ExternType::Kind::CoreModule)
      return make_error("it imports " + std::string(kind_name(imp.type.kind)) + " `" + imp.name.name +
                        "`, whose state a snapshot cannot hold");
  for (const auto& nested : c.components)
    if (instantiates_modules(*nested))
      return make_error("a nested component instantiates core modules; a snapshot holds the modules of the "
                        "outermost component only");
  const std::vector<uint32_t> space = module_space(c);
  std::vector<uint32_t> out;
  std::vector<bool> seen(c.core_modules.size());
  for (size_t i = 0; i < c.core_instances.size(); ++i) {
    const CoreInstanceDef& d = c.core_instances[i];
    if (!d.instantiate) {
      out.push_back(kNone);
      continue;
    }
    const uint32_t m = d.module < space.size() ? space[d.module] : kNone;
    if (m == kNone)
      return make_error("core instance " + std::to_string(i) +
                        " instantiates a module the component does not define, whose state a snapshot cannot hold");
    if (seen[m])
      return make_error("core module " + std::to_string(d.module) +
                        " is instantiated twice; a snapshot holds one state per module");
    seen[m] = true;
    out.push_back(m);
  }
  return out;
}

// Every imported function the linker does not define traps, naming itself;
// every resource type it does not define is the host's, without destructor.
void define_missing(runtime::Linker& linker, const ComponentTypeInfo& type, const std::string& hint) {
  for (const auto& imp : type.imports) {
    if (imp.type.kind != ExternType::Kind::Instance || !imp.type.instance) continue;
    auto found = linker.find(imp.name);
    const std::string name = found.def ? *found.name : imp.name;
    linker.instance(name);  // one that exports only types is still an instance
    for (const auto& e : imp.type.instance->exports) {
      if (e.type.kind == ExternType::Kind::Type && e.type.type.kind == TypeDef::Kind::Resource) {
        if (!found.def || !found.def->resources.count(e.name)) linker.resource(name, e.name);
      } else if (e.type.kind == ExternType::Kind::Func) {
        if (found.def && found.def->funcs.count(e.name)) continue;
        std::string what = "the initialization called the import `" + imp.name + "#" + e.name +
                           "`, which a snapshot cannot hold" + (hint.empty() ? "" : " (" + hint + ")");
        linker.func(name, e.name, [what](runtime::HostCall&, std::span<abi::Value>)
                                      -> Expected<std::vector<abi::Value>, abi::Trap> {
          return unexpected(abi::Trap{what});
        });
      }
    }
  }
}

std::string failure(const runtime::CallError& e, const std::string& too_long) {
  if (e.exit_code) return "the initialization function exited (status " + std::to_string(*e.exit_code) + ")";
  if (e.trap && e.trap->code == wasm::TrapCode::Interrupted) return "the initialization function " + too_long;
  return "the initialization function trapped: " + e.message;
}

}  // namespace

Expected<wasm::Snapshot> snapshot_component(std::span<const uint8_t> bytes, const SnapshotOptions& o) {
  auto loaded = runtime::load_component(bytes, nullptr, {.tier = "interp"});
  if (!loaded) return unexpected(loaded.error());
  const Component& ast = runtime::component_ast(**loaded);
  auto made_by = instantiations(ast);
  if (!made_by) return unexpected(made_by.error());
  std::optional<uint32_t> init_export;
  for (uint32_t i = 0; i < ast.exports.size(); ++i)
    if (ast.exports[i].name.name == o.init_func) init_export = i;
  if (!init_export || ast.exports[*init_export].item.sort != Sort::Func)
    return make_error("no exported function `" + o.init_func + "` (the initialization to run)");

  runtime::Linker linker;
  if (o.link) o.link(linker);
  define_missing(linker, runtime::component_type(**loaded), o.import_hint);
  wasm::StoreConfig config;
  config.max_memory_bytes = o.max_memory_bytes;
  auto store = wasm::Store::create(config);
  wasm::Store& s = *store;
  std::unique_ptr<runtime::ComponentInstance> inst;  // outlives the deadline, which points at its store
  wasm::Deadline deadline(s, o.time_limit);
  const std::string too_long = "ran longer than " + std::to_string(o.time_limit.count()) + " ms";
  auto made = runtime::instantiate(*loaded, std::move(store), linker, o.host_data);
  if (!made) {
    if (made.error().trap && made.error().trap->code == wasm::TrapCode::Interrupted)
      return make_error("instantiation " + too_long);
    return make_error("instantiation failed: " + made.error().message);
  }
  inst = std::move(*made);
  auto f = inst->find_func(o.init_func);
  if (!f) return make_error("no exported function `" + o.init_func + "` (the initialization to run)");
  if (!f.type->params.empty() || f.type->result)
    return make_error("the initialization function `" + o.init_func + "` must take and return nothing");
  if (auto ran = inst->call(f, {}); !ran) return make_error(failure(ran.error(), too_long));
  if (size_t open = runtime::handles_in_use(*inst))
    return make_error("the initialization left " + std::to_string(open) +
                      " resource handle(s) open, which a fresh instance would not have");

  // Each instantiated module in the state it is in.
  ComponentEdits edits;
  wasm::Snapshot out;
  for (uint32_t i = 0; i < made_by->size(); ++i) {
    const uint32_t m = (*made_by)[i];
    if (m == kNone) continue;
    wasm::Instance* core = runtime::root_core_instance(*inst, i);
    if (!core) return make_error("core instance " + std::to_string(i) + " was not made (a whirl bug)");
    const CoreModuleDef& def = ast.core_modules[m];
    auto snap = wasm::snapshot_instance(def.bytes, *def.module, *core, {});
    if (!snap) return make_error("core module " + std::to_string(m) + ": " + snap.error().message);
    out.data_segments += snap->data_segments;
    out.data_bytes += snap->data_bytes;
    edits.modules.emplace(m, std::move(snap->wasm));
  }
  if (!o.keep_init_func) edits.drop_export = *init_export;
  auto rewritten = rewrite_component(bytes, ast, edits);
  if (!rewritten) return unexpected(rewritten.error());
  out.wasm = std::move(*rewritten);
  // What it wrote must load: a component whirl cannot run is not a snapshot.
  if (auto check = runtime::load_component(out.wasm, nullptr, {.tier = "interp"}); !check)
    return make_error("the snapshot does not validate (a whirl bug): " + check.error().message);
  return out;
}

}  // namespace whirl::component::snapshot
