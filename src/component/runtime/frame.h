// Runtime internals (src/component/runtime only): the index spaces of each
// component instance as instantiation fills them, mirroring the validator's
// static ones entry for entry, and the objects they point at. All objects
// of one root instance live in its Arena and point at each other by raw
// pointer (a nested component refers to its enclosing frame; frames refer
// to functions of other frames), so there are no ownership cycles. A root
// import linked to another ComponentInstance points into that one's arena,
// which the importer keeps alive (InstanceImpl::imported_instances).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/chunked_list.h"
#include "common/ordered_keys.h"
#include "component/abi/handles.h"
#include "component/ast.h"
#include "component/binary/validator.h"
#include "component/runtime/component.h"
#include "component/runtime/linker.h"

namespace whirl::component::runtime {

class InstanceImpl;

// What a call needs of a function type beyond the type: its parameter and
// result types as lists and its lowered core signature, worked out once.
struct Signature {
  std::vector<ValTypePtr> params, results;
  wasm::FuncType lowered;   // the core type of `canon lower` (sync)
  uint32_t lowered_id = 0;  // wasm::func_type_id(lowered)
  bool out_param = false;   // results flatten to more than one value: lowered takes a pointer
  size_t flat_params = 0, flat_results = 0;  // how many flat values each list makes (32-bit pointers)
};
Signature make_signature(const FuncType& t);

struct SharedHostInstance;

struct LoadedComponent {
  Component ast;
  ValidationInfo info;
  ComponentTypeInfo type;
  // Every core module of the root and nested components, compiled once.
  std::unordered_map<const CoreModuleDef*, std::shared_ptr<const wasm::CompiledModule>> compiled;
  // Every function type the validator produced (index spaces, instance and
  // component types): instances share these instead of each building them.
  std::unordered_map<const FuncType*, Signature> signatures;
  // What instantiation of each component (the root or a nested one) knows
  // beforehand: how many entries each index space ends with (reserved
  // once), and where each `alias export` found its export last time.
  struct AliasHint {
    std::atomic<uint32_t> position{0};  // where the export was found last time
    // The name's bytes as a shared host instance keeps them (they live as
    // long as this component): a key at `position` viewing these very
    // bytes is the name, found without reading it.
    std::atomic<const char*> key{nullptr};
  };
  struct HostImport;
  struct Plan {
    std::array<uint32_t, kSortCount> space_sizes{};
    std::unique_ptr<AliasHint[]> alias_hints;  // per c.aliases entry
    // Per c.canons entry: the signature of a lift's or lower's function
    // type (looked up once here, not per instantiation); null for others.
    std::unique_ptr<const Signature*[]> canon_sigs;
    // Per c.imports entry: the HostImport the last instantiation linked it
    // with (valid while its linker_version is the Linker's), so the next
    // one takes no lock and searches no map.
    std::unique_ptr<std::atomic<const HostImport*>[]> import_hints;
  };
  std::unordered_map<const Component*, Plan> plans;
  // A root import of a host instance resolved against one Linker (what
  // each export links to): worked out at the first instantiation with that
  // Linker, then shared by every later one.
  struct HostImport {
    uint64_t linker_version = 0;  // the Linker::version() it was resolved against
    Linker::Found found;
    struct Export {
      std::string name;                        // "iface@version#func", as host functions are named
      const HostFunc* func = nullptr;          // a function
      const Signature* sig = nullptr;          // of its type, when the component's list has it
      const HostDestructor* dtor = nullptr;    // a resource type the host defines
    };
    std::vector<Export> exports;               // in the import type's order
    std::string error;                         // non-empty: why it cannot be linked
    // The instance every instantiation links this import to, built once:
    // its functions and host resource types do not depend on the instance
    // (a host function finds the calling instance's host data at the call).
    // Null where an export's resource is defined elsewhere than the host
    // (each instantiation then builds its own). Read-only once built.
    std::shared_ptr<SharedHostInstance> shared;
  };
  const HostImport& host_import(const ImportDef& d, const InstanceTypeInfo& t, const Linker& linker) const;

