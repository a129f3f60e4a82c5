// HTTP route patterns as Spin writes them: exact segments, named parameters
// (`:name`) and a trailing wildcard (`/...`), joined to the application base.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace whirl::spin {

struct RouteSegment {
  enum class Kind : uint8_t { Exact, Param } kind = Kind::Exact;
  std::string text;  // the literal segment, or the parameter's name
};

struct RoutePattern {
  std::string raw;    // as written in the manifest, e.g. "/users/:id/..."
  std::string based;  // joined to the base, one trailing slash removed: "/api/users/:id/..."
  std::vector<RouteSegment> segments;  // of `based`, without the wildcard
  bool trailing_wildcard = false;

  // `based` without a trailing "/..." (Spin's SCRIPT_NAME / route prefix).
  std::string based_prefix() const;
  // `raw` without a trailing "/..." (Spin's component route).
  std::string raw_prefix() const;
  // How `spin up` lists the route: "/static (wildcard)", "/hello".
  std::string display() const;
  // True if both match exactly the same paths (parameter names aside).
  bool same_shape(const RoutePattern& other) const;
};

// Parse `raw` joined to `base` (normally "/"). Errors name the problem
// without a position ("`...` is only allowed as the last segment").
Expected<RoutePattern> parse_route(std::string_view base, std::string_view raw);

}  // namespace whirl::spin
