// The shim's settings, per runtime (a RuntimeClass's handler, or
// `ctr run --runtime-config-path`): containerd passes them at Create as
// CreateTaskRequest.options, a runtimeoptions.v1.Options whose
// config_path names a TOML file (config_body, containerd 1.7+, holds it).
//   node_host = "/run/whirl/host.sock"   # hand Spin apps to this node host
// docs/kubernetes.md, "Handing apps to the node host".
#pragma once

#include <string>
#include <string_view>

#include "common/expected.h"

namespace whirl::shim {

struct ShimOptions {
  std::string node_host;  // the node host's admin socket; empty: none
};

// From the Any's type URL and bytes; none given: the defaults. Errors name
// the file and what is wrong.
Expected<ShimOptions> parse_shim_options(const std::string& type_url, const std::string& value);
Expected<ShimOptions> parse_shim_config(std::string_view toml_text, const std::string& where);

}  // namespace whirl::shim
