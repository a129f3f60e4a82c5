// wasi:sockets — network, instance-network, tcp, tcp-create-socket,
// ip-name-lookup (udp and udp-create-socket: udp.cc).
// Nothing is reachable unless WasiConfig::allowed_network names it: with
// an empty list every socket and lookup is `access-denied`; otherwise
// binds, connects and lookups outside the list are.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "wasi/p2/ctx.h"
#include "wasi/p2/net.h"

namespace whirl::wasi::p2 {
constexpr const char* kNetwork = "wasi:sockets/network";
constexpr const char* kTcp = "wasi:sockets/tcp";
constexpr const char* kLookup = "wasi:sockets/ip-name-lookup";

const char* net_code(int e) {
  switch (e) {
    case EACCES: case EPERM: return "access-denied";
    case EADDRINUSE: return "address-in-use";
    case EADDRNOTAVAIL: return "address-not-bindable";
    case ECONNREFUSED: return "connection-refused";
    case ECONNRESET: case EPIPE: return "connection-reset";
    case ECONNABORTED: return "connection-aborted";
    case ETIMEDOUT: return "timeout";
    case EHOSTUNREACH: case ENETUNREACH: case ENETDOWN: return "remote-unreachable";
    case EAGAIN: return "would-block";
    case EINVAL: return "invalid-argument";
    case ENOMEM: case ENOBUFS: return "out-of-memory";
    case EMFILE: case ENFILE: return "new-socket-limit";
    case EAFNOSUPPORT: case EOPNOTSUPP: case EPROTONOSUPPORT: return "not-supported";
    case EMSGSIZE: return "datagram-too-large";
    case EISCONN: case ENOTCONN: return "invalid-state";
    default: return "unknown";
  }
}
Value net_err(const char* label) { return Value::err(Value::enumeration(label)); }
Value net_err(int e) { return net_err(net_code(e)); }
HostResult net_fail(const char* label) { return ret(net_err(label)); }

// ---- addresses ----

Value ip_value(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in&>(ss).sin_addr);
    return Value::variant("ipv4", Value::tuple({u8(a[0]), u8(a[1]), u8(a[2]), u8(a[3])}));
  }
  auto* a = reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr.s6_addr;
  std::vector<Value> parts;
  for (int i = 0; i < 8; ++i) parts.push_back(u16(uint16_t(a[2 * i] << 8 | a[2 * i + 1])));
  return Value::variant("ipv6", Value::tuple(std::move(parts)));
}

Value sockaddr_value(const sockaddr_storage& ss) {
  Value ip = ip_value(ss);
  if (ss.ss_family == AF_INET) {
    auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    return Value::variant("ipv4", Value::record({{"port", u16(ntohs(in.sin_port))}, {"address", ip.items[0]}}));
  }
  auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
  return Value::variant("ipv6", Value::record({{"port", u16(ntohs(in6.sin6_port))},
                                               {"flow-info", u32(ntohl(in6.sin6_flowinfo))},
                                               {"address", ip.items[0]},
                                               {"scope-id", u32(in6.sin6_scope_id)}}));
}

// An ip-socket-address value as a sockaddr; its length.
socklen_t to_sockaddr(const Value& v, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof *ss);
  const Value& r = v.items[0];
  if (v.label == "ipv4") {
    auto* in = reinterpret_cast<sockaddr_in*>(ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(uint16_t(r.items[0].u));
    auto* a = reinterpret_cast<uint8_t*>(&in->sin_addr);
    for (int i = 0; i < 4; ++i) a[i] = uint8_t(r.items[1].items[i].u);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(ss);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(uint16_t(r.items[0].u));
  in6->sin6_flowinfo = htonl(uint32_t(r.items[1].u));
  for (int i = 0; i < 8; ++i) {
    in6->sin6_addr.s6_addr[2 * i] = uint8_t(r.items[2].items[i].u >> 8);
    in6->sin6_addr.s6_addr[2 * i + 1] = uint8_t(r.items[2].items[i].u);
  }
  in6->sin6_scope_id = uint32_t(r.items[3].u);
  return sizeof(sockaddr_in6);
}

uint16_t port_of(const sockaddr_storage& ss) {
  return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in&>(ss).sin_port
                                       : reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
}

static std::string addr_text(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  const void* a = ss.ss_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in&>(ss).sin_addr)
                                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr);
  inet_ntop(ss.ss_family, a, buf, sizeof buf);
  return buf;
}

