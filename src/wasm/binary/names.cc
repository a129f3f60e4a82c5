#include "wasm/binary/names.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wasm/binary/decoder.h"
#include "wasm/binary/reader.h"

namespace whirl::wasm::binary {
namespace {

constexpr uint8_t kModuleNames = 0;
constexpr uint8_t kFunctionNames = 1;

// namemap: vec((index, name)) with strictly increasing indices; at most
// one name per function a module can have (else the map is ignored).
bool parse_name_map(Reader& r, std::vector<std::pair<uint32_t, std::string>>& out) {
  uint32_t n = 0;
  if (!r.len32(n) || n > kMaxFunctions) return false;
  out.reserve(n);
  std::optional<uint32_t> prev;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t index = 0;
    std::string name;
    if (!r.u32(index) || !r.name(name)) return false;
    if (prev && index <= *prev) return false;
    prev = index;
    out.emplace_back(index, std::move(name));
  }
  return true;
}

}  // namespace

void parse_name_section(std::span<const uint8_t> payload, Module& m) {
  Reader r(payload);
  std::optional<std::string> module_name;
  std::vector<std::pair<uint32_t, std::string>> func_names;
  int last_id = -1;
  while (!r.eof()) {
    uint8_t id = 0;
    uint32_t size = 0;
    if (!r.u8(id) || !r.u32(size) || size > r.remaining()) return;
    // Subsections appear at most once each, in increasing id order.
    if (static_cast<int>(id) <= last_id) return;
    last_id = id;
    Reader sub(payload.subspan(r.pos(), size));
    r.skip(size);
    switch (id) {
      case kModuleNames: {
        std::string name;
        if (!sub.name(name) || !sub.eof()) return;
        module_name = std::move(name);
        break;
      }
      case kFunctionNames:
        if (!parse_name_map(sub, func_names) || !sub.eof()) return;
        break;
      default:
        break;  // local names and the extended-name-section subsections: unused
    }
  }
  m.module_name = std::move(module_name);
  m.func_names = std::move(func_names);
}

}  // namespace whirl::wasm::binary
