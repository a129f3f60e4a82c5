#include "cli/module_file.h"

#include <cstring>
#include <memory>
#include <vector>

#include "wasm/text/wat.h"

namespace whirl::cli {

Expected<platform::FileBytes> read_module_file(const std::string& path) {
  auto out = platform::read_file(path);
  if (!out) return out;
  if (out->bytes.size() >= 4 && std::memcmp(out->bytes.data(), "\0asm", 4) == 0) return out;
  auto b = wasm::text::wat_to_binary(std::string_view(reinterpret_cast<const char*>(out->bytes.data()), out->bytes.size()));
  if (!b) return make_error(path + ":" + b.error().message);
  auto binary = std::make_shared<const std::vector<uint8_t>>(std::move(*b));
  return platform::FileBytes{binary, *binary};
}

}  // namespace whirl::cli
