// Import and export names (Explainer.md "Import and Export Definitions"),
// checked as wasmparser checks them, with its messages: the name grammar
// (plain names, `[constructor]`/`[method]`/`[static]` annotations,
// interface names with a semver version), the annotations' rules against
// the function type and the resources the scope names, attributes, and
// uniqueness (kebab names compare case-insensitively).
#include <set>
#include <string_view>

#include "component/binary/scope.h"

namespace whirl::component::binary {
namespace {

bool is_kebab(std::string_view s) {
  bool lower = false, upper = false, first = true, digit = false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z' && !upper) lower = true;
    else if (c >= 'A' && c <= 'Z' && !lower) upper = true;
    else if (c >= '0' && c <= '9' && (lower || upper || !first)) digit = true;
    else if (c == '-' && (lower || upper || digit)) lower = upper = digit = first = false;
    else return false;
  }
  return !s.empty() && s.back() != '-';
}

// Kebab names are ASCII: no locale's tolower needed.
char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

void append_lowered(std::string& out, std::string_view s) {
  for (char c : s) out += lower_ascii(c);
}

std::string lowered(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_lowered(out, s);
  return out;
}

// The semver crate's Version::parse: "" if `text` is a valid version, else
// its message ("unexpected character 'x' while parsing minor version number").
std::string semver_error(std::string_view text) {
  static const char* const kPos[] = {"major version number", "minor version number", "patch version number",
                                     "pre-release identifier", "build metadata"};
  auto quoted = [](char c) { return std::string("'") + c + "'"; };
  if (text.empty()) return "empty string, expected a semver version";
  size_t i = 0;
  for (int pos = 0; pos < 3; ++pos) {
    size_t start = i;
    uint64_t value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (value == 0 && i > start) return std::string("invalid leading zero in ") + kPos[pos];
      uint64_t d = static_cast<uint64_t>(text[i] - '0');
      if (value > (UINT64_MAX - d) / 10) return std::string("value of ") + kPos[pos] + " exceeds u64::MAX";
      value = value * 10 + d;
      ++i;
    }
    if (i == start) {
      if (i < text.size()) return "unexpected character " + quoted(text[i]) + " while parsing " + kPos[pos];
      return std::string("unexpected end of input while parsing ") + kPos[pos];
    }
    if (pos < 2) {
      if (i >= text.size()) return std::string("unexpected end of input while parsing ") + kPos[pos];
      if (text[i] != '.') return "unexpected character " + quoted(text[i]) + " after " + kPos[pos];
      ++i;
    }
  }
  int pos = 2;
  // Dot-separated identifiers of [0-9A-Za-z-]; `pre` forbids leading zeros in numeric ones.
  auto identifier = [&](int which) -> std::string {
    size_t segment = i;
    bool nondigit = false;
    for (;;) {
      char c = i < text.size() ? text[i] : '\0';
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
        nondigit = nondigit || !std::isdigit(static_cast<unsigned char>(c));
        ++i;
        continue;
      }
      if (i == segment) return std::string("empty identifier segment in ") + kPos[which];
      if (which == 3 && i - segment > 1 && !nondigit && text[segment] == '0')
        return std::string("invalid leading zero in ") + kPos[which];
      if (c != '.') return "";
      ++i;
      segment = i;
      nondigit = false;
    }
  };
  if (i < text.size() && text[i] == '-') {
    ++i;
    pos = 3;
    if (std::string e = identifier(3); !e.empty()) return e;
  }
  if (i < text.size() && text[i] == '+') {
    ++i;
    pos = 4;
    if (std::string e = identifier(4); !e.empty()) return e;
  }
  if (i < text.size()) return "unexpected character " + quoted(text[i]) + " after " + kPos[pos];
  return "";
}

enum class NameKind : uint8_t { Label, Constructor, Method, Static, Interface };

struct ParsedName {
  NameKind kind = NameKind::Label;
  std::string label;     // Label, Constructor: the label; Method, Static: the function
  std::string resource;  // Method, Static
  std::optional<std::string> version;  // Interface: the text after '@'
};

// wasmparser's ComponentNameParser, without the names the specification
// no longer has (url=, locked-dep=, ...) and without 🪺 nested namespaces.
class NameParser {
 public:
  NameParser(std::string_view s, size_t offset) : next_(s), off_(offset) {}