  // Where each import of a core instantiation comes from: (argument,
  // export position in it). Worked out by name at the first instantiation
  // and reused while the module and the arguments' shapes are the same
  // (a nested component may be given other modules).
  struct CoreLink {
    const wasm::Module* module = nullptr;
    std::vector<const void*> arg_shapes;                // RtCoreInstance::shape() of each argument
    std::vector<std::pair<uint32_t, uint32_t>> imports;  // per module import
  };
  std::shared_ptr<const CoreLink> core_link(const CoreInstanceDef* d) const;
  void set_core_link(const CoreInstanceDef* d, std::shared_ptr<const CoreLink> link) const;

 private:
  mutable std::mutex core_links_mu_;
  mutable std::unordered_map<const CoreInstanceDef*, std::shared_ptr<const CoreLink>> core_links_;
  std::shared_ptr<SharedHostInstance> share(
      const HostImport& p, const InstanceTypeInfo& t, const Linker& linker,
      std::unordered_map<uint32_t, const abi::RuntimeResourceType*>& ids) const;
  mutable std::mutex host_imports_mu_;
  mutable std::map<std::pair<const ImportDef*, uint64_t>, std::unique_ptr<HostImport>> host_imports_;
  // Per Linker: static resource id -> the host type the shared imports so
  // far map it to (an interface `use`s another's resource by its id).
  mutable std::map<uint64_t, std::unordered_map<uint32_t, const abi::RuntimeResourceType*>> host_resource_ids_;
};

struct Frame;

// The canon options of a lift or lower, resolved to runtime objects.
struct CanonOptions {
  abi::StringEncoding encoding = abi::StringEncoding::Utf8;
  wasm::MemoryInst* memory = nullptr;
  wasm::FuncInst* realloc = nullptr;
  wasm::FuncInst* post_return = nullptr;
  bool async = false;                // the `async` option
  bool callback = false;             // the `callback` option (async without it is stackful)
};

// A component function: lifted from a core function of `frame`, or a host
// function.
struct RtFunc {
  const FuncType* type = nullptr;        // as the defining side declared it (the loaded component's)
  const Signature* sig = nullptr;        // of `type`
  Frame* frame = nullptr;                // lifted: the instance it runs in
  wasm::FuncInst* callee = nullptr;      // lifted
  CanonOptions opts;                     // lifted
  const HostFunc* host = nullptr;        // host
  std::string_view name;                 // host: "iface#func" (LoadedComponent::host_import)
  // host: the instance whose host data it gets; null (a shared host
  // import) for the calling instance's.
  InstanceImpl* rt = nullptr;
};

// Names in these maps are views of the loaded component's definitions and
// types, which outlive every instance: building an instance copies no names.
struct RtCoreInstance {
  wasm::Instance* instance = nullptr;    // instantiated; else inline:
  const CoreInstanceDef* def = nullptr;  // inline: its exports' names
  std::vector<wasm::ExternVal> exports;  // inline: in def->exports' order
  std::optional<wasm::ExternVal> find(std::string_view name) const;
  // Exports by position: in module().exports (instantiated) or
  // def->exports (inline), which stay the same from instance to instance.
  std::optional<uint32_t> position(std::string_view name) const;
  wasm::ExternVal at(uint32_t position) const;
  const void* shape() const { return instance ? static_cast<const void*>(&instance->module()) : def; }
};

struct RtComponent {
  const Component* ast = nullptr;
  Frame* outer = nullptr;  // the frame it was defined in (outer aliases)
  const LoadedComponent* loaded = nullptr;  // its validation info and compiled modules
};

struct RtInstance;

// An entry of an index space, or an instance's export: which member is set
// depends on the sort (`core` for the core sorts but CoreInstance,
// CoreModule and CoreType; one member of the union for the others). Kept
// small: instantiation copies thousands of them.
struct RtItem {
  Sort sort = Sort::Func;
  wasm::ExternVal core;                              // CoreFunc/Table/Memory/Global
  union {
    const void* none = nullptr;
    RtCoreInstance* core_instance;                   // CoreInstance
    // CoreModule: an entry of a LoadedComponent's `compiled` (which
    // outlives the instance), by address so copying items counts no
    // references.
    const std::shared_ptr<const wasm::CompiledModule>* module;
    RtFunc* func;                                    // Func
    RtInstance* instance;                            // Instance
    RtComponent* component;                          // Component
    const abi::RuntimeResourceType* resource;        // Type, when a resource (else null)
    const wasm::FuncType* core_func_type;            // CoreType, when a function type (else null)
  };
};

// An instance's exports in definition order. Found by name through a
// hint (where the caller expects it: an alias remembers where it found
// its export last time, a type lists exports in the instance's order), so
// building a small one and aliasing from it hashes nothing.
struct RtInstance {
  OrderedKeys<std::string_view> names;
  std::vector<RtItem> items;  // items[i] is export names[i]
  // Non-null: its names view strings this component owns (a shared host
  // instance's are its import type's export names).
  const LoadedComponent* names_owner = nullptr;

