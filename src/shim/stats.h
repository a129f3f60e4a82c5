// Task metrics for containerd's Stats call (`ctr task metrics`, the CRI's
// container stats behind `kubectl top`): a task is one process, so procfs
// gives its CPU time and memory; they are packed as the cgroup metrics
// message containerd decodes for this host (io.containerd.cgroups.v1 or v2).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/expected.h"

namespace whirl::shim {

struct ProcessUsage {
  uint64_t user_ns = 0;
  uint64_t system_ns = 0;
  uint64_t rss_bytes = 0;
  uint64_t threads = 0;
};

Expected<ProcessUsage> read_process_usage(pid_t pid);

struct PackedMetrics {
  std::string type_url;  // "io.containerd.cgroups.v1.Metrics" or "...v2.Metrics"
  std::string value;
};
PackedMetrics pack_metrics(const ProcessUsage& u, bool cgroup_v2);
// Whether /sys/fs/cgroup is the unified (v2) hierarchy.
bool host_uses_cgroup_v2();

}  // namespace whirl::shim
