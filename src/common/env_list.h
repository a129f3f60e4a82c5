// "KEY=VALUE" entries as a container's environment is given (an OCI
// spec's process.env): looked up as the process built from them sees it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace whirl {

// The value of `key` (the last entry for it wins); nullopt if none.
std::optional<std::string> env_value(const std::vector<std::string>& env, const std::string& key);
// A getenv over the entries (AppRuntimeOptions::getenv for a container's
// environment: the shim's task, and an app a task hands to the node host).
std::function<std::optional<std::string>(const std::string&)> getenv_from(std::vector<std::string> env);

}  // namespace whirl
