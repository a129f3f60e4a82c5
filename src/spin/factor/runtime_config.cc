#include "spin/factor/runtime_config.h"

#include "platform/file.h"

namespace whirl::spin {

RuntimeConfig::RuntimeConfig() : root_(std::make_unique<toml::table>()) {}
RuntimeConfig::~RuntimeConfig() = default;
RuntimeConfig::RuntimeConfig(RuntimeConfig&&) noexcept = default;
RuntimeConfig& RuntimeConfig::operator=(RuntimeConfig&&) noexcept = default;

Expected<RuntimeConfig> RuntimeConfig::load(const std::filesystem::path& path) {
  auto file = platform::read_file(path.string());
  if (!file) return make_error(path.string() + ": cannot read runtime config: " + file.error().message);
  std::string_view text(reinterpret_cast<const char*>(file->bytes.data()), file->bytes.size());
  return parse(text, path);
}

Expected<RuntimeConfig> RuntimeConfig::parse(std::string_view text, const std::filesystem::path& path) {
  RuntimeConfig c;
  c.path_ = path;
  const std::string file = path.string();
  try {
    *c.root_ = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return make_error(file + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                      ": invalid TOML: " + std::string(e.description()));
  }
  return c;
}

const toml::node* RuntimeConfig::section(std::string_view key) const { return root_->get(key); }

bool RuntimeConfig::empty() const { return root_->empty(); }

std::filesystem::path RuntimeConfig::resolve(const std::filesystem::path& p) const {
  if (p.is_absolute() || path_.empty()) return p;
  return path_.parent_path() / p;
}

Error RuntimeConfig::error_at(const toml::node& where, const std::string& message) const {
  const auto& b = where.source().begin;
  std::string at = path_.empty() ? std::string("runtime config") : path_.string();
  if (b.line) at += ":" + std::to_string(b.line) + ":" + std::to_string(b.column);
  return Error{at + ": " + message};
}

}  // namespace whirl::spin
