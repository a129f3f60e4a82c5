// spin_manifest_version = 2: [application], [variables], [[trigger.TYPE]],
// [component.ID].
#include <algorithm>
#include <cctype>

#include "spin/manifest/toml_reader.h"

namespace whirl::spin::detail {
namespace {

// Entries of a table in source order (toml++ keeps keys sorted).
std::vector<std::pair<const toml::key*, const toml::node*>> in_source_order(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (auto&& [k, v] : t) out.emplace_back(&k, &v);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const auto& ra = a.first->source().begin;
    const auto& rb = b.first->source().begin;
    return ra.line != rb.line ? ra.line < rb.line : ra.column < rb.column;
  });
  return out;
}

void read_application(const toml::table& t, AppManifest& app, Diag& diag) {
  Fields f(t, "[application]", diag);
  app.name = f.string("name", true).value_or("");
  app.version = f.string("version").value_or("");
  app.description = f.string("description").value_or("");
  app.authors = f.string_array("authors");
  f.ignore("tool");
  f.ignore("targets");
  if (const toml::table* triggers = f.table("trigger")) {
    for (auto&& [type, cfg] : *triggers) {
      if (type.str() == "redis" && cfg.is_table()) {
        // Spin's Redis trigger metadata: `address` is required once the table is there.
        Fields rf(*cfg.as_table(), "[application.trigger.redis]", diag);
        if (const toml::node* a = rf.get("address"); a && a->is_string()) {
          app.redis_address = a->as_string()->get();
          app.redis_address_pos = diag.pos(a->source());
        } else if (a) {
          rf.wrong_type("address", *a, "a string");
        } else {
          rf.missing("address");
        }
        rf.check_unknown();
        continue;
      }
      if (type.str() != "http" || !cfg.is_table()) continue;
      Fields hf(*cfg.as_table(), "[application.trigger.http]", diag);
      if (auto base = hf.string("base")) app.http_base = *base;
      hf.check_unknown();
    }
  }
  f.check_unknown();
}

void read_variables(const toml::table& t, AppManifest& app, Diag& diag) {
  for (auto& [k, v] : in_source_order(t)) {
    std::string name(k->str());
    if (!is_snake_id(name)) {
      diag.fail(k->source(), "variable name `" + name +
                                 "` must be lower snake case (letters, digits and single underscores)");
      return;
    }
    if (!v->is_table()) {
      diag.fail(v->source(), "variable `" + name + "` must be a table like { default = \"...\" }, not " +
                                 type_name(*v));
      return;
    }
    Fields f(*v->as_table(), "variable `" + name + "`", diag);
    Variable var;
    var.name = name;
    var.default_value = f.string("default");
    var.required = f.boolean("required").value_or(false);
    var.secret = f.boolean("secret").value_or(false);
    f.check_unknown();
    if (diag.failed()) return;
    if (var.required && var.default_value)
      diag.fail(v->source(), "variable `" + name + "` cannot be both `required` and have a `default`");
    else if (!var.required && !var.default_value)
      diag.fail(v->source(), "variable `" + name + "` must be `required = true` or have a `default`");
    app.variables.push_back(std::move(var));
  }
}

// Spin's KebabId / SnakeId (spin_serde::Id): words of ASCII letters and
// digits, each starting with a letter and all lower- or all upper-case,
// joined by one delimiter.
bool is_spin_id(std::string_view s, char delim) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t end = s.find(delim, start);
    std::string_view w = s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (w.empty() || !std::isalpha(static_cast<unsigned char>(w[0])) || static_cast<unsigned char>(w[0]) > 127)
      return false;
    bool upper = std::isupper(static_cast<unsigned char>(w[0]));
    for (char ch : w.substr(1)) {
      auto c = static_cast<unsigned char>(ch);
      if (c > 127 || !std::isalnum(c)) return false;
      if (std::isalpha(c) && bool(std::isupper(c)) != upper) return false;
    }
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

