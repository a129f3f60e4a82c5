// Fuzzes the component front end: decode + validate of component binaries
// (nested core modules included). Errors are fine; crashes and hangs are bugs.
#include <cstddef>
#include <cstdint>
#include <span>

#include "component/binary/decoder.h"
#include "component/binary/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = whirl::component::decode_component(std::span<const uint8_t>(data, size));
  if (c) (void)whirl::component::validate_component(*c);
  return 0;
}
