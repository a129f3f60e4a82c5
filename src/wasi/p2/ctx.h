// Internal state of a WASI 0.2 instance: its resource tables, and the
// helpers the host functions share (argument and result values, error
// codes, registration).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <typeindex>
#include <typeinfo>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "component/abi/value.h"
#include "component/runtime/component.h"
#include "wasi/p1/ctx.h"
#include "wasi/p2/host_stream.h"
#include "wasi/p2/wasi_p2.h"

namespace whirl::wasi::http {
class HttpState;  // wasi:http's per-instance state (src/wasi/http), when the instance serves HTTP
}

namespace whirl::wasi::p2 {

namespace abi = component::abi;
using abi::Value;
using component::runtime::HostCall;
using component::runtime::Linker;
using HostResult = Expected<std::vector<Value>, abi::Trap>;

// A host descriptor shared by a descriptor, the streams made from it and
// the pollables on them: closed (if owned) with the last of them, so a
// stream outliving its descriptor still works, as streams are children.
struct HostFd {
  int fd = -1;
  bool own = false;
  HostFd(int f, bool o) : fd(f), own(o) {}
  HostFd(const HostFd&) = delete;
  HostFd& operator=(const HostFd&) = delete;
  ~HostFd() {
    if (own && fd >= 0) ::close(fd);
  }
};
using FdRef = std::shared_ptr<HostFd>;

// A resource table: representation = index (0 is never used, so a zero
// handle is never valid). Entries are boxed so pointers stay valid while
// others are added.
template <class T>
class Table {
 public:
  uint32_t add(T v) {
    auto p = std::make_unique<T>(std::move(v));
    if (!free_.empty()) {
      uint32_t i = free_.back();
      free_.pop_back();
      slots_[i] = std::move(p);
      return i;
    }
    slots_.push_back(std::move(p));
    return uint32_t(slots_.size() - 1);
  }
  T* get(uint64_t rep) { return rep < slots_.size() ? slots_[rep].get() : nullptr; }
  void erase(uint64_t rep) {
    if (rep == 0 || rep >= slots_.size() || !slots_[rep]) return;
    slots_[rep].reset();
    free_.push_back(uint32_t(rep));
  }
  size_t size() const { return slots_.size() - 1 - free_.size(); }

 private:
  std::vector<std::unique_ptr<T>> slots_ = std::vector<std::unique_ptr<T>>(1);
  std::vector<uint32_t> free_;
};

struct Descriptor {
  FdRef fd;
  bool is_dir = false;
  bool read_only = false;  // beneath a read-only preopen: nothing may change
  bool readable = false, writable = false;  // how a file was opened (get-flags)
};

struct DirEntry {
  std::string type;  // a descriptor-type label
  std::string name;
};
struct DirStream {
  std::vector<DirEntry> entries;  // read when the stream was made, "." and ".." left out
  size_t next = 0;
  std::string error;  // an error-code label reported after the entries, if any
};

struct InputStream {
  enum class Kind { File, Fd, Socket, Empty, Host } kind = Kind::Empty;
  FdRef fd;
  std::shared_ptr<HostInputStream> host;  // Host: bytes from elsewhere in the host (an HTTP body)
  uint64_t offset = 0;     // File: where the next read starts
  bool may_block = false;  // Fd: a pipe or terminal, read only once poll(2) says so
  bool closed = false;     // end of stream reached: every read is `closed`
};

struct OutputStream {
  enum class Kind { File, Append, Fd, Sink, Socket, Host } kind = Kind::Fd;
  FdRef fd;
  std::shared_ptr<HostOutputStream> host;  // Host: bytes to elsewhere in the host (an HTTP body)
  std::string host_error;                  // Host: why it failed (with `error` set)
  const WasiConfig::OutputSink* sink = nullptr;
  uint64_t offset = 0;     // File: where the next write goes
  bool may_block = false;  // Fd: a pipe or terminal, written only once poll(2) says so
  bool closed = false;
  // Fd (may_block) and Socket: bytes accepted but not yet taken by the
  // host, written as poll(2) allows; check-write permits nothing until
  // they are gone. `error`: a failed write, reported by the next call.
  std::string pending;
  int error = 0;
};

struct IoError {
  std::string message;
  int host_errno = 0;  // 0: not from a host call (filesystem-error-code is none)
  std::string http_code;  // a wasi:http error-code case, for errors of HTTP bodies (http-error-code)
};

// wasi:sockets/tcp's state machine (start-*/finish-* pairs; a connect in
// progress is a non-blocking connect(2) waited for with poll(2)).
struct TcpSocket {
  enum class State { Unbound, BindStarted, Bound, ListenStarted, Listening, Connecting, ConnectDone, Connected, Closed };
  State state = State::Unbound;
  int family = 0;  // AF_INET or AF_INET6
  FdRef fd;
  int connect_error = 0;  // ConnectDone: the connect's outcome (0 or an errno)
  uint64_t backlog = 128;
};

// wasi:sockets/udp: bind, then stream() (optionally connected) hands out
// the datagram streams; a later stream() call retires the earlier ones.
struct UdpSocket {
  enum class State { Unbound, BindStarted, Bound } state = State::Unbound;
  int family = 0;
  FdRef fd;
  bool connected = false;
  uint32_t generation = 0;  // of the current pair of datagram streams
};
struct DatagramStream {
  uint32_t socket = 0;      // its udp-socket
  FdRef fd;
  uint32_t generation = 0;  // the socket's when made
  uint64_t permit = 0;      // outgoing: what the last check-send allowed
};

struct Pollable {
  enum class Kind { Ready, Deadline, Fd, Tcp, Host } kind = Kind::Ready;
  std::shared_ptr<HostReadiness> host;  // Host: asked whether it is ready
  uint64_t deadline = 0;  // CLOCK_MONOTONIC nanoseconds
  FdRef fd;               // Fd: wait for `events`; Tcp: the socket's, to notice its slot reused
  short events = 0;
  uint32_t tcp = 0;       // Tcp: the socket, whose state says what to wait for
};

struct Terminal {};
struct Network {};
struct ResolveStream {
  std::vector<Value> addresses;  // ip-address values
  size_t next = 0;
};

class WasiP2 {
 public:
  std::shared_ptr<WasiCtx> base;  // preview1's context: config, stdio and preopened descriptors
  Table<Descriptor> descriptors;
  Table<DirStream> dir_streams;
  Table<InputStream> inputs;
  Table<OutputStream> outputs;
  Table<Pollable> pollables;
  Table<IoError> errors;
  Table<Terminal> terminal_inputs, terminal_outputs;
  Table<Network> networks;
  Table<TcpSocket> tcp_sockets;
  Table<UdpSocket> udp_sockets;
  Table<DatagramStream> incoming_datagrams, outgoing_datagrams;
  Table<ResolveStream> resolve_streams;
  uint64_t insecure_state = 0;  // splitmix64 state of wasi:random/insecure
  uint64_t insecure_seed[2] = {0, 0};
  std::vector<std::string> resolved_allowed;  // "ADDR:PORT" patterns from allowed name lookups
  std::shared_ptr<http::HttpState> http;      // set when the instance serves wasi:http

