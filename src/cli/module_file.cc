#include "cli/module_file.h"

#include <cctype>
#include <cstring>
#include <string_view>
#include <memory>
#include <vector>

#include "wasm/aot/artifact.h"
#include "wasm/text/component_text.h"
#include "wasm/text/wat.h"

namespace whirl::cli {

namespace {

// Whether text starts (after spaces and comments) with `(component`.
bool is_component_text(std::string_view t) {
  size_t i = 0;
  for (;;) {
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
    if (t.substr(i, 2) == ";;") {
      i = t.find('\n', i);
      if (i == std::string_view::npos) return false;
    } else if (t.substr(i, 2) == "(;") {
      i = t.find(";)", i);
      if (i == std::string_view::npos) return false;
      i += 2;
    } else {
      break;
    }
  }
  if (t.substr(i, 1) != "(") return false;
  ++i;
  while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
  return t.substr(i, 9) == "component" && (i + 9 == t.size() || !std::isalnum(static_cast<unsigned char>(t[i + 9])));
}

}  // namespace

Expected<platform::FileBytes> read_module_file(const std::string& path) {
  auto out = platform::read_file(path);
  if (!out) return out;
  if (out->bytes.size() >= 4 && std::memcmp(out->bytes.data(), "\0asm", 4) == 0) return out;
  if (wasm::aot::is_artifact(out->bytes)) return out;  // a .cwasm (whirl compile's)
  std::string_view text(reinterpret_cast<const char*>(out->bytes.data()), out->bytes.size());
  auto b = is_component_text(text) ? wasm::text::component_to_binary(text) : wasm::text::wat_to_binary(text);
  if (!b) return make_error(path + ":" + b.error().message);
  auto binary = std::make_shared<const std::vector<uint8_t>>(std::move(*b));
  return platform::FileBytes{binary, *binary};
}

}  // namespace whirl::cli
