#include "wasm/script/wast_modules.h"

#include "wasm/text/wast.h"
#include "wasm/text/wat.h"

namespace whirl::wasm::script {

Expected<std::vector<WastCoreModule>> wast_core_modules(std::string_view script) {
  auto commands = text::parse_wast(script);
  if (!commands) return unexpected(std::move(commands).error());
  std::vector<WastCoreModule> out;
  for (const auto& c : *commands) {
    if (c.kind != text::WastCommandKind::Module || !c.has_module || c.module.component) continue;
    if (c.module.form == text::WastModule::Form::Binary) {
      out.push_back({c.line, c.module.binary});
    } else if (c.module.form == text::WastModule::Form::Text) {
      if (auto b = text::wat_to_binary(c.module.text)) out.push_back({c.line, std::move(*b)});
    }
  }
  return out;
}

}  // namespace whirl::wasm::script
