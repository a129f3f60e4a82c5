#include "spin/variables/providers.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

namespace whirl::spin::variables {
namespace {

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = s[i + k];
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

Expected<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("Failed to read \"" + path + "\".");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Expected<void> read_values_file(const std::string& path, StringPairs& out) {
  auto text = read_text(path);
  if (!text) return unexpected(text.error());
  bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  if (json) {
    auto j = nlohmann::ordered_json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error("Failed to parse JSON from \"" + path + "\": not an object");
    for (auto& [k, v] : j.items()) {
      if (!v.is_string())
        return make_error("Failed to parse JSON from \"" + path + "\": the value of `" + k + "` is not a string");
      out.emplace_back(k, v.get<std::string>());
    }
    return {};
  }
  toml::table t;
  try {
    t = toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    return make_error("Failed to parse TOML from \"" + path + "\": " + std::string(e.description()));
  }
  for (auto&& [k, v] : t) {
    if (!v.is_string())
      return make_error("Failed to parse TOML from \"" + path + "\": the value of `" + std::string(k.str()) +
                        "` is not a string");
    out.emplace_back(std::string(k.str()), v.as_string()->get());
  }
  return {};
}

const char* kProviderTypes = "env, static, vault, azure_key_vault";

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

EnvProvider::EnvProvider(std::string prefix, EnvLookup env, std::filesystem::path dotenv)
    : prefix_(std::move(prefix)), env_(env ? std::move(env) : process_env()), dotenv_(std::move(dotenv)) {}

std::string EnvProvider::key_of(const std::string& name) const {
  std::string key = prefix_ + "_";
  for (char c : name) key += (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c;
  return key;
}

Expected<std::optional<std::string>> EnvProvider::get(const std::string& name) const {
  std::string key = key_of(name);
  if (auto v = env_(key)) {
    // Rust's std::env::var refuses a value that is not Unicode.
    if (!valid_utf8(*v)) return make_error("failed to resolve env var " + key);
    return v;
  }
  if (dotenv_.empty()) return std::optional<std::string>();
  std::call_once(dotenv_once_, [this] { dotenv_values_ = read_dotenv(dotenv_, env_); });
  if (!dotenv_values_) return unexpected(dotenv_values_.error());
  auto it = dotenv_values_->find(key);
  if (it == dotenv_values_->end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

std::string EnvProvider::describe(const std::string& name) const {
  std::string d = "the environment variable " + key_of(name);
  if (!dotenv_.empty()) d += " (or in " + dotenv_.string() + ")";
  return d;
}

Expected<std::optional<std::string>> StaticProvider::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

std::string StaticProvider::describe(const std::string&) const { return what_; }

Expected<StringPairs> read_variable_args(const std::vector<std::string>& args) {
  StringPairs out;
  for (const auto& a : args) {
    if (!a.empty() && a[0] == '@') {
      std::string path = a.substr(1);
      auto ends = [&](std::string_view ext) {
        return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
      };
      if (!ends(".json") && !ends(".toml"))
        return make_error("--variable " + a + ": variable files must end in .json or .toml");
      if (auto ok = read_values_file(path, out); !ok) return make_error("--variable " + a + ": " + ok.error().message);
      continue;
    }
    size_t eq = a.find('=');
    if (eq == std::string::npos)
      return make_error("--variable: variables must be in the form 'key=value' or '@file' (got an argument without '=')");
    std::string key = a.substr(0, eq), value = a.substr(eq + 1);
    if (!value.empty() && value[0] == '@') {
      auto text = read_text(value.substr(1));
      if (!text) return make_error("--variable " + key + "=" + value + ": " + text.error().message);
      value = std::move(*text);
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

namespace {

// One `[[variables_provider]]` entry.
Expected<std::unique_ptr<Provider>> read_provider(const RuntimeConfig& config, const toml::node& node,
                                                  const std::string& section, const ProviderOptions& options) {
  const toml::table* t = node.as_table();
  if (!t) return unexpected(config.error_at(node, "each [[" + section + "]] must be a table"));
  const toml::node* type = t->get("type");
  if (!type) return unexpected(config.error_at(node, "[[" + section + "]] needs `type` (one of " + kProviderTypes + ")"));
  if (!type->is_string()) return unexpected(config.error_at(*type, "`type` must be a string"));
  const std::string& kind = type->as_string()->get();

  if (kind == "env") {
    std::string prefix = "SPIN_VARIABLE";
    std::filesystem::path dotenv;
    for (auto&& [k, v] : *t) {
      std::string key(k.str());
      if (key == "type") continue;
      if (key != "prefix" && key != "dotenv_path")
        return unexpected(config.error_at(v, "unknown field `" + key + "` of an env variables provider (expected "
                                             "`prefix` or `dotenv_path`)"));
      if (!v.is_string()) return unexpected(config.error_at(v, "`" + key + "` must be a string"));
      if (key == "prefix") prefix = v.as_string()->get();
      else dotenv = v.as_string()->get();  // relative to the working directory, as Spin
    }
    return std::unique_ptr<Provider>(std::make_unique<EnvProvider>(prefix, options.env, dotenv));
  }
  if (kind == "static") {
    const toml::node* values = t->get("values");
    if (!values) return unexpected(config.error_at(node, "a static variables provider needs `values` (a table)"));
    if (!values->is_table()) return unexpected(config.error_at(*values, "`values` must be a table of strings"));
    std::map<std::string, std::string> m;
    for (auto&& [k, v] : *values->as_table()) {
      // The key only: the value may be a secret.
      if (!v.is_string()) return unexpected(config.error_at(v, "the value of `" + std::string(k.str()) + "` must be a string"));
      m[std::string(k.str())] = v.as_string()->get();
    }
    std::string what = "a static provider at " + config.error_at(node, "").message;
    what.resize(what.size() - 2);  // the trailing ": "
    return std::unique_ptr<Provider>(std::make_unique<StaticProvider>(std::move(m), what));
  }
  if (kind == "vault" || kind == "azure_key_vault")
    return unexpected(config.error_at(*type, "variables provider type `" + kind +
                                                 "` is not supported by whirl (supported: env, static)"));
  return unexpected(config.error_at(*type, "unknown variables provider type `" + kind + "` (expected one of " +
                                               kProviderTypes + ")"));
}

}  // namespace

Expected<std::vector<std::unique_ptr<Provider>>> make_providers(const RuntimeConfig& config,
                                                               const ProviderOptions& options) {
  std::vector<std::unique_ptr<Provider>> out;
  if (!options.cli_values.empty()) {
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : options.cli_values) m[k] = v;  // the last one wins
    out.push_back(std::make_unique<StaticProvider>(std::move(m), "whirl up --variable"));
  }
  const toml::node* list = config.section("variables_provider");
  std::string section = "variables_provider";
  if (const toml::node* old = config.section("config_provider")) {
    // Spin reads `config_provider` only without `variables_provider`; the
    // other is then an unused key, an error.
    if (list)
      return unexpected(config.error_at(*old, "`config_provider` is the old name of `variables_provider`; give "
                                              "only one of them"));
    list = old;
    section = "config_provider";
  }
  if (list) {
    const toml::array* a = list->as_array();
    if (!a)
      return unexpected(config.error_at(*list, "`" + section + "` must be an array of tables: write [[" + section + "]]"));
    for (const toml::node& e : *a) {
      auto p = read_provider(config, e, section, options);
      if (!p) return unexpected(p.error());
      out.push_back(std::move(*p));
    }
  }
  out.push_back(std::make_unique<EnvProvider>("SPIN_VARIABLE", options.env, options.default_dotenv));
  return out;
}

}  // namespace whirl::spin::variables
