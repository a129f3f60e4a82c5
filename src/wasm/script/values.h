// Conversions between script constants and runtime values, and how a
// result is matched against an expectation (NaN patterns, references).
#pragma once

#include <string>

#include "wasm/runtime/runtime.h"
#include "wasm/text/wast.h"

namespace whirl::wasm::script {

// (ref.extern N) as a runtime externref: N + 1, because 0 is the null ref.
Value to_value(const text::WastValue& v);
bool matches(const text::WastValue& expected, const Value& got);
std::string describe(const text::WastValue& v);
std::string describe(const Value& v);

}  // namespace whirl::wasm::script
