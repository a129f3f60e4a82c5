// Reading WAVE, the wasm-value text encoding (wasm-wave, as `wasmtime run
// --invoke` uses it): a value's text is read against its type, so `1` is a
// u8 or an f64 as the type says, and `red` an enum case or a variant case.
// The printer is abi::to_string (value.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "component/abi/value.h"
#include "component/types.h"

namespace whirl::component::abi {

// One value of type `t`; the whole text must be that value (spaces around
// it allowed). Errors say where: "at 4: expected `,` or `]`".
Expected<Value> parse_wave(std::string_view text, const ValType& t);

// A call `name(arg, ...)`: the function name and each argument's text, split
// at the top-level commas (strings, chars and brackets respected).
struct WaveCall {
  std::string name;
  std::vector<std::string> args;
};
Expected<WaveCall> parse_wave_call(std::string_view text);

}  // namespace whirl::component::abi