  // The per-instance state of host interfaces linked beside WASI (Spin's
  // factors: key-value, SQLite, ...), one object per type; null if unset.
  template <class T>
  T* extension() const {
    for (const auto& [type, p] : extensions_)
      if (type == typeid(T)) return static_cast<T*>(p.get());
    return nullptr;
  }
  template <class T>
  void set_extension(std::shared_ptr<T> state) {
    for (auto& [type, p] : extensions_)
      if (type == typeid(T)) {
        p = std::move(state);
        return;
      }
    extensions_.emplace_back(typeid(T), std::move(state));
  }

  const WasiConfig& config() const { return base->config; }
  size_t open_files() const {
    return base->open_count() + descriptors.size() + tcp_sockets.size() + udp_sockets.size();
  }
  ~WasiP2();

 private:
  std::vector<std::pair<std::type_index, std::shared_ptr<void>>> extensions_;
};

// ---- values ----
inline uint64_t rep(const Value& v) { return v.u; }
inline HostResult ret() { return std::vector<Value>{}; }
inline HostResult ret(Value v) {
  std::vector<Value> r;
  r.push_back(std::move(v));
  return r;
}
inline HostResult trap(std::string message) { return unexpected(abi::Trap{std::move(message), std::nullopt}); }
inline HostResult interrupted() { return trap("interrupted"); }
inline Value u8(uint64_t v) { return Value::uint(component::TypeKind::U8, v); }
inline Value u16(uint64_t v) { return Value::uint(component::TypeKind::U16, v); }
inline Value u32(uint64_t v) { return Value::uint(component::TypeKind::U32, v); }
inline Value u64(uint64_t v) { return Value::uint(component::TypeKind::U64, v); }
Value bytes(const void* data, size_t n);  // list<u8>
std::string bytes_of(const Value& list);  // the bytes of a list<u8>
bool has_flag(const Value& flags, std::string_view label);
Value datetime(int64_t seconds, uint32_t nanoseconds);

// ---- errors ----
// wasi:filesystem error-code label of an fsops result (host errno or fsops::kEscape).
const char* fs_code(int err);
inline Value fs_error(int err) { return Value::err(Value::enumeration(fs_code(err))); }
inline Value fs_error(const char* label) { return Value::err(Value::enumeration(label)); }
// `last-operation-failed(error)` with a new error resource, or `closed`.
Value stream_failed(WasiP2& w, int host_errno);
// The same for a host stream's failure: its message and wasi:http error-code case.
Value stream_failed(WasiP2& w, std::string message, std::string http_code);
Value stream_closed();

// ---- blocking ----
// Waits until one of `ps` is ready, then returns the indices of those
// ready; false if the store was interrupted first. `timeout_zero`: only look.
bool wait_any(WasiP2& w, wasm::Store& store, std::span<const uint32_t> ps, bool timeout_zero,
              std::vector<uint32_t>* ready);
uint64_t monotonic_now();
uint32_t new_pollable(WasiP2& w, Pollable p);

// ---- registration ----
// `fn(WasiP2&, HostCall&, args)` as a HostFunc of `iface` ("wasi:io/streams").
template <class F>
void def(Linker& l, std::string_view iface, const std::string& name, F fn) {
  l.func(std::string(iface) + "@" + kVersion, name,
         [fn](HostCall& call, std::span<Value> args) -> HostResult {
           WasiP2* w = call.data<WasiP2>();
           if (!w) return trap("the instance has no WASI 0.2 context");
           return fn(*w, call, args);
         });
}
template <class T>
void def_resource(Linker& l, std::string_view iface, const std::string& name, Table<T> WasiP2::*table) {
  l.resource(std::string(iface) + "@" + kVersion, name, [table](HostCall& call, uint32_t r) {
    if (WasiP2* w = call.data<WasiP2>()) (w->*table).erase(r);
  });
}

void add_io(Linker& l);
void add_filesystem(Linker& l);
void add_cli(Linker& l);  // cli, clocks, random
void add_sockets(Linker& l);


}  // namespace whirl::wasi::p2
