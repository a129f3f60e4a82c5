#include "component/names.h"

namespace whirl::component {
namespace {

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// A fragment is all lowercase-or-digits (a word) or all uppercase-or-digits
// (an acronym); the first must start with a letter.
bool fragment(std::string_view f, bool first, bool words_only) {
  if (f.empty()) return false;
  if (first && !lower(f[0]) && (words_only || !upper(f[0]))) return false;
  bool word = true, acronym = !words_only;
  for (char c : f) {
    word = word && (lower(c) || digit(c));
    acronym = acronym && (upper(c) || digit(c));
  }
  return word || acronym;
}

bool kebab(std::string_view s, bool words_only) {
  auto parts = split(s, '-');
  for (size_t i = 0; i < parts.size(); ++i)
    if (!fragment(parts[i], i == 0, words_only)) return false;
  return true;
}

// Digits without a leading zero (semver's numeric identifier).
std::optional<uint64_t> numeric(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!digit(c)) return std::nullopt;
    v = v * 10 + uint64_t(c - '0');
  }
  return v;
}

bool identifiers(std::string_view s, bool no_leading_zero) {
  for (auto id : split(s, '.')) {
    if (id.empty()) return false;
    bool all_digits = true;
    for (char c : id) {
      if (!(digit(c) || lower(c) || upper(c) || c == '-')) return false;
      all_digits = all_digits && digit(c);
    }
    if (no_leading_zero && all_digits && id.size() > 1 && id[0] == '0') return false;
  }
  return true;
}

}  // namespace

std::string Version::text() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (!pre.empty()) s += "-" + pre;
  if (!build.empty()) s += "+" + build;
  return s;
}

std::optional<Version> parse_semver(std::string_view s) {
  Version v;
  if (auto plus = s.find('+'); plus != std::string_view::npos) {
    v.build = std::string(s.substr(plus + 1));
    if (!identifiers(v.build, false)) return std::nullopt;
    s = s.substr(0, plus);
  }
  if (auto dash = s.find('-'); dash != std::string_view::npos) {
    v.pre = std::string(s.substr(dash + 1));
    if (!identifiers(v.pre, true)) return std::nullopt;
    s = s.substr(0, dash);
  }
  auto parts = split(s, '.');
  if (parts.size() != 3) return std::nullopt;
  auto ma = numeric(parts[0]), mi = numeric(parts[1]), pa = numeric(parts[2]);
  if (!ma || !mi || !pa) return std::nullopt;
  v.major = *ma;
  v.minor = *mi;
  v.patch = *pa;
  return v;
}

std::string canon_version(const Version& v) {
  if (v.major > 0) return std::to_string(v.major);
  if (v.minor > 0) return "0." + std::to_string(v.minor);
  return "0.0." + std::to_string(v.patch);
}

bool is_canon_version(std::string_view s) {
  auto positive = [](std::string_view n) { return numeric(n) && n != "0"; };
  if (s == "0.0.0") return true;
  if (s.substr(0, 4) == "0.0.") return positive(s.substr(4));
  if (s.substr(0, 2) == "0.") return positive(s.substr(2));
  return positive(s);
}

bool versions_compatible(const Version& wanted, const Version& have) {
  auto same = [](const Version& a, const Version& b) {
    return a.major == b.major && a.minor == b.minor && a.patch == b.patch && a.pre == b.pre;
  };
  if (same(wanted, have)) return true;
  if (!wanted.pre.empty() || !have.pre.empty()) return false;
  if (wanted.major != have.major) return false;
  if (wanted.major > 0) return true;
  return wanted.minor > 0 && wanted.minor == have.minor;
}

bool is_label(std::string_view s) { return kebab(s, false); }

std::string ExternName::unversioned() const {
  switch (kind) {
    case Kind::Plain: return label;
    case Kind::Constructor: return "[constructor]" + label;
    case Kind::Method: return "[method]" + resource + "." + label;
    case Kind::Static: return "[static]" + resource + "." + label;
    case Kind::Interface: break;
  }
  std::string s;
  for (const auto& n : namespaces) s += n + ":";
  s += package;
  for (const auto& p : projections) s += "/" + p;
  return s;
}

