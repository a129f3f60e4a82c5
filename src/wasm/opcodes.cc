#include "wasm/opcodes.h"

#include <array>
#include <string>
#include <unordered_map>

namespace whirl::wasm {
namespace {

constexpr OpInfo kInfos[] = {
#define WASM_OP(name, prefix, code, imm, text, p0, p1, r, mem)                        \
  OpInfo{Op::name,         prefix,          code,          ImmKind::imm, text, \
         SigType::p0, SigType::p1, SigType::r, mem},
#include "wasm/opcodes.def"
#undef WASM_OP
};
static_assert(sizeof(kInfos) / sizeof(kInfos[0]) == kOpCount);

struct Tables {
  std::array<int16_t, 256> single{};
  std::unordered_map<uint32_t, Op> fc;
  std::unordered_map<std::string_view, Op> text;
  Tables() {
    single.fill(-1);
    for (const auto& info : kInfos) {
      if (info.prefix == 0) single[info.code] = static_cast<int16_t>(info.op);
      else fc.emplace(info.code, info.op);
      // "select" has two binary forms; the text name maps to the untyped one.
      if (info.op != Op::SelectT) text.emplace(info.text, info.op);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const OpInfo& op_info(Op op) { return kInfos[static_cast<size_t>(op)]; }

std::optional<Op> op_from_code(uint8_t prefix, uint32_t code) {
  const auto& t = tables();
  if (prefix == 0) {
    if (code > 0xff || t.single[code] < 0) return std::nullopt;
    return static_cast<Op>(t.single[code]);
  }
  if (prefix != 0xfc) return std::nullopt;
  auto it = t.fc.find(code);
  if (it == t.fc.end()) return std::nullopt;
  return it->second;
}

std::optional<Op> op_from_text(std::string_view text) {
  const auto& t = tables();
  auto it = t.text.find(text);
  if (it == t.text.end()) return std::nullopt;
  return it->second;
}

}  // namespace whirl::wasm
