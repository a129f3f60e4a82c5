// The Spin application model: what a `spin.toml` (manifest version 1 or 2)
// says, after parsing and validation. Both versions are read into this one
// model, shaped like manifest version 2 (components by id, triggers that
// refer to them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/expected.h"
#include "spin/manifest/route_pattern.h"

namespace whirl::spin {

// Where something was written in the manifest (1-based line and column).
struct SourcePos {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;

  // "file:line:column" (or just "file" when there is no position).
  std::string str() const;
};

// An ordered string map, as written in the manifest.
using StringPairs = std::vector<std::pair<std::string, std::string>>;

struct Variable {
  std::string name;
  std::optional<std::string> default_value;
  bool required = false;
  bool secret = false;
};

struct ComponentSource {
  enum class Kind : uint8_t { Local, Url, Registry } kind = Kind::Local;
  std::string path;                       // Local: relative to the manifest's directory
  std::string url, digest;                // Url
  std::string registry, package, version; // Registry
  SourcePos pos;
};

// `files = [...]` entries: a glob pattern (relative to the app directory,
// mounted at the same relative path under `/`), or a directory placed at a
// guest path.
struct FilesMount {
  enum class Kind : uint8_t { Pattern, Placement } kind = Kind::Pattern;
  std::string pattern;                 // Pattern
  std::string source, destination;     // Placement
  SourcePos pos;
};

struct BuildConfig {
  std::vector<std::string> commands;
  std::string workdir;
  std::vector<std::string> watch;
};

struct Component {
  std::string id;
  std::string description;
  ComponentSource source;
  std::vector<FilesMount> files;
  std::vector<std::string> exclude_files;
  StringPairs environment;
  std::vector<std::string> allowed_outbound_hosts;
  StringPairs variables;
  std::vector<std::string> key_value_stores;
  std::vector<std::string> sqlite_databases;
  std::vector<std::string> ai_models;
  std::optional<BuildConfig> build;
  SourcePos pos;  // the component's table
};

struct WagiConfig {
  std::string entrypoint = "_start";
  std::string argv = "${SCRIPT_NAME} ${ARGS}";
};

struct HttpExecutorConfig {
  enum class Kind : uint8_t { Http, Wagi } kind = Kind::Http;
  WagiConfig wagi;  // Kind::Wagi
};

struct HttpTriggerConfig {
  std::string id;
  std::string component;     // component id (inline components get a generated id)
  bool is_private = false;   // route = { private = true }: not routable
  std::string route;         // as written (empty when private)
  RoutePattern pattern;      // parsed, with the application's base
  HttpExecutorConfig executor;
  SourcePos pos;             // the trigger's table
  SourcePos route_pos;
  SourcePos component_pos;
};

// [[trigger.redis]]: each message on `channel` of the Redis server at
// `address` (the trigger's own, else [application.trigger.redis]
// `address`) runs a fresh instance of `component`. Address and channel may
// hold `{{ variable }}` templates over application variables, resolved at
// startup.
struct RedisTriggerConfig {
  std::string id;
  std::string component;
  std::string channel;
  std::optional<std::string> address;  // none: the application's
  SourcePos pos;                       // the trigger's table
  SourcePos component_pos, channel_pos, address_pos;
};

// A trigger of a type whirl does not run (yet): kept so `up` can say so.
struct OtherTrigger {
  std::string type;
  std::string component;
  SourcePos pos;
};

struct AppManifest {
  std::filesystem::path path;  // the manifest file
  std::filesystem::path dir;   // its directory: the root for relative paths
  int manifest_version = 2;
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> authors;
  std::string http_base = "/";
  std::vector<Variable> variables;
  std::vector<Component> components;
  std::vector<HttpTriggerConfig> http_triggers;
  std::optional<std::string> redis_address;  // [application.trigger.redis] address
  SourcePos redis_address_pos;
  std::vector<RedisTriggerConfig> redis_triggers;
  std::vector<OtherTrigger> other_triggers;

  const Component* find_component(std::string_view id) const;
};

// Parse manifest text. `path` names the file in error messages and gives the
// application directory; the file itself is not read. Errors read
// "FILE:LINE:COLUMN: what is wrong".
Expected<AppManifest> parse_manifest(std::string_view text, const std::filesystem::path& path);

// Read and parse a manifest file. `path` may be a directory holding spin.toml.
// Also checks that local component sources exist.
Expected<AppManifest> load_manifest(const std::filesystem::path& path);

}  // namespace whirl::spin