  ParsedName parse() {
    ParsedName n;
    if (eat("[constructor]")) {
      n.kind = NameKind::Constructor;
      n.label = expect_kebab();
    } else if (eat("[method]") || eat("[static]")) {
      n.kind = last_ == "[method]" ? NameKind::Method : NameKind::Static;
      size_t dot = next_.find('.');
      if (dot == std::string_view::npos) fail("failed to find `.` character");
      n.resource = kebab(next_.substr(0, dot));
      next_.remove_prefix(dot + 1);
      n.label = expect_kebab();
    } else if (next_.find(':') != std::string_view::npos) {
      n.kind = NameKind::Interface;
      lowercase_kebab();
      expect(":");
      lowercase_kebab();
      if (next_.empty() || next_[0] != '/') fail("expected `/` after package name");
      expect("/");
      take_kebab();
      if (eat("@")) {
        size_t end = next_.find('>');
        n.version = std::string(next_.substr(0, end));
        next_.remove_prefix(end == std::string_view::npos ? next_.size() : end);
      }
    } else {
      n.label = expect_kebab();
    }
    if (!next_.empty()) fail("trailing characters found: `" + std::string(next_) + "`");
    return n;
  }

 private:
  [[noreturn]] void fail(std::string m) { invalid(off_, std::move(m)); }

  bool eat(std::string_view prefix) {
    if (next_.substr(0, prefix.size()) != prefix) return false;
    next_.remove_prefix(prefix.size());
    last_ = prefix;
    return true;
  }
  void expect(std::string_view prefix) {
    if (!eat(prefix)) fail("expected `" + std::string(prefix) + "` at `" + std::string(next_) + "`");
  }
  std::string kebab(std::string_view s) {
    if (!is_kebab(s)) fail("`" + std::string(s) + "` is not in kebab case");
    return std::string(s);
  }
  std::string expect_kebab() {
    std::string_view rest = next_;
    next_ = {};
    return kebab(rest);
  }
  std::string take_kebab() {
    size_t i = 0;
    while (i < next_.size() && (std::isalnum(static_cast<unsigned char>(next_[i])) || next_[i] == '-')) ++i;
    if (i == next_.size()) return expect_kebab();
    std::string_view s = next_.substr(0, i);
    next_.remove_prefix(i);
    return kebab(s);
  }
  void lowercase_kebab() {
    std::string s = take_kebab();
    for (char c : s)
      if (std::isupper(static_cast<unsigned char>(c)))
        fail(std::string("character `") + c + "` is not lowercase in package name/namespace");
  }

  std::string_view next_;
  std::string_view last_;
  size_t off_;
};

// Names equal under wasmparser's ComponentName equality get the same key:
// labels case-insensitively, and `[method]a.a`/`[static]a.a` as `a`.
std::string name_key(const ParsedName& n, const std::string& raw) {
  std::string key;
  key.reserve(2 + n.resource.size() + n.label.size());
  switch (n.kind) {
    case NameKind::Label:
    case NameKind::Constructor:
      key += n.kind == NameKind::Label ? 'l' : 'c';
      append_lowered(key, n.label);
      return key;
    case NameKind::Method:
    case NameKind::Static:
      if (equal_lowered(n.resource, n.label)) {
        key += 'l';
      } else {
        key += 'm';
        append_lowered(key, n.resource);
        key += '.';
      }
      append_lowered(key, n.label);
      return key;
    case NameKind::Interface: return "i" + raw;
  }
  return raw;
}

// The resource of `own`/`borrow` (or `(result (own $T))` when `result_ok`).
const ResourceType* handle_resource(const ValTypePtr& t, TypeKind kind) {
  return t && t->kind == kind ? t->resource.get() : nullptr;
}

void check_resource_name(const NameContext& names, const ResourceType* r, const std::string& name, size_t off) {
  auto it = names.names.find(r);
  if (it == names.names.end()) invalid(off, "resource used in function does not have a name in this context");
  if (it->second != name) invalid(off, "function does not match expected resource name `" + it->second + "`");
}

