// Import and export names of components (Explainer.md, "Import and Export
// Definitions"): plain names (`custom-hook`, `[method]blob.read`) and
// interface names (`wasi:io/streams@0.2.12`), their validation, strong
// uniqueness, and the version matching that linking uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace whirl::component {

// A Semantic Versioning 2.0 version.
struct Version {
  uint64_t major = 0, minor = 0, patch = 0;
  std::string pre;    // pre-release, without the '-'
  std::string build;  // build metadata, without the '+'
  std::string text() const;
  bool operator==(const Version&) const = default;
};

std::optional<Version> parse_semver(std::string_view s);

// The canonical version prefix: "1" for 1.2.3, "0.2" for 0.2.6-rc.1,
// "0.0.1" for 0.0.1-alpha.
std::string canon_version(const Version& v);
// Whether `s` is a canonical version: N, 0.N, 0.0.N (N > 0) or 0.0.0.
bool is_canon_version(std::string_view s);

// Whether an import of `wanted` is satisfied by an implementation of
// `have`, as wasmtime's linker decides: equal versions, or, without
// pre-release parts on either side, the same major (major > 0) or the same
// 0.minor (0.x with minor > 0); 0.0.x versions and pre-releases only match
// exactly. Build metadata is ignored.
bool versions_compatible(const Version& wanted, const Version& have);

bool is_label(std::string_view s);  // kebab case: `a`, `is-XML`, `a1-2-3`

struct ExternName {
  enum class Kind : uint8_t { Plain, Constructor, Method, Static, Interface };
  Kind kind = Kind::Plain;
  // Plain: the label. Constructor: the resource. Method/Static: the function.
  std::string label;
  std::string resource;  // Method/Static: `[method]resource.label`
  // Interface: `ns:pkg/iface@version` (nested namespaces and projections allowed).
  std::vector<std::string> namespaces;  // "wasi"
  std::string package;                  // "io"
  std::vector<std::string> projections; // "streams"
  std::optional<Version> version;  // a canonical version ("0.2") as 0.2.0
  std::string version_text;        // as written after '@'

  // The interface name without its version ("wasi:io/streams"); for plain
  // names the name itself.
  std::string unversioned() const;
};

// Parses and validates a name; the error says what is wrong with it.
Expected<ExternName> parse_extern_name(std::string_view s);

// Strong uniqueness (Explainer.md, "Name Uniqueness"): two names in one
// scope must have different keys (acronyms lowercased, `[method]r.r` and
// `[static]r.r` as `r`, other annotations but `[constructor]` stripped).
std::string uniqueness_key(std::string_view name);

}  // namespace whirl::component
