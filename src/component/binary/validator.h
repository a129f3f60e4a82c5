// Component validation: index spaces and the rules of Binary.md and
// Explainer.md over a decoded Component (component/ast.h). Nested core
// modules are validated by the core validator (validate_module).
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "common/expected.h"
#include "component/ast.h"
#include "component/entity_types.h"

namespace whirl::component {

// On success, the component's type: its imports and exports. Errors read
// "at offset 0x..: instance 0 has no export named `t`" (the offset of the
// definition at fault, into the outermost binary), in wasmparser's words,
// which the component-model tests expect; where wasmparser adds context,
// the context comes first ("type mismatch for import `x`: expected func,
// found instance"). An invalid core module inside reads
// "at offset 0x..: in core module: <the core validator's message>".
//
// Types in the results are shared objects whose identity means something:
// an import or export of a type is a new object (a copy of a value type, a
// new ResourceType of the same id), and instantiating a component gives its
// instance fresh resource ids for the resources it defines.
Expected<ComponentTypeInfo> validate_component(const Component& component);

// What instantiation needs beyond the component's type: for the root and
// every nested component, the types its index spaces ended with (the
// static types canon lift/lower use, the resource types resource.new and
// friends refer to, the instance types of imports).
struct ScopeTypes {
  std::vector<std::shared_ptr<const FuncType>> funcs;
  std::vector<TypeEntry> types;
  std::vector<std::shared_ptr<const InstanceTypeInfo>> instances;
  std::vector<std::shared_ptr<const ComponentTypeInfo>> components;
};
struct ValidationInfo {
  std::unordered_map<const Component*, ScopeTypes> scopes;
};
Expected<ComponentTypeInfo> validate_component(const Component& component, ValidationInfo* info);

}  // namespace whirl::component
