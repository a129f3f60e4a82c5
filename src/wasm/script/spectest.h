// The "spectest" host module that spec scripts import from.
#pragma once

#include <map>
#include <string>

#include "wasm/runtime/runtime.h"

namespace whirl::wasm::script {

// Export name -> extern, created in `store`: print*, global_{i32,i64,f32,f64}
// (666 / 666.6), table (10..20 funcref), memory (1..2 pages).
std::map<std::string, ExternVal> make_spectest(Store& store);

}  // namespace whirl::wasm::script
