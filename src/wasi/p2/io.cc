// wasi:io — error, poll, streams. Input streams read files at their own
// offset, pipes and terminals once poll(2) says so, sockets without
// waiting; output streams write files at an offset or at the end, host
// descriptors and sockets through a pending buffer drained as poll(2)
// allows (that buffer is the backpressure check-write reports), sinks
// directly. Every blocking variant waits in slices that check the store's
// interrupt.
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "wasi/p1/fs_ops.h"
#include "wasi/p2/ctx.h"

namespace whirl::wasi::p2 {
namespace {

constexpr const char* kError = "wasi:io/error";
constexpr const char* kPoll = "wasi:io/poll";
constexpr const char* kStreams = "wasi:io/streams";

constexpr size_t kMaxRead = 64 * 1024;          // one read returns at most this (a read may return less)
constexpr uint64_t kWriteBudget = 64 * 1024;    // check-write's permit for files, sinks and sockets
constexpr uint64_t kPipeBudget = 4096;          // PIPE_BUF: a write this size after POLLOUT does not block
constexpr size_t kMaxPending = 1024 * 1024;     // a guest writing past every permit traps here
constexpr uint64_t kMaxBlockingWrite = 4096;    // blocking-write-and-flush's limit (the spec's, wasmtime's)

bool fd_ready(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0;
}

// ---- input ----

constexpr std::chrono::milliseconds kHostSlice{100};  // how often a wait on a host stream checks for an interrupt

// A host stream's read: what it has now, or (blocking) at least one byte or its end.
Expected<std::string, Value> read_host(WasiP2& w, wasm::Store& store, InputStream& s, uint64_t len, bool blocking,
                                       bool* interrupted_out) {
  size_t max = size_t(std::min<uint64_t>(len, kMaxRead));
  if (max == 0) return std::string();
  while (true) {
    HostInputStream::Chunk c = s.host->read(max);
    if (!c.error.empty()) {
      s.closed = true;
      return unexpected(stream_failed(w, std::move(c.error), c.http_code.empty() ? "HTTP-protocol-error" : c.http_code));
    }
    if (!c.bytes.empty()) return std::move(c.bytes);
    if (c.end) {
      s.closed = true;
      return unexpected(stream_closed());
    }
    if (!blocking) return std::string();
    while (!s.host->wait_for(kHostSlice)) {
      if (store.interrupted()) {
        *interrupted_out = true;
        return std::string();
      }
    }
  }
}

// One read of up to `len` bytes; `blocking` waits for at least one.
// Returns the bytes, or the stream-error result to give back.
Expected<std::string, Value> read_some(WasiP2& w, wasm::Store& store, InputStream& s, uint64_t len, bool blocking,
                                       bool* interrupted_out) {
  if (s.closed || s.kind == InputStream::Kind::Empty) return unexpected(stream_closed());
  if (s.kind == InputStream::Kind::Host) return read_host(w, store, s, len, blocking, interrupted_out);
  std::string buf(std::min<uint64_t>(len, kMaxRead), '\0');
  if (buf.empty()) return buf;
  ssize_t n;
  while (true) {
    if (s.kind == InputStream::Kind::File) {
      n = ::pread(s.fd->fd, buf.data(), buf.size(), off_t(s.offset));
    } else {
      bool waits = s.kind == InputStream::Kind::Socket || s.may_block;
      if (waits && blocking && !fsops::wait_ready(store, s.fd->fd, false)) {
        *interrupted_out = true;
        return std::string();
      }
      if (waits && !blocking && !fd_ready(s.fd->fd, POLLIN)) return std::string();
      n = s.kind == InputStream::Kind::Socket ? ::recv(s.fd->fd, buf.data(), buf.size(), MSG_DONTWAIT)
                                              : ::read(s.fd->fd, buf.data(), buf.size());
    }
    if (n >= 0 || errno != EINTR) break;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    if (!blocking) return std::string();
    return read_some(w, store, s, len, blocking, interrupted_out);  // woken without data: wait again
  }
  if (n < 0) {
    s.closed = true;
    return unexpected(stream_failed(w, errno));
  }
  if (n == 0) {
    s.closed = true;
    return unexpected(stream_closed());
  }
  if (s.kind == InputStream::Kind::File) s.offset += uint64_t(n);
  buf.resize(size_t(n));
  return buf;
}

HostResult read(WasiP2& w, HostCall& call, std::span<Value> a, bool blocking, bool skip) {
  InputStream* s = w.inputs.get(rep(a[0]));
  if (!s) return trap("unknown input-stream");
  bool intr = false;
  auto r = read_some(w, call.store(), *s, a[1].u, blocking, &intr);
  if (intr) return interrupted();
  if (!r) return ret(std::move(r.error()));
  if (skip) return ret(Value::ok(u64(r->size())));
  return ret(Value::ok(bytes(r->data(), r->size())));
}

// ---- output ----

// Writes what the host takes now of `s.pending` (all of it for files,
// sinks and descriptors that do not block).
void drain(OutputStream& s) {
  if (s.kind == OutputStream::Kind::Host) return;  // a host stream takes its bytes at once
  while (!s.pending.empty() && !s.error) {
    ssize_t n;
    if (s.kind == OutputStream::Kind::Socket) {
      n = ::send(s.fd->fd, s.pending.data(), s.pending.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    } else {
      if (!fd_ready(s.fd->fd, POLLOUT)) return;
      n = ::write(s.fd->fd, s.pending.data(), std::min<size_t>(s.pending.size(), kPipeBudget));
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0) {
      s.error = errno;
      s.pending.clear();
      return;
    }
    s.pending.erase(0, size_t(n));
  }
}

// A stream that failed or closed: its result (and it stays closed); null if usable.
std::optional<Value> failed(WasiP2& w, OutputStream& s) {
  if (s.error) {
    int e = s.error;
    s.error = 0;
    s.closed = true;
    if (s.kind == OutputStream::Kind::Host) return stream_failed(w, std::move(s.host_error), "connection-terminated");
    return stream_failed(w, e);
  }
  if (s.closed) return stream_closed();
  return std::nullopt;
}

bool buffered(const OutputStream& s) {
  return s.kind == OutputStream::Kind::Socket || (s.kind == OutputStream::Kind::Fd && s.may_block);
}

// Hands `data` to the host: at once for files and sinks, else through `pending`.
void put(OutputStream& s, std::string_view data) {
  if (data.empty()) return;
  switch (s.kind) {
    case OutputStream::Kind::Host:
      if (auto r = s.host->write(data); !r) {
        s.error = EPIPE;
        s.host_error = std::move(r.error());
      }
      return;
    case OutputStream::Kind::Sink:
      if (!(*s.sink)(data)) s.error = EPIPE;
      return;
    case OutputStream::Kind::File: case OutputStream::Kind::Append: {
      uint64_t at = s.offset;
      if (s.kind == OutputStream::Kind::Append) {
        struct stat st;
        if (fstat(s.fd->fd, &st) != 0) {
          s.error = errno;
          return;
        }
        at = uint64_t(st.st_size);
      }
      while (!data.empty()) {
        ssize_t n = ::pwrite(s.fd->fd, data.data(), data.size(), off_t(at));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          s.error = errno;
          return;
        }
        data.remove_prefix(size_t(n));
        at += uint64_t(n);
      }
      if (s.kind == OutputStream::Kind::File) s.offset = at;
      return;
    }
    case OutputStream::Kind::Fd:
      if (!s.may_block) {  // a regular file: a write does not wait for a reader
        while (!data.empty()) {
          ssize_t n = ::write(s.fd->fd, data.data(), data.size());
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) {
            s.error = errno;
            return;
          }
          data.remove_prefix(size_t(n));
        }
        return;
      }
      [[fallthrough]];
    case OutputStream::Kind::Socket:
      s.pending.append(data);
      drain(s);
      return;
  }
}

uint64_t permit(OutputStream& s) {
  if (s.kind == OutputStream::Kind::Host) {
    auto n = s.host->check_write();
    if (n) return *n;
    s.error = EPIPE;
    s.host_error = std::move(n.error());
    return 0;
  }
  if (!buffered(s)) return kWriteBudget;
  drain(s);
  if (!s.pending.empty()) return 0;
  if (s.kind == OutputStream::Kind::Socket) return fd_ready(s.fd->fd, POLLOUT) ? kWriteBudget : 0;
  return fd_ready(s.fd->fd, POLLOUT) ? kPipeBudget : 0;
}

// Waits until everything pending is written; false if interrupted.
bool flush_blocking(wasm::Store& store, OutputStream& s) {
  if (s.kind == OutputStream::Kind::Host) {  // nothing pending: wait until the host takes bytes again
    while (!s.error && !s.closed && permit(s) == 0)
      if (!s.host->wait_for(kHostSlice) && store.interrupted()) return false;
    return true;
  }
  drain(s);
  while (buffered(s) && !s.pending.empty() && !s.error) {
    if (!fsops::wait_ready(store, s.fd->fd, true)) return false;
    drain(s);
  }
  return true;
}

HostResult write(WasiP2& w, std::span<Value> a, std::string_view data) {
  OutputStream* s = w.outputs.get(rep(a[0]));
  if (!s) return trap("unknown output-stream");
  if (auto f = failed(w, *s)) return ret(std::move(*f));
  if (s->pending.size() + data.size() > kMaxPending)
    return trap("output-stream.write: more than check-write permitted (" + std::to_string(data.size()) + " bytes)");
  put(*s, data);
  if (auto f = failed(w, *s)) return ret(std::move(*f));
  return ret(Value::ok());
}

HostResult blocking_write(WasiP2& w, HostCall& call, std::span<Value> a, std::string_view data) {
  OutputStream* s = w.outputs.get(rep(a[0]));
  if (!s) return trap("unknown output-stream");
  if (data.size() > kMaxBlockingWrite)
    return trap("blocking write of " + std::to_string(data.size()) + " bytes: at most 4096 are allowed");
  if (auto f = failed(w, *s)) return ret(std::move(*f));
  if (!flush_blocking(call.store(), *s)) return interrupted();
  put(*s, data);
  if (!flush_blocking(call.store(), *s)) return interrupted();
  if (auto f = failed(w, *s)) return ret(std::move(*f));
  return ret(Value::ok());
}

HostResult flush(WasiP2& w, HostCall& call, std::span<Value> a, bool blocking) {
  OutputStream* s = w.outputs.get(rep(a[0]));
  if (!s) return trap("unknown output-stream");
  if (auto f = failed(w, *s)) return ret(std::move(*f));
  if (blocking ? !flush_blocking(call.store(), *s) : (drain(*s), false)) return interrupted();
  if (auto f = failed(w, *s)) return ret(std::move(*f));
  return ret(Value::ok());
}

HostResult splice(WasiP2& w, HostCall& call, std::span<Value> a, bool blocking) {
  OutputStream* out = w.outputs.get(rep(a[0]));
  InputStream* in = w.inputs.get(rep(a[1]));
  if (!out || !in) return trap("unknown stream");
  if (auto f = failed(w, *out)) return ret(std::move(*f));
  if (blocking && !flush_blocking(call.store(), *out)) return interrupted();
  uint64_t n = std::min<uint64_t>(a[2].u, blocking && buffered(*out) ? kPipeBudget : permit(*out));
  if (auto f = failed(w, *out)) return ret(std::move(*f));
  if (n == 0) return ret(Value::ok(u64(0)));
  bool intr = false;
  auto r = read_some(w, call.store(), *in, n, blocking, &intr);
  if (intr) return interrupted();
  if (!r) return ret(std::move(r.error()));
  put(*out, *r);
  if (blocking && !flush_blocking(call.store(), *out)) return interrupted();
  if (auto f = failed(w, *out)) return ret(std::move(*f));
  return ret(Value::ok(u64(r->size())));
}

Pollable input_pollable(const InputStream& s) {
  Pollable p;
  if (s.kind == InputStream::Kind::Host && !s.closed) {
    p.kind = Pollable::Kind::Host;
    p.host = s.host;
    return p;
  }
  bool waits = s.kind == InputStream::Kind::Socket || (s.kind == InputStream::Kind::Fd && s.may_block);
  if (waits && !s.closed) {
    p.kind = Pollable::Kind::Fd;
    p.fd = s.fd;
    p.events = POLLIN;
  }
  return p;
}

Pollable output_pollable(const OutputStream& s) {
  Pollable p;
  if (s.kind == OutputStream::Kind::Host && !s.closed && !s.error) {
    p.kind = Pollable::Kind::Host;
    p.host = s.host;
    return p;
  }
  if (buffered(s) && !s.closed && !s.error) {
    p.kind = Pollable::Kind::Fd;
    p.fd = s.fd;
    p.events = POLLOUT;
  }
  return p;
}

HostResult poll_list(WasiP2& w, HostCall& call, std::span<Value> a) {
  const auto& items = a[0].items;
  if (items.empty()) return trap("wasi:io/poll.poll: the list of pollables is empty");
  std::vector<uint32_t> ps;
  for (const auto& v : items) {
    if (!w.pollables.get(rep(v))) return trap("unknown pollable");
    ps.push_back(uint32_t(rep(v)));
  }
  std::vector<uint32_t> ready;
  if (!wait_any(w, call.store(), ps, false, &ready)) return interrupted();
  std::vector<Value> out;
  for (uint32_t i : ready) out.push_back(u32(i));
  return ret(Value::list(std::move(out)));
}

}  // namespace

