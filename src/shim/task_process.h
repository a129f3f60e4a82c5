// A task's process: forked from the shim at Create, it opens the task's
// stdio FIFOs, enters the rootfs (chroot), prepares its workload and
// reports back; it runs the workload when Start releases it. The shim stays
// small and never holds a task's compiled modules; a crash while loading
// takes down only the task.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/expected.h"
#include "shim/namespaces.h"
#include "shim/workload.h"

namespace whirl::shim {

struct ProcessSpec {
  std::string stdin_path, stdout_path, stderr_path;  // empty: /dev/null
  std::vector<NamespaceSpec> namespaces;  // joined or created before entering the rootfs
  std::string hostname;
  WorkloadSpec workload;     // paths are host paths; the child chroots into workload.rootfs
  // The node host's admin socket: a Spin app it can take is handed to it
  // (host_handoff.h); empty: every workload runs in the task's process.
  std::string node_host;
  std::string task_id;  // names the app at the host
};

struct TaskProcess {
  pid_t pid = -1;
  int ready_fd = -1;  // the child's report: "O" or "E<message>"
  int start_fd = -1;  // one byte releases the child; EOF makes it exit
};

// Forks; returns at once (the caller records the pid before the child can be reaped).
Expected<TaskProcess> fork_task_process(const ProcessSpec& spec);
// Waits for the child's report and closes ready_fd; the error is the child's message.
Expected<void> wait_task_ready(TaskProcess& p);
// Lets the prepared child run its workload.
void release_task_process(TaskProcess& p);
// Exit status as containerd reports it: the exit code, or 128+signal.
uint32_t exit_status_of(int wait_status);

}  // namespace whirl::shim