// "HOST:PORT" / "[V6]:PORT" split at its last colon outside brackets.
static bool split_pattern(const std::string& p, std::string* host, std::string* port) {
  size_t colon = p.rfind(':');
  if (colon == std::string::npos) return false;
  *host = p.substr(0, colon);
  *port = p.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  return true;
}

static bool same_ip(const std::string& host, const sockaddr_storage& ss) {
  unsigned char want[16];
  if (ss.ss_family == AF_INET)
    return inet_pton(AF_INET, host.c_str(), want) == 1 &&
           std::memcmp(want, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, 4) == 0;
  return inet_pton(AF_INET6, host.c_str(), want) == 1 &&
         std::memcmp(want, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, 16) == 0;
}

bool address_allowed(WasiP2& w, const sockaddr_storage& ss) {
  uint16_t port = port_of(ss);
  auto matches = [&](const std::string& pattern) {
    std::string host, p;
    if (!split_pattern(pattern, &host, &p)) return false;
    if (p != "*" && p != std::to_string(port)) return false;
    return host == "*" || same_ip(host, ss);
  };
  for (const auto& p : w.config().allowed_network)
    if (matches(p)) return true;
  for (const auto& p : w.resolved_allowed)
    if (matches(p)) return true;
  return false;
}

bool network_off(WasiP2& w) { return w.config().allowed_network.empty(); }

Opt hop_opt(int family) { return family == AF_INET ? Opt{IPPROTO_IP, IP_TTL} : Opt{IPPROTO_IPV6, IPV6_UNICAST_HOPS}; }

HostResult sock_get_opt(int fd, Opt o, Value (*make)(uint64_t)) {
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(fd, o.level, o.name, &v, &len) != 0) return ret(net_err(errno));
  return ret(Value::ok(make(uint64_t(v) * o.scale)));
}

HostResult sock_set_opt(int fd, const Value& value, Opt o, bool zero_ok, uint64_t max) {
  uint64_t raw = value.kind == component::TypeKind::Bool ? uint64_t(value.b) : value.u;
  if (!zero_ok && raw == 0) return net_fail("invalid-argument");
  uint64_t scaled = (raw + o.scale - 1) / o.scale;  // round a duration up to whole seconds
  int v = int(std::min<uint64_t>(scaled, max));
  if (setsockopt(fd, o.level, o.name, &v, sizeof v) != 0) return ret(net_err(errno));
  return ret(Value::ok());
}

Value as_bool(uint64_t v) { return Value::boolean(v != 0); }
Value as_u8(uint64_t v) { return u8(v); }
Value as_u32(uint64_t v) { return u32(v); }
Value as_u64(uint64_t v) { return u64(v); }

