// spin_manifest_version = "1": name, trigger = { type, base }, [variables],
// [[component]] with id and [component.trigger]; converted to the version 2
// shaped model as Spin does (config -> variables, trigger per component).
#include "spin/manifest/toml_reader.h"

namespace whirl::spin::detail {
namespace {

std::string fix_component_id(std::string id) {
  // Spin fixes the two likely problems of old ids: under_scores and mixedCase.
  if (is_kebab_id(id)) return id;
  for (char& c : id) {
    if (c == '_') c = '-';
    else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return id;
}

}  // namespace

Expected<AppManifest> read_v1(const toml::table& root, AppManifest app, Diag& diag) {
  app.manifest_version = 1;
  Fields f(root, "the manifest", diag);
  f.get("spin_manifest_version");
  f.get("spin_version");
  app.name = f.string("name", true).value_or("");
  app.version = f.string("version").value_or("");
  app.description = f.string("description").value_or("");
  app.authors = f.string_array("authors");

  std::string trigger_type;
  if (const toml::table* t = f.table("trigger", true)) {
    Fields tf(*t, "`trigger`", diag);
    trigger_type = tf.string("type", true).value_or("");
    if (trigger_type == "http") {
      if (auto base = tf.string("base")) app.http_base = *base;
      tf.check_unknown();
    } else if (trigger_type == "redis") {
      const toml::node* a = tf.get("address");
      if (a && a->is_string()) {
        app.redis_address = a->as_string()->get();
        app.redis_address_pos = diag.pos(a->source());
      } else if (a) {
        tf.wrong_type("address", *a, "a string");
      }
      tf.check_unknown();
    }
  }

  if (const toml::table* vars = f.table("variables")) {
    for (auto&& [k, v] : *vars) {
      std::string name(k.str());
      if (!v.is_table()) {
        diag.fail(v.source(), "variable `" + name + "` must be a table, not " + type_name(v));
        break;
      }
      Fields vf(*v.as_table(), "variable `" + name + "`", diag);
      Variable var;
      var.name = name;
      var.default_value = vf.string("default");
      var.required = vf.boolean("required").value_or(false);
      var.secret = vf.boolean("secret").value_or(false);
      vf.check_unknown();
      app.variables.push_back(std::move(var));
    }
  }

  if (const toml::array* comps = f.array("component")) {
    for (const toml::node& e : *comps) {
      if (!e.is_table()) {
        diag.fail(e.source(), "each [[component]] must be a table, not " + std::string(type_name(e)));
        break;
      }
      const toml::table& ct = *e.as_table();
      const toml::node* id_node = ct.get("id");
      std::string label = "[[component]]";
      if (id_node && id_node->is_string()) label += " `" + id_node->as_string()->get() + "`";
      Fields cf(ct, label, diag);
      Component c;
      auto id = cf.string("id", true);
      if (!id) break;
      c.id = fix_component_id(*id);
      if (!is_kebab_id(c.id)) {
        diag.fail(id_node->source(), "component id `" + *id + "` is not a valid id");
        break;
      }
      read_component_common(cf, c);
      // Before allowed_outbound_hosts, version 1 apps reached every Redis,
      // MySQL and PostgreSQL server: Spin keeps that when the field is absent.
      bool has_outbound = ct.get("allowed_outbound_hosts") != nullptr;
      std::vector<std::string> outbound = cf.string_array("allowed_outbound_hosts");
      if (!has_outbound) outbound = {"redis://*:*", "mysql://*:*", "postgres://*:*"};
      c.allowed_outbound_hosts.insert(c.allowed_outbound_hosts.begin(), outbound.begin(), outbound.end());
      c.variables = cf.string_map("config");
      const toml::table* trig = cf.table("trigger", true);
      cf.check_unknown();
      if (!trig || diag.failed()) break;

      if (trigger_type == "http") {
        Fields tf(*trig, "[component.trigger] of `" + *id + "`", diag);
        HttpTriggerConfig h;
        h.id = "trigger-" + c.id;
        h.component = c.id;
        h.pos = diag.pos(trig->source());
        h.component_pos = c.pos;
        if (const toml::node* r = tf.get("route"); r && r->is_string()) {
          h.route = r->as_string()->get();
          h.route_pos = diag.pos(r->source());
        } else if (r) {
          tf.wrong_type("route", *r, "a string");
        } else {
          tf.missing("route");
        }
        h.executor = read_executor(tf);
        tf.check_unknown();
        app.http_triggers.push_back(std::move(h));
      } else if (trigger_type == "redis") {
        Fields tf(*trig, "[component.trigger] of `" + *id + "`", diag);
        RedisTriggerConfig r;
        r.id = "trigger-" + c.id;
        r.component = c.id;
        r.pos = diag.pos(trig->source());
        r.component_pos = c.pos;
        if (const toml::node* ch = tf.get("channel"); ch && ch->is_string()) {
          r.channel = ch->as_string()->get();
          r.channel_pos = diag.pos(ch->source());
        } else if (ch) {
          tf.wrong_type("channel", *ch, "a string");
        } else {
          tf.missing("channel");
        }
        if (const toml::node* a = tf.get("address"); a && a->is_string()) {
          r.address = a->as_string()->get();
          r.address_pos = diag.pos(a->source());
        } else if (a) {
          tf.wrong_type("address", *a, "a string");
        }
        tf.check_unknown();
        app.redis_triggers.push_back(std::move(r));
      } else {
        app.other_triggers.push_back(OtherTrigger{trigger_type, c.id, diag.pos(trig->source())});
      }
      app.components.push_back(std::move(c));
    }
  }
  f.check_unknown();
  if (!diag.failed()) validate_app(app, diag);
  if (diag.failed()) return unexpected(diag.error());
  return app;
}

}  // namespace whirl::spin::detail
