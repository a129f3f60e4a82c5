#include "shim/oci_spec.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/env_list.h"

namespace whirl::shim {

Expected<OciSpec> parse_oci_spec(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return make_error("config.json is not a JSON object");
  OciSpec s;
  auto strings = [](const nlohmann::json& a, const char* what, std::vector<std::string>* out) -> Expected<void> {
    if (a.is_null()) return {};
    if (!a.is_array()) return make_error(std::string("config.json: ") + what + " must be an array of strings");
    for (const auto& v : a) {
      if (!v.is_string()) return make_error(std::string("config.json: ") + what + " must be an array of strings");
      out->push_back(v.get<std::string>());
    }
    return {};
  };
  if (auto p = j.find("process"); p != j.end() && p->is_object()) {
    WHIRL_TRY(strings(p->value("args", nlohmann::json()), "process.args", &s.args));
    WHIRL_TRY(strings(p->value("env", nlohmann::json()), "process.env", &s.env));
    if (auto c = p->find("cwd"); c != p->end() && c->is_string() && !c->get<std::string>().empty())
      s.cwd = c->get<std::string>();
  }
  if (auto r = j.find("root"); r != j.end() && r->is_object())
    if (auto p = r->find("path"); p != r->end() && p->is_string()) s.root_path = p->get<std::string>();
  if (auto h = j.find("hostname"); h != j.end() && h->is_string()) s.hostname = h->get<std::string>();
  if (auto a = j.find("annotations"); a != j.end() && a->is_object())
    for (auto it = a->begin(); it != a->end(); ++it)
      if (it->is_string()) s.annotations[it.key()] = it->get<std::string>();
  if (auto l = j.find("linux"); l != j.end() && l->is_object()) {
    if (auto c = l->find("cgroupsPath"); c != l->end() && c->is_string()) s.cgroups_path = c->get<std::string>();
    auto num = [](const nlohmann::json& o, const char* k) -> int64_t {
      auto v = o.find(k);
      return v != o.end() && v->is_number() ? v->get<int64_t>() : 0;
    };
    if (auto n = l->find("namespaces"); n != l->end() && n->is_array())
      for (const auto& ns : *n)
        if (ns.is_object() && ns.value("type", nlohmann::json()).is_string())
          s.namespaces.push_back(NamespaceSpec{ns["type"].get<std::string>(),
                                               ns.value("path", nlohmann::json()).is_string() ? ns["path"].get<std::string>() : ""});
    if (auto r = l->find("resources"); r != l->end() && r->is_object()) {
      if (auto m = r->find("memory"); m != r->end() && m->is_object()) s.resources.memory_limit = num(*m, "limit");
      if (auto c = r->find("cpu"); c != r->end() && c->is_object()) {
        s.resources.cpu_quota = num(*c, "quota");
        s.resources.cpu_period = uint64_t(num(*c, "period"));
        s.resources.cpu_shares = uint64_t(num(*c, "shares"));
      }
    }
  }
  return s;
}

Expected<OciSpec> read_oci_spec(const std::filesystem::path& bundle) {
  std::ifstream in(bundle / "config.json");
  if (!in) return make_error((bundle / "config.json").string() + ": cannot read the OCI runtime spec");
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = parse_oci_spec(ss.str());
  if (!s) return make_error((bundle / "config.json").string() + ": " + s.error().message);
  return s;
}

const std::string* find_env(const std::vector<std::string>& env, const std::string& key, std::string* storage) {
  auto v = env_value(env, key);
  if (!v) return nullptr;
  *storage = std::move(*v);
  return storage;
}

}  // namespace whirl::shim