namespace {

// ---- tcp ----

TcpSocket* tcp(WasiP2& w, const Value& self) { return w.tcp_sockets.get(rep(self)); }
#define SOCKET(var)                                   \
  TcpSocket* var = tcp(w, a[0]);                      \
  if (!var) return trap("unknown tcp-socket");

using State = TcpSocket::State;

// A connected socket's two streams as (input-stream, output-stream) values.
std::vector<Value> socket_streams(WasiP2& w, const FdRef& fd) {
  InputStream in;
  in.kind = InputStream::Kind::Socket;
  in.fd = fd;
  OutputStream out;
  out.kind = OutputStream::Kind::Socket;
  out.fd = fd;
  return {Value::own(w.inputs.add(std::move(in))), Value::own(w.outputs.add(std::move(out)))};
}

HostResult check_addr(WasiP2& w, TcpSocket& s, const Value& addr, sockaddr_storage* ss, socklen_t* len) {
  *len = to_sockaddr(addr, ss);
  if (ss->ss_family != s.family) return net_fail("invalid-argument");
  if (!address_allowed(w, *ss)) return net_fail("access-denied");
  return ret();
}

HostResult start_bind(WasiP2& w, HostCall&, std::span<Value> a) {
  SOCKET(s);
  if (s->state != State::Unbound) return net_fail("invalid-state");
  sockaddr_storage ss;
  socklen_t len;
  auto r = check_addr(w, *s, a[2], &ss, &len);
  if (!r || !r->empty()) return r;
  int one = 1;
  setsockopt(s->fd->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as wasmtime: rebinding after a close works
  if (bind(s->fd->fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return ret(net_err(errno));
  s->state = State::BindStarted;
  return ret(Value::ok());
}

HostResult start_connect(WasiP2& w, HostCall&, std::span<Value> a) {
  SOCKET(s);
  if (s->state == State::Connecting || s->state == State::ConnectDone) return net_fail("concurrency-conflict");
  if (s->state != State::Unbound && s->state != State::Bound) return net_fail("invalid-state");
  sockaddr_storage ss;
  socklen_t len;
  auto r = check_addr(w, *s, a[2], &ss, &len);
  if (!r || !r->empty()) return r;
  if (port_of(ss) == 0) return net_fail("invalid-argument");
  int c = connect(s->fd->fd, reinterpret_cast<sockaddr*>(&ss), len);
  if (c == 0 || errno == EINPROGRESS) {
    s->state = c == 0 ? State::ConnectDone : State::Connecting;
    s->connect_error = 0;
    return ret(Value::ok());
  }
  int e = errno;
  s->state = State::Closed;
  return ret(net_err(e));
}

HostResult finish_connect(WasiP2& w, HostCall&, std::span<Value> a) {
  SOCKET(s);
  if (s->state == State::Connecting) {
    pollfd p{s->fd->fd, POLLOUT, 0};
    if (::poll(&p, 1, 0) <= 0) return net_fail("would-block");
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s->fd->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    s->connect_error = err;
    s->state = State::ConnectDone;
  }
  if (s->state != State::ConnectDone) return net_fail("not-in-progress");
  if (s->connect_error) {
    s->state = State::Closed;
    return ret(net_err(s->connect_error));
  }
  s->state = State::Connected;
  return ret(Value::ok(Value::tuple(socket_streams(w, s->fd))));
}

HostResult accept_one(WasiP2& w, HostCall&, std::span<Value> a) {
  SOCKET(s);
  if (s->state != State::Listening) return net_fail("invalid-state");
  if (w.open_files() >= w.config().max_open_files) return net_fail("new-socket-limit");
  int fd = accept4(s->fd->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return ret(net_err(errno == EWOULDBLOCK ? EAGAIN : errno));
  TcpSocket c;
  c.state = State::Connected;
  c.family = s->family;
  c.fd = std::make_shared<HostFd>(fd, true);
  FdRef cfd = c.fd;
  uint32_t sock = w.tcp_sockets.add(std::move(c));
  auto streams = socket_streams(w, cfd);
  return ret(Value::ok(Value::tuple({Value::own(sock), std::move(streams[0]), std::move(streams[1])})));
}

HostResult address(WasiP2& w, std::span<Value> a, bool remote) {
  SOCKET(s);
  bool bound = s->state != State::Unbound && s->state != State::Closed;
  if (remote ? s->state != State::Connected : !bound) return net_fail("invalid-state");
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int r = remote ? getpeername(s->fd->fd, reinterpret_cast<sockaddr*>(&ss), &len)
                 : getsockname(s->fd->fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r != 0) return ret(net_err(errno));
  return ret(Value::ok(sockaddr_value(ss)));
}

HostResult get_opt(WasiP2& w, std::span<Value> a, Opt o, Value (*make)(uint64_t)) {
  SOCKET(s);
  return sock_get_opt(s->fd->fd, o, make);
}
HostResult set_opt(WasiP2& w, std::span<Value> a, Opt o, bool zero_ok, uint64_t max) {
  SOCKET(s);
  return sock_set_opt(s->fd->fd, a[1], o, zero_ok, max);
}

void add_tcp(Linker& l) {
  auto m = [&l](const char* name, auto fn) { def(l, kTcp, std::string("[method]tcp-socket.") + name, fn); };
  def_resource(l, kTcp, "tcp-socket", &WasiP2::tcp_sockets);
  m("start-bind", start_bind);
  m("finish-bind", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    SOCKET(s);
    if (s->state != State::BindStarted) return net_fail("not-in-progress");
    s->state = State::Bound;
    return ret(Value::ok());
  });
  m("start-connect", start_connect);
  m("finish-connect", finish_connect);
  m("start-listen", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    SOCKET(s);
    if (s->state == State::ListenStarted) return net_fail("concurrency-conflict");
    if (s->state != State::Bound) return net_fail("invalid-state");
    if (listen(s->fd->fd, int(std::min<uint64_t>(s->backlog, SOMAXCONN))) != 0) return ret(net_err(errno));
    s->state = State::ListenStarted;
    return ret(Value::ok());
  });
  m("finish-listen", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    SOCKET(s);
    if (s->state != State::ListenStarted) return net_fail("not-in-progress");
    s->state = State::Listening;
    return ret(Value::ok());
  });
  m("accept", accept_one);
  m("local-address", [](WasiP2& w, HostCall&, std::span<Value> a) { return address(w, a, false); });
  m("remote-address", [](WasiP2& w, HostCall&, std::span<Value> a) { return address(w, a, true); });
  m("is-listening", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    SOCKET(s);
    return ret(Value::boolean(s->state == State::Listening));
  });
  m("address-family", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    SOCKET(s);
    return ret(Value::enumeration(s->family == AF_INET ? "ipv4" : "ipv6"));
  });
  m("set-listen-backlog-size", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    SOCKET(s);
    if (a[1].u == 0) return net_fail("invalid-argument");
    if (s->state == State::Connecting || s->state == State::ConnectDone || s->state == State::Connected)
      return net_fail("invalid-state");
    s->backlog = a[1].u;
    if (s->state == State::Listening && listen(s->fd->fd, int(std::min<uint64_t>(s->backlog, SOMAXCONN))) != 0)
      return ret(net_err(errno));
    return ret(Value::ok());
  });
  constexpr uint64_t kSec = 1000000000;
  m("keep-alive-enabled", [](WasiP2& w, HostCall&, std::span<Value> a) { return get_opt(w, a, {SOL_SOCKET, SO_KEEPALIVE}, as_bool); });
  m("set-keep-alive-enabled", [](WasiP2& w, HostCall&, std::span<Value> a) { return set_opt(w, a, {SOL_SOCKET, SO_KEEPALIVE}, true, 1); });
  m("keep-alive-idle-time", [](WasiP2& w, HostCall&, std::span<Value> a) { return get_opt(w, a, {IPPROTO_TCP, TCP_KEEPIDLE, kSec}, as_u64); });
  m("set-keep-alive-idle-time", [](WasiP2& w, HostCall&, std::span<Value> a) { return set_opt(w, a, {IPPROTO_TCP, TCP_KEEPIDLE, kSec}, false, 32767); });
  m("keep-alive-interval", [](WasiP2& w, HostCall&, std::span<Value> a) { return get_opt(w, a, {IPPROTO_TCP, TCP_KEEPINTVL, kSec}, as_u64); });
  m("set-keep-alive-interval", [](WasiP2& w, HostCall&, std::span<Value> a) { return set_opt(w, a, {IPPROTO_TCP, TCP_KEEPINTVL, kSec}, false, 32767); });
  m("keep-alive-count", [](WasiP2& w, HostCall&, std::span<Value> a) { return get_opt(w, a, {IPPROTO_TCP, TCP_KEEPCNT}, as_u32); });
  m("set-keep-alive-count", [](WasiP2& w, HostCall&, std::span<Value> a) { return set_opt(w, a, {IPPROTO_TCP, TCP_KEEPCNT}, false, 127); });
  m("hop-limit", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    SOCKET(s);
    return get_opt(w, a, hop_opt(s->family), as_u8);
  });
  m("set-hop-limit", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    SOCKET(s);
    return set_opt(w, a, hop_opt(s->family), false, 255);
  });
  m("receive-buffer-size", [](WasiP2& w, HostCall&, std::span<Value> a) { return get_opt(w, a, {SOL_SOCKET, SO_RCVBUF}, as_u64); });
  m("set-receive-buffer-size", [](WasiP2& w, HostCall&, std::span<Value> a) { return set_opt(w, a, {SOL_SOCKET, SO_RCVBUF}, false, INT32_MAX / 2); });
  m("send-buffer-size", [](WasiP2& w, HostCall&, std::span<Value> a) { return get_opt(w, a, {SOL_SOCKET, SO_SNDBUF}, as_u64); });
  m("set-send-buffer-size", [](WasiP2& w, HostCall&, std::span<Value> a) { return set_opt(w, a, {SOL_SOCKET, SO_SNDBUF}, false, INT32_MAX / 2); });
  m("subscribe", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    SOCKET(s);
    Pollable p;
    p.kind = Pollable::Kind::Tcp;
    p.tcp = uint32_t(rep(a[0]));
    p.fd = s->fd;
    return ret(Value::own(new_pollable(w, std::move(p))));
  });
  m("shutdown", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    SOCKET(s);
    if (s->state != State::Connected) return net_fail("invalid-state");
    int how = a[1].label == "receive" ? SHUT_RD : a[1].label == "send" ? SHUT_WR : SHUT_RDWR;
    if (::shutdown(s->fd->fd, how) != 0) return ret(net_err(errno));
    return ret(Value::ok());
  });

  def(l, "wasi:sockets/tcp-create-socket", "create-tcp-socket", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    if (network_off(w)) return net_fail("access-denied");
    if (w.open_files() >= w.config().max_open_files) return net_fail("new-socket-limit");
    int family = a[0].label == "ipv4" ? AF_INET : AF_INET6;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return ret(net_err(errno));
    if (family == AF_INET6) {
      int one = 1;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);  // an ipv6 socket is ipv6 only, as the interface says
    }
    TcpSocket s;
    s.family = family;
    s.fd = std::make_shared<HostFd>(fd, true);
    return ret(Value::ok(Value::own(w.tcp_sockets.add(std::move(s)))));
  });
}

