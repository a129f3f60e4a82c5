#include "shim/cgroups.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "shim/stats.h"

namespace whirl::shim {
namespace {

namespace fs = std::filesystem;
constexpr const char* kRoot = "/sys/fs/cgroup";

bool write_file(const fs::path& p, const std::string& value) {
  std::ofstream out(p);
  out << value;
  out.flush();
  return bool(out);
}

}  // namespace

Expected<Cgroup> Cgroup::create(const std::string& path, const Resources& r) {
  if (path.empty() || path[0] != '/' || path.find("..") != std::string::npos)
    return make_error("linux.cgroupsPath `" + path + "` is not supported (an absolute cgroupfs path is)");
  Cgroup cg;
  cg.v2_ = host_uses_cgroup_v2();
  std::error_code ec;
  auto make = [&](const fs::path& d) -> Expected<void> {
    fs::create_directories(d, ec);
    if (ec) return make_error("cannot create cgroup " + d.string() + ": " + ec.message());
    cg.dirs_.push_back(d.string());
    return {};
  };
  if (cg.v2_) {
    fs::path d = fs::path(kRoot) / path.substr(1);
    WHIRL_TRY(make(d));
    cg.memory_dir_ = d.string();
    if (r.memory_limit > 0 && !write_file(d / "memory.max", std::to_string(r.memory_limit)))
      return make_error("cannot set memory.max in " + d.string());
    if (r.cpu_quota > 0)
      write_file(d / "cpu.max", std::to_string(r.cpu_quota) + " " + std::to_string(r.cpu_period ? r.cpu_period : 100000));
    if (r.cpu_shares > 0)  // the conversion runc and the kubelet use
      write_file(d / "cpu.weight", std::to_string(1 + ((r.cpu_shares - 2) * 9999) / 262142));
    return cg;
  }
  if (r.memory_limit > 0) {
    fs::path d = fs::path(kRoot) / "memory" / path.substr(1);
    WHIRL_TRY(make(d));
    cg.memory_dir_ = d.string();
    if (!write_file(d / "memory.limit_in_bytes", std::to_string(r.memory_limit)))
      return make_error("cannot set memory.limit_in_bytes in " + d.string());
  }
  if (r.cpu_quota > 0 || r.cpu_shares > 0) {
    fs::path base = fs::is_directory(fs::path(kRoot) / "cpu,cpuacct") ? fs::path(kRoot) / "cpu,cpuacct" : fs::path(kRoot) / "cpu";
    fs::path d = base / path.substr(1);
    WHIRL_TRY(make(d));
    if (r.cpu_shares > 0) write_file(d / "cpu.shares", std::to_string(r.cpu_shares));
    if (r.cpu_quota > 0) {
      write_file(d / "cpu.cfs_period_us", std::to_string(r.cpu_period ? r.cpu_period : 100000));
      write_file(d / "cpu.cfs_quota_us", std::to_string(r.cpu_quota));
    }
  }
  return cg;
}

Expected<void> Cgroup::add(pid_t pid) const {
  for (const auto& d : dirs_)
    if (!write_file(fs::path(d) / "cgroup.procs", std::to_string(pid)))
      return make_error("cannot move the task into cgroup " + d);
  return {};
}

std::optional<uint64_t> Cgroup::memory_usage() const {
  if (memory_dir_.empty()) return std::nullopt;
  std::ifstream in(fs::path(memory_dir_) / (v2_ ? "memory.current" : "memory.usage_in_bytes"));
  uint64_t v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

void Cgroup::remove() {
  // Only our own directory: parents (a pod's cgroup) belong to whoever made them.
  for (const auto& d : dirs_) ::rmdir(d.c_str());
  dirs_.clear();
  memory_dir_.clear();
}

}  // namespace whirl::shim
