// wasi:filesystem — types (descriptor, directory-entry-stream,
// filesystem-error-code) and preopens, over preview1's sandbox (fs_ops.h).
// Errors follow wasmtime: a path leaving its directory and any change
// beneath a read-only preopen are `not-permitted`; a file-only call on a
// directory is `bad-descriptor`, a directory call on a file
// `not-directory`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/p1/fs_ops.h"
#include "wasi/p2/ctx.h"

namespace whirl::wasi::p2 {
namespace {

constexpr const char* kTypes = "wasi:filesystem/types";
constexpr const char* kPreopens = "wasi:filesystem/preopens";
constexpr size_t kMaxRead = 64 * 1024;  // descriptor.read returns at most this (it may return less)

const char* type_label(mode_t m) {
  if (S_ISREG(m)) return "regular-file";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "symbolic-link";
  if (S_ISCHR(m)) return "character-device";
  if (S_ISBLK(m)) return "block-device";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  return "unknown";
}

const char* dirent_label(unsigned char t) {
  switch (t) {
    case DT_REG: return "regular-file";
    case DT_DIR: return "directory";
    case DT_LNK: return "symbolic-link";
    case DT_CHR: return "character-device";
    case DT_BLK: return "block-device";
    case DT_FIFO: return "fifo";
    case DT_SOCK: return "socket";
    default: return nullptr;
  }
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = s[i + k];
      if ((d >> 6) != 2) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

std::optional<Value> timestamp(const struct timespec& t) {
  if (t.tv_sec < 0) return std::nullopt;
  return datetime(t.tv_sec, uint32_t(t.tv_nsec));
}
Value opt(std::optional<Value> v) { return v ? Value::some(std::move(*v)) : Value::none(); }

Value stat_value(const struct stat& st) {
  return Value::record({{"type", Value::enumeration(type_label(st.st_mode))},
                        {"link-count", u64(st.st_nlink)},
                        {"size", u64(uint64_t(st.st_size))},
                        {"data-access-timestamp", opt(timestamp(st.st_atim))},
                        {"data-modification-timestamp", opt(timestamp(st.st_mtim))},
                        {"status-change-timestamp", opt(timestamp(st.st_ctim))}});
}

uint64_t mix(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Same object and unchanged: the same hash; modified or replaced: another.
Value hash_value(const struct stat& st) {
  uint64_t h = mix(st.st_dev);
  for (uint64_t f : {uint64_t(st.st_ino), uint64_t(st.st_size), uint64_t(st.st_mtim.tv_sec),
                     uint64_t(st.st_mtim.tv_nsec), uint64_t(st.st_ctim.tv_sec), uint64_t(st.st_ctim.tv_nsec)})
    h = mix(h ^ f);
  return Value::record({{"lower", u64(h)}, {"upper", u64(mix(h ^ 0x9e3779b97f4a7c15ull))}});
}

// new-timestamp as a utimensat time.
struct timespec new_timestamp(const Value& v) {
  if (v.label == "now") return {0, UTIME_NOW};
  if (v.label == "timestamp" && v.payload()) {
    const Value& dt = *v.payload();
    return {time_t(dt.items[0].u), long(dt.items[1].u)};
  }
  return {0, UTIME_OMIT};
}

// The descriptor of a call (trap if unknown); `*err` for a file-only call on a directory etc.
struct Get {
  Descriptor* d = nullptr;
  const char* err = nullptr;
};
enum class Need { Any, File, Dir };
Get get(WasiP2& w, const Value& self, Need need) {
  Get g;
  g.d = w.descriptors.get(rep(self));
  if (!g.d) return g;
  if (need == Need::File && g.d->is_dir) g.err = "bad-descriptor";
  if (need == Need::Dir && !g.d->is_dir) g.err = "not-directory";
  return g;
}
#define GET(var, self, need)                                 \
  Get var##_g = get(w, self, need);                          \
  if (!var##_g.d) return trap("unknown descriptor");         \
  if (var##_g.err) return ret(fs_error(var##_g.err));        \
  Descriptor& var = *var##_g.d;

// A guest path: no NUL (the host would cut it there).
bool bad_path(const Value& v) { return v.str.find('\0') != std::string::npos; }
#define PATH(v) \
  if (bad_path(v)) return ret(fs_error("invalid"));

HostResult result_of(int err) { return ret(err ? fs_error(err) : Value::ok()); }

HostResult open_at(WasiP2& w, HostCall&, std::span<Value> a) {
  GET(d, a[0], Need::Dir);
  PATH(a[2]);
  const Value &oflags = a[3], &flags = a[4];
  bool follow = has_flag(a[1], "symlink-follow");
  bool create = has_flag(oflags, "create"), directory = has_flag(oflags, "directory");
  bool exclusive = has_flag(oflags, "exclusive"), truncate = has_flag(oflags, "truncate");
  if (directory && (create || exclusive || truncate)) return ret(fs_error("invalid"));
  bool write = has_flag(flags, "write") || create || truncate;
  bool read = has_flag(flags, "read") || !write;
  if (d.read_only && write) return ret(fs_error("not-permitted"));
  int f = write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (create) f |= O_CREAT;
  if (exclusive) f |= O_EXCL;
  if (truncate) f |= O_TRUNC;
  if (directory) f |= O_DIRECTORY;
  if (has_flag(flags, "file-integrity-sync") || has_flag(flags, "requested-write-sync")) f |= O_SYNC;
  if (has_flag(flags, "data-integrity-sync")) f |= O_DSYNC;
  // Host descriptors are shared by every guest of the process (see WasiConfig::max_open_files).
  if (w.open_files() >= w.config().max_open_files) return ret(fs_error(EMFILE));
  int fd;
  if (int e = fsops::open_at(d.fd->fd, a[2].str, f, 0666, follow, &fd)) return ret(fs_error(e));
  struct stat st;
  fstat(fd, &st);
  Descriptor nd{std::make_shared<HostFd>(fd, true), S_ISDIR(st.st_mode), d.read_only, read, write};
  return ret(Value::ok(Value::own(w.descriptors.add(std::move(nd)))));
}

HostResult read_directory(WasiP2& w, HostCall&, std::span<Value> a) {
  GET(d, a[0], Need::Dir);
  DirStream s;
  int e = fsops::for_each_entry(d.fd->fd, [&](const struct dirent& ent) {
    std::string_view name = ent.d_name;
    if (name == "." || name == "..") return true;
    if (!valid_utf8(name)) {
      s.error = "illegal-byte-sequence";
      return false;
    }
    const char* type = dirent_label(ent.d_type);
    struct stat st;
    if (!type) type = fstatat(d.fd->fd, ent.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? type_label(st.st_mode) : "unknown";
    s.entries.push_back({type, std::string(name)});
    return true;
  });
  if (e) return ret(fs_error(e));
  return ret(Value::ok(Value::own(w.dir_streams.add(std::move(s)))));
}

HostResult read_directory_entry(WasiP2& w, HostCall&, std::span<Value> a) {
  DirStream* s = w.dir_streams.get(rep(a[0]));
  if (!s) return trap("unknown directory-entry-stream");
  if (s->next < s->entries.size()) {
    const DirEntry& e = s->entries[s->next++];
    return ret(Value::ok(Value::some(
        Value::record({{"type", Value::enumeration(e.type)}, {"name", Value::string(e.name)}}))));
  }
  if (!s->error.empty()) {
    std::string e = std::move(s->error);
    s->error.clear();
    return ret(fs_error(e.c_str()));
  }
  return ret(Value::ok(Value::none()));
}

HostResult get_flags(WasiP2& w, HostCall&, std::span<Value> a) {
  GET(d, a[0], Need::Any);
  int fl = fcntl(d.fd->fd, F_GETFL);
  if (fl < 0) return ret(fs_error(errno));
  std::vector<std::string> set;
  if (d.readable) set.push_back("read");
  if (d.is_dir && !d.read_only) set.push_back("mutate-directory");
  if (!d.is_dir && d.writable) set.push_back("write");
  if ((fl & O_SYNC) == O_SYNC) set.push_back("file-integrity-sync");
  else if (fl & O_DSYNC) set.push_back("data-integrity-sync");
  return ret(Value::ok(Value::flags(std::move(set))));
}

HostResult stream(WasiP2& w, std::span<Value> a, OutputStream::Kind kind) {
  GET(d, a[0], Need::File);
  if (d.read_only) return ret(fs_error("not-permitted"));
  OutputStream s;
  s.kind = kind;
  s.fd = d.fd;
  if (kind == OutputStream::Kind::File) s.offset = a[1].u;
  return ret(Value::ok(Value::own(w.outputs.add(std::move(s)))));
}

void add_descriptor(Linker& l) {
  auto m = [&l](const char* name, auto fn) { def(l, kTypes, std::string("[method]descriptor.") + name, fn); };
  m("read-via-stream", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    Descriptor* d = w.descriptors.get(rep(a[0]));
    if (!d) return trap("unknown descriptor");
    if (d->is_dir) return ret(fs_error("is-directory"));
    InputStream s;
    s.kind = InputStream::Kind::File;
    s.fd = d->fd;
    s.offset = a[1].u;
    return ret(Value::ok(Value::own(w.inputs.add(std::move(s)))));
  });
  m("write-via-stream", [](WasiP2& w, HostCall&, std::span<Value> a) { return stream(w, a, OutputStream::Kind::File); });
  m("append-via-stream", [](WasiP2& w, HostCall&, std::span<Value> a) { return stream(w, a, OutputStream::Kind::Append); });
  m("advise", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::File);
    const std::string& adv = a[3].label;
    int advice = adv == "sequential" ? POSIX_FADV_SEQUENTIAL : adv == "random" ? POSIX_FADV_RANDOM
               : adv == "will-need" ? POSIX_FADV_WILLNEED : adv == "dont-need" ? POSIX_FADV_DONTNEED
               : adv == "no-reuse" ? POSIX_FADV_NOREUSE : POSIX_FADV_NORMAL;
    return result_of(posix_fadvise(d.fd->fd, off_t(a[1].u), off_t(a[2].u), advice));
  });
  m("sync-data", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Any);
    return result_of(fdatasync(d.fd->fd) == 0 ? 0 : errno);
  });
  m("sync", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Any);
    return result_of(fsync(d.fd->fd) == 0 ? 0 : errno);
  });
  m("get-flags", get_flags);
  m("get-type", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Any);
    struct stat st;
    if (fstat(d.fd->fd, &st) != 0) return ret(fs_error(errno));
    return ret(Value::ok(Value::enumeration(type_label(st.st_mode))));
  });
  m("set-size", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::File);
    if (d.read_only) return ret(fs_error("not-permitted"));
    return result_of(ftruncate(d.fd->fd, off_t(a[1].u)) == 0 ? 0 : errno);
  });
  m("set-times", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Any);
    if (d.read_only) return ret(fs_error("not-permitted"));
    struct timespec ts[2] = {new_timestamp(a[1]), new_timestamp(a[2])};
    return result_of(futimens(d.fd->fd, ts) == 0 ? 0 : errno);
  });
  m("read", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::File);
    std::string buf(std::min<uint64_t>(a[1].u, kMaxRead), '\0');
    ssize_t n = 0;
    if (!buf.empty()) {
      do n = pread(d.fd->fd, buf.data(), buf.size(), off_t(a[2].u));
      while (n < 0 && errno == EINTR);
    }
    if (n < 0) return ret(fs_error(errno));
    return ret(Value::ok(Value::tuple({bytes(buf.data(), size_t(n)), Value::boolean(n == 0 && !buf.empty())})));
  });
  m("write", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::File);
    if (d.read_only) return ret(fs_error("not-permitted"));
    std::string data = bytes_of(a[1]);
    ssize_t n;
    do n = pwrite(d.fd->fd, data.data(), data.size(), off_t(a[2].u));
    while (n < 0 && errno == EINTR);
    if (n < 0) return ret(fs_error(errno));
    return ret(Value::ok(u64(uint64_t(n))));
  });
  m("read-directory", read_directory);
  m("create-directory-at", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Dir);
    PATH(a[1]);
    if (d.read_only) return ret(fs_error("not-permitted"));
    return result_of(fsops::mkdir_at(d.fd->fd, a[1].str));
  });
  m("stat", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Any);
    struct stat st;
    if (fstat(d.fd->fd, &st) != 0) return ret(fs_error(errno));
    return ret(Value::ok(stat_value(st)));
  });
  m("stat-at", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Dir);
    PATH(a[2]);
    struct stat st;
    if (int e = fsops::stat_at(d.fd->fd, a[2].str, has_flag(a[1], "symlink-follow"), &st)) return ret(fs_error(e));
    return ret(Value::ok(stat_value(st)));
  });
  m("set-times-at", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Dir);
    PATH(a[2]);
    if (d.read_only) return ret(fs_error("not-permitted"));
    struct timespec ts[2] = {new_timestamp(a[3]), new_timestamp(a[4])};
    return result_of(fsops::utimens_at(d.fd->fd, a[2].str, has_flag(a[1], "symlink-follow"), ts));
  });
  m("link-at", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(from, a[0], Need::Dir);
    GET(to, a[3], Need::Dir);
    PATH(a[2]);
    PATH(a[4]);
    if (from.read_only || to.read_only) return ret(fs_error("not-permitted"));
    if (has_flag(a[1], "symlink-follow")) return ret(fs_error("invalid"));  // linkat(2) without AT_SYMLINK_FOLLOW, as wasmtime
    return result_of(fsops::link_at(from.fd->fd, a[2].str, to.fd->fd, a[4].str));
  });
  m("open-at", open_at);
  m("readlink-at", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Dir);
    PATH(a[1]);
    std::string target;
    if (int e = fsops::readlink_at(d.fd->fd, a[1].str, &target)) return ret(fs_error(e));
    if (!valid_utf8(target)) return ret(fs_error("illegal-byte-sequence"));
    return ret(Value::ok(Value::string(std::move(target))));
  });
  m("remove-directory-at", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Dir);
    PATH(a[1]);
    if (d.read_only) return ret(fs_error("not-permitted"));
    return result_of(fsops::rmdir_at(d.fd->fd, a[1].str));
  });
  m("rename-at", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(from, a[0], Need::Dir);
    GET(to, a[2], Need::Dir);
    PATH(a[1]);
    PATH(a[3]);
    if (from.read_only || to.read_only) return ret(fs_error("not-permitted"));
    return result_of(fsops::rename_at(from.fd->fd, a[1].str, to.fd->fd, a[3].str));
  });
  m("symlink-at", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Dir);
    PATH(a[1]);
    PATH(a[2]);
    if (d.read_only) return ret(fs_error("not-permitted"));
    return result_of(fsops::symlink_at(a[1].str, d.fd->fd, a[2].str));
  });
  m("unlink-file-at", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Dir);
    PATH(a[1]);
    if (d.read_only) return ret(fs_error("not-permitted"));
    return result_of(fsops::unlink_at(d.fd->fd, a[1].str));
  });
  m("is-same-object", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    Descriptor *x = w.descriptors.get(rep(a[0])), *y = w.descriptors.get(rep(a[1]));
    if (!x || !y) return trap("unknown descriptor");
    struct stat s1, s2;
    if (fstat(x->fd->fd, &s1) != 0 || fstat(y->fd->fd, &s2) != 0) return ret(Value::boolean(false));
    return ret(Value::boolean(s1.st_dev == s2.st_dev && s1.st_ino == s2.st_ino));
  });
  m("metadata-hash", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Any);
    struct stat st;
    if (fstat(d.fd->fd, &st) != 0) return ret(fs_error(errno));
    return ret(Value::ok(hash_value(st)));
  });
  m("metadata-hash-at", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    GET(d, a[0], Need::Dir);
    PATH(a[2]);
    struct stat st;
    if (int e = fsops::stat_at(d.fd->fd, a[2].str, has_flag(a[1], "symlink-follow"), &st)) return ret(fs_error(e));
    return ret(Value::ok(hash_value(st)));
  });
}

}  // namespace