void add_io(Linker& l) {
  def_resource(l, kError, "error", &WasiP2::errors);
  def(l, kError, "[method]error.to-debug-string", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    IoError* e = w.errors.get(rep(a[0]));
    if (!e) return trap("unknown error");
    return ret(Value::string(e->message));
  });

  def_resource(l, kPoll, "pollable", &WasiP2::pollables);
  def(l, kPoll, "[method]pollable.ready", [](WasiP2& w, HostCall& call, std::span<Value> a) -> HostResult {
    if (!w.pollables.get(rep(a[0]))) return trap("unknown pollable");
    uint32_t p = uint32_t(rep(a[0]));
    std::vector<uint32_t> ready;
    wait_any(w, call.store(), std::span<const uint32_t>(&p, 1), true, &ready);
    return ret(Value::boolean(!ready.empty()));
  });
  def(l, kPoll, "[method]pollable.block", [](WasiP2& w, HostCall& call, std::span<Value> a) -> HostResult {
    if (!w.pollables.get(rep(a[0]))) return trap("unknown pollable");
    uint32_t p = uint32_t(rep(a[0]));
    std::vector<uint32_t> ready;
    if (!wait_any(w, call.store(), std::span<const uint32_t>(&p, 1), false, &ready)) return interrupted();
    return ret();
  });
  def(l, kPoll, "poll", poll_list);

  def_resource(l, kStreams, "input-stream", &WasiP2::inputs);
  def_resource(l, kStreams, "output-stream", &WasiP2::outputs);
  def(l, kStreams, "[method]input-stream.read",
      [](WasiP2& w, HostCall& c, std::span<Value> a) { return read(w, c, a, false, false); });
  def(l, kStreams, "[method]input-stream.blocking-read",
      [](WasiP2& w, HostCall& c, std::span<Value> a) { return read(w, c, a, true, false); });
  def(l, kStreams, "[method]input-stream.skip",
      [](WasiP2& w, HostCall& c, std::span<Value> a) { return read(w, c, a, false, true); });
  def(l, kStreams, "[method]input-stream.blocking-skip",
      [](WasiP2& w, HostCall& c, std::span<Value> a) { return read(w, c, a, true, true); });
  def(l, kStreams, "[method]input-stream.subscribe", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    InputStream* s = w.inputs.get(rep(a[0]));
    if (!s) return trap("unknown input-stream");
    return ret(Value::own(new_pollable(w, input_pollable(*s))));
  });

  def(l, kStreams, "[method]output-stream.check-write", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    OutputStream* s = w.outputs.get(rep(a[0]));
    if (!s) return trap("unknown output-stream");
    if (auto f = failed(w, *s)) return ret(std::move(*f));
    uint64_t n = permit(*s);
    if (auto f = failed(w, *s)) return ret(std::move(*f));
    return ret(Value::ok(u64(n)));
  });
  def(l, kStreams, "[method]output-stream.write",
      [](WasiP2& w, HostCall&, std::span<Value> a) { return write(w, a, bytes_of(a[1])); });
  def(l, kStreams, "[method]output-stream.blocking-write-and-flush",
      [](WasiP2& w, HostCall& c, std::span<Value> a) { return blocking_write(w, c, a, bytes_of(a[1])); });
  def(l, kStreams, "[method]output-stream.flush",
      [](WasiP2& w, HostCall& c, std::span<Value> a) { return flush(w, c, a, false); });
  def(l, kStreams, "[method]output-stream.blocking-flush",
      [](WasiP2& w, HostCall& c, std::span<Value> a) { return flush(w, c, a, true); });
  def(l, kStreams, "[method]output-stream.write-zeroes", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    if (a[1].u > kMaxPending) return trap("output-stream.write-zeroes: more than check-write permitted");
    return write(w, a, std::string(size_t(a[1].u), '\0'));
  });
  def(l, kStreams, "[method]output-stream.blocking-write-zeroes-and-flush",
      [](WasiP2& w, HostCall& c, std::span<Value> a) -> HostResult {
        if (a[1].u > kMaxBlockingWrite)
          return trap("blocking write of " + std::to_string(a[1].u) + " zeroes: at most 4096 are allowed");
        return blocking_write(w, c, a, std::string(size_t(a[1].u), '\0'));
      });
  def(l, kStreams, "[method]output-stream.splice",
      [](WasiP2& w, HostCall& c, std::span<Value> a) { return splice(w, c, a, false); });
  def(l, kStreams, "[method]output-stream.blocking-splice",
      [](WasiP2& w, HostCall& c, std::span<Value> a) { return splice(w, c, a, true); });
  def(l, kStreams, "[method]output-stream.subscribe", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    OutputStream* s = w.outputs.get(rep(a[0]));
    if (!s) return trap("unknown output-stream");
    return ret(Value::own(new_pollable(w, output_pollable(*s))));
  });
}

}  // namespace whirl::wasi::p2
