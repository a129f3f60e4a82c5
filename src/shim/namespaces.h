// The Linux namespaces of a task that matter to a wasm workload: network
// (a Kubernetes pod's netns, so the app listens on the pod IP) and uts
// (the hostname). A namespace with a path is joined (setns); one without
// is created (unshare, with loopback up, as runc does); one not listed is
// the host's. Called in the task process before it enters the rootfs.
#pragma once

#include <string>
#include <vector>

#include "common/expected.h"

namespace whirl::shim {

struct NamespaceSpec {
  std::string type;  // "network", "uts", ...
  std::string path;  // empty: a new one
};

Expected<void> enter_namespaces(const std::vector<NamespaceSpec>& namespaces, const std::string& hostname);

}  // namespace whirl::shim
