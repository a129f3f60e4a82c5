#include "spin/manifest/toml_reader.h"

#include "spin/manifest/allowed_hosts.h"

#include <algorithm>

namespace whirl::spin::detail {

SourcePos Diag::pos(const toml::source_region& r) const {
  return SourcePos{file_, static_cast<uint32_t>(r.begin.line), static_cast<uint32_t>(r.begin.column)};
}

void Diag::fail(const SourcePos& where, std::string message) {
  if (failed_) return;
  failed_ = true;
  message_ = where.str() + ": " + message;
}

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

bool is_kebab_id(std::string_view s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  char prev = 0;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && prev == '-')) return false;
    prev = c;
  }
  return s.back() != '-';
}

bool is_snake_id(std::string_view s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  char prev = 0;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok || (c == '_' && prev == '_')) return false;
    prev = c;
  }
  return s.back() != '_';
}

const toml::node* Fields::get(std::string_view key) {
  known_.emplace_back(key);
  return table_.get(key);
}

void Fields::missing(std::string_view key) {
  diag_.fail(table_.source(), where_ + ": missing field `" + std::string(key) + "`");
}

void Fields::wrong_type(std::string_view key, const toml::node& node, std::string_view expected) {
  diag_.fail(node.source(), "`" + std::string(key) + "` in " + where_ + " must be " + std::string(expected) +
                                ", not " + type_name(node));
}

std::optional<std::string> Fields::string(std::string_view key, bool required) {
  const toml::node* n = get(key);
  if (!n) {
    if (required) missing(key);
    return std::nullopt;
  }
  if (!n->is_string()) {
    wrong_type(key, *n, "a string");
    return std::nullopt;
  }
  return n->as_string()->get();
}

std::optional<bool> Fields::boolean(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (!n->is_boolean()) {
    wrong_type(key, *n, "a boolean");
    return std::nullopt;
  }
  return n->as_boolean()->get();
}

std::optional<int64_t> Fields::integer(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (!n->is_integer()) {
    wrong_type(key, *n, "an integer");
    return std::nullopt;
  }
  return n->as_integer()->get();
}

std::vector<std::string> Fields::string_array(std::string_view key) {
  std::vector<std::string> out;
  const toml::node* n = get(key);
  if (!n) return out;
  const toml::array* a = n->as_array();
  if (!a) {
    wrong_type(key, *n, "an array of strings");
    return out;
  }
  for (const toml::node& e : *a) {
    if (!e.is_string()) {
      diag_.fail(e.source(), "`" + std::string(key) + "` in " + where_ + " must hold strings, not " + type_name(e));
      return out;
    }
    out.push_back(e.as_string()->get());
  }
  return out;
}

StringPairs Fields::string_map(std::string_view key) {
  StringPairs out;
  const toml::table* t = table(key);
  if (!t) return out;
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [k, v] : *t) entries.emplace_back(&k, &v);
  // toml++ keeps keys sorted; report and keep them in source order.
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& ra = a.first->source().begin;
    const auto& rb = b.first->source().begin;
    return ra.line != rb.line ? ra.line < rb.line : ra.column < rb.column;
  });
  for (auto& [k, v] : entries) {
    if (!v->is_string()) {
      diag_.fail(v->source(), "`" + std::string(key) + "." + std::string(k->str()) + "` in " + where_ +
                                  " must be a string, not " + type_name(*v));
      return out;
    }
    out.emplace_back(std::string(k->str()), v->as_string()->get());
  }
  return out;
}

const toml::table* Fields::table(std::string_view key, bool required) {
  const toml::node* n = get(key);
  if (!n) {
    if (required) missing(key);
    return nullptr;
  }
  if (!n->is_table()) {
    wrong_type(key, *n, "a table");
    return nullptr;
  }
  return n->as_table();
}

const toml::array* Fields::array(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return nullptr;
  if (!n->is_array()) {
    wrong_type(key, *n, "an array");
    return nullptr;
  }
  return n->as_array();
}

void Fields::check_unknown() {
  const toml::key* first = nullptr;
  for (auto&& [k, v] : table_) {
    if (std::find(known_.begin(), known_.end(), k.str()) != known_.end()) continue;
    const auto& b = k.source().begin;
    if (!first || b.line < first->source().begin.line ||
        (b.line == first->source().begin.line && b.column < first->source().begin.column))
      first = &k;
  }
  if (!first) return;
  std::vector<std::string> names;
  std::string expected;
  for (const auto& k : known_) {
    if (std::find(names.begin(), names.end(), k) != names.end()) continue;
    names.push_back(k);
    if (!expected.empty()) expected += ", ";
    expected += "`" + k + "`";
  }
  diag_.fail(first->source(), "unknown field `" + std::string(first->str()) + "` in " + where_ +
                                  (expected.empty() ? std::string() : "; expected one of " + expected));
}