// ---- ip-name-lookup ----

HostResult resolve(WasiP2& w, HostCall&, std::span<Value> a) {
  if (network_off(w)) return net_fail("access-denied");
  const std::string& name = a[1].str;
  if (name.empty() || name.find('\0') != std::string::npos) return net_fail("invalid-argument");
  // Names the config lists (or "*") may be looked up; an IP address is its own answer.
  unsigned char buf[16];
  bool literal = inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
  std::vector<std::string> ports;  // of the patterns naming it
  for (const auto& p : w.config().allowed_network) {
    std::string host, port;
    if (split_pattern(p, &host, &port) && (host == name || host == "*")) ports.push_back(port);
  }
  if (!literal && ports.empty()) return net_fail("access-denied");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address
  hints.ai_flags = literal ? AI_NUMERICHOST : AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  int r = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (r == EAI_NONAME || r == EAI_NODATA) return net_fail("name-unresolvable");
  if (r == EAI_AGAIN) return net_fail("temporary-resolver-failure");
  if (r != 0) return net_fail("permanent-resolver-failure");
  ResolveStream s;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    sockaddr_storage ss{};
    std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    s.addresses.push_back(ip_value(ss));
    std::string text = addr_text(ss);
    // What the allowed name resolves to may be connected to, on the name's ports.
    for (const auto& port : ports)
      w.resolved_allowed.push_back((ss.ss_family == AF_INET6 ? "[" + text + "]" : text) + ":" + port);
  }
  freeaddrinfo(res);
  return ret(Value::ok(Value::own(w.resolve_streams.add(std::move(s)))));
}

}  // namespace

