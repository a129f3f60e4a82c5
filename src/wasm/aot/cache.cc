#include "wasm/aot/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "platform/file.h"
#include "wasm/aot/artifact.h"
#include "wasm/aot/codegen.h"

namespace whirl::wasm::aot {
namespace {
std::atomic<bool> g_cache{false};
std::atomic<uint64_t> g_tmp_counter{0};
std::mutex g_trim_mu;  // one trim at a time in this process

// The directories above `path` (mkdir -p; failures show at the open).
void make_parent_dirs(const std::string& path) {
  for (size_t i = 1; i < path.size(); ++i)
    if (path[i] == '/') ::mkdir(path.substr(0, i).c_str(), 0755);
}
}  // namespace

void enable_cache(bool on) { g_cache.store(on); }
bool cache_enabled() { return g_cache.load(); }

std::string cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/whirl/aot";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.cache/whirl/aot";
  return {};
}

std::string cache_path(const platform::Digest& module_digest) {
  std::string dir = cache_dir();
  if (dir.empty()) return {};
  char env[24];
  std::snprintf(env, sizeof env, "-%016llx.cwasm", (unsigned long long)env_key());
  return dir + "/" + module_digest.hex() + env;
}

uint64_t cache_budget() {
  const char* v = std::getenv("WHIRL_AOT_CACHE_BYTES");
  if (!v || !*v) return uint64_t(1) << 30;
  char* end = nullptr;
  uint64_t n = std::strtoull(v, &end, 10);
  switch (end && *end ? *end : 0) {
    case 'k': case 'K': n <<= 10; break;
    case 'm': case 'M': n <<= 20; break;
    case 'g': case 'G': n <<= 30; break;
    default: break;
  }
  return n;
}

size_t trim_cache(const std::string& dir, uint64_t budget) {
  namespace fs = std::filesystem;
  std::lock_guard lock(g_trim_mu);
  struct Entry {
    fs::path path;
    fs::file_time_type used;
    uint64_t size;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::error_code e2;
    if (!it->is_regular_file(e2)) continue;
    auto used = it->last_write_time(e2);
    if (e2) continue;
    const std::string name = p.filename().string();
    // A temporary file a crashed writer left (a live one is seconds old).
    if (name.find(".cwasm.tmp.") != std::string::npos) {
      if (now - used > std::chrono::hours(1)) fs::remove(p, e2);
      continue;
    }
    // A lock file of an entry no longer compiling (a compile holds it
    // seconds to minutes).
    if (p.extension() == ".lock") {
      if (now - used > std::chrono::hours(1)) fs::remove(p, e2);
      continue;
    }
    if (p.extension() != ".cwasm") continue;
    uint64_t size = it->file_size(e2);
    if (e2) continue;
    entries.push_back({p, used, size});
    total += size;
  }
  if (total <= budget) return 0;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  size_t removed = 0;
  for (const Entry& e : entries) {
    if (total <= budget) break;
    std::error_code e2;
    if (fs::remove(e.path, e2)) ++removed;
    total -= e.size;  // gone, or not ours to remove: not counted again
  }
  return removed;
}

Expected<void> write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  make_parent_dirs(path);
  // Unique per writer, threads of one process included.
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(g_tmp_counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error("cannot write " + tmp + ": " + std::strerror(e));
    }
    done += size_t(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return make_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(e));
  }
  return {};
}

namespace {
// An exclusive lock on an entry's "<path>.lock" (flock: released if the
// holder dies), held while its module compiles; none when the directory
// cannot have one (the compile goes ahead unlocked).
class EntryLock {
 public:
  explicit EntryLock(const std::string& path) {
    if (path.empty()) return;
    const std::string lock = path + ".lock";
    make_parent_dirs(lock);
    fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return;
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    waited_ = true;
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~EntryLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  EntryLock(const EntryLock&) = delete;
  EntryLock& operator=(const EntryLock&) = delete;
  // Whether another holder had it: the entry may be there now.
  bool waited() const { return waited_; }

 private:
  int fd_ = -1;
  bool waited_ = false;
};

// The entry at `path` for a module of digest `md`, when valid.
std::optional<NativeCode> lookup(const platform::Digest& md, const std::string& path) {
  if (path.empty()) return std::nullopt;
  auto file = platform::map_file(path);
  if (!file) return std::nullopt;
  auto a = parse_artifact(file->bytes);
  if (!a || a->module_digest != md) return std::nullopt;  // stale or damaged: compiled again, and replaced
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);       // used now, for eviction
  return NativeCode{file->owner, a->object, true};
}
}  // namespace

std::optional<NativeCode> cached_code(std::span<const uint8_t> source, const platform::Digest* digest) {
  if (!cache_enabled() || source.empty()) return std::nullopt;
  const platform::Digest md = digest ? *digest : platform::digest(source);
  return lookup(md, cache_path(md));
}

Expected<NativeCode> native_code(const Module& m, std::span<const uint8_t> source, bool read_cache,
                                 const CompileProgress& progress, const platform::Digest* digest) {
  const bool cached = cache_enabled() && !source.empty();
  const platform::Digest md = !cached ? platform::Digest{} : digest ? *digest : platform::digest(source);
  const std::string path = cached ? cache_path(md) : std::string();
  if (read_cache)
    if (auto hit = lookup(md, path)) return std::move(*hit);
  // One compile of a module at a time across processes (servers starting
  // the same app): the others wait for it, then find it in the cache.
  EntryLock lock(path);
  if (lock.waited())
    if (auto hit = lookup(md, path)) return std::move(*hit);
  auto obj = compile_object(m, progress);
  if (!obj) return unexpected(std::move(obj).error());
  auto bytes = std::make_shared<std::vector<uint8_t>>(std::move(obj->bytes));
  if (!path.empty() && write_file_atomic(path, make_artifact({}, md, *bytes))) trim_cache(cache_dir(), cache_budget());
  return NativeCode{bytes, *bytes, false};
}

}  // namespace whirl::wasm::aot
