// Loaded components and their instances: the component-model runtime.
//
// load_component decodes, validates and compiles a component once (every
// core module inside compiled by the same loader as a .wasm file);
// instantiate() then builds the whole graph — nested components, core
// instances, canon lift/lower trampolines, resource types — in one
// wasm::Store, linking the root's imports against a Linker.
#pragma once

#include <any>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/expected.h"
#include "component/abi/value.h"
#include "component/ast.h"
#include "component/entity_types.h"
#include "component/runtime/linker.h"
#include "wasm/runtime/runtime.h"

namespace whirl::component::runtime {

struct LoadedComponent;

// Decode + validate + compile. Errors name what is wrong and where
// ("at offset 0x..: ..."). `options` serve every core module (its
// `source` is set to each module's bytes).
Expected<std::shared_ptr<const LoadedComponent>> load_component(std::span<const uint8_t> bytes,
                                                                std::shared_ptr<const void> owner = nullptr,
                                                                const wasm::CompileOptions& options = {});
// Whether every core module of `c` runs on the tier named `tier`.
bool compiled_by(const LoadedComponent& c, std::string_view tier);

// The component's type: its imports and exports.
const ComponentTypeInfo& component_type(const LoadedComponent& c);
// Its definitions, as decoded (views into the component's bytes), but for
// type definitions: after validation only resources' are kept.
const Component& component_ast(const LoadedComponent& c);

// A component function's failure: a trap (in a core function or a Canonical
// ABI rule) or, for wasi:cli/exit, a requested exit.
struct CallError {
  std::string message;                  // "unreachable", "canonical ABI: ...", ...
  std::optional<wasm::Trap> trap = {};    // a core trap with its backtrace
  std::optional<int32_t> exit_code = {};  // the guest asked to exit with this code
};

class ComponentInstance {
 public:
  virtual ~ComponentInstance() = default;

  // An exported function by name: "run", or an export of an exported
  // instance as "wasi:cli/run@0.2.3#run" (the instance name may carry a
  // compatible version, as in imports). Null if none.
  struct FuncRef {
    const void* impl = nullptr;
    const FuncType* type = nullptr;
    explicit operator bool() const { return impl != nullptr; }
  };
  virtual FuncRef find_func(std::string_view name) const = 0;

  // Calls a function with arguments of its parameter types (checked); its
  // result, if it has one. After a trap the instance may not be used again.
  virtual Expected<std::vector<abi::Value>, CallError> call(FuncRef f, std::vector<abi::Value> args) = 0;

  virtual wasm::Store& store() = 0;

  // State the host functions of this instance share: a std::shared_ptr<T>
  // (a WASI context, say), which HostCall::data<T>() returns.
  std::any host_data;
};

struct InstantiateError {
  std::string message;
  std::optional<wasm::Trap> trap = {};  // a start function or a core start trapped
  bool unlinkable = false;              // an import is missing or of the wrong type
};

// Root imports satisfied by other components rather than the host (as
// wasmtime's wast makes registered instances importable). Names match as
// in the Linker (exact, else a compatible version). The new instance keeps
// these alive. An instance that exports a resource type of the host (with
// a destructor) is refused: a host resource's destructor gets the host
// data of the instance dropping the handle.
struct ComponentImports {
  // An `instance` import gets all of this instance's exports (checked
  // against the import's type).
  std::map<std::string, std::shared_ptr<ComponentInstance>, std::less<>> instances;
  // A `component` import gets this component, to instantiate inside.
  std::map<std::string, std::shared_ptr<const LoadedComponent>, std::less<>> components;
};

// Builds an instance in `store` (which it uses from then on; one store per
// instance, as for core modules). The root's imports are looked up in
// `linker`; a missing one is "component imports instance
// `wasi:io/streams@0.2.3`, which is not defined (the host has ...)".
// `host_data` is set before anything runs.
Expected<std::unique_ptr<ComponentInstance>, InstantiateError> instantiate(
    std::shared_ptr<const LoadedComponent> component, std::unique_ptr<wasm::Store> store, const Linker& linker,
    std::any host_data = {});
// The same, with root imports also looked up in `imports` (first; then the
// linker).
Expected<std::unique_ptr<ComponentInstance>, InstantiateError> instantiate(
    std::shared_ptr<const LoadedComponent> component, std::unique_ptr<wasm::Store> store, const Linker& linker,
    std::any host_data, const ComponentImports& imports);

// For a snapshot of an instance (component/snapshot): the core instance
// at `index` in the outermost component's core instance index space (null
// when it is not an instantiated module), and how many resource handles
// the instance's components hold.
wasm::Instance* root_core_instance(ComponentInstance& instance, uint32_t index);
size_t handles_in_use(ComponentInstance& instance);

// ---- inline ----
template <class T>
T* HostCall::data() {
  auto* p = std::any_cast<std::shared_ptr<T>>(&instance_.host_data);
  return p ? p->get() : nullptr;
}
inline wasm::Store& HostCall::store() { return instance_.store(); }

}  // namespace whirl::component::runtime
