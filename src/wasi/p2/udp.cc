// wasi:sockets/udp and udp-create-socket: non-blocking datagram sockets,
// every bind, connect and send address checked against
// WasiConfig::allowed_network (access-denied otherwise).
#include <netinet/in.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "wasi/p2/net.h"

namespace whirl::wasi::p2 {
namespace {

constexpr const char* kUdp = "wasi:sockets/udp";
constexpr uint64_t kMaxBatch = 64;         // datagrams per receive call and check-send permit
constexpr size_t kMaxDatagram = 65535;

using State = UdpSocket::State;

#define UDP(var)                                  \
  UdpSocket* var = w.udp_sockets.get(rep(a[0])); \
  if (!var) return trap("unknown udp-socket");

// A datagram stream of the socket's current pair; null (and `*fail` set)
// when the socket made a newer pair since.
DatagramStream* stream_of(WasiP2& w, Table<DatagramStream>& t, const Value& self, HostResult* fail) {
  DatagramStream* d = t.get(rep(self));
  if (!d) {
    *fail = trap("unknown datagram stream");
    return nullptr;
  }
  UdpSocket* s = w.udp_sockets.get(d->socket);
  if (!s || s->fd != d->fd || s->generation != d->generation) {
    *fail = net_fail("invalid-state");
    return nullptr;
  }
  return d;
}

HostResult start_bind(WasiP2& w, HostCall&, std::span<Value> a) {
  UDP(s);
  if (s->state != State::Unbound) return net_fail("invalid-state");
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(a[2], &ss);
  if (ss.ss_family != s->family) return net_fail("invalid-argument");
  if (!address_allowed(w, ss)) return net_fail("access-denied");
  if (bind(s->fd->fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return ret(net_err(errno));
  s->state = State::BindStarted;
  return ret(Value::ok());
}

HostResult stream(WasiP2& w, HostCall&, std::span<Value> a) {
  UDP(s);
  if (s->state != State::Bound) return net_fail("invalid-state");
  if (const Value* remote = a[1].payload()) {
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(*remote, &ss);
    if (ss.ss_family != s->family || port_of(ss) == 0) return net_fail("invalid-argument");
    if (!address_allowed(w, ss)) return net_fail("access-denied");
    if (connect(s->fd->fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return ret(net_err(errno));
    s->connected = true;
  } else if (s->connected) {
    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    connect(s->fd->fd, &unspec, sizeof unspec);  // dissolves the association
    s->connected = false;
  }
  ++s->generation;
  DatagramStream d{uint32_t(rep(a[0])), s->fd, s->generation, 0};
  uint32_t in = w.incoming_datagrams.add(d), out = w.outgoing_datagrams.add(d);
  return ret(Value::ok(Value::tuple({Value::own(in), Value::own(out)})));
}

HostResult address(WasiP2& w, std::span<Value> a, bool remote) {
  UDP(s);
  if (remote ? !s->connected : s->state == State::Unbound) return net_fail("invalid-state");
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int r = remote ? getpeername(s->fd->fd, reinterpret_cast<sockaddr*>(&ss), &len)
                 : getsockname(s->fd->fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r != 0) return ret(net_err(errno));
  return ret(Value::ok(sockaddr_value(ss)));
}

HostResult receive(WasiP2& w, HostCall&, std::span<Value> a) {
  HostResult fail = ret();
  DatagramStream* d = stream_of(w, w.incoming_datagrams, a[0], &fail);
  if (!d) return fail;
  std::vector<Value> out;
  std::string buf(kMaxDatagram, '\0');
  while (out.size() < std::min<uint64_t>(a[1].u, kMaxBatch)) {
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(d->fd->fd, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || !out.empty()) break;
      return ret(net_err(errno));
    }
    out.push_back(Value::record({{"data", bytes(buf.data(), size_t(n))}, {"remote-address", sockaddr_value(from)}}));
  }
  return ret(Value::ok(Value::list(std::move(out))));
}

HostResult check_send(WasiP2& w, HostCall&, std::span<Value> a) {
  HostResult fail = ret();
  DatagramStream* d = stream_of(w, w.outgoing_datagrams, a[0], &fail);
  if (!d) return fail;
  pollfd p{d->fd->fd, POLLOUT, 0};
  d->permit = ::poll(&p, 1, 0) > 0 ? kMaxBatch : 0;
  return ret(Value::ok(u64(d->permit)));
}

HostResult send(WasiP2& w, HostCall&, std::span<Value> a) {
  HostResult fail = ret();
  DatagramStream* d = stream_of(w, w.outgoing_datagrams, a[0], &fail);
  if (!d) return fail;
  UdpSocket* s = w.udp_sockets.get(d->socket);
  const auto& list = a[1].items;
  if (list.size() > d->permit) return trap("outgoing-datagram-stream.send: more datagrams than check-send permitted");
  d->permit -= list.size();
  uint64_t sent = 0;
  for (const Value& dg : list) {
    std::string data = bytes_of(dg.items[0]);
    const Value* to = dg.items[1].payload();
    ssize_t n;
    if (to) {
      sockaddr_storage ss;
      socklen_t len = to_sockaddr(*to, &ss);
      if (ss.ss_family != s->family || port_of(ss) == 0) return sent ? ret(Value::ok(u64(sent))) : net_fail("invalid-argument");
      if (s->connected) {  // must be the connected peer
        sockaddr_storage peer{};
        socklen_t plen = sizeof peer;
        getpeername(s->fd->fd, reinterpret_cast<sockaddr*>(&peer), &plen);
        if (sockaddr_value(peer) != sockaddr_value(ss)) return sent ? ret(Value::ok(u64(sent))) : net_fail("invalid-argument");
        n = ::send(s->fd->fd, data.data(), data.size(), MSG_DONTWAIT);
      } else {
        if (!address_allowed(w, ss)) return sent ? ret(Value::ok(u64(sent))) : net_fail("access-denied");
        n = sendto(s->fd->fd, data.data(), data.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), len);
      }
    } else {
      if (!s->connected) return sent ? ret(Value::ok(u64(sent))) : net_fail("invalid-argument");
      n = ::send(s->fd->fd, data.data(), data.size(), MSG_DONTWAIT);
    }
    if (n < 0) {
      if (sent || errno == EAGAIN || errno == EWOULDBLOCK) break;
      return ret(net_err(errno));
    }
    ++sent;
  }
  return ret(Value::ok(u64(sent)));
}

Pollable on_fd(const FdRef& fd, short events) {
  Pollable p;
  p.kind = Pollable::Kind::Fd;
  p.fd = fd;
  p.events = events;
  return p;
}

}  // namespace

void add_udp(Linker& l) {
  def(l, "wasi:sockets/udp-create-socket", "create-udp-socket", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    if (network_off(w)) return net_fail("access-denied");
    if (w.open_files() >= w.config().max_open_files) return net_fail("new-socket-limit");
    int family = a[0].label == "ipv4" ? AF_INET : AF_INET6;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return ret(net_err(errno));
    if (family == AF_INET6) {
      int one = 1;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    UdpSocket s;
    s.family = family;
    s.fd = std::make_shared<HostFd>(fd, true);
    return ret(Value::ok(Value::own(w.udp_sockets.add(std::move(s)))));
  });

  def_resource(l, kUdp, "udp-socket", &WasiP2::udp_sockets);
  def_resource(l, kUdp, "incoming-datagram-stream", &WasiP2::incoming_datagrams);
  def_resource(l, kUdp, "outgoing-datagram-stream", &WasiP2::outgoing_datagrams);
  auto m = [&l](const char* name, auto fn) { def(l, kUdp, std::string("[method]udp-socket.") + name, fn); };
  m("start-bind", start_bind);
  m("finish-bind", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    UDP(s);
    if (s->state != State::BindStarted) return net_fail("not-in-progress");
    s->state = State::Bound;
    return ret(Value::ok());
  });
  m("stream", stream);
  m("local-address", [](WasiP2& w, HostCall&, std::span<Value> a) { return address(w, a, false); });
  m("remote-address", [](WasiP2& w, HostCall&, std::span<Value> a) { return address(w, a, true); });
  m("address-family", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    UDP(s);
    return ret(Value::enumeration(s->family == AF_INET ? "ipv4" : "ipv6"));
  });
  m("unicast-hop-limit", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    UDP(s);
    return sock_get_opt(s->fd->fd, hop_opt(s->family), as_u8);
  });
  m("set-unicast-hop-limit", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    UDP(s);
    return sock_set_opt(s->fd->fd, a[1], hop_opt(s->family), false, 255);
  });
  m("receive-buffer-size", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    UDP(s);
    return sock_get_opt(s->fd->fd, {SOL_SOCKET, SO_RCVBUF}, as_u64);
  });
  m("set-receive-buffer-size", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    UDP(s);
    return sock_set_opt(s->fd->fd, a[1], {SOL_SOCKET, SO_RCVBUF}, false, INT32_MAX / 2);
  });
  m("send-buffer-size", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    UDP(s);
    return sock_get_opt(s->fd->fd, {SOL_SOCKET, SO_SNDBUF}, as_u64);
  });
  m("set-send-buffer-size", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    UDP(s);
    return sock_set_opt(s->fd->fd, a[1], {SOL_SOCKET, SO_SNDBUF}, false, INT32_MAX / 2);
  });
  m("subscribe", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    UDP(s);
    return ret(Value::own(new_pollable(w, Pollable{})));  // bind and stream finish at once
  });

  def(l, kUdp, "[method]incoming-datagram-stream.receive", receive);
  def(l, kUdp, "[method]incoming-datagram-stream.subscribe", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    DatagramStream* d = w.incoming_datagrams.get(rep(a[0]));
    if (!d) return trap("unknown incoming-datagram-stream");
    return ret(Value::own(new_pollable(w, on_fd(d->fd, POLLIN))));
  });
  def(l, kUdp, "[method]outgoing-datagram-stream.check-send", check_send);
  def(l, kUdp, "[method]outgoing-datagram-stream.send", send);
  def(l, kUdp, "[method]outgoing-datagram-stream.subscribe", [](WasiP2& w, HostCall&, std::span<Value> a) -> HostResult {
    DatagramStream* d = w.outgoing_datagrams.get(rep(a[0]));
    if (!d) return trap("unknown outgoing-datagram-stream");
    return ret(Value::own(new_pollable(w, on_fd(d->fd, POLLOUT))));
  });
}

}  // namespace whirl::wasi::p2
