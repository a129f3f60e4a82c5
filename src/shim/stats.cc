#include "shim/stats.h"

#include <sys/vfs.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"
#include "github.com/containerd/cgroups/v2/stats/metrics.pb.h"

namespace whirl::shim {

Expected<ProcessUsage> read_process_usage(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream stat(dir + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return make_error("process " + std::to_string(pid) + " is gone");
  // Fields after the parenthesized command name (which may hold spaces).
  auto close = line.rfind(')');
  if (close == std::string::npos) return make_error("unreadable /proc stat");
  std::istringstream rest(line.substr(close + 2));
  std::vector<std::string> f;
  for (std::string w; rest >> w;) f.push_back(w);
  // f[0] is field 3 (state): utime is field 14, stime 15, num_threads 20.
  if (f.size() < 18) return make_error("unreadable /proc stat");
  double tick_ns = 1e9 / double(sysconf(_SC_CLK_TCK));
  ProcessUsage u;
  u.user_ns = uint64_t(std::stoull(f[11]) * tick_ns);
  u.system_ns = uint64_t(std::stoull(f[12]) * tick_ns);
  u.threads = std::stoull(f[17]);
  std::ifstream status(dir + "/status");
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) u.rss_bytes = std::stoull(line.substr(6)) * 1024;
  return u;
}

PackedMetrics pack_metrics(const ProcessUsage& u, bool cgroup_v2) {
  if (cgroup_v2) {
    io::containerd::cgroups::v2::Metrics m;
    m.mutable_pids()->set_current(u.threads);
    m.mutable_cpu()->set_usage_usec((u.user_ns + u.system_ns) / 1000);
    m.mutable_cpu()->set_user_usec(u.user_ns / 1000);
    m.mutable_cpu()->set_system_usec(u.system_ns / 1000);
    m.mutable_memory()->set_usage(u.rss_bytes);
    m.mutable_memory()->set_anon(u.rss_bytes);
    return {"io.containerd.cgroups.v2.Metrics", m.SerializeAsString()};
  }
  io::containerd::cgroups::v1::Metrics m;
  m.mutable_pids()->set_current(u.threads);
  m.mutable_cpu()->mutable_usage()->set_total(u.user_ns + u.system_ns);
  m.mutable_cpu()->mutable_usage()->set_user(u.user_ns);
  m.mutable_cpu()->mutable_usage()->set_kernel(u.system_ns);
  m.mutable_memory()->set_rss(u.rss_bytes);
  m.mutable_memory()->set_total_rss(u.rss_bytes);
  m.mutable_memory()->mutable_usage()->set_usage(u.rss_bytes);
  return {"io.containerd.cgroups.v1.Metrics", m.SerializeAsString()};
}

bool host_uses_cgroup_v2() {
  struct statfs fs {};
  return ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == 0x63677270;  // CGROUP2_SUPER_MAGIC
}

}  // namespace whirl::shim
