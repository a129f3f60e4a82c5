#include "platform/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

namespace whirl::platform {
namespace {

int openat2_call(int dirfd, const char* path, int flags, int mode, uint64_t resolve) {
  struct open_how how {};
  how.flags = uint64_t(flags) | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? uint64_t(mode) : 0;
  how.resolve = resolve;
  long r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  return r < 0 ? -errno : int(r);
}

// Fallback without openat2: walk each component with O_NOFOLLOW, tracking
// depth so ".." never leaves the start directory.
int walk_beneath(int dirfd, const std::string& path, int flags, int mode, bool follow_final) {
  if (!path.empty() && path[0] == '/') return -EXDEV;
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string p = path.substr(i, j - i);
    if (!p.empty() && p != ".") parts.push_back(p);
    i = j + 1;
  }
  int depth = 0;
  for (const auto& p : parts) {
    if (p == "..") {
      if (--depth < 0) return -EXDEV;
    } else {
      ++depth;
    }
  }
  // Symlinks anywhere are refused in the fallback: they could point outside.
  int cur = dup(dirfd);
  if (cur < 0) return -errno;
  for (size_t k = 0; k + 1 < parts.size(); ++k) {
    int next = openat(cur, parts[k].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(cur);
    if (next < 0) return errno == ELOOP ? -EXDEV : -errno;
    cur = next;
  }
  const char* last = parts.empty() ? "." : parts.back().c_str();
  int fd = openat(cur, last, flags | O_NOFOLLOW | O_CLOEXEC, mode);
  int err = errno;
  close(cur);
  if (fd < 0) return (err == ELOOP && follow_final) ? -EXDEV : -err;
  return fd;
}

}  // namespace

int open_beneath(int dirfd, const std::string& path, int flags, int mode, bool follow_final_symlink) {
  if (!follow_final_symlink) flags |= O_NOFOLLOW;
  int r = openat2_call(dirfd, path.c_str(), flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  if (r != -ENOSYS) return r;
  return walk_beneath(dirfd, path, flags, mode, follow_final_symlink);
}

int open_parent_beneath(int dirfd, const std::string& path, std::string* name) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  std::string parent = slash == std::string::npos ? "." : p.substr(0, slash + (slash == 0 ? 1 : 0));
  *name = slash == std::string::npos ? p : p.substr(slash + 1);
  if (parent.empty()) parent = ".";
  if (*name == ".." || name->empty()) return -EXDEV;
  return open_beneath(dirfd, parent, O_PATH | O_DIRECTORY, 0, true);
}

}  // namespace whirl::platform