void add_filesystem(Linker& l) {
  def_resource(l, kTypes, "descriptor", &WasiP2::descriptors);
  def_resource(l, kTypes, "directory-entry-stream", &WasiP2::dir_streams);
  add_descriptor(l);
  def(l, kTypes, "[method]directory-entry-stream.read-directory-entry", read_directory_entry);
  def(l, kTypes, "filesystem-error-code", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    IoError* e = w.errors.get(rep(a[0]));
    if (!e) return trap("unknown error");
    if (!e->host_errno) return ret(Value::none());
    return ret(Value::some(Value::enumeration(fs_code(e->host_errno))));
  });

  // Each call gives new descriptors of the same host directories: the
  // guest may drop them independently; the host descriptor stays with the
  // context.
  def(l, kPreopens, "get-directories", [](WasiP2& w, HostCall&, std::span<Value>) -> HostResult {
    std::vector<Value> out;
    for (const Fd& f : w.base->fds) {
      if (!f.open || !f.preopen) continue;
      Descriptor d{std::make_shared<HostFd>(f.host, false), true, f.read_only, true, false};
      out.push_back(Value::tuple({Value::own(w.descriptors.add(std::move(d))), Value::string(f.guest_path)}));
    }
    return ret(Value::list(std::move(out)));
  });
}

}  // namespace whirl::wasi::p2