ComponentSource read_source(const toml::node& node, const std::string& where, Diag& diag) {
  ComponentSource src;
  src.pos = diag.pos(node.source());
  if (node.is_string()) {
    src.kind = ComponentSource::Kind::Local;
    src.path = node.as_string()->get();
    if (src.path.empty()) diag.fail(node.source(), "`source` in " + where + " is empty");
    return src;
  }
  if (!node.is_table()) {
    diag.fail(node.source(), "`source` in " + where + " must be a file path or a table, not " + type_name(node));
    return src;
  }
  Fields f(*node.as_table(), where + " `source`", diag);
  if (node.as_table()->contains("url")) {
    src.kind = ComponentSource::Kind::Url;
    src.url = f.string("url", true).value_or("");
    src.digest = f.string("digest", true).value_or("");
  } else if (node.as_table()->contains("package")) {
    src.kind = ComponentSource::Kind::Registry;
    src.registry = f.string("registry").value_or("");
    src.package = f.string("package", true).value_or("");
    src.version = f.string("version", true).value_or("");
  } else {
    diag.fail(node.source(), "`source` in " + where +
                                 " must be a file path, { url, digest } or { registry, package, version }");
    return src;
  }
  f.check_unknown();
  return src;
}

std::vector<FilesMount> read_files(Fields& f) {
  std::vector<FilesMount> out;
  const toml::array* a = f.array("files");
  if (!a) return out;
  for (const toml::node& e : *a) {
    FilesMount m;
    m.pos = f.diag().pos(e.source());
    if (e.is_string()) {
      m.kind = FilesMount::Kind::Pattern;
      m.pattern = e.as_string()->get();
    } else if (e.is_table()) {
      Fields ef(*e.as_table(), f.where() + " `files` entry", f.diag());
      m.kind = FilesMount::Kind::Placement;
      m.source = ef.string("source", true).value_or("");
      m.destination = ef.string("destination", true).value_or("");
      ef.check_unknown();
      if (!f.diag().failed() && (m.destination.empty() || m.destination[0] != '/'))
        f.diag().fail(e.source(), "`destination` in " + f.where() + " `files` must be an absolute path, like \"/\"");
    } else {
      f.diag().fail(e.source(), "`files` in " + f.where() +
                                    " must hold glob patterns or { source, destination } tables, not " + type_name(e));
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<BuildConfig> read_build(Fields& f) {
  const toml::table* t = f.table("build");
  if (!t) return std::nullopt;
  Fields bf(*t, f.where() + " `build`", f.diag());
  BuildConfig b;
  const toml::node* cmd = bf.get("command");
  if (!cmd) {
    bf.missing("command");
  } else if (cmd->is_string()) {
    b.commands.push_back(cmd->as_string()->get());
  } else if (cmd->is_array()) {
    b.commands = [&] {
      std::vector<std::string> v;
      for (const toml::node& e : *cmd->as_array())
        if (e.is_string()) v.push_back(e.as_string()->get());
        else f.diag().fail(e.source(), "`command` in " + bf.where() + " must hold strings");
      return v;
    }();
  } else {
    bf.wrong_type("command", *cmd, "a string or an array of strings");
  }
  b.workdir = bf.string("workdir").value_or("");
  b.watch = bf.string_array("watch");
  bf.check_unknown();
  return b;
}

void read_component_common(Fields& f, Component& c) {
  c.pos = f.diag().pos(f.table().source());
  if (const toml::node* src = f.get("source")) c.source = read_source(*src, f.where(), f.diag());
  else f.missing("source");
  c.description = f.string("description").value_or("");
  c.environment = f.string_map("environment");
  c.files = read_files(f);
  c.exclude_files = f.string_array("exclude_files");
  // The deprecated allowed_http_hosts, converted as Spin does.
  for (const auto& h : f.string_array("allowed_http_hosts")) {
    if (h == "insecure:allow-all") {
      c.allowed_outbound_hosts.insert(c.allowed_outbound_hosts.end(), {"http://*:*", "https://*:*", "http://self"});
    } else if (h == "self") {
      c.allowed_outbound_hosts.push_back("http://self");
    } else {
      std::string host = h;
      if (auto p = host.find("://"); p != std::string::npos) host = host.substr(p + 3);
      c.allowed_outbound_hosts.push_back("http://" + host);
      c.allowed_outbound_hosts.push_back("https://" + host);
    }
  }
  c.key_value_stores = f.string_array("key_value_stores");
  c.sqlite_databases = f.string_array("sqlite_databases");
  c.ai_models = f.string_array("ai_models");
  c.build = read_build(f);
}

HttpExecutorConfig read_executor(Fields& f) {
  HttpExecutorConfig ex;
  const toml::node* n = f.get("executor");
  if (!n) return ex;
  if (!n->is_table()) {
    f.wrong_type("executor", *n, "a table like { type = \"wagi\" }");
    return ex;
  }
  Fields ef(*n->as_table(), f.where() + " `executor`", f.diag());
  std::string type = ef.string("type", true).value_or("");
  if (type == "wagi") {
    ex.kind = HttpExecutorConfig::Kind::Wagi;
    if (auto argv = ef.string("argv")) ex.wagi.argv = *argv;
    if (auto entry = ef.string("entrypoint")) ex.wagi.entrypoint = entry->empty() ? "_start" : *entry;
  } else if (type == "http" || type == "spin" || type == "wasi") {
    ex.kind = HttpExecutorConfig::Kind::Http;
  } else if (!f.diag().failed()) {
    const toml::node* t = n->as_table()->get("type");
    f.diag().fail(t->source(), "unknown executor type `" + type + "` in " + f.where() +
                                   "; expected `http` or `wagi`");
  }
  ef.check_unknown();
  return ex;
}

void validate_app(AppManifest& app, Diag& diag) {
  for (const auto& c : app.components) {
    if (auto ok = validate_allowed_hosts(c.allowed_outbound_hosts, app); !ok) {
      diag.fail(c.pos, "component `" + c.id + "`: " + ok.error().message);
      return;
    }
  }
  for (auto& t : app.http_triggers) {
    if (diag.failed()) return;
    if (!app.find_component(t.component)) {
      diag.fail(t.component_pos, "the HTTP trigger for route `" + t.route + "` uses component `" + t.component +
                                     "`, which is not defined (add a [component." + t.component + "] table)");
      return;
    }
    if (t.is_private) continue;
    auto parsed = parse_route(app.http_base, t.route);
    if (!parsed) {
      diag.fail(t.route_pos, "bad route `" + t.route + "`: " + parsed.error().message);
      return;
    }
    t.pattern = std::move(*parsed);
  }
  // Redis triggers: the component exists; templates name application variables.
  auto check_template = [&](const std::string& text, const SourcePos& pos, const char* what) {
    auto names = template_variables(text);
    if (!names) return diag.fail(pos, std::string("Redis trigger ") + what + ": " + names.error().message);
    for (const auto& n : *names) {
      bool defined = false;
      for (const auto& v : app.variables) defined = defined || v.name == n;
      if (!defined)
        return diag.fail(pos, std::string("Redis trigger ") + what + " \"" + text + "\" refers to `" + n +
                                  "`, which is not in [variables]");
    }
  };
  if (app.redis_address) check_template(*app.redis_address, app.redis_address_pos, "address");
  for (const auto& t : app.redis_triggers) {
    if (diag.failed()) return;
    if (!app.find_component(t.component)) {
      diag.fail(t.component_pos, "the Redis trigger for channel `" + t.channel + "` uses component `" + t.component +
                                     "`, which is not defined (add a [component." + t.component + "] table)");
      return;
    }
    check_template(t.channel, t.channel_pos, "channel");
    if (t.address) check_template(*t.address, t.address_pos, "address");
  }
  if (diag.failed()) return;
  for (size_t i = 0; i < app.http_triggers.size(); ++i) {
    const auto& a = app.http_triggers[i];
    if (a.is_private) continue;
    for (size_t j = 0; j < i; ++j) {
      const auto& b = app.http_triggers[j];
      if (b.is_private || !a.pattern.same_shape(b.pattern)) continue;
      diag.fail(a.route_pos, "duplicate route `" + a.route + "` (component `" + a.component +
                                 "`): the same paths are already routed to component `" + b.component + "` at " +
                                 b.route_pos.str());
      return;
    }
  }
}

}  // namespace whirl::spin::detail
