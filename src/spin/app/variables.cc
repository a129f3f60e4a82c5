// Startup checks of application and component variables.
#include "spin/app/app.h"

namespace whirl::spin {

Expected<void> check_variables(const AppManifest& app,
                               const std::function<const char*(const char*)>& getenv_fn) {
  auto defined = [&](std::string_view name) {
    for (const auto& v : app.variables)
      if (v.name == name) return true;
    return false;
  };
  for (const auto& c : app.components) {
    for (const auto& [key, tmpl] : c.variables) {
      size_t pos = 0;
      while ((pos = tmpl.find("{{", pos)) != std::string::npos) {
        size_t end = tmpl.find("}}", pos + 2);
        if (end == std::string::npos)
          return make_error(c.pos.str() + ": component `" + c.id + "`: variable `" + key +
                            "` has an unclosed `{{` in \"" + tmpl + "\"");
        std::string name = tmpl.substr(pos + 2, end - pos - 2);
        while (!name.empty() && name.front() == ' ') name.erase(name.begin());
        while (!name.empty() && name.back() == ' ') name.pop_back();
        if (!defined(name))
          return make_error(c.pos.str() + ": component `" + c.id + "`: variable `" + key + "` refers to `" + name +
                            "`, which is not in [variables]");
        pos = end + 2;
      }
    }
  }
  for (const auto& v : app.variables) {
    if (!v.required) continue;
    std::string env = "SPIN_VARIABLE_";
    for (char ch : v.name) env.push_back(ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 32) : ch);
    if (!getenv_fn(env.c_str()))
      return make_error(app.path.string() + ": required variable `" + v.name + "` has no value (set " + env + ")");
  }
  return {};
}

}  // namespace whirl::spin
