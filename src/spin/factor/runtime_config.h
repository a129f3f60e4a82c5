// The runtime configuration file (`--runtime-config-file`, the shim's
// /runtime-config.toml): TOML whose top-level keys belong to factors
// ([key_value_store.NAME], [sqlite_database.NAME], [[variables_provider]],
// [outbound_http], ...). Each factor reads its own sections; a key no
// factor claims is an error with FILE:LINE:COLUMN, as is a bad value.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "common/expected.h"

namespace whirl::spin {

class RuntimeConfig {
 public:
  // No file: every section absent (every factor's defaults).
  RuntimeConfig();
  ~RuntimeConfig();
  RuntimeConfig(RuntimeConfig&&) noexcept;
  RuntimeConfig& operator=(RuntimeConfig&&) noexcept;

  static Expected<RuntimeConfig> load(const std::filesystem::path& path);
  static Expected<RuntimeConfig> parse(std::string_view text, const std::filesystem::path& path);

  // The top-level value `key` (null: absent).
  const toml::node* section(std::string_view key) const;
  const toml::table& root() const { return *root_; }
  const std::filesystem::path& path() const { return path_; }  // empty when there is no file
  bool empty() const;
  // Relative paths in the file are relative to its directory (Spin's rule).
  std::filesystem::path resolve(const std::filesystem::path& p) const;

  // "FILE:LINE:COLUMN: message" for a node of this file.
  Error error_at(const toml::node& where, const std::string& message) const;

 private:
  std::filesystem::path path_;
  std::unique_ptr<toml::table> root_;
};

}  // namespace whirl::spin
