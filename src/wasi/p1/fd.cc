// fd_* calls: reads and writes through iovecs, seeking, stat, directories.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/p1/ctx.h"
#include "wasi/p1/fs_ops.h"

namespace whirl::wasi {
namespace {

using wasm::ValType;
constexpr ValType I32 = ValType::I32, I64 = ValType::I64;

uint32_t u32(const wasm::Value& v) { return v.as_u32(); }

// Gathers guest iovecs into host iovecs; false on a bad pointer.
bool iovecs(Mem& mem, uint32_t ptr, uint32_t count, std::vector<struct iovec>* out) {
  if (count > 1024) return false;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t buf, len;
    if (!mem.read(ptr + 8 * i, &buf) || !mem.read(ptr + 8 * i + 4, &len) || !mem.ok(buf, len)) return false;
    out->push_back({mem.at(buf), len});
  }
  return true;
}

// A host output stream: writable only, not seekable.
uint16_t sink_write(const WasiConfig::OutputSink& sink, const std::vector<struct iovec>& iov, Mem& mem,
                    uint32_t out_ptr, bool write, bool positioned) {
  if (!write) return kBadf;
  if (positioned) return kSpipe;
  uint64_t n = 0;
  for (const auto& v : iov) {
    if (!sink(std::string_view(static_cast<const char*>(v.iov_base), v.iov_len))) return kPipe;
    n += v.iov_len;
  }
  mem.write<uint32_t>(out_ptr, uint32_t(n));
  return kSuccess;
}

uint16_t rw(WasiCtx& ctx, Mem& mem, const wasm::Value* a, bool write, bool positioned) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (f->is_dir) return kIsdir;
  std::vector<struct iovec> iov;
  if (!iovecs(mem, u32(a[1]), u32(a[2]), &iov)) return kFault;
  uint32_t out_ptr = positioned ? u32(a[4]) : u32(a[3]);
  if (!mem.ok(out_ptr, 4)) return kFault;
  if (f->sink) return sink_write(*f->sink, iov, mem, out_ptr, write, positioned);
  if (f->may_block && ctx.store && !fsops::wait_ready(*ctx.store, f->host, write)) return kIo;  // the call then traps
  ssize_t n;
  if (positioned) {
    off_t off = off_t(a[3].as_u64());
    n = write ? pwritev(f->host, iov.data(), int(iov.size()), off) : preadv(f->host, iov.data(), int(iov.size()), off);
  } else {
    n = write ? writev(f->host, iov.data(), int(iov.size())) : readv(f->host, iov.data(), int(iov.size()));
  }
  if (n < 0) return errno_from_host(errno);
  mem.write<uint32_t>(out_ptr, uint32_t(n));
  return kSuccess;
}

uint16_t fd_write(WasiCtx& c, Mem& m, const wasm::Value* a) { return rw(c, m, a, true, false); }
uint16_t fd_read(WasiCtx& c, Mem& m, const wasm::Value* a) { return rw(c, m, a, false, false); }
uint16_t fd_pwrite(WasiCtx& c, Mem& m, const wasm::Value* a) { return rw(c, m, a, true, true); }
uint16_t fd_pread(WasiCtx& c, Mem& m, const wasm::Value* a) { return rw(c, m, a, false, true); }

uint16_t fd_close(WasiCtx& ctx, Mem&, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (f->own && !f->sink) close(f->host);
  *f = Fd{};
  return kSuccess;
}

uint16_t fd_seek(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (f->sink) return kSpipe;
  if (f->is_dir) return kBadf;
  int whence = u32(a[2]) == 0 ? SEEK_SET : u32(a[2]) == 1 ? SEEK_CUR : u32(a[2]) == 2 ? SEEK_END : -1;
  if (whence < 0) return kInval;
  if (!mem.ok(u32(a[3]), 8)) return kFault;
  off_t r = lseek(f->host, off_t(a[1].as_u64()), whence);
  if (r < 0) return errno_from_host(errno);
  mem.write<uint64_t>(u32(a[3]), uint64_t(r));
  return kSuccess;
}

uint16_t fd_tell(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (f->sink) return kSpipe;
  off_t r = lseek(f->host, 0, SEEK_CUR);
  if (r < 0) return errno_from_host(errno);
  return mem.write<uint64_t>(u32(a[1]), uint64_t(r)) ? kSuccess : kFault;
}

