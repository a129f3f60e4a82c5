// path_* calls: every path is resolved beneath its directory descriptor
// (platform::open_beneath), so nothing outside the preopens is reachable.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/fs.h"
#include "wasi/p1/ctx.h"

namespace whirl::wasi {
namespace {

using wasm::ValType;
constexpr ValType I32 = ValType::I32, I64 = ValType::I64;

uint32_t u32(const wasm::Value& v) { return v.as_u32(); }

// The directory fd and guest path of a call; errno on failure.
uint16_t dir_and_path(WasiCtx& ctx, Mem& mem, const wasm::Value& fd, const wasm::Value& ptr,
                      const wasm::Value& len, Fd** dir, std::string* path) {
  *dir = ctx.get(u32(fd));
  if (!*dir) return kBadf;
  if (!(*dir)->is_dir) return kNotdir;
  if (!mem.string(u32(ptr), u32(len), path)) return kFault;
  if (path->find('\0') != std::string::npos) return kInval;
  return kSuccess;
}

uint16_t escape_or(int neg_errno) { return neg_errno == -EXDEV ? kNotcapable : errno_from_host(-neg_errno); }

// Runs `op(parentfd, name)` on the parent directory of `path`.
template <class Op>
uint16_t at_parent(Fd* dir, const std::string& path, Op op) {
  std::string name;
  int pfd = platform::open_parent_beneath(dir->host, path, &name);
  if (pfd < 0) return escape_or(pfd);
  int r = op(pfd, name.c_str());
  int err = errno;
  close(pfd);
  return r == 0 ? kSuccess : errno_from_host(err);
}

uint16_t path_open(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[2], a[3], &dir, &path)) return e;
  if (!mem.ok(u32(a[8]), 4)) return kFault;
  uint32_t oflags = u32(a[4]), fdflags = u32(a[7]);
  uint64_t rights = a[5].as_u64();
  bool follow = u32(a[1]) & 1;
  constexpr uint64_t kRead = (1ull << 1) | (1ull << 14);            // fd_read, fd_readdir
  constexpr uint64_t kWrite = (1ull << 6) | (1ull << 8) | (1ull << 22);  // fd_write, fd_allocate, fd_filestat_set_size
  bool want_write = (rights & kWrite) && !(oflags & 2);  // directories open read-only
  bool want_read = rights & kRead;
  int flags = want_write ? (want_read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & 1) flags |= O_CREAT;
  if (oflags & 2) flags |= O_DIRECTORY;
  if (oflags & 4) flags |= O_EXCL;
  if (oflags & 8) flags |= O_TRUNC;
  if (fdflags & 1) flags |= O_APPEND;
  if (fdflags & 4) flags |= O_NONBLOCK;
  if (fdflags & (2 | 8 | 16)) flags |= O_SYNC;
  if (dir->read_only && (want_write || (oflags & (1 | 8)) || (fdflags & 1))) return kPerm;
  // Host descriptors are shared by every guest of the process: one guest
  // opening without end would leave the server unable to accept.
  if (ctx.open_count() >= ctx.config.max_open_files) return kMfile;
  int fd = platform::open_beneath(dir->host, path, flags, 0666, follow);
  if (fd == -EISDIR && (flags & O_ACCMODE) != O_RDONLY) return kIsdir;
  if (fd < 0) return escape_or(fd);
  struct stat st;
  fstat(fd, &st);
  Fd f;
  f.host = fd;
  f.open = true;
  f.is_dir = S_ISDIR(st.st_mode);
  f.read_only = dir->read_only;
  uint32_t guest = ctx.add(std::move(f));
  mem.write<uint32_t>(u32(a[8]), guest);
  return kSuccess;
}

uint16_t path_create_directory(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[1], a[2], &dir, &path)) return e;
  if (uint16_t e = check_writable(dir)) return e;
  return at_parent(dir, path, [](int pfd, const char* n) { return mkdirat(pfd, n, 0777); });
}

uint16_t path_remove_directory(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[1], a[2], &dir, &path)) return e;
  if (uint16_t e = check_writable(dir)) return e;
  return at_parent(dir, path, [](int pfd, const char* n) { return unlinkat(pfd, n, AT_REMOVEDIR); });
}

uint16_t path_unlink_file(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[1], a[2], &dir, &path)) return e;
  if (uint16_t e = check_writable(dir)) return e;
  if (!path.empty() && path.back() == '/') return kNotdir;
  return at_parent(dir, path, [](int pfd, const char* n) { return unlinkat(pfd, n, 0); });
}

