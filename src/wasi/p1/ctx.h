// Internal state of a WASI instance: the guest's descriptor table, plus
// helpers for bounds-checked guest memory and errno translation.
#pragma once

#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "wasi/p1/wasi.h"

namespace whirl::wasi {

// WASI errno values (wasi_snapshot_preview1).
enum Errno : uint16_t {
  kSuccess = 0, k2Big = 1, kAcces = 2, kBadf = 8, kExist = 20, kFault = 21, kInval = 28, kIo = 29,
  kIsdir = 31, kLoop = 32, kNametoolong = 37, kNoent = 44, kNospc = 51, kNosys = 52, kNotdir = 54,
  kNotempty = 55, kNotsup = 58, kPerm = 63, kSpipe = 70, kXdev = 75, kNotcapable = 76, kPipe = 64, kMfile = 33, kNfile = 41,
};

uint16_t errno_from_host(int host_errno);

enum FileType : uint8_t {
  kUnknown = 0, kCharDevice = 2, kDirectory = 3, kRegularFile = 4, kSocketStream = 6, kSymlink = 7,
};

struct Fd {
  int host = -1;
  const WasiConfig::OutputSink* sink = nullptr;  // a host output stream instead of `host`
  bool open = false;
  bool preopen = false;
  bool is_dir = false;
  bool own = true;            // close the host fd on fd_close
  std::string guest_path;     // preopens: the guest-visible name
  bool read_only = false;     // opened beneath a read-only preopen
  bool may_block = false;     // a pipe, terminal or socket (stdio): reads and writes wait interruptibly
};

// kPerm for changes beneath a read-only preopen.
inline uint16_t check_writable(const Fd* f) { return f->read_only ? uint16_t(kPerm) : uint16_t(kSuccess); }

class WasiCtx {
 public:
  WasiConfig config;
  wasm::Store* store = nullptr;  // the store its functions were made in: blocking calls wait through it
  std::vector<Fd> fds;

  Fd* get(uint32_t fd) { return fd < fds.size() && fds[fd].open ? &fds[fd] : nullptr; }
  size_t open_count() const {
    size_t n = 0;
    for (const auto& f : fds) n += f.open;
    return n;
  }
  uint32_t add(Fd f) {
    for (uint32_t i = 3; i < fds.size(); ++i)
      if (!fds[i].open) return fds[i] = std::move(f), i;
    fds.push_back(std::move(f));
    return uint32_t(fds.size() - 1);
  }
  ~WasiCtx();
};

// Guest memory with every access bounds-checked: a bad pointer is EFAULT.
class Mem {
 public:
  explicit Mem(wasm::MemoryInst* m) : base_(m ? m->data() : nullptr), size_(m ? m->size_bytes() : 0) {}
  bool ok(uint64_t ptr, uint64_t len) const { return base_ && ptr + len <= size_ && ptr + len >= ptr; }
  uint8_t* at(uint64_t ptr) { return base_ + ptr; }
  template <class T>
  bool read(uint32_t ptr, T* v) {
    if (!ok(ptr, sizeof(T))) return false;
    std::memcpy(v, base_ + ptr, sizeof(T));
    return true;
  }
  template <class T>
  bool write(uint32_t ptr, T v) {
    if (!ok(ptr, sizeof(T))) return false;
    std::memcpy(base_ + ptr, &v, sizeof(T));
    return true;
  }
  bool string(uint32_t ptr, uint32_t len, std::string* out) {
    if (!ok(ptr, len)) return false;
    out->assign(reinterpret_cast<const char*>(base_ + ptr), len);
    return true;
  }

 private:
  uint8_t* base_;
  uint64_t size_;
};

// One WASI call: arguments as raw values, returns the errno.
using Call = uint16_t (*)(WasiCtx& ctx, Mem& mem, const wasm::Value* args);

struct CallDef {
  const char* name;
  std::vector<wasm::ValType> params;
  Call fn;
};

// The calls of each area (fd.cc, path.cc, misc.cc).
void fd_calls(std::vector<CallDef>& out);
void path_calls(std::vector<CallDef>& out);
void misc_calls(std::vector<CallDef>& out);

uint8_t filetype_of(unsigned st_mode);
// A WASI timestamp for utimensat/futimens: `now` wins, then `set`, else omit.
struct timespec to_timespec(uint64_t ns, bool set, bool now);
// Writes a filestat (64 bytes) from a host stat.
bool write_filestat(Mem& mem, uint32_t ptr, const struct stat& st);

}  // namespace whirl::wasi