// sqlite_databases labels must be kebab-case or snake_case, as Spin's v2
// schema requires (v1 manifests take any string, as in Spin).
void check_labels(const toml::table& t, const char* key, const std::string& where, Diag& diag) {
  const toml::array* a = t.get(key) ? t.get(key)->as_array() : nullptr;
  if (!a) return;
  for (const toml::node& e : *a)
    if (const auto* str = e.as_string(); str && !is_spin_id(str->get(), '-') && !is_spin_id(str->get(), '_')) {
      diag.fail(e.source(), "`" + std::string(key) + "` in " + where + ": \"" + str->get() +
                                "\" is not a valid label: expected kebab-case or snake_case");
      return;
    }
}

Component read_component(const toml::table& t, std::string id, const std::string& where, Diag& diag) {
  Fields f(t, where, diag);
  Component c;
  c.id = std::move(id);
  read_component_common(f, c);
  check_labels(t, "sqlite_databases", where, diag);
  c.variables = f.string_map("variables");
  for (const auto& h : f.string_array("allowed_outbound_hosts")) c.allowed_outbound_hosts.push_back(h);
  f.ignore("tool");
  f.boolean("dependencies_inherit_configuration");
  if (const toml::table* deps = f.table("dependencies"); deps && !deps->empty())
    diag.fail(deps->source(), where + ": component dependencies are not supported yet");
  f.check_unknown();
  return c;
}

void read_http_trigger(const toml::table& t, size_t index, AppManifest& app, Diag& diag) {
  std::string where = "[[trigger.http]] #" + std::to_string(index + 1);
  Fields f(t, where, diag);
  HttpTriggerConfig trig;
  trig.pos = diag.pos(t.source());
  trig.id = f.string("id").value_or("");

  const toml::node* comp = f.get("component");
  if (!comp) {
    f.missing("component");
  } else if (comp->is_string()) {
    trig.component = comp->as_string()->get();
    trig.component_pos = diag.pos(comp->source());
    if (trig.id.empty()) trig.id = trig.component + "-http-trigger";
  } else if (comp->is_table()) {
    if (trig.id.empty()) trig.id = "http-trigger" + std::to_string(index + 1);
    std::string id = trig.id + "-component";
    for (int n = 1; app.find_component(id); ++n) id = "inline-component" + std::to_string(n);
    trig.component = id;
    trig.component_pos = diag.pos(comp->source());
    app.components.push_back(read_component(*comp->as_table(), id, where + " inline component", diag));
  } else {
    f.wrong_type("component", *comp, "a component name or an inline component table");
  }
  if (const toml::node* comps = f.get("components"))
    diag.fail(comps->source(), where + ": `components` (middleware) is not supported yet");

  const toml::node* route = f.get("route");
  if (!route) {
    f.missing("route");
  } else if (route->is_string()) {
    trig.route = route->as_string()->get();
    trig.route_pos = diag.pos(route->source());
  } else if (route->is_table()) {
    Fields rf(*route->as_table(), where + " `route`", diag);
    trig.route_pos = diag.pos(route->source());
    auto priv = rf.boolean("private");
    rf.check_unknown();
    if (!diag.failed() && priv != true)
      diag.fail(route->source(), "route must be a string pattern or `{ private = true }`: component `" +
                                     trig.component + "` has " + (priv ? "{ private = false }" : "no `private`"));
    trig.is_private = true;
  } else {
    f.wrong_type("route", *route, "a string or { private = true }");
  }
  trig.executor = read_executor(f);
  f.ignore("static_response");
  if (const toml::node* sr = t.get("static_response"))
    diag.fail(sr->source(), where + ": `static_response` is not supported yet");
  f.check_unknown();
  app.http_triggers.push_back(std::move(trig));
}

