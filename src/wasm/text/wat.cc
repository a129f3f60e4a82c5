// wat_to_binary: the text module's forms (fields, binary, quote).
#include "wasm/text/wat.h"

#include "wasm/text/sexpr.h"
#include "wasm/text/wat_module.h"

namespace whirl::wasm::text {

Expected<std::vector<uint8_t>> wat_to_binary(std::string_view source) {
  auto nodes = read_sexprs(source);
  if (!nodes) return unexpected(std::move(nodes).error());
  std::vector<const Node*> fields;
  if (nodes->size() == 1 && (*nodes)[0].is_list("module")) {
    const Node& m = (*nodes)[0];
    size_t i = 1;
    if (i < m.children.size() && m.children[i].kind == Node::Kind::Id) ++i;
    if (i < m.children.size() && (m.children[i].is_atom("binary") || m.children[i].is_atom("quote"))) {
      bool binary = m.children[i].is_atom("binary");
      std::string joined;
      for (size_t k = i + 1; k < m.children.size(); ++k) {
        if (m.children[k].kind != Node::Kind::String)
          return make_error(m.children[k].where() + ": unexpected token: expected a string");
        joined += m.children[k].text;
      }
      if (binary) return std::vector<uint8_t>(joined.begin(), joined.end());
      return wat_to_binary(joined);
    }
    for (; i < m.children.size(); ++i) fields.push_back(&m.children[i]);
  } else {
    for (const auto& n : *nodes) {
      if (n.is_list("module")) return make_error(n.where() + ": unexpected token: module inside a module");
      fields.push_back(&n);
    }
  }
  WatModule module;
  return module.translate(fields);
}

}  // namespace whirl::wasm::text
