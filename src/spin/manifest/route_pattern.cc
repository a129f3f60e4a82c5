#include "spin/manifest/route_pattern.h"

#include <set>

namespace whirl::spin {
namespace {

std::string absolutize(std::string_view s) {
  if (!s.empty() && s.front() == '/') return std::string(s);
  return "/" + std::string(s);
}

// Spin strips exactly one trailing slash.
std::string strip_one_slash(std::string s) {
  if (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

bool is_param_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

std::string strip_wildcard(const std::string& s) {
  if (s.size() >= 4 && s.compare(s.size() - 4, 4, "/...") == 0) return s.substr(0, s.size() - 4);
  if (s == "...") return "";
  return s;
}

}  // namespace

std::string RoutePattern::based_prefix() const { return trailing_wildcard ? strip_wildcard(based) : based; }

std::string RoutePattern::raw_prefix() const { return trailing_wildcard ? strip_wildcard(raw) : raw; }

std::string RoutePattern::display() const {
  if (!trailing_wildcard) return based;
  return based_prefix() + " (wildcard)";
}

bool RoutePattern::same_shape(const RoutePattern& other) const {
  if (trailing_wildcard != other.trailing_wildcard || segments.size() != other.segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& a = segments[i];
    const auto& b = other.segments[i];
    if (a.kind != b.kind) return false;
    if (a.kind == RouteSegment::Kind::Exact && a.text != b.text) return false;
  }
  return true;
}

Expected<RoutePattern> parse_route(std::string_view base, std::string_view raw) {
  RoutePattern p;
  p.raw = std::string(raw);
  for (char c : raw) {
    if (c == '?' || c == '#')
      return make_error("a route is a path: it cannot contain `" + std::string(1, c) + "`");
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return make_error("a route cannot contain spaces or control characters");
  }
  std::string b = strip_one_slash(absolutize(base));
  std::string r = strip_one_slash(absolutize(raw));
  p.based = b + r;

  // Split `based` on '/', skipping the leading one.
  std::vector<std::string_view> parts;
  std::string_view rest = p.based;
  if (!rest.empty()) rest.remove_prefix(1);
  if (!p.based.empty()) {
    while (true) {
      size_t slash = rest.find('/');
      parts.push_back(rest.substr(0, slash));
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
  }
  std::set<std::string> names;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    bool last = i + 1 == parts.size();
    if (part == "..." || part == "*") {
      if (!last)
        return make_error("`" + std::string(part) + "` is only allowed as the last segment of a route (`/...`)");
      p.trailing_wildcard = true;
      if (part == "*") p.based = p.based.substr(0, p.based.size() - 1) + "...";
      break;
    }
    if (part.find("...") != std::string_view::npos)
      return make_error("`...` must be a whole segment at the end of a route (`/...`), not part of `" +
                        std::string(part) + "`");
    if (part.find('*') != std::string_view::npos)
      return make_error("`*` must be a whole segment at the end of a route, not part of `" + std::string(part) + "`");
    if (part.empty()) return make_error("a route cannot contain an empty segment (`//`)");
    if (part.front() == ':') {
      std::string name(part.substr(1));
      if (name.empty()) return make_error("a route parameter needs a name after `:`");
      for (char c : name)
        if (!is_param_char(c))
          return make_error("route parameter `:" + name + "` may only use letters, digits, `_` and `-`");
      if (!names.insert(name).second) return make_error("route parameter `:" + name + "` appears twice");
      p.segments.push_back({RouteSegment::Kind::Param, name});
    } else {
      p.segments.push_back({RouteSegment::Kind::Exact, std::string(part)});
    }
  }
  return p;
}

}  // namespace whirl::spin
