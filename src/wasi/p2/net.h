// What wasi:sockets' tcp (sockets.cc) and udp (udp.cc) share: error codes,
// address values, the allow list, socket options.
#pragma once

#include <sys/socket.h>

#include "wasi/p2/ctx.h"

namespace whirl::wasi::p2 {

const char* net_code(int host_errno);  // a wasi:sockets error-code label
Value net_err(const char* label);      // err(error-code)
Value net_err(int host_errno);
HostResult net_fail(const char* label);

Value ip_value(const sockaddr_storage& ss);        // ip-address
Value sockaddr_value(const sockaddr_storage& ss);  // ip-socket-address
socklen_t to_sockaddr(const Value& ip_socket_address, sockaddr_storage* ss);
uint16_t port_of(const sockaddr_storage& ss);
// WasiConfig::allowed_network (and what allowed names resolved to) admits `ss`.
bool address_allowed(WasiP2& w, const sockaddr_storage& ss);
bool network_off(WasiP2& w);  // no network at all: every socket is access-denied

// A socket option: get returns its value (scaled: seconds <-> nanoseconds
// for the keep-alive times); set refuses 0 unless `zero_ok`, as the
// interface says, and caps at `max`.
struct Opt {
  int level, name;
  uint64_t scale = 1;
};
Opt hop_opt(int family);  // IP_TTL / IPV6_UNICAST_HOPS
HostResult sock_get_opt(int fd, Opt o, Value (*make)(uint64_t));
HostResult sock_set_opt(int fd, const Value& value, Opt o, bool zero_ok, uint64_t max);
Value as_bool(uint64_t v);
Value as_u8(uint64_t v);
Value as_u32(uint64_t v);
Value as_u64(uint64_t v);

void add_udp(Linker& l);

}  // namespace whirl::wasi::p2
