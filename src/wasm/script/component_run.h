// The component half of `whirl wast`: components loaded (decoded,
// validated, compiled) once per command or definition, instantiated each
// in a store of its own, invoked with component values, registered for
// later components to import. Run (runner.cc) owns the script and the
// core modules and hands component commands here.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "component/runtime/component.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wast.h"

namespace whirl::wasm::script {

// The result of one component command.
struct ComponentOutcome {
  enum class Kind : uint8_t { Pass, Fail, Skip } kind = Kind::Pass;
  std::string message;  // Fail: what went wrong; Skip: the unsupported feature

  static ComponentOutcome pass() { return {}; }
  static ComponentOutcome failure(std::string m) { return {Kind::Fail, std::move(m)}; }
  static ComponentOutcome skip(std::string m) { return {Kind::Skip, std::move(m)}; }
};

class ComponentScript {
 public:
  explicit ComponentScript(const StoreConfig& config) : config_(config) {}

  // (component ...): loads and instantiates it; it becomes the current
  // instance. (component definition $id? ...): loads it only.
  ComponentOutcome component(const text::WastCommand& c);
  // (component instance $i $def).
  ComponentOutcome instance(const text::WastCommand& c);
  // register "name" $id?: the instance (or definition) becomes importable
  // by that name. Whether `id` (or, without one, the last thing defined)
  // is a component's is for the caller to ask with knows().
  ComponentOutcome register_as(const std::string& name, const std::optional<std::string>& id);
  bool knows(const std::string& id) const { return instances_.count(id) || definitions_.count(id); }

  // invoke, assert_return, assert_trap on a component instance.
  ComponentOutcome action(const text::WastCommand& c);
  ComponentOutcome assert_return(const text::WastCommand& c);
  ComponentOutcome assert_trap(const text::WastCommand& c);
  // assert_unlinkable / assert_uninstantiable (and assert_trap of a
  // component): it must load, then fail to instantiate that way.
  ComponentOutcome assert_instantiate_fails(const text::WastCommand& c, bool link);

 private:
  struct Loaded {
    std::shared_ptr<const component::runtime::LoadedComponent> component;
    std::string error;  // "component failed in <phase>: ..."
  };
  Loaded load(const text::WastModule& m);
  struct Instantiated {
    std::shared_ptr<component::runtime::ComponentInstance> instance;
    std::optional<component::runtime::InstantiateError> error;
  };
  Instantiated instantiate(const std::shared_ptr<const component::runtime::LoadedComponent>& c);
  ComponentOutcome use(Instantiated i, const std::optional<std::string>& id);
  struct Called {
    std::vector<component::abi::Value> results;
    std::optional<component::runtime::CallError> trap;
    std::optional<ComponentOutcome> not_run;  // the action could not run at all
  };
  Called call(const text::WastAction& a);

  StoreConfig config_;
  component::runtime::Linker linker_;          // host interfaces: none in scripts
  component::runtime::ComponentImports registered_;
  std::map<std::string, std::shared_ptr<const component::runtime::LoadedComponent>> definitions_;
  std::map<std::string, std::shared_ptr<component::runtime::ComponentInstance>> instances_;
  std::shared_ptr<component::runtime::ComponentInstance> current_;
  std::shared_ptr<const component::runtime::LoadedComponent> last_definition_;
  std::string unsupported_;  // the last instantiation needed this unsupported feature
};

}  // namespace whirl::wasm::script
