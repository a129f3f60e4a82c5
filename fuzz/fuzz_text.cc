// Fuzzes the text front end: .wast script parsing and .wat -> binary, then
// the binary through the loader. Errors are fine; crashes and hangs are bugs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wasm/runtime/runtime.h"
#include "wasm/text/wast.h"
#include "wasm/text/wat.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)whirl::wasm::text::parse_wast(text);
  auto bytes = whirl::wasm::text::wat_to_binary(text);
  if (bytes) (void)whirl::wasm::load_module(*bytes);
  return 0;
}