// [[trigger.redis]]: component (an id or an inline table), channel, and
// optionally id and address (Spin's TriggerConfig, unknown fields refused).
void read_redis_trigger(const toml::table& t, size_t index, AppManifest& app, Diag& diag) {
  std::string where = "[[trigger.redis]] #" + std::to_string(index + 1);
  Fields f(t, where, diag);
  RedisTriggerConfig trig;
  trig.pos = diag.pos(t.source());
  trig.id = f.string("id").value_or("");
  const toml::node* comp = f.get("component");
  if (!comp) {
    f.missing("component");
  } else if (comp->is_string()) {
    trig.component = comp->as_string()->get();
    trig.component_pos = diag.pos(comp->source());
    if (trig.id.empty()) trig.id = trig.component + "-redis-trigger";
  } else if (comp->is_table()) {
    if (trig.id.empty()) trig.id = "redis-trigger" + std::to_string(index + 1);
    std::string id = trig.id + "-component";
    for (int n = 1; app.find_component(id); ++n) id = "inline-component" + std::to_string(n);
    trig.component = id;
    trig.component_pos = diag.pos(comp->source());
    app.components.push_back(read_component(*comp->as_table(), id, where + " inline component", diag));
  } else {
    f.wrong_type("component", *comp, "a component name or an inline component table");
  }
  if (const toml::node* ch = f.get("channel"); ch && ch->is_string()) {
    trig.channel = ch->as_string()->get();
    trig.channel_pos = diag.pos(ch->source());
  } else if (ch) {
    f.wrong_type("channel", *ch, "a string");
  } else {
    f.missing("channel");
  }
  if (const toml::node* a = f.get("address"); a && a->is_string()) {
    trig.address = a->as_string()->get();
    trig.address_pos = diag.pos(a->source());
  } else if (a) {
    f.wrong_type("address", *a, "a string");
  }
  f.check_unknown();
  app.redis_triggers.push_back(std::move(trig));
}

}  // namespace

Expected<AppManifest> read_v2(const toml::table& root, AppManifest app, Diag& diag) {
  app.manifest_version = 2;
  Fields f(root, "the manifest", diag);
  f.get("spin_manifest_version");

  if (const toml::table* a = f.table("application", true)) read_application(*a, app, diag);
  if (const toml::table* v = f.table("variables")) read_variables(*v, app, diag);

  // Components first, so inline trigger components get ids that do not clash.
  if (const toml::table* comps = f.table("component")) {
    for (auto& [k, v] : in_source_order(*comps)) {
      std::string id(k->str());
      if (!is_kebab_id(id)) {
        diag.fail(k->source(), "component id `" + id +
                                   "` must be kebab case (lowercase letters, digits and single hyphens, "
                                   "starting with a letter)");
        break;
      }
      if (!v->is_table()) {
        diag.fail(v->source(), "[component." + id + "] must be a table, not " + type_name(*v));
        break;
      }
      app.components.push_back(read_component(*v->as_table(), id, "[component." + id + "]", diag));
    }
  }

  if (const toml::table* triggers = f.table("trigger", true)) {
    for (auto& [k, v] : in_source_order(*triggers)) {
      std::string type(k->str());
      const toml::array* list = v->as_array();
      if (!list) {
        diag.fail(v->source(), "triggers are written [[trigger." + type + "]] (an array of tables), not " +
                                   type_name(*v));
        break;
      }
      size_t i = 0;
      for (const toml::node& e : *list) {
        if (!e.is_table()) {
          diag.fail(e.source(), "each [[trigger." + type + "]] must be a table, not " + std::string(type_name(e)));
          break;
        }
        if (type == "http") {
          read_http_trigger(*e.as_table(), i, app, diag);
        } else if (type == "redis") {
          read_redis_trigger(*e.as_table(), i, app, diag);
        } else {
          OtherTrigger o;
          o.type = type;
          o.pos = diag.pos(e.source());
          if (const toml::node* c = e.as_table()->get("component"); c && c->is_string())
            o.component = c->as_string()->get();
          app.other_triggers.push_back(std::move(o));
        }
        ++i;
      }
    }
  }
  f.check_unknown();
  if (!diag.failed()) validate_app(app, diag);
  if (diag.failed()) return unexpected(diag.error());
  return app;
}

}  // namespace whirl::spin::detail