  void reserve(size_t n) {
    names.reserve(n);
    items.reserve(n);
  }
  void add(std::string_view name, RtItem item) {
    names.push_back(name);
    items.push_back(std::move(item));
  }
  std::optional<uint32_t> position(std::string_view name, uint32_t hint = 0) const { return names.find(name, hint); }
  const RtItem* find(std::string_view name, uint32_t hint = 0) const {
    auto i = position(name, hint);
    return i ? &items[*i] : nullptr;
  }
};

// A host import's instance as every instantiation of one component with
// one Linker sees it (LoadedComponent::HostImport::shared).
struct SharedHostInstance {
  std::deque<RtFunc> funcs;      // host functions, `rt` null: the caller's instance
  std::deque<Signature> signatures;  // of function types the loaded component did not list
  RtInstance instance;
  // The static resource ids it maps, and to which host types.
  std::vector<std::pair<uint32_t, const abi::RuntimeResourceType*>> resources;
};

// One component instance.
struct Frame {
  Frame(InstanceImpl* rt, Frame* outer, std::string name) : rt(rt), outer(outer), state(nullptr, std::move(name)) {}
  InstanceImpl* rt;                   // the instance graph (and store) it lives in
  const LoadedComponent* loaded = nullptr;
  const Component* ast = nullptr;
  const ScopeTypes* types = nullptr;  // the validator's, index for index
  Frame* outer = nullptr;             // the component definition's enclosing frame
  abi::InstanceState state;
  abi::ResourceTypes resources;       // static resource id -> runtime type, for this frame's types
  std::array<std::vector<RtItem>, kSortCount> space;
  RtInstance* exports = nullptr;
  LoadedComponent::AliasHint* alias_hints = nullptr;  // the loaded component's, for `ast`
  const Signature* const* canon_sigs = nullptr;       // the plan's, for `ast`
  std::atomic<const LoadedComponent::HostImport*>* import_hints = nullptr;  // the plan's, for `ast`
  int32_t backpressure = 0;           // canon backpressure.inc/dec