uint16_t two_paths(WasiCtx& ctx, Mem& mem, const wasm::Value* a1, const wasm::Value* a2, bool is_link) {
  Fd *d1, *d2;
  std::string p1, p2;
  if (uint16_t e = dir_and_path(ctx, mem, a1[0], a1[1], a1[2], &d1, &p1)) return e;
  if (uint16_t e = dir_and_path(ctx, mem, a2[0], a2[1], a2[2], &d2, &p2)) return e;
  if (uint16_t e = check_writable(d2)) return e;
  if (!is_link)
    if (uint16_t e = check_writable(d1)) return e;
  std::string n1, n2;
  int f1 = platform::open_parent_beneath(d1->host, p1, &n1);
  if (f1 < 0) return escape_or(f1);
  int f2 = platform::open_parent_beneath(d2->host, p2, &n2);
  if (f2 < 0) {
    close(f1);
    return escape_or(f2);
  }
  int r = is_link ? linkat(f1, n1.c_str(), f2, n2.c_str(), 0) : renameat(f1, n1.c_str(), f2, n2.c_str());
  int err = errno;
  close(f1);
  close(f2);
  return r == 0 ? kSuccess : errno_from_host(err);
}

uint16_t path_rename(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  wasm::Value from[3] = {a[0], a[1], a[2]}, to[3] = {a[3], a[4], a[5]};
  return two_paths(ctx, mem, from, to, false);
}

uint16_t path_link(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  // (old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len)
  wasm::Value from[3] = {a[0], a[2], a[3]}, to[3] = {a[4], a[5], a[6]};
  return two_paths(ctx, mem, from, to, true);
}

uint16_t path_symlink(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  // (old_path, old_len, fd, new_path, new_len): the target text is stored as
  // given; following it later is still confined by open_beneath.
  std::string target;
  if (!mem.string(u32(a[0]), u32(a[1]), &target)) return kFault;
  if (!target.empty() && target[0] == '/') return kNotcapable;
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[2], a[3], a[4], &dir, &path)) return e;
  if (uint16_t e = check_writable(dir)) return e;
  return at_parent(dir, path, [&](int pfd, const char* n) { return symlinkat(target.c_str(), pfd, n); });
}

uint16_t path_readlink(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[1], a[2], &dir, &path)) return e;
  uint32_t buf = u32(a[3]), len = u32(a[4]), used = u32(a[5]);
  if (!mem.ok(buf, len) || !mem.ok(used, 4)) return kFault;
  ssize_t n = -1;
  uint16_t r = at_parent(dir, path, [&](int pfd, const char* name) {
    n = readlinkat(pfd, name, reinterpret_cast<char*>(mem.at(buf)), len);
    return n < 0 ? -1 : 0;
  });
  if (r) return r;
  mem.write<uint32_t>(used, uint32_t(n));
  return kSuccess;
}

uint16_t path_filestat_get(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[2], a[3], &dir, &path)) return e;
  bool follow = u32(a[1]) & 1;
  struct stat st;
  int fd = platform::open_beneath(dir->host, path, O_PATH, 0, follow);
  if (fd < 0) return escape_or(fd);
  int r = fstatat(fd, "", &st, AT_EMPTY_PATH);
  int err = errno;
  close(fd);
  if (r != 0) return errno_from_host(err);
  return write_filestat(mem, u32(a[4]), st) ? kSuccess : kFault;
}

uint16_t path_filestat_set_times(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[2], a[3], &dir, &path)) return e;
  if (uint16_t e = check_writable(dir)) return e;
  uint32_t fl = u32(a[6]);
  struct timespec times[2] = {to_timespec(a[4].as_u64(), fl & 1, fl & 2), to_timespec(a[5].as_u64(), fl & 4, fl & 8)};
  bool follow = u32(a[1]) & 1;
  return at_parent(dir, path, [&](int pfd, const char* n) {
    return utimensat(pfd, n, times, follow ? 0 : AT_SYMLINK_NOFOLLOW);
  });
}

}  // namespace

void path_calls(std::vector<CallDef>& out) {
  out.insert(out.end(), {
      {"path_open", {I32, I32, I32, I32, I32, I64, I64, I32, I32}, path_open},
      {"path_create_directory", {I32, I32, I32}, path_create_directory},
      {"path_remove_directory", {I32, I32, I32}, path_remove_directory},
      {"path_unlink_file", {I32, I32, I32}, path_unlink_file},
      {"path_rename", {I32, I32, I32, I32, I32, I32}, path_rename},
      {"path_link", {I32, I32, I32, I32, I32, I32, I32}, path_link},
      {"path_symlink", {I32, I32, I32, I32, I32}, path_symlink},
      {"path_readlink", {I32, I32, I32, I32, I32, I32}, path_readlink},
      {"path_filestat_get", {I32, I32, I32, I32, I32}, path_filestat_get},
      {"path_filestat_set_times", {I32, I32, I32, I32, I64, I64, I32}, path_filestat_set_times},
  });
}

}  // namespace whirl::wasi
