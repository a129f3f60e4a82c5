// path_* calls: every path is resolved beneath its directory descriptor
// (fs_ops.h), so nothing outside the preopens is reachable.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "wasi/p1/ctx.h"
#include "wasi/p1/fs_ops.h"

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

// An fsops result as a WASI errno: escapes are ENOTCAPABLE.
uint16_t errno_of(int r) {
  if (r == 0) return kSuccess;
  return r == fsops::kEscape ? uint16_t(kNotcapable) : errno_from_host(r);
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
  int fd;
  if (int e = fsops::open_at(dir->host, path, flags, 0666, follow, &fd)) return errno_of(e);
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

// The calls on one path that change something beneath the directory.
template <int (*Op)(int, const std::string&)>
uint16_t change_at(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[1], a[2], &dir, &path)) return e;
  if (uint16_t e = check_writable(dir)) return e;
  return errno_of(Op(dir->host, path));
}

uint16_t two_paths(WasiCtx& ctx, Mem& mem, const wasm::Value* a1, const wasm::Value* a2, bool is_link) {
  Fd *d1, *d2;
  std::string p1, p2;
  if (uint16_t e = dir_and_path(ctx, mem, a1[0], a1[1], a1[2], &d1, &p1)) return e;
  if (uint16_t e = dir_and_path(ctx, mem, a2[0], a2[1], a2[2], &d2, &p2)) return e;
  if (uint16_t e = check_writable(d2)) return e;
  if (!is_link)
    if (uint16_t e = check_writable(d1)) return e;
  return errno_of(is_link ? fsops::link_at(d1->host, p1, d2->host, p2) : fsops::rename_at(d1->host, p1, d2->host, p2));
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
  // (old_path, old_len, fd, new_path, new_len)
  std::string target;
  if (!mem.string(u32(a[0]), u32(a[1]), &target)) return kFault;
  if (!target.empty() && target[0] == '/') return kNotcapable;
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[2], a[3], a[4], &dir, &path)) return e;
  if (uint16_t e = check_writable(dir)) return e;
  return errno_of(fsops::symlink_at(target, dir->host, path));
}

uint16_t path_readlink(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[1], a[2], &dir, &path)) return e;
  uint32_t buf = u32(a[3]), len = u32(a[4]), used = u32(a[5]);
  if (!mem.ok(buf, len) || !mem.ok(used, 4)) return kFault;
  std::string target;
  if (int e = fsops::readlink_at(dir->host, path, &target)) return errno_of(e);
  uint32_t n = uint32_t(std::min<size_t>(target.size(), len));  // truncated, as readlink(2) does
  std::memcpy(mem.at(buf), target.data(), n);
  mem.write<uint32_t>(used, n);
  return kSuccess;
}

uint16_t path_filestat_get(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[2], a[3], &dir, &path)) return e;
  struct stat st;
  if (int e = fsops::stat_at(dir->host, path, u32(a[1]) & 1, &st)) return errno_of(e);
  return write_filestat(mem, u32(a[4]), st) ? kSuccess : kFault;
}

uint16_t path_filestat_set_times(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* dir;
  std::string path;
  if (uint16_t e = dir_and_path(ctx, mem, a[0], a[2], a[3], &dir, &path)) return e;
  if (uint16_t e = check_writable(dir)) return e;
  uint32_t fl = u32(a[6]);
  struct timespec times[2] = {to_timespec(a[4].as_u64(), fl & 1, fl & 2), to_timespec(a[5].as_u64(), fl & 4, fl & 8)};
  return errno_of(fsops::utimens_at(dir->host, path, u32(a[1]) & 1, times));
}

}  // namespace

void path_calls(std::vector<CallDef>& out) {
  out.insert(out.end(), {
      {"path_open", {I32, I32, I32, I32, I32, I64, I64, I32, I32}, path_open},
      {"path_create_directory", {I32, I32, I32}, change_at<fsops::mkdir_at>},
      {"path_remove_directory", {I32, I32, I32}, change_at<fsops::rmdir_at>},
      {"path_unlink_file", {I32, I32, I32}, change_at<fsops::unlink_at>},
      {"path_rename", {I32, I32, I32, I32, I32, I32}, path_rename},
      {"path_link", {I32, I32, I32, I32, I32, I32, I32}, path_link},
      {"path_symlink", {I32, I32, I32, I32, I32}, path_symlink},
      {"path_readlink", {I32, I32, I32, I32, I32, I32}, path_readlink},
      {"path_filestat_get", {I32, I32, I32, I32, I32}, path_filestat_get},
      {"path_filestat_set_times", {I32, I32, I32, I32, I64, I64, I32}, path_filestat_set_times},
  });
}

}  // namespace whirl::wasi
