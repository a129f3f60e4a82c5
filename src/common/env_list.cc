#include "common/env_list.h"

namespace whirl {

std::optional<std::string> env_value(const std::vector<std::string>& env, const std::string& key) {
  std::optional<std::string> found;
  for (const auto& kv : env)
    if (kv.size() > key.size() && kv[key.size()] == '=' && kv.compare(0, key.size(), key) == 0)
      found = kv.substr(key.size() + 1);
  return found;
}

std::function<std::optional<std::string>(const std::string&)> getenv_from(std::vector<std::string> env) {
  return [env = std::move(env)](const std::string& key) { return env_value(env, key); };
}

}  // namespace whirl
