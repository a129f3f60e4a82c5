// Handing a Spin app to the node host (`whirl host`) instead of running
// it in the task's own process: the task binds the app's listener in the
// pod's network namespace and passes it, with the image's directory and
// the task's stdio, to the host over the host's admin socket. The task
// process stays as the task (its pid, signals and exit status are what
// containerd sees) until it is killed; then the host drains and drops the
// app. docs/kubernetes.md, "Handing apps to the node host".
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/expected.h"
#include "shim/workload.h"

namespace whirl::shim {

// Connects to the host's admin socket (a path in the shim's filesystem:
// call it before entering the task's namespaces).
Expected<int> connect_node_host(const std::string& socket_path);

// Why this workload runs in its own process instead ("" if the host can
// take it): a WASI command, Redis triggers, a runtime config.
std::string handoff_refusal(const WorkloadSpec& spec);

// In the task's namespaces, before the chroot: binds the listener that
// SPIN_HTTP_LISTEN_ADDR names and attaches the app under a name made from
// `task_id`. Errors are the host's (a bad manifest, a missing component)
// or the listener's. The workload starts serving at run(), and detaches
// at SIGTERM or SIGINT. The host writes the app's output to `stdout_fd`
// and `stderr_fd` (the task's, already open).
Expected<std::unique_ptr<Workload>> attach_to_node_host(int connection, const std::string& task_id,
                                                       const WorkloadSpec& spec, int stdout_fd = 1,
                                                       int stderr_fd = 2);

// A DNS label from a task id (the host's app names): lowercase, other
// characters as '-', at most 63.
std::string app_name_for_task(const std::string& task_id);

}  // namespace whirl::shim
