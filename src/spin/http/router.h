// Spin's HTTP routing: exact routes, `:name` parameters and trailing `/...`
// wildcards; the most specific match wins (segment by segment from the
// left, an exact segment beats a parameter, which beats the wildcard; an
// exact route beats a wildcard with the same prefix). Private routes are not
// routable. Matching is on the raw (still percent-encoded) path.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spin/manifest/manifest.h"

namespace whirl::spin::http {

struct RouteEntry {
  std::string component;
  RoutePattern pattern;
  size_t trigger_index = 0;  // into AppManifest::http_triggers
};

struct RouteMatch {
  const RouteEntry* entry = nullptr;
  std::vector<std::pair<std::string, std::string>> params;  // named wildcards, in route order
  std::string trailing;  // the path after the route's prefix ("" for exact routes)

  const std::string& component() const { return entry->component; }
  const RoutePattern& pattern() const { return entry->pattern; }
};

class Router {
 public:
  Router() = default;
  explicit Router(std::vector<RouteEntry> entries) : entries_(std::move(entries)) {}
  // The app's routable HTTP triggers, in manifest order.
  static Router from_manifest(const AppManifest& app);

  // `path` is the request path without the query.
  std::optional<RouteMatch> route(std::string_view path) const;
  const std::vector<RouteEntry>& entries() const { return entries_; }

 private:
  std::vector<RouteEntry> entries_;
};

}  // namespace whirl::spin::http
