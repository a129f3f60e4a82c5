// Internal to the manifest library: reading toml++ tables field by field,
// with the first error kept as "FILE:LINE:COLUMN: message" and unknown
// fields reported like Spin's (serde deny_unknown_fields).
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "spin/manifest/manifest.h"

namespace whirl::spin::detail {

// Collects the first error of a manifest read.
class Diag {
 public:
  explicit Diag(std::string file) : file_(std::move(file)) {}

  SourcePos pos(const toml::source_region& r) const;
  void fail(const SourcePos& where, std::string message);
  void fail(const toml::source_region& where, std::string message) { fail(pos(where), std::move(message)); }
  bool failed() const { return failed_; }
  Error error() const { return Error{message_}; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  bool failed_ = false;
  std::string message_;
};

// One table's fields. Every field read through it counts as known;
// check_unknown() reports the first other field (in source order).
class Fields {
 public:
  // `where` names the table in messages, e.g. "[component.hello]".
  Fields(const toml::table& table, std::string where, Diag& diag)
      : table_(table), where_(std::move(where)), diag_(diag) {}

  const toml::table& table() const { return table_; }
  const std::string& where() const { return where_; }
  Diag& diag() { return diag_; }

  // The field's node (null when absent); marks it known.
  const toml::node* get(std::string_view key);
  // Marks fields known without reading them (ignored sections like `tool`).
  void ignore(std::string_view key) { known_.emplace_back(key); }

  std::optional<std::string> string(std::string_view key, bool required = false);
  std::optional<bool> boolean(std::string_view key);
  std::optional<int64_t> integer(std::string_view key);
  std::vector<std::string> string_array(std::string_view key);
  StringPairs string_map(std::string_view key);
  const toml::table* table(std::string_view key, bool required = false);
  const toml::array* array(std::string_view key);

  void missing(std::string_view key);
  void wrong_type(std::string_view key, const toml::node& node, std::string_view expected);
  void check_unknown();

 private:
  const toml::table& table_;
  std::string where_;
  Diag& diag_;
  std::vector<std::string> known_;
};

const char* type_name(const toml::node& node);
bool is_kebab_id(std::string_view s);
bool is_snake_id(std::string_view s);

// Reads `source = "x.wasm" | { url, digest } | { registry, package, version }`.
ComponentSource read_source(const toml::node& node, const std::string& where, Diag& diag);
// Reads `files = [ "glob", { source, destination } ]`.
std::vector<FilesMount> read_files(Fields& f);
// Reads `build = { command, workdir, watch }`.
std::optional<BuildConfig> read_build(Fields& f);
// Reads the component fields both manifest versions share: source,
// description, environment, files, exclude_files, allowed_http_hosts,
// key_value_stores, sqlite_databases, ai_models, build.
void read_component_common(Fields& f, Component& c);
// Reads `executor = { type = "wagi" | "http" | "spin", argv, entrypoint }`.
HttpExecutorConfig read_executor(Fields& f);

// Checks shared by both versions once the model is built: trigger targets
// exist, routes parse and are not duplicated.
void validate_app(AppManifest& app, Diag& diag);

Expected<AppManifest> read_v1(const toml::table& root, AppManifest app, Diag& diag);
Expected<AppManifest> read_v2(const toml::table& root, AppManifest app, Diag& diag);

}  // namespace whirl::spin::detail
