#include "spin/variables/resolver.h"

#include <algorithm>
#include <cstdio>

namespace whirl::spin::variables {
namespace {

VarError var_error(VarError::Kind k, std::string message) { return VarError{k, std::move(message)}; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Rust's `{:?}` of a char, as Spin's invalid-character message shows it.
std::string debug_char(std::string_view utf8_char) {
  if (utf8_char == "'") return "'\\''";
  if (utf8_char == "\\") return "'\\\\'";
  if (utf8_char.size() == 1 && (unsigned char)utf8_char[0] < 0x20) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "'\\u{%x}'", (unsigned)(unsigned char)utf8_char[0]);
    return buf;
  }
  return "'" + std::string(utf8_char) + "'";
}

// The UTF-8 sequence starting at s[i] (one byte if malformed).
std::string_view utf8_at(std::string_view s, size_t i) {
  unsigned char c = s[i];
  size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  return s.substr(i, std::min(n, s.size() - i));
}

}  // namespace

std::string debug_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[16];
          std::snprintf(buf, sizeof buf, "\\u{%x}", (unsigned)c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

Expected<void, VarError> validate_name(std::string_view name) {
  std::string reason;
  if (name.empty()) {
    reason = "must not be empty";
  } else {
    for (size_t i = 0; i < name.size();) {
      std::string_view ch = utf8_at(name, i);
      char c = name[i];
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        reason = "invalid character " + debug_char(ch) +
                 ". Variable names may contain only lower-case letters, numbers, and underscores.";
        break;
      }
      i += ch.size();
    }
    if (!reason.empty()) {
    } else if (!(name.front() >= 'a' && name.front() <= 'z')) {
      reason = "must start with a lowercase ASCII letter";
    } else if (name.back() == '_') {
      reason = "must end with a lowercase ASCII letter or digit";
    } else if (name.find("__") != std::string_view::npos) {
      reason = "must not contain multiple consecutive underscores";
    }
  }
  if (reason.empty()) return {};
  return unexpected(var_error(VarError::Kind::InvalidName, debug_quote(name) + ": " + reason));
}

Expected<Template> Template::parse(std::string_view text) {
  Template t;
  while (!text.empty()) {
    if (text.substr(0, 2) == "{{") {
      size_t end = text.find("}}", 2);
      if (end == std::string_view::npos) return make_error("unmatched '{{' in template");
      t.parts.push_back({true, std::string(trim(text.substr(2, end - 2)))});
      text.remove_prefix(end + 2);
    } else {
      size_t open = text.find("{{");
      t.parts.push_back({false, std::string(text.substr(0, open))});
      text.remove_prefix(open == std::string_view::npos ? text.size() : open);
    }
  }
  return t;
}

Expected<std::shared_ptr<Resolver>> Resolver::create(const AppManifest& app,
                                                     std::vector<std::unique_ptr<Provider>> providers) {
  std::shared_ptr<Resolver> r(new Resolver());
  r->manifest_ = app.path.string();
  for (const auto& v : app.variables) {
    if (auto ok = validate_name(v.name); !ok)
      return make_error(r->manifest_ + ": [variables]: invalid variable name: " + ok.error().message);
    r->vars_.push_back(v);
  }
  for (const auto& c : app.components) {
    Component rc{c.id, {}};
    std::string where = c.pos.str() + ": component `" + c.id + "`: ";
    for (const auto& [key, text] : c.variables) {
      if (auto ok = validate_name(key); !ok)
        return make_error(where + "invalid variable name: " + ok.error().message);
      auto t = Template::parse(text);
      if (!t) return make_error(where + "variable `" + key + "`: " + t.error().message);
      for (const auto& p : t->parts)
        if (p.is_name && !r->find(p.text))
          return make_error(where + "variable `" + key + "` refers to `" + p.text + "`, which is not in [variables]");
      rc.keys.emplace_back(key, std::move(*t));
    }
    r->components_.push_back(std::move(rc));
  }
  r->providers_ = std::move(providers);
  return r;
}

const Variable* Resolver::find(std::string_view name) const {
  for (const auto& v : vars_)
    if (v.name == name) return &v;
  return nullptr;
}

bool Resolver::is_secret(std::string_view name) const {
  const Variable* v = find(name);
  return v && v->secret;
}

VarResult<std::string> Resolver::variable(std::string_view name) const {
  const Variable* v = find(name);
  if (!v) return unexpected(var_error(VarError::Kind::InvalidName, std::string(name)));
  for (const auto& p : providers_) {
    auto value = p->get(v->name);
    if (!value) return unexpected(var_error(VarError::Kind::Provider, value.error().message));
    if (*value) return std::move(**value);
  }
  if (v->default_value) return *v->default_value;
  return unexpected(
      var_error(VarError::Kind::Provider, "no provider resolved required variable " + debug_quote(v->name)));
}

VarResult<std::string> Resolver::render(const Template& t) const {
  std::string out;
  for (const auto& p : t.parts) {
    if (!p.is_name) {
      out += p.text;
      continue;
    }
    auto v = variable(p.text);
    if (!v) return unexpected(std::move(v).error());
    out += *v;
  }
  return out;
}

VarResult<std::string> Resolver::get(std::string_view component, std::string_view key) const {
  if (auto ok = validate_name(key); !ok) return unexpected(ok.error());
  auto c = std::find_if(components_.begin(), components_.end(), [&](const Component& x) { return x.id == component; });
  if (c == components_.end())
    return unexpected(var_error(VarError::Kind::Undefined, "no variable for component " + debug_quote(component)));
  for (const auto& [k, t] : c->keys)
    if (k == key) return render(t);
  return unexpected(
      var_error(VarError::Kind::Undefined, "no variable for " + debug_quote(component) + "." + debug_quote(key)));
}

VarResult<std::vector<std::pair<std::string, std::string>>> Resolver::get_all(std::string_view component) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto c = std::find_if(components_.begin(), components_.end(), [&](const Component& x) { return x.id == component; });
  if (c == components_.end()) return out;
  for (const auto& [k, t] : c->keys) {
    auto v = render(t);
    if (!v) return unexpected(std::move(v).error());
    out.emplace_back(k, std::move(*v));
  }
  return out;
}

VarResult<std::string> Resolver::resolve(std::string_view text) const {
  auto t = Template::parse(text);
  if (!t) return unexpected(var_error(VarError::Kind::Other, "invalid variable template: " + t.error().message));
  for (const auto& p : t->parts)
    if (p.is_name && !find(p.text))
      return unexpected(var_error(VarError::Kind::Other,
                                  "invalid variable template: unknown variable " + debug_quote(p.text)));
  return render(*t);
}

Expected<void> Resolver::check_required() const {
  std::string missing, asked;
  for (const auto& v : vars_) {
    if (v.default_value) continue;
    bool found = std::any_of(providers_.begin(), providers_.end(),
                             [&](const std::unique_ptr<Provider>& p) { return p->may_resolve(v.name); });
    if (found) continue;
    missing += (missing.empty() ? "`" : ", `") + v.name + "`";
    if (asked.empty())
      for (const auto& p : providers_) asked += (asked.empty() ? "" : "; ") + p->describe(v.name);
  }
  if (missing.empty()) return {};
  return make_error(manifest_ + ": no provider resolved required variable(s) " + missing + " (looked in: " + asked +
                    ")");
}

}  // namespace whirl::spin::variables
