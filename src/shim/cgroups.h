// A task's cgroup, when its spec asks for limits (linux.resources: memory
// limit, CPU quota or shares, as the CRI sets them for a pod): created by
// the shim at Create, the task process moved in before Start, removed at
// Delete. Without limits a task gets none: on cgroup v1 creating the
// hierarchy costs milliseconds per task, and procfs gives the metrics.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"

namespace whirl::shim {

struct Resources {
  int64_t memory_limit = 0;  // bytes; 0: none
  int64_t cpu_quota = 0;     // microseconds per period; 0: none
  uint64_t cpu_period = 0;   // microseconds
  uint64_t cpu_shares = 0;   // v1 shares (2..262144)
  bool any() const { return memory_limit > 0 || cpu_quota > 0 || cpu_shares > 0; }
};

class Cgroup {
 public:
  // `path` is linux.cgroupsPath ("/k8s.io/<id>"); a systemd slice path
  // ("slice:prefix:name") is not supported.
  static Expected<Cgroup> create(const std::string& path, const Resources& limits);
  Expected<void> add(pid_t pid) const;
  std::optional<uint64_t> memory_usage() const;
  // Removes the directories (the processes in them must have exited).
  void remove();

 private:
  bool v2_ = false;
  std::vector<std::string> dirs_;    // every directory we created or joined
  std::string memory_dir_;
};

}  // namespace whirl::shim
