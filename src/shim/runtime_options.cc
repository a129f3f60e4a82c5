#include "shim/runtime_options.h"

#include <google/protobuf/unknown_field_set.h>

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace whirl::shim {

Expected<ShimOptions> parse_shim_config(std::string_view text, const std::string& where) {
  toml::table t;
  try {
    t = toml::parse(text, where);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return make_error(where + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " +
                      std::string(e.description()));
  }
  ShimOptions o;
  for (const auto& [key, value] : t) {
    if (key.str() == "node_host") {
      auto s = value.value<std::string>();
      if (!s || s->empty() || (*s)[0] != '/')
        return make_error(where + ": `node_host` must be the absolute path of the node host's admin socket");
      o.node_host = *s;
      continue;
    }
    return make_error(where + ": unknown setting `" + std::string(key.str()) + "` (known: node_host)");
  }
  return o;
}

Expected<ShimOptions> parse_shim_options(const std::string& type_url, const std::string& value) {
  if (type_url.empty() && value.empty()) return ShimOptions{};
  const std::string_view expected = "runtimeoptions.v1.Options";
  if (type_url.size() < expected.size() || type_url.compare(type_url.size() - expected.size(), expected.size(), expected) != 0)
    return make_error("runtime options of type `" + type_url + "` (whirl takes runtimeoptions.v1.Options)");
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromString(value)) return make_error("runtime options: not a runtimeoptions.v1.Options message");
  std::string path, body;
  for (int i = 0; i < fields.field_count(); ++i) {
    const auto& f = fields.field(i);
    if (f.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    if (f.number() == 2) path = f.length_delimited();  // config_path
    if (f.number() == 3) body = f.length_delimited();  // config_body
  }
  if (!body.empty()) return parse_shim_config(body, "the runtime options' config_body");
  if (path.empty()) return ShimOptions{};
  std::ifstream in(path);
  if (!in) return make_error(path + ": cannot read the runtime config");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_shim_config(ss.str(), path);
}

}  // namespace whirl::shim
