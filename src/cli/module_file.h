// A module file as `whirl run` and `whirl inspect` take it: binary (.wasm,
// core module or component) as it is, anything else compiled as text — a
// component's text format when it starts with `(component`, else .wat.
#pragma once

#include <string>

#include "common/expected.h"
#include "platform/file.h"

namespace whirl::cli {

Expected<platform::FileBytes> read_module_file(const std::string& path);

}  // namespace whirl::cli
