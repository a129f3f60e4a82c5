#include "shim/namespaces.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace whirl::shim {
namespace {

Expected<void> loopback_up() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  ok = ok && ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  int e = errno;
  ::close(s);
  if (!ok) return make_error(std::string("cannot bring up loopback: ") + std::strerror(e));
  return {};
}

}  // namespace

Expected<void> enter_namespaces(const std::vector<NamespaceSpec>& namespaces, const std::string& hostname) {
  for (const auto& ns : namespaces) {
    int flag = ns.type == "network" ? CLONE_NEWNET : ns.type == "uts" ? CLONE_NEWUTS : 0;
    if (!flag) continue;  // pid, ipc, mount, user, cgroup: not needed by the workload
    if (!ns.path.empty()) {
      int fd = ::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, flag) != 0) {
        int e = errno;
        if (fd >= 0) ::close(fd);
        return make_error("cannot join the " + ns.type + " namespace " + ns.path + ": " + std::strerror(e));
      }
      ::close(fd);
      continue;
    }
    if (::unshare(flag) != 0)
      return make_error("cannot create a " + ns.type + " namespace: " + std::string(std::strerror(errno)));
    if (flag == CLONE_NEWNET) WHIRL_TRY(loopback_up());
    if (flag == CLONE_NEWUTS && !hostname.empty() && ::sethostname(hostname.data(), hostname.size()) != 0)
      return make_error("cannot set the hostname: " + std::string(std::strerror(errno)));
  }
  return {};
}

}  // namespace whirl::shim