  std::vector<RtItem>& at(Sort s) { return space[static_cast<int>(s)]; }
};

// A `canon lower`ed function's closure: one pointer in the core host
// function, the rest here.
struct Lowered {
  Frame* frame = nullptr;
  const RtFunc* fn = nullptr;
  CanonOptions opts;
  const Signature* sig = nullptr;
};

// Owns everything of one root instance.
struct Arena {
  ChunkedList<Frame, 2> frames;
  ChunkedList<RtFunc> funcs;
  ChunkedList<RtInstance, 8> instances;
  ChunkedList<RtCoreInstance, 4> core_instances;
  ChunkedList<RtComponent, 4> components;
  ChunkedList<Signature, 4> signatures;   // of function types the loaded component did not list
  ChunkedList<Lowered> lowered;       // what each lowered function's host closure points to
};

// The signature of `t`: the loaded component's, else made once for this
// instance (a type the validator's lists do not hold).
const Signature* signature_of(Frame& frame, const FuncType& t);

// ---- loaded.cc ----
// The index space an import or export of this kind adds to.
Sort sort_of(ExternType::Kind k);
// The item of a host import's function `x`, made in `rf`; `rt` null: a
// shared one (the calling instance's host data).
RtItem host_func_item(RtFunc& rf, const FuncType* type, const Signature* sig,
                      const LoadedComponent::HostImport::Export& x, InstanceImpl* rt);

// ---- call.cc ----
// A wasm::Trap from an abi::Trap (a Canonical ABI rule or a host function).
wasm::Trap to_wasm_trap(const abi::Trap& t);

// A core trap raised where the Canonical ABI passes on only an abi::Trap
// (realloc, a destructor): kept so the call reports it with its backtrace.
abi::Trap keep_core_trap(wasm::Trap t);
// The trap a failed call reports: the kept core trap if any, else `t`.
Unexpected<wasm::Trap> fail(const abi::Trap& t);

// Runs a core function of `f` as a call of its own (realloc, a destructor,
// post-return's task aside): on a new implicit thread, so context.get/set
// see fresh storage (definitions.py Thread.storage).
Expected<std::vector<wasm::Value>, wasm::Trap> run_core(Frame& f, wasm::FuncInst* fn, std::span<const wasm::Value> args);
// The context storage of the running implicit thread (null: none).
uint64_t* thread_context();

// Calls `f` from `caller` (null: the host). `lift_args` produces the
// arguments through the caller's handle table, `lower_results` takes the
// results through it; both run inside the call's bookkeeping (SyncCall).
using LiftArgs = std::function<Expected<std::vector<abi::Value>, abi::Trap>(abi::HandleTable*)>;
using LowerResults = std::function<Expected<void, abi::Trap>(abi::HandleTable*, std::vector<abi::Value>&)>;
// `entry`: the instance a call from the host entered (a shared host
// function called from the host gets its host data).
Expected<void, wasm::Trap> call_func(const RtFunc& f, Frame* caller, const LiftArgs& lift_args,
                                     const LowerResults& lower_results, InstanceImpl* entry = nullptr);

// The core function `canon lower` defines in `frame`: calls `f` with the
// caller-side type `type` and options.
// `sig`: the signature of `type`, if known (else looked up).
wasm::FuncInst* make_lowered(Frame& frame, const RtFunc& f, const FuncType& type,
                             const CanonOptions& opts, const Signature* sig = nullptr);

// ---- builtins.cc ----
// The core function of a canon built-in other than lift and lower, defined
// in `frame`: the resource built-ins (for runtime type `rt`), context and
// backpressure; the other async and thread built-ins trap when called, as
// unsupported (after the may_leave check every one of them starts with).
Expected<wasm::FuncInst*> make_builtin(Frame& frame, const Canon& c, const abi::RuntimeResourceType* rt);

// The ComponentInstance behind instantiate().
class InstanceImpl final : public ComponentInstance {
 public:
  InstanceImpl(std::shared_ptr<const LoadedComponent> c, std::unique_ptr<wasm::Store> store)
      : component(std::move(c)), store_(std::move(store)) {}
  FuncRef find_func(std::string_view name) const override;
  Expected<std::vector<abi::Value>, CallError> call(FuncRef f, std::vector<abi::Value> args) override;
  wasm::Store& store() override { return *store_; }

  std::shared_ptr<const LoadedComponent> component;
  Arena arena;
  Frame* root = nullptr;
  bool poisoned = false;  // a call trapped: the instance may not be entered again
  // What root imports link to beyond the Linker: kept alive with this one.
  std::vector<std::shared_ptr<ComponentInstance>> imported_instances;
  std::vector<std::shared_ptr<const LoadedComponent>> imported_components;

 private:
  std::unique_ptr<wasm::Store> store_;
};

// ---- linker.cc ----
// Whether a provider named `have` satisfies an import named `want` (equal,
// or the same interface with a compatible version); among several, the
// highest version is preferred.
bool import_name_matches(std::string_view want, std::string_view have);
bool prefer_version(std::string_view a, std::string_view b);  // a's version is higher than b's

}  // namespace whirl::component::runtime