Expected<ExternName> parse_extern_name(std::string_view s) {
  ExternName n;
  auto bad = [&](const std::string& why) { return make_error("invalid name `" + std::string(s) + "`: " + why); };
  if (s.find(':') != std::string_view::npos) {
    n.kind = ExternName::Kind::Interface;
    std::string_view rest = s;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
      std::string_view text = rest.substr(at + 1);
      auto v = parse_semver(text);
      if (!v && is_canon_version(text)) {  // "@0.2": the canonical form
        auto parts = split(text, '.');
        v = Version{};
        v->major = *numeric(parts[0]);
        if (parts.size() > 1) v->minor = *numeric(parts[1]);
        if (parts.size() > 2) v->patch = *numeric(parts[2]);
      }
      if (!v) return bad("`" + std::string(text) + "` is not a valid semver version");
      n.version = std::move(*v);
      n.version_text = std::string(text);
      rest = rest.substr(0, at);
    }
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) return bad("an interface name needs `/interface` after the package");
    auto path = split(rest.substr(0, slash), ':');
    if (path.size() < 2) return bad("an interface name needs `namespace:package`");
    for (size_t i = 0; i < path.size(); ++i) {
      if (!kebab(path[i], true)) return bad("`" + std::string(path[i]) + "` is not a lowercase kebab-case word list");
      if (i + 1 < path.size()) n.namespaces.emplace_back(path[i]);
    }
    n.package = std::string(path.back());
    for (auto p : split(rest.substr(slash + 1), '/')) {
      if (!is_label(p)) return bad("`" + std::string(p) + "` is not a kebab-case label");
      n.projections.emplace_back(p);
    }
    return n;
  }
  auto annotated = [&](std::string_view prefix, ExternName::Kind kind) -> std::optional<Expected<ExternName>> {
    if (s.substr(0, prefix.size()) != prefix) return std::nullopt;
    std::string_view rest = s.substr(prefix.size());
    n.kind = kind;
    if (kind == ExternName::Kind::Constructor) {
      if (!is_label(rest)) return bad("`" + std::string(rest) + "` is not a kebab-case label");
      n.label = std::string(rest);
      return n;
    }
    auto dot = rest.find('.');
    if (dot == std::string_view::npos) return bad("expected `" + std::string(prefix) + "resource.function`");
    if (!is_label(rest.substr(0, dot)) || !is_label(rest.substr(dot + 1)))
      return bad("`" + std::string(rest) + "` is not `label.label` in kebab case");
    n.resource = std::string(rest.substr(0, dot));
    n.label = std::string(rest.substr(dot + 1));
    return n;
  };
  if (auto r = annotated("[constructor]", ExternName::Kind::Constructor)) return std::move(*r);
  if (auto r = annotated("[method]", ExternName::Kind::Method)) return std::move(*r);
  if (auto r = annotated("[static]", ExternName::Kind::Static)) return std::move(*r);
  if (!is_label(s)) return bad("not a kebab-case label or an interface name");
  n.label = std::string(s);
  return n;
}

std::string uniqueness_key(std::string_view name) {
  std::string s(name);
  for (char& c : s)
    if (upper(c)) c = char(c - 'A' + 'a');
  if (s.empty() || s[0] != '[') return s;
  size_t close = s.find(']');
  if (close == std::string::npos) return s;
  std::string annotation = s.substr(1, close - 1), rest = s.substr(close + 1);
  if (annotation == "constructor") return s;
  if (annotation == "method" || annotation == "static") {
    size_t dot = rest.find('.');
    if (dot != std::string::npos && rest.substr(0, dot) == rest.substr(dot + 1)) return rest.substr(0, dot);
  }
  return rest;
}

}  // namespace whirl::component
