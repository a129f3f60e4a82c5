#include "shim/mounts.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace whirl::shim {
namespace {

struct Flag {
  const char* name;
  bool clear;
  unsigned long flag;
};

// mount(8) option names, as containerd's mount_linux.go parses them.
constexpr Flag kFlags[] = {
    {"async", true, MS_SYNCHRONOUS}, {"atime", true, MS_NOATIME},     {"bind", false, MS_BIND},
    {"defaults", false, 0},          {"dev", true, MS_NODEV},         {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},  {"exec", true, MS_NOEXEC},       {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},  {"nodev", false, MS_NODEV},      {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},    {"nomand", true, MS_MANDLOCK},   {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"nosuid", false, MS_NOSUID}, {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME}, {"remount", false, MS_REMOUNT}, {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},         {"strictatime", false, MS_STRICTATIME}, {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
};

std::pair<unsigned long, std::string> parse_options(const std::vector<std::string>& options) {
  unsigned long flags = 0;
  std::string data;
  for (const auto& o : options) {
    bool known = false;
    for (const auto& f : kFlags)
      if (o == f.name) {
        flags = f.clear ? flags & ~f.flag : flags | f.flag;
        known = true;
        break;
      }
    if (known) continue;
    if (!data.empty()) data += ',';
    data += o;
  }
  return {flags, data};
}

Expected<void> mount_one(const MountSpec& m, const std::string& target) {
  auto [flags, data] = parse_options(m.options);
  if (m.type == "bind") flags |= MS_BIND;
  // A read-only bind mount takes two steps: bind, then remount read-only.
  unsigned long first = (flags & MS_BIND) ? flags & ~MS_RDONLY : flags;
  const char* fstype = (flags & MS_BIND) ? nullptr : m.type.c_str();
  if (::mount(m.source.c_str(), target.c_str(), fstype, first, data.empty() ? nullptr : data.c_str()) != 0)
    return make_error("mount " + m.type + " " + m.source + " on " + target + ": " + std::strerror(errno));
  if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
      ::mount(nullptr, target.c_str(), nullptr, flags | MS_REMOUNT, nullptr) != 0) {
    int e = errno;
    ::umount2(target.c_str(), MNT_DETACH);
    return make_error("remount " + target + " read-only: " + std::strerror(e));
  }
  return {};
}

}  // namespace

Expected<void> mount_all(const std::vector<MountSpec>& mounts, const std::string& target) {
  size_t done = 0;
  for (const auto& m : mounts) {
    if (auto ok = mount_one(m, target); !ok) {
      for (; done > 0; --done) ::umount2(target.c_str(), MNT_DETACH);
      return ok;
    }
    ++done;
  }
  return {};
}

bool unmount_all(const std::string& target) {
  bool any = false;
  for (int i = 0; i < 64; ++i) {  // stacked mounts come off one at a time
    if (::umount2(target.c_str(), 0) == 0 || ::umount2(target.c_str(), MNT_DETACH) == 0) {
      any = true;
      continue;
    }
    break;
  }
  return any;
}

}  // namespace whirl::shim
