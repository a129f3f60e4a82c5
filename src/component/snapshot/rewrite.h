// Writing a component's snapshot (component/snapshot): its outermost
// sections copied, with core module sections replaced and, optionally, one
// function export left out. An export of a function defines a function
// index, so the function indices after it move down by one wherever they
// are used (instantiation arguments, inline exports, exports, canon lower,
// start), as wasmtime's wizer does for components.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "common/expected.h"
#include "component/ast.h"

namespace whirl::component::snapshot {

struct ComponentEdits {
  // New bytes by position among the outermost component's module sections.
  std::map<uint32_t, std::vector<uint8_t>> modules;
  // The export (its position in Component::exports) to leave out: a
  // function export. An error if anything uses the function it defines.
  std::optional<uint32_t> drop_export;
};

// `bytes` must be the component `ast` was decoded from.
Expected<std::vector<uint8_t>> rewrite_component(std::span<const uint8_t> bytes, const Component& ast,
                                                 const ComponentEdits& edits);

}  // namespace whirl::component::snapshot