// wasmparser's ComponentNameContext::validate.
void check_annotation(const ParsedName& n, const std::string& version_suffix, const EntityType& type,
                      const NameContext& names, size_t off) {
  auto func = [&]() -> const FuncType& {
    if (type.kind != ExternType::Kind::Func) invalid(off, "item is not a func");
    return *type.func;
  };
  switch (n.kind) {
    case NameKind::Label: break;
    case NameKind::Interface:
      if (n.version)
        if (std::string e = semver_error(*n.version + version_suffix); !e.empty())
          invalid(off, "invalid interface version: " + e);
      break;
    case NameKind::Constructor: {
      const FuncType& f = func();
      if (f.async) invalid(off, "constructor function cannot be async");
      if (!f.result) invalid(off, "function should return one value");
      const ResourceType* r = handle_resource(f.result, TypeKind::Own);
      if (!r && f.result->kind == TypeKind::Result) r = handle_resource(f.result->ok, TypeKind::Own);
      if (!r) invalid(off, "function should return `(own $T)` or `(result (own $T))`");
      check_resource_name(names, r, n.label, off);
      break;
    }
    case NameKind::Method: {
      const FuncType& f = func();
      if (f.params.empty()) invalid(off, "function should have at least one argument");
      if (f.params[0].label != "self") invalid(off, "function should have a first argument called `self`");
      const ResourceType* r = handle_resource(f.params[0].type, TypeKind::Borrow);
      if (!r) invalid(off, "function should take a first argument of `(borrow $T)`");
      check_resource_name(names, r, n.resource, off);
      break;
    }
    case NameKind::Static:
      func();
      if (!names.all.count(n.resource)) invalid(off, "static resource name is not known in this context");
      break;
  }
}

}  // namespace

bool equal_lowered(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  return true;
}

void check_extern(const AttributedName& an, const EntityType& type, bool is_import, const NameContext& names,
                  std::map<std::string, std::string>& keys, const NamedList<NamedEntity>& items, size_t offset) {
  const std::string& name = an.name;
  std::string kind = is_import ? "import" : "export";
  ParsedName n = with_context([&] { return kind + " name `" + name + "` is not a valid extern name"; },
                              [&] { return NameParser(name, offset).parse(); });
  const std::string* implements = nullptr;
  const std::string* version_suffix = nullptr;
  bool seen[3] = {false, false, false};
  for (const auto& a : an.attributes) {
    auto k = static_cast<size_t>(a.kind);
    static const char* const kAttribute[] = {"implements", "versionsuffix", "external-id"};
    if (seen[k]) invalid(offset, std::string("duplicate '") + kAttribute[k] + "' option in name `" + name + "`");
    seen[k] = true;
    if (a.kind == NameAttribute::Kind::Implements) implements = &a.value;
    if (a.kind == NameAttribute::Kind::VersionSuffix) version_suffix = &a.value;
  }
  if (implements) {
    if (n.kind != NameKind::Label) invalid(offset, "name `" + name + "` is not valid with `implements`");
    if (type.kind != ExternType::Kind::Instance) invalid(offset, "only instances can have an `implements`");
    ParsedName i = with_context([&] { return "`" + *implements + "` is not a valid name"; },
                                [&] { return NameParser(*implements, offset).parse(); });
    if (i.kind != NameKind::Interface) invalid(offset, "name `" + *implements + "` must be an interface");
  }
  if (version_suffix && type.kind != ExternType::Kind::Instance)
    invalid(offset, "only instances can have an `versionsuffix`");
  with_context([&] { return kind + " name `" + name + "` is not valid"; },
               [&] { check_annotation(n, version_suffix ? *version_suffix : "", type, names, offset); });
  auto [it, fresh] = keys.emplace(name_key(n, name), name);
  if (!fresh) invalid(offset, kind + " name `" + name + "` conflicts with previous name `" + it->second + "`");
  if (items.find(name)) invalid(offset, kind + " name `" + name + "` conflicts with previous name `" + name + "`");
}

void check_labels(const std::vector<std::string>& labels, const char* what, const char* previous, size_t offset) {
  // Most label lists are short: compared pairwise in place, with nothing
  // allocated; the walk below (which names the first conflict in order)
  // runs for long lists and for a list with a conflict or a bad name.
  if (labels.size() <= 16) {
    bool plain = true;
    for (size_t i = 0; i < labels.size() && plain; ++i) {
      plain = !labels[i].empty() && is_kebab(labels[i]);
      for (size_t j = 0; j < i && plain; ++j) plain = !equal_lowered(labels[i], labels[j]);
    }
    if (plain) return;
  }
  std::map<std::string, const std::string*> seen;
  for (const auto& l : labels) {
    if (l.empty()) invalid(offset, std::string(what) + " name cannot be empty");
    if (!is_kebab(l)) invalid(offset, std::string(what) + " name `" + l + "` is not in kebab case");
    auto [it, fresh] = seen.emplace(lowered(l), &l);
    if (!fresh)
      invalid(offset, std::string(what) + " name `" + l + "` conflicts with previous " + previous + " name `" +
                          *it->second + "`");
  }
}

}  // namespace whirl::component::binary
