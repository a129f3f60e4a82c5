#include "wasi/p1/fs_ops.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "platform/fs.h"
#include "wasm/runtime/runtime.h"

namespace whirl::wasi::fsops {
namespace {

// platform's -errno (-EXDEV: the path escapes) as an operation result.
int from_platform(int neg) { return neg == -EXDEV ? kEscape : -neg; }

// Runs `op(parentfd, name)` in the directory that holds the last component of `path`.
template <class Op>
int at_parent(int dirfd, const std::string& path, Op op) {
  std::string name;
  int pfd = platform::open_parent_beneath(dirfd, path, &name);
  if (pfd < 0) return from_platform(pfd);
  int r = op(pfd, name.c_str());
  int err = errno;
  close(pfd);
  return r == 0 ? 0 : err;
}

int two_paths(int d1, const std::string& p1, int d2, const std::string& p2, bool is_link) {
  std::string n1, n2;
  int f1 = platform::open_parent_beneath(d1, p1, &n1);
  if (f1 < 0) return from_platform(f1);
  int f2 = platform::open_parent_beneath(d2, p2, &n2);
  if (f2 < 0) {
    close(f1);
    return from_platform(f2);
  }
  int r = is_link ? linkat(f1, n1.c_str(), f2, n2.c_str(), 0) : renameat(f1, n1.c_str(), f2, n2.c_str());
  int err = errno;
  close(f1);
  close(f2);
  return r == 0 ? 0 : err;
}

}  // namespace

int open_at(int dirfd, const std::string& path, int flags, int mode, bool follow, int* fd) {
  int r = platform::open_beneath(dirfd, path, flags, mode, follow);
  if (r < 0) return from_platform(r);
  *fd = r;
  return 0;
}

int stat_at(int dirfd, const std::string& path, bool follow, struct stat* st) {
  int fd;
  if (int e = open_at(dirfd, path, O_PATH, 0, follow, &fd)) return e;
  int r = fstatat(fd, "", st, AT_EMPTY_PATH);
  int err = errno;
  close(fd);
  return r == 0 ? 0 : err;
}

int mkdir_at(int dirfd, const std::string& path) {
  return at_parent(dirfd, path, [](int pfd, const char* n) { return mkdirat(pfd, n, 0777); });
}

int rmdir_at(int dirfd, const std::string& path) {
  return at_parent(dirfd, path, [](int pfd, const char* n) { return unlinkat(pfd, n, AT_REMOVEDIR); });
}

int unlink_at(int dirfd, const std::string& path) {
  if (!path.empty() && path.back() == '/') return ENOTDIR;
  return at_parent(dirfd, path, [](int pfd, const char* n) { return unlinkat(pfd, n, 0); });
}

int rename_at(int d1, const std::string& p1, int d2, const std::string& p2) { return two_paths(d1, p1, d2, p2, false); }
int link_at(int d1, const std::string& p1, int d2, const std::string& p2) { return two_paths(d1, p1, d2, p2, true); }

int symlink_at(const std::string& target, int dirfd, const std::string& path) {
  if (!target.empty() && target[0] == '/') return kEscape;
  return at_parent(dirfd, path, [&](int pfd, const char* n) { return symlinkat(target.c_str(), pfd, n); });
}

int readlink_at(int dirfd, const std::string& path, std::string* target) {
  return at_parent(dirfd, path, [&](int pfd, const char* name) {
    std::vector<char> buf(256);
    while (true) {
      ssize_t n = readlinkat(pfd, name, buf.data(), buf.size());
      if (n < 0) return -1;
      if (size_t(n) < buf.size()) {
        target->assign(buf.data(), size_t(n));
        return 0;
      }
      buf.resize(buf.size() * 2);
    }
  });
}

int utimens_at(int dirfd, const std::string& path, bool follow, const struct timespec times[2]) {
  return at_parent(dirfd, path, [&](int pfd, const char* n) {
    return utimensat(pfd, n, times, follow ? 0 : AT_SYMLINK_NOFOLLOW);
  });
}

int for_each_entry(int dirfd, const std::function<bool(const struct dirent&)>& fn) {
  // A fresh descriptor: readdir moves the position of the one it reads.
  int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return errno;
  DIR* d = fdopendir(dfd);
  if (!d) {
    int err = errno;
    close(dfd);
    return err;
  }
  while (struct dirent* e = readdir(d))
    if (!fn(*e)) break;
  closedir(d);
  return 0;
}

bool wait_ready(wasm::Store& store, int fd, bool write) {
  while (true) {
    pollfd p{fd, short(write ? POLLOUT : POLLIN), 0};
    int r = ::poll(&p, 1, 100);
    if (r > 0 || (r < 0 && errno != EINTR)) return true;
    if (store.interrupted()) return false;
  }
}

}  // namespace whirl::wasi::fsops
