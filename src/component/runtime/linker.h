// What the host offers components: instances named by their fully
// qualified interface name (`wasi:io/streams@0.2.3`), each a set of
// functions and resource types. A component's import is satisfied by the
// host instance of the same `ns:pkg/iface` whose version is compatible
// (names.h versions_compatible: same major, for 0.x the same minor, any
// patch), so a guest built against 0.2.12 links with a 0.2.3 host.
//
// Host functions see component values (abi::Value), lifted by the guest's
// own declared types: a resource handle arrives as its representation (own
// and borrow alike) and an `own` result is a representation the host
// allocated; the runtime moves handles in and out of the guest's table.
// A Linker is built once per app and shared by every instantiation; the
// per-instance state a host function needs is the instance's host data.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/expected.h"
#include "component/abi/handles.h"
#include "component/abi/lift_lower.h"
#include "component/abi/value.h"
#include "component/names.h"

namespace whirl::wasm {
class Store;
}

namespace whirl::component::runtime {

class ComponentInstance;

// What a host function sees of the call.
class HostCall {
 public:
  HostCall(ComponentInstance& instance, std::string_view name) : instance_(instance), name_(name) {}
  ComponentInstance& instance() { return instance_; }
  // The instance's host data (ComponentInstance::host_data holding a
  // std::shared_ptr<T>); null if it holds something else.
  template <class T>
  T* data();
  wasm::Store& store();
  std::string_view name() const { return name_; }  // "wasi:io/streams@0.2.3#[method]output-stream.write"

 private:
  ComponentInstance& instance_;
  std::string_view name_;
};

// Arguments in parameter order; returns the result values (0 or 1). A Trap
// ends the guest; an abi::Trap with `exit_code` set is a requested exit
// (wasi:cli/exit), reported as such.
using HostFunc = std::function<Expected<std::vector<abi::Value>, abi::Trap>(HostCall& call, std::span<abi::Value> args)>;

// Called when the guest drops its last owning handle of a host resource.
using HostDestructor = std::function<void(HostCall& call, uint32_t rep)>;

struct HostInstanceDef {
  std::map<std::string, HostFunc, std::less<>> funcs;             // by export name, e.g. "[method]output-stream.write"
  std::map<std::string, HostDestructor, std::less<>> resources;   // by resource name, e.g. "output-stream"
};

class Linker {
 public:
  Linker();
  Linker(const Linker&) = delete;  // its indexes point into itself
  Linker& operator=(const Linker&) = delete;

  // `name` is fully qualified with its version ("wasi:io/streams@0.2.3");
  // defining the same name twice adds to the same instance.
  HostInstanceDef& instance(const std::string& name);
  void func(const std::string& instance_name, const std::string& func_name, HostFunc fn) {
    instance(instance_name).funcs[func_name] = std::move(fn);
  }
  void resource(const std::string& instance_name, const std::string& resource_name, HostDestructor dtor = {}) {
    instance(instance_name).resources[resource_name] = std::move(dtor);
  }

  // The host instance an import named `import_name` links to: an exact
  // match, else the same `ns:pkg/iface` with a compatible version (the
  // highest such). Null if none.
  struct Found {
    const std::string* name = nullptr;
    const HostInstanceDef* def = nullptr;
  };
  Found find(const std::string& import_name) const;
  bool empty() const { return instances_.empty(); }
  // Which Linker, in which state: unique for the process's lifetime and
  // changed whenever an instance is added. Instantiation keeps what it
  // resolved against a Linker under this key (a Linker is filled before
  // it is used; a function added to an existing instance afterwards is
  // not seen by components instantiated before).
  uint64_t version() const { return version_; }
  // The names of the instances defined, in order.
  std::vector<std::string> names() const;

  // The runtime type of the host resource `dtor` defines (found through
  // find(): `found_name` is the instance's name): one per definition,
  // shared by every instance linked against this Linker, as the host is
  // one defining instance. Dropping a handle calls `dtor` with the host
  // data of the instance that dropped it.
  const abi::RuntimeResourceType& resource_type(const std::string& found_name, const std::string& resource_name,
                                                const HostDestructor* dtor) const;

 private:
  Found find_compatible(const std::string& import_name) const;
  // The instances by `ns:pkg/iface` with their parsed versions, filled as
  // they are defined: find() parses only the import's name, once.
  struct Versioned {
    const std::string* name = nullptr;
    const HostInstanceDef* def = nullptr;
    std::optional<Version> version;
  };
  uint64_t version_;
  std::map<std::string, HostInstanceDef, std::less<>> instances_;
  std::map<std::string, std::vector<Versioned>, std::less<>> by_base_;
  // find()'s answers by import name: instantiations of one component ask
  // the same questions (shared by threads; forgotten when an instance is added).
  mutable std::mutex memo_mu_;
  mutable std::unordered_map<std::string, Found> memo_;
  mutable std::mutex types_mu_;
  mutable std::map<const HostDestructor*, abi::RuntimeResourceType> resource_types_;
};

}  // namespace whirl::component::runtime
