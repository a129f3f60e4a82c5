#include "spin/http/router.h"

namespace whirl::spin::http {
namespace {

// Specificity rank of one position of a route: lower is more specific.
enum Rank : int { kExact = 0, kParam = 1, kWildcard = 2 };

struct Candidate {
  const RouteEntry* entry = nullptr;
  size_t prefix_end = 0;  // offset in the path where the route's prefix ends
};

// Negative if `a` is more specific than `b` for a path both match.
int compare(const RouteEntry& a, const RouteEntry& b) {
  auto rank = [](const RoutePattern& p, size_t i) -> int {
    if (i < p.segments.size()) return p.segments[i].kind == RouteSegment::Kind::Exact ? kExact : kParam;
    return p.trailing_wildcard && i == p.segments.size() ? kWildcard : -1;  // -1: the route ended
  };
  size_t n = std::max(a.pattern.segments.size(), b.pattern.segments.size()) + 1;
  for (size_t i = 0; i < n; ++i) {
    int ra = rank(a.pattern, i), rb = rank(b.pattern, i);
    if (ra == rb) continue;
    if (ra == -1) return -1;  // an exact route beats a wildcard over the same prefix
    if (rb == -1) return 1;
    return ra - rb;
  }
  return 0;
}

}  // namespace

Router Router::from_manifest(const AppManifest& app) {
  std::vector<RouteEntry> entries;
  for (size_t i = 0; i < app.http_triggers.size(); ++i) {
    const auto& t = app.http_triggers[i];
    if (t.is_private) continue;
    entries.push_back(RouteEntry{t.component, t.pattern, i});
  }
  return Router(std::move(entries));
}

std::optional<RouteMatch> Router::route(std::string_view path) const {
  // Split the path into segments, remembering where each one ends. One
  // trailing slash is ignored for matching ("/foo/" matches "/foo").
  std::string_view p = path;
  if (p.empty() || p.front() != '/') return std::nullopt;
  std::string_view body = p.substr(1);
  if (!body.empty() && body.back() == '/') body.remove_suffix(1);
  std::vector<std::string_view> segs;
  std::vector<size_t> ends;  // offset in `path` just after each segment
  if (!body.empty()) {
    size_t start = 1;
    while (true) {
      size_t slash = path.find('/', start);
      size_t stop = std::min(slash, size_t(1) + body.size());
      segs.push_back(path.substr(start, stop - start));
      ends.push_back(stop);
      if (stop >= 1 + body.size()) break;
      start = stop + 1;
    }
  }

  const RouteEntry* best = nullptr;
  size_t best_prefix_end = 0;
  for (const auto& e : entries_) {
    const auto& ps = e.pattern.segments;
    if (e.pattern.trailing_wildcard ? segs.size() < ps.size() : segs.size() != ps.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < ps.size() && ok; ++i) {
      if (ps[i].kind == RouteSegment::Kind::Exact) ok = segs[i] == ps[i].text;
      else ok = !segs[i].empty();
    }
    if (!ok) continue;
    if (!best || compare(e, *best) < 0) {
      best = &e;
      best_prefix_end = ps.empty() ? 0 : ends[ps.size() - 1];
    }
  }
  if (!best) return std::nullopt;

  RouteMatch m;
  m.entry = best;
  for (size_t i = 0; i < best->pattern.segments.size(); ++i)
    if (best->pattern.segments[i].kind == RouteSegment::Kind::Param)
      m.params.emplace_back(best->pattern.segments[i].text, std::string(segs[i]));
  if (best->pattern.trailing_wildcard) m.trailing = std::string(path.substr(best_prefix_end));
  return m;
}

}  // namespace whirl::spin::http
