// Import/export names and labels (Explainer.md "Import and Export
// Definitions", "Name Uniqueness"): the lexical rules, the attributes'
// rules of Binary.md, strong uniqueness.
#include <cctype>
#include <set>

#include "component/binary/scope.h"

namespace whirl::component::binary {
namespace {

bool is_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_upper(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// fragment ('-' fragment)*, each fragment all lower or all upper case;
// the first starts with a letter. `lower_only`: the `words` production.
bool fragments(std::string_view s, bool lower_only) {
  if (s.empty()) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  size_t i = 0;
  while (true) {
    size_t j = s.find('-', i);
    std::string_view f = s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
    if (f.empty()) return false;
    bool lower = true, upper = !lower_only;
    for (char c : f) {
      lower = lower && is_lower(c);
      upper = upper && is_upper(c);
    }
    if (!lower && !upper) return false;
    if (j == std::string_view::npos) return true;
    i = j + 1;
  }
}

bool is_words(std::string_view s) { return fragments(s, true); }

bool is_number(std::string_view s, bool allow_leading_zero) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return allow_leading_zero || s.size() == 1 || s[0] != '0';
}

// Semantic Versioning 2.0: MAJOR.MINOR.PATCH(-pre)?(+build)?
bool is_semver(std::string_view v) {
  size_t plus = v.find('+');
  if (plus != std::string_view::npos) {
    std::string_view build = v.substr(plus + 1);
    if (build.empty()) return false;
    for (char c : build)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
    v = v.substr(0, plus);
  }
  size_t dash = v.find('-');
  if (dash != std::string_view::npos) {
    std::string_view pre = v.substr(dash + 1);
    if (pre.empty()) return false;
    for (char c : pre)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
    v = v.substr(0, dash);
  }
  size_t a = v.find('.'), b = a == std::string_view::npos ? a : v.find('.', a + 1);
  if (b == std::string_view::npos) return false;
  return is_number(v.substr(0, a), false) && is_number(v.substr(a + 1, b - a - 1), false) &&
         is_number(v.substr(b + 1), false);
}

// canonversion: N | 0.N | 0.0.N | 0.0.0 (N without leading zeros, > 0).
bool is_canonversion(std::string_view v) {
  auto positive = [](std::string_view s) { return is_number(s, false) && s != "0"; };
  if (v == "0.0.0") return true;
  if (v.substr(0, 4) == "0.0.") return positive(v.substr(4));
  if (v.substr(0, 2) == "0.") return positive(v.substr(2));
  return positive(v);
}

// (words ':')+ words ('/' label)+ ('@' version)?
bool is_interface_name(std::string_view s, std::string_view* version = nullptr) {
  size_t at = s.find('@');
  std::string_view v;
  if (at != std::string_view::npos) {
    v = s.substr(at + 1);
    if (!is_semver(v) && !is_canonversion(v)) return false;
    s = s.substr(0, at);
  }
  if (version) *version = v;
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view path = s.substr(0, slash);
  size_t colon = path.find(':');
  if (colon == std::string_view::npos) return false;
  for (size_t i = 0;;) {
    size_t j = path.find(':', i);
    if (!is_words(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i))) return false;
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  for (size_t i = slash + 1;;) {
    size_t j = s.find('/', i);
    if (!is_label(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i))) return false;
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return true;
}

// label | [constructor]label | [method]label.label | [static]label.label
bool is_plain_name(std::string_view s) {
  static constexpr std::string_view kCtor = "[constructor]", kMethod = "[method]", kStatic = "[static]";
  if (s.substr(0, kCtor.size()) == kCtor) return is_label(s.substr(kCtor.size()));
  for (std::string_view p : {kMethod, kStatic}) {
    if (s.substr(0, p.size()) != p) continue;
    std::string_view rest = s.substr(p.size());
    size_t dot = rest.find('.');
    return dot != std::string_view::npos && is_label(rest.substr(0, dot)) && is_label(rest.substr(dot + 1));
  }
  return is_label(s);
}

const char* attribute_name(NameAttribute::Kind k) {
  switch (k) {
    case NameAttribute::Kind::Implements: return "implements";
    case NameAttribute::Kind::VersionSuffix: return "versionsuffix";
    case NameAttribute::Kind::ExternalId: return "external-id";
  }
  return "?";
}

}  // namespace

bool is_label(std::string_view s) { return fragments(s, false); }

std::string unique_form(std::string_view name) {
  std::string s(name);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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

void check_extern_name(const AttributedName& n, const EntityType& type, const char* what, size_t offset) {
  std::string_view version;
  bool interface = is_interface_name(n.name, &version);
  if (!interface && !is_plain_name(n.name))
    invalid(offset, std::string(what) + " name `" + n.name + "` is not a valid extern name");
  bool seen[3] = {false, false, false};
  for (const auto& a : n.attributes) {
    auto k = static_cast<size_t>(a.kind);
    if (seen[k]) invalid(offset, std::string("duplicate '") + attribute_name(a.kind) + "' option in name `" + n.name + "`");
    seen[k] = true;
    switch (a.kind) {
      case NameAttribute::Kind::Implements:
        if (!is_interface_name(a.value))
          invalid(offset, "`" + a.value + "` (implements) is not a valid interface name");
        if (interface || type.kind != ExternType::Kind::Instance)
          invalid(offset, "`implements` requires an instance-typed import or export with a plain name (`" + n.name + "`)");
        break;
      case NameAttribute::Kind::VersionSuffix: {
        for (char c : a.value)
          if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '+' && c != '-')
            invalid(offset, "`" + a.value + "` is not a valid version suffix");
        if (!interface || !is_canonversion(version) || !is_semver(std::string(version) + a.value))
          invalid(offset, "version suffix `" + a.value + "` needs a name with a canonical version that it completes to a valid semver (`" + n.name + "`)");
        break;
      }
      case NameAttribute::Kind::ExternalId: break;
    }
  }
}

void check_labels(const std::vector<std::string>& labels, const char* what, size_t offset) {
  std::set<std::string> seen;
  for (const auto& l : labels) {
    if (!is_label(l)) invalid(offset, std::string(what) + " name `" + l + "` is not in kebab case");
    if (!seen.insert(unique_form(l)).second)
      invalid(offset, std::string(what) + " name `" + l + "` conflicts with a previous name");
  }
}

}  // namespace whirl::component::binary
