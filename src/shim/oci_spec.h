// The parts of a bundle's OCI runtime spec (config.json) the shim uses.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/expected.h"
#include "shim/cgroups.h"
#include "shim/namespaces.h"

namespace whirl::shim {

struct OciSpec {
  std::vector<std::string> args;  // process.args
  std::vector<std::string> env;   // process.env, "KEY=VALUE"
  std::string cwd = "/";          // process.cwd
  std::string root_path = "rootfs";  // root.path, relative to the bundle unless absolute
  std::map<std::string, std::string> annotations;
  std::string cgroups_path;       // linux.cgroupsPath
  std::vector<NamespaceSpec> namespaces;  // linux.namespaces
  std::string hostname;
  Resources resources;            // linux.resources: memory limit, CPU quota and shares
};

// Reads `bundle`/config.json; errors name the file and the field.
Expected<OciSpec> read_oci_spec(const std::filesystem::path& bundle);
Expected<OciSpec> parse_oci_spec(const std::string& json_text);

// The value of KEY in "KEY=VALUE" entries (the last one wins), or nullptr.
const std::string* find_env(const std::vector<std::string>& env, const std::string& key, std::string* storage);

// Containers of one Kubernetes pod share a shim: the grouping key.
inline constexpr const char* kSandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";

}  // namespace whirl::shim