uint16_t fd_sync(WasiCtx& ctx, Mem&, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (f->sink) return kSuccess;  // nothing is held back
  return fsync(f->host) == 0 ? kSuccess : errno_from_host(errno);
}

uint16_t fd_datasync(WasiCtx& ctx, Mem&, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (f->sink) return kSuccess;
  return fdatasync(f->host) == 0 ? kSuccess : errno_from_host(errno);
}

uint16_t fd_fdstat_get(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  uint32_t p = u32(a[1]);
  if (!mem.ok(p, 24)) return kFault;
  struct stat st {};
  if (f->sink) st.st_mode = S_IFIFO;  // reported as "unknown", as pipes are
  else if (fstat(f->host, &st) != 0) return errno_from_host(errno);
  int fl = f->sink ? 0 : fcntl(f->host, F_GETFL);
  uint16_t flags = 0;
  if (fl >= 0 && (fl & O_APPEND)) flags |= 1;
  if (fl >= 0 && (fl & O_NONBLOCK)) flags |= 4;
  std::memset(mem.at(p), 0, 24);
  mem.write<uint8_t>(p, filetype_of(st.st_mode));
  mem.write<uint16_t>(p + 2, flags);
  // All rights: access is governed by the sandbox, not by rights bits.
  mem.write<uint64_t>(p + 8, ~uint64_t(0) >> 35);
  mem.write<uint64_t>(p + 16, ~uint64_t(0) >> 35);
  return kSuccess;
}

uint16_t fd_fdstat_set_flags(WasiCtx& ctx, Mem&, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (f->sink) return kSuccess;  // no flags apply to a stream
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0) return errno_from_host(errno);
  uint32_t w = u32(a[1]);
  fl = (fl & ~(O_APPEND | O_NONBLOCK)) | ((w & 1) ? O_APPEND : 0) | ((w & 4) ? O_NONBLOCK : 0);
  return fcntl(f->host, F_SETFL, fl) == 0 ? kSuccess : errno_from_host(errno);
}

uint16_t fd_filestat_get(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  struct stat st {};
  if (f->sink) st.st_mode = S_IFIFO;
  else if (fstat(f->host, &st) != 0) return errno_from_host(errno);
  return write_filestat(mem, u32(a[1]), st) ? kSuccess : kFault;
}

uint16_t fd_filestat_set_size(WasiCtx& ctx, Mem&, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (f->sink) return kInval;
  if (uint16_t e = check_writable(f)) return e;
  return ftruncate(f->host, off_t(a[1].as_u64())) == 0 ? kSuccess : errno_from_host(errno);
}

uint16_t fd_filestat_set_times(WasiCtx& ctx, Mem&, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (f->sink) return kInval;
  if (uint16_t e = check_writable(f)) return e;
  uint32_t fl = u32(a[3]);
  struct timespec ts[2] = {to_timespec(a[1].as_u64(), fl & 1, fl & 2), to_timespec(a[2].as_u64(), fl & 4, fl & 8)};
  return futimens(f->host, ts) == 0 ? kSuccess : errno_from_host(errno);
}

uint8_t dirent_type(unsigned char t) {
  switch (t) {
    case DT_DIR: return kDirectory;
    case DT_REG: return kRegularFile;
    case DT_LNK: return kSymlink;
    case DT_CHR: return kCharDevice;
    case DT_SOCK: return kSocketStream;
    default: return kUnknown;
  }
}

uint16_t fd_readdir(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (!f->is_dir) return kNotdir;
  uint32_t buf = u32(a[1]), len = u32(a[2]), used_ptr = u32(a[4]);
  uint64_t cookie = a[3].as_u64();
  if (!mem.ok(buf, len) || !mem.ok(used_ptr, 4)) return kFault;
  uint32_t used = 0;
  uint64_t index = 0;
  int r = fsops::for_each_entry(f->host, [&](const struct dirent& e) {
    if (index++ < cookie) return true;
    uint32_t namelen = uint32_t(strlen(e.d_name));
    uint8_t head[24] = {};
    uint64_t next = index, ino = e.d_ino;
    std::memcpy(head, &next, 8);
    std::memcpy(head + 8, &ino, 8);
    std::memcpy(head + 16, &namelen, 4);
    head[20] = dirent_type(e.d_type);
    // Entries that do not fit are truncated; the guest retries with a larger buffer.
    uint32_t n = std::min<uint32_t>(24, len - used);
    std::memcpy(mem.at(buf + used), head, n);
    used += n;
    n = std::min<uint32_t>(namelen, len - used);
    std::memcpy(mem.at(buf + used), e.d_name, n);
    used += n;
    return used < len;
  });
  if (r) return errno_from_host(r);
  mem.write<uint32_t>(used_ptr, used);
  return kSuccess;
}

