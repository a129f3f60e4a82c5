// The WASI 0.2 context, the shared value and error helpers, and waiting on pollables.
#include <poll.h>
#include <sys/random.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "wasi/p1/fs_ops.h"
#include "wasi/p2/ctx.h"

namespace whirl::wasi::p2 {

WasiP2::~WasiP2() = default;

Expected<std::shared_ptr<WasiP2>> create_wasi_p2(WasiConfig config) {
  auto base = create_wasi(std::move(config));
  if (!base) return unexpected(base.error());
  auto w = std::make_shared<WasiP2>();
  w->base = std::move(*base);
  uint64_t seed[3] = {0, 0, 0};
  if (getrandom(seed, sizeof seed, 0) != sizeof seed) seed[0] = uint64_t(monotonic_now());
  w->insecure_state = seed[0];
  w->insecure_seed[0] = seed[1];
  w->insecure_seed[1] = seed[2];
  return w;
}

void add_to_linker(Linker& l) {
  add_io(l);
  add_filesystem(l);
  add_cli(l);
  add_sockets(l);
}

Value bytes(const void* data, size_t n) { return Value::byte_list(std::string(static_cast<const char*>(data), n)); }

std::string bytes_of(const Value& list) { return list.list_bytes(); }

bool has_flag(const Value& flags, std::string_view label) {
  return std::find(flags.labels.begin(), flags.labels.end(), label) != flags.labels.end();
}

Value datetime(int64_t seconds, uint32_t nanoseconds) {
  return Value::record({{"seconds", u64(uint64_t(seconds))}, {"nanoseconds", u32(nanoseconds)}});
}

const char* fs_code(int err) {
  if (err == fsops::kEscape) return "not-permitted";  // as wasmtime (cap-std) reports a path leaving its directory
  switch (err) {
    case EACCES: return "access";
    case EAGAIN: return "would-block";
    case EALREADY: return "already";
    case EBADF: return "bad-descriptor";
    case EBUSY: return "busy";
    case EDEADLK: return "deadlock";
    case EDQUOT: return "quota";
    case EEXIST: return "exist";
    case EFBIG: return "file-too-large";
    case EILSEQ: return "illegal-byte-sequence";
    case EINPROGRESS: return "in-progress";
    case EINTR: return "interrupted";
    case EINVAL: return "invalid";
    case EIO: return "io";
    case EISDIR: return "is-directory";
    case ELOOP: return "loop";
    case EMLINK: return "too-many-links";
    case EMSGSIZE: return "message-size";
    case ENAMETOOLONG: return "name-too-long";
    case ENODEV: return "no-device";
    case ENOENT: return "no-entry";
    case ENOLCK: return "no-lock";
    case ENOMEM: return "insufficient-memory";
    case EMFILE: case ENFILE: return "insufficient-memory";  // out of descriptors: error-code has no closer case
    case ENOSPC: return "insufficient-space";
    case ENOTDIR: return "not-directory";
    case ENOTEMPTY: return "not-empty";
    case ENOTRECOVERABLE: return "not-recoverable";
    case ENOTSUP: return "unsupported";
    case ENOTTY: return "no-tty";
    case ENXIO: return "no-such-device";
    case EOVERFLOW: return "overflow";
    case EPERM: return "not-permitted";
    case EPIPE: return "pipe";
    case EROFS: return "read-only";
    case ESPIPE: return "invalid-seek";
    case ETXTBSY: return "text-file-busy";
    case EXDEV: return "cross-device";
    default: return "io";
  }
}

Value stream_failed(WasiP2& w, int host_errno) {
  uint32_t e = w.errors.add(IoError{std::strerror(host_errno), host_errno});
  return Value::err(Value::variant("last-operation-failed", Value::own(e)));
}
Value stream_failed(WasiP2& w, std::string message, std::string http_code) {
  uint32_t e = w.errors.add(IoError{std::move(message), 0, std::move(http_code)});
  return Value::err(Value::variant("last-operation-failed", Value::own(e)));
}
Value stream_closed() { return Value::err(Value::variant("closed")); }

uint64_t monotonic_now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000 + uint64_t(ts.tv_nsec);
}

uint32_t new_pollable(WasiP2& w, Pollable p) { return w.pollables.add(std::move(p)); }

namespace {

// What a pollable waits for now: a socket's depends on its state.
Pollable effective(WasiP2& w, const Pollable& p) {
  if (p.kind != Pollable::Kind::Tcp) return p;
  Pollable r;
  TcpSocket* s = w.tcp_sockets.get(p.tcp);
  if (!s || s->fd != p.fd) return r;  // gone: nothing left to wait for
  if (s->state == TcpSocket::State::Connecting || s->state == TcpSocket::State::Listening) {
    r.kind = Pollable::Kind::Fd;
    r.fd = s->fd;
    r.events = s->state == TcpSocket::State::Connecting ? POLLOUT : POLLIN;
  }
  return r;
}

}  // namespace

bool wait_any(WasiP2& w, wasm::Store& store, std::span<const uint32_t> ps, bool look_only,
              std::vector<uint32_t>* ready) {
  constexpr uint64_t kSliceNs = 100'000'000;  // how often a wait on descriptors checks for an interrupt
  while (true) {
    ready->clear();
    std::vector<pollfd> fds;
    std::vector<uint32_t> fd_index;
    std::vector<HostReadiness*> hosts;  // host pollables not ready yet
    uint64_t now = monotonic_now(), next = UINT64_MAX;
    for (uint32_t i = 0; i < ps.size(); ++i) {
      const Pollable* stored = w.pollables.get(ps[i]);
      Pollable p = stored ? effective(w, *stored) : Pollable{};
      switch (p.kind) {
        case Pollable::Kind::Ready: case Pollable::Kind::Tcp: ready->push_back(i); break;
        case Pollable::Kind::Deadline:
          if (p.deadline <= now) ready->push_back(i);
          else next = std::min(next, p.deadline);
          break;
        case Pollable::Kind::Fd:
          fds.push_back({p.fd->fd, p.events, 0});
          fd_index.push_back(i);
          break;
        case Pollable::Kind::Host:
          if (p.host->ready()) ready->push_back(i);
          else hosts.push_back(p.host.get());
          break;
      }
    }
    uint64_t wait_ns = next == UINT64_MAX ? kSliceNs : next - now;
    // Host readiness is no descriptor: one host pollable alone is waited
    // on directly; mixed with others, everything is looked at every 5 ms.
    if (!hosts.empty() && ready->empty() && !look_only) {
      if (hosts.size() == 1 && fds.empty()) {
        hosts[0]->wait_for(std::chrono::nanoseconds(std::min(wait_ns, kSliceNs)));
        if (store.interrupted()) return false;
        continue;
      }
      wait_ns = std::min<uint64_t>(wait_ns, 5'000'000);
    }
    if (!fds.empty()) {
      int ms = (!ready->empty() || look_only) ? 0 : int((std::min(wait_ns, kSliceNs) + 999'999) / 1'000'000);
      int r = ::poll(fds.data(), fds.size(), ms);
      if (r > 0)
        for (size_t k = 0; k < fds.size(); ++k)
          if (fds[k].revents) ready->push_back(fd_index[k]);
    }
    if (!ready->empty() || look_only) {
      std::sort(ready->begin(), ready->end());
      return true;
    }
    if (store.interrupted()) return false;
    if (fds.empty() && !store.sleep_for(std::chrono::nanoseconds(std::min<uint64_t>(wait_ns, INT64_MAX))))
      return false;
  }
}

}  // namespace whirl::wasi::p2