void add_sockets(Linker& l) {
  def_resource(l, kNetwork, "network", &WasiP2::networks);
  def(l, kNetwork, "network-error-code", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    IoError* e = w.errors.get(rep(a[0]));
    if (!e) return trap("unknown error");
    if (!e->host_errno) return ret(Value::none());
    return ret(Value::some(Value::enumeration(net_code(e->host_errno))));
  });
  def(l, "wasi:sockets/instance-network", "instance-network",
      [](WasiP2& w, HostCall&, std::span<Value>) { return ret(Value::own(w.networks.add(Network{}))); });
  add_tcp(l);
  add_udp(l);
  def_resource(l, kLookup, "resolve-address-stream", &WasiP2::resolve_streams);
  def(l, kLookup, "resolve-addresses", resolve);
  def(l, kLookup, "[method]resolve-address-stream.resolve-next-address",
      [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
        ResolveStream* s = w.resolve_streams.get(rep(a[0]));
        if (!s) return trap("unknown resolve-address-stream");
        if (s->next >= s->addresses.size()) return ret(Value::ok(Value::none()));
        return ret(Value::ok(Value::some(s->addresses[s->next++])));
      });
  def(l, kLookup, "[method]resolve-address-stream.subscribe", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    if (!w.resolve_streams.get(rep(a[0]))) return trap("unknown resolve-address-stream");
    return ret(Value::own(new_pollable(w, Pollable{})));  // the lookup finished when the stream was made
  });
}

}  // namespace whirl::wasi::p2