uint16_t fd_renumber(WasiCtx& ctx, Mem&, const wasm::Value* a) {
  Fd* from = ctx.get(u32(a[0]));
  Fd* to = ctx.get(u32(a[1]));
  if (!from || !to) return kBadf;
  if (from == to) return kSuccess;
  if (to->own && !to->sink) close(to->host);
  *to = *from;
  *from = Fd{};
  return kSuccess;
}

uint16_t fd_prestat_get(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f || !f->preopen) return kBadf;
  if (!mem.ok(u32(a[1]), 8)) return kFault;
  mem.write<uint32_t>(u32(a[1]), 0);  // tag: directory
  mem.write<uint32_t>(u32(a[1]) + 4, uint32_t(f->guest_path.size()));
  return kSuccess;
}

uint16_t fd_prestat_dir_name(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f || !f->preopen) return kBadf;
  uint32_t p = u32(a[1]), len = u32(a[2]);
  if (len < f->guest_path.size()) return kNametoolong;
  if (!mem.ok(p, f->guest_path.size())) return kFault;
  std::memcpy(mem.at(p), f->guest_path.data(), f->guest_path.size());
  return kSuccess;
}

uint16_t fd_advise(WasiCtx& ctx, Mem&, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (u32(a[3]) > 5) return kInval;
  return kSuccess;  // advisory only
}

uint16_t fd_allocate(WasiCtx& ctx, Mem&, const wasm::Value* a) {
  Fd* f = ctx.get(u32(a[0]));
  if (!f) return kBadf;
  if (f->sink) return kSpipe;
  if (uint16_t e = check_writable(f)) return e;
  int r = posix_fallocate(f->host, off_t(a[1].as_u64()), off_t(a[2].as_u64()));
  return r == 0 ? kSuccess : errno_from_host(r);
}

}  // namespace

void fd_calls(std::vector<CallDef>& out) {
  out.insert(out.end(), {
      {"fd_write", {I32, I32, I32, I32}, fd_write},
      {"fd_read", {I32, I32, I32, I32}, fd_read},
      {"fd_pwrite", {I32, I32, I32, I64, I32}, fd_pwrite},
      {"fd_pread", {I32, I32, I32, I64, I32}, fd_pread},
      {"fd_close", {I32}, fd_close},
      {"fd_seek", {I32, I64, I32, I32}, fd_seek},
      {"fd_tell", {I32, I32}, fd_tell},
      {"fd_sync", {I32}, fd_sync},
      {"fd_datasync", {I32}, fd_datasync},
      {"fd_fdstat_get", {I32, I32}, fd_fdstat_get},
      {"fd_fdstat_set_flags", {I32, I32}, fd_fdstat_set_flags},
      {"fd_fdstat_set_rights", {I32, I64, I64}, [](WasiCtx& c, Mem&, const wasm::Value* a) -> uint16_t {
         return c.get(a[0].as_u32()) ? kSuccess : kBadf;
       }},
      {"fd_filestat_get", {I32, I32}, fd_filestat_get},
      {"fd_filestat_set_size", {I32, I64}, fd_filestat_set_size},
      {"fd_filestat_set_times", {I32, I64, I64, I32}, fd_filestat_set_times},
      {"fd_readdir", {I32, I32, I32, I64, I32}, fd_readdir},
      {"fd_renumber", {I32, I32}, fd_renumber},
      {"fd_prestat_get", {I32, I32}, fd_prestat_get},
      {"fd_prestat_dir_name", {I32, I32, I32}, fd_prestat_dir_name},
      {"fd_advise", {I32, I64, I64, I32}, fd_advise},
      {"fd_allocate", {I32, I64, I64}, fd_allocate},
  });
}

}  // namespace whirl::wasi
