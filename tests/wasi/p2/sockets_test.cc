// wasi:sockets: denied unless the config allows the address; TCP over the
// loopback for allowed addresses.
#include "harness.h"

namespace whirl::wasi::p2::testing {
namespace {

Value ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  return Value::variant(
      "ipv4", Value::record({{"port", Value::uint(TypeKind::U16, port)},
                             {"address", Value::tuple({u8(a), u8(b), u8(c), u8(d)})}}));
}

class WasiP2Sockets : public P2Test {
 protected:
  Value tcp(const std::string& m, std::vector<Value> args) {
    return call1("wasi:sockets/tcp", "[method]tcp-socket." + m, std::move(args));
  }
  Value udp(const std::string& m, std::vector<Value> args) {
    return call1("wasi:sockets/udp", "[method]udp-socket." + m, std::move(args));
  }
  Value create(const char* family = "ipv4") {
    return call1("wasi:sockets/tcp-create-socket", "create-tcp-socket", {Value::enumeration(family)});
  }
  Value network() { return call1("wasi:sockets/instance-network", "instance-network"); }
  void wait(const Value& socket) {
    Value p = tcp("subscribe", {borrow(socket)});
    call1("wasi:io/poll", "[method]pollable.block", {borrow(p)});
  }
  // A listening socket on 127.0.0.1 and its port.
  std::pair<Value, uint16_t> listener() {
    Value net = network(), s = ok(create());
    EXPECT_FALSE(tcp("start-bind", {borrow(s), borrow(net), ipv4(127, 0, 0, 1, 0)}).is_err);
    EXPECT_FALSE(tcp("finish-bind", {borrow(s)}).is_err);
    EXPECT_FALSE(tcp("start-listen", {borrow(s)}).is_err);
    EXPECT_FALSE(tcp("finish-listen", {borrow(s)}).is_err);
    EXPECT_TRUE(tcp("is-listening", {borrow(s)}).b);
    Value local = ok(tcp("local-address", {borrow(s)}));
    return {s, uint16_t(local.items[0].items[0].u)};
  }
};

TEST_F(WasiP2Sockets, EverythingIsDeniedByDefault) {
  start(WasiConfig{});
  Value net = network();
  EXPECT_EQ(err(create()), "access-denied");
  EXPECT_EQ(err(create("ipv6")), "access-denied");
  EXPECT_EQ(err(call1("wasi:sockets/udp-create-socket", "create-udp-socket", {Value::enumeration("ipv4")})),
            "access-denied");
  EXPECT_EQ(err(call1("wasi:sockets/ip-name-lookup", "resolve-addresses", {borrow(net), str("localhost")})),
            "access-denied");
}

TEST_F(WasiP2Sockets, TcpOverLoopback) {
  WasiConfig c;
  c.allowed_network = {"127.0.0.1:*"};
  start(c);
  auto [server, port] = listener();
  ASSERT_NE(port, 0);
  Value net = network(), client = ok(create());
  EXPECT_EQ(err(tcp("finish-connect", {borrow(client)})), "not-in-progress");
  EXPECT_FALSE(tcp("start-connect", {borrow(client), borrow(net), ipv4(127, 0, 0, 1, port)}).is_err);
  wait(client);
  Value streams = ok(tcp("finish-connect", {borrow(client)}));
  Value cin = streams.items[0], cout = streams.items[1];
  wait(server);
  Value accepted = ok(tcp("accept", {borrow(server)}));
  Value sin = accepted.items[1], sout = accepted.items[2];
  EXPECT_EQ(ok(tcp("remote-address", {borrow(accepted.items[0])})).items[0].items[1],
            ok(tcp("local-address", {borrow(client)})).items[0].items[1]);
  EXPECT_EQ(ok(tcp("remote-address", {borrow(client)})).items[0].items[0].u, port);
  EXPECT_EQ(tcp("address-family", {borrow(client)}).label, "ipv4");

  EXPECT_GT(ok(out("check-write", {borrow(cout)})).u, 0u);
  EXPECT_FALSE(out("write", {borrow(cout), bytes("ping")}).is_err);
  EXPECT_FALSE(out("blocking-flush", {borrow(cout)}).is_err);
  EXPECT_EQ(text(ok(in("blocking-read", {borrow(sin), u64(100)}))), "ping");
  EXPECT_FALSE(out("blocking-write-and-flush", {borrow(sout), bytes("pong")}).is_err);
  EXPECT_EQ(text(ok(in("blocking-read", {borrow(cin), u64(100)}))), "pong");
  // Nothing more to read yet: a read returns nothing at once; the stream's pollable is not ready.
  EXPECT_EQ(text(ok(in("read", {borrow(cin), u64(100)}))), "");
  EXPECT_FALSE(call1("wasi:io/poll", "[method]pollable.ready", {borrow(in("subscribe", {borrow(cin)}))}).b);
  // The server shuts down sending: the client reads the end.
  EXPECT_FALSE(tcp("shutdown", {borrow(accepted.items[0]), Value::enumeration("send")}).is_err);
  EXPECT_EQ(in("blocking-read", {borrow(cin), u64(100)}).payload()->label, "closed");

  EXPECT_FALSE(tcp("set-keep-alive-enabled", {borrow(client), Value::boolean(true)}).is_err);
  EXPECT_TRUE(ok(tcp("keep-alive-enabled", {borrow(client)})).b);
  EXPECT_FALSE(tcp("set-keep-alive-idle-time", {borrow(client), u64(5'000'000'000)}).is_err);
  EXPECT_EQ(ok(tcp("keep-alive-idle-time", {borrow(client)})).u, 5'000'000'000u);
  EXPECT_EQ(err(tcp("set-hop-limit", {borrow(client), u8(0)})), "invalid-argument");
  EXPECT_EQ(err(tcp("start-listen", {borrow(client)})), "invalid-state");
  EXPECT_EQ(err(tcp("accept", {borrow(client)})), "invalid-state");
  EXPECT_EQ(err(tcp("accept", {borrow(server)})), "would-block");  // no one else is connecting
}

TEST_F(WasiP2Sockets, OnlyAllowedAddresses) {
  WasiConfig c;
  c.allowed_network = {"127.0.0.1:1"};
  start(c);
  Value net = network(), s = ok(create());
  EXPECT_EQ(err(tcp("start-connect", {borrow(s), borrow(net), ipv4(127, 0, 0, 2, 80)})), "access-denied");
  EXPECT_EQ(err(tcp("start-connect", {borrow(s), borrow(net), ipv4(127, 0, 0, 1, 2)})), "access-denied");
  EXPECT_EQ(err(tcp("start-bind", {borrow(s), borrow(net), ipv4(0, 0, 0, 0, 8080)})), "access-denied");
  Value v6 = ok(create("ipv6"));
  EXPECT_EQ(err(tcp("start-connect", {borrow(v6), borrow(net), ipv4(127, 0, 0, 1, 1)})), "invalid-argument");
  // Allowed, but nothing listens on port 1: refused.
  EXPECT_FALSE(tcp("start-connect", {borrow(s), borrow(net), ipv4(127, 0, 0, 1, 1)}).is_err);
  wait(s);
  EXPECT_EQ(err(tcp("finish-connect", {borrow(s)})), "connection-refused");
  Value u = ok(call1("wasi:sockets/udp-create-socket", "create-udp-socket", {Value::enumeration("ipv4")}));
  EXPECT_EQ(err(udp("start-bind", {borrow(u), borrow(net), ipv4(127, 0, 0, 1, 53)})), "access-denied");
}

TEST_F(WasiP2Sockets, UdpOverLoopback) {
  WasiConfig c;
  c.allowed_network = {"127.0.0.1:*"};
  start(c);
  Value net = network();
  auto bound = [&] {
    Value s = ok(call1("wasi:sockets/udp-create-socket", "create-udp-socket", {Value::enumeration("ipv4")}));
    EXPECT_FALSE(udp("start-bind", {borrow(s), borrow(net), ipv4(127, 0, 0, 1, 0)}).is_err);
    EXPECT_FALSE(udp("finish-bind", {borrow(s)}).is_err);
    return s;
  };
  Value a = bound(), b = bound();
  Value a_addr = ok(udp("local-address", {borrow(a)})), b_addr = ok(udp("local-address", {borrow(b)}));
  Value as = ok(udp("stream", {borrow(a), Value::none()}));
  Value bs = ok(udp("stream", {borrow(b), Value::some(a_addr)}));  // b is connected to a
  EXPECT_EQ(ok(udp("remote-address", {borrow(b)})), a_addr);
  EXPECT_EQ(err(udp("remote-address", {borrow(a)})), "invalid-state");
  auto dgram = [](std::string data, Value to) {
    return Value::record({{"data", bytes(data)}, {"remote-address", std::move(to)}});
  };
  const std::string U = "wasi:sockets/udp";
  EXPECT_GT(ok(call1(U, "[method]outgoing-datagram-stream.check-send", {borrow(bs.items[1])})).u, 1u);
  EXPECT_EQ(ok(call1(U, "[method]outgoing-datagram-stream.send",
                     {borrow(bs.items[1]), Value::list({dgram("hi", Value::none()), dgram("there", Value::none())})}))
                .u,
            2u);
  Value ready = call1(U, "[method]incoming-datagram-stream.subscribe", {borrow(as.items[0])});
  call1("wasi:io/poll", "[method]pollable.block", {borrow(ready)});
  Value got = ok(call1(U, "[method]incoming-datagram-stream.receive", {borrow(as.items[0]), u64(10)}));
  ASSERT_EQ(got.items.size(), 2u);
  EXPECT_EQ(text(got.items[0].items[0]), "hi");
  EXPECT_EQ(text(got.items[1].items[0]), "there");
  EXPECT_EQ(got.items[0].items[1], b_addr);
  // a is unconnected: each datagram names where it goes, and only allowed places.
  EXPECT_GT(ok(call1(U, "[method]outgoing-datagram-stream.check-send", {borrow(as.items[1])})).u, 0u);
  EXPECT_EQ(err(call1(U, "[method]outgoing-datagram-stream.send",
                      {borrow(as.items[1]), Value::list({dgram("x", Value::some(ipv4(127, 0, 0, 2, 9)))})})),
            "access-denied");
  EXPECT_EQ(err(call1(U, "[method]outgoing-datagram-stream.send",
                      {borrow(as.items[1]), Value::list({dgram("x", Value::none())})})),
            "invalid-argument");
  EXPECT_EQ(ok(call1(U, "[method]outgoing-datagram-stream.send",
                     {borrow(as.items[1]), Value::list({dgram("back", Value::some(b_addr))})}))
                .u,
            1u);
  call1("wasi:io/poll", "[method]pollable.block",
        {borrow(call1(U, "[method]incoming-datagram-stream.subscribe", {borrow(bs.items[0])}))});
  got = ok(call1(U, "[method]incoming-datagram-stream.receive", {borrow(bs.items[0]), u64(10)}));
  ASSERT_EQ(got.items.size(), 1u);
  EXPECT_EQ(text(got.items[0].items[0]), "back");
  // A new stream() retires the old pair.
  ok(udp("stream", {borrow(a), Value::none()}));
  EXPECT_EQ(err(call1(U, "[method]incoming-datagram-stream.receive", {borrow(as.items[0]), u64(1)})),
            "invalid-state");
}

TEST_F(WasiP2Sockets, NameLookupOfAllowedNames) {
  WasiConfig c;
  c.allowed_network = {"localhost:*"};
  start(c);
  Value net = network();
  EXPECT_EQ(err(call1("wasi:sockets/ip-name-lookup", "resolve-addresses", {borrow(net), str("example.com")})),
            "access-denied");
  Value st = ok(call1("wasi:sockets/ip-name-lookup", "resolve-addresses", {borrow(net), str("127.0.0.1")}));
  Value first = ok(call1("wasi:sockets/ip-name-lookup", "[method]resolve-address-stream.resolve-next-address",
                         {borrow(st)}));
  ASSERT_EQ(first.items.size(), 1u);
  EXPECT_EQ(first.items[0], Value::variant("ipv4", Value::tuple({u8(127), u8(0), u8(0), u8(1)})));
  EXPECT_EQ(ok(call1("wasi:sockets/ip-name-lookup", "[method]resolve-address-stream.resolve-next-address",
                     {borrow(st)})),
            Value::none());
  // Before the lookup 127.0.0.1 is not allowed; localhost resolves (from
  // /etc/hosts) to it, which may then be used on the name's ports.
  Value s = ok(create());
  EXPECT_EQ(err(tcp("start-bind", {borrow(s), borrow(net), ipv4(127, 0, 0, 1, 0)})), "access-denied");
  Value lh = ok(call1("wasi:sockets/ip-name-lookup", "resolve-addresses", {borrow(net), str("localhost")}));
  bool has_v4 = false;
  for (int i = 0; i < 8; ++i) {
    Value a = ok(call1("wasi:sockets/ip-name-lookup", "[method]resolve-address-stream.resolve-next-address",
                       {borrow(lh)}));
    if (a.items.empty()) break;
    has_v4 |= a.items[0] == Value::variant("ipv4", Value::tuple({u8(127), u8(0), u8(0), u8(1)}));
  }
  ASSERT_TRUE(has_v4);
  EXPECT_NE(listener().second, 0);
}

}  // namespace
}  // namespace whirl::wasi::p2::testing

namespace whirl::wasi::p2::testing {
namespace {

TEST_F(WasiP2Sockets, OptionsAndPollables) {
  WasiConfig c;
  c.allowed_network = {"127.0.0.1:*"};
  start(c);
  Value t = ok(create());
  EXPECT_FALSE(tcp("set-listen-backlog-size", {borrow(t), u64(16)}).is_err);
  EXPECT_EQ(err(tcp("set-listen-backlog-size", {borrow(t), u64(0)})), "invalid-argument");
  EXPECT_FALSE(tcp("set-keep-alive-interval", {borrow(t), u64(2'000'000'000)}).is_err);
  EXPECT_EQ(ok(tcp("keep-alive-interval", {borrow(t)})).u, 2'000'000'000u);
  EXPECT_FALSE(tcp("set-keep-alive-count", {borrow(t), u32(3)}).is_err);
  EXPECT_EQ(ok(tcp("keep-alive-count", {borrow(t)})).u, 3u);
  EXPECT_FALSE(tcp("set-hop-limit", {borrow(t), u8(7)}).is_err);
  EXPECT_EQ(ok(tcp("hop-limit", {borrow(t)})).u, 7u);
  EXPECT_FALSE(tcp("set-receive-buffer-size", {borrow(t), u64(8192)}).is_err);
  EXPECT_GE(ok(tcp("receive-buffer-size", {borrow(t)})).u, 8192u);
  EXPECT_FALSE(tcp("set-send-buffer-size", {borrow(t), u64(8192)}).is_err);
  EXPECT_GE(ok(tcp("send-buffer-size", {borrow(t)})).u, 8192u);
  EXPECT_EQ(err(tcp("local-address", {borrow(t)})), "invalid-state");  // not bound
  EXPECT_EQ(err(tcp("shutdown", {borrow(t), Value::enumeration("both")})), "invalid-state");
  // An unconnected socket has nothing to wait for.
  EXPECT_TRUE(call1("wasi:io/poll", "[method]pollable.ready", {borrow(tcp("subscribe", {borrow(t)}))}).b);

  const std::string U = "wasi:sockets/udp";
  Value u = ok(call1("wasi:sockets/udp-create-socket", "create-udp-socket", {Value::enumeration("ipv6")}));
  EXPECT_EQ(call1(U, "[method]udp-socket.address-family", {borrow(u)}).label, "ipv6");
  EXPECT_FALSE(call1(U, "[method]udp-socket.set-unicast-hop-limit", {borrow(u), u8(9)}).is_err);
  EXPECT_EQ(ok(call1(U, "[method]udp-socket.unicast-hop-limit", {borrow(u)})).u, 9u);
  EXPECT_FALSE(call1(U, "[method]udp-socket.set-receive-buffer-size", {borrow(u), u64(4096)}).is_err);
  EXPECT_GE(ok(call1(U, "[method]udp-socket.receive-buffer-size", {borrow(u)})).u, 4096u);
  EXPECT_FALSE(call1(U, "[method]udp-socket.set-send-buffer-size", {borrow(u), u64(4096)}).is_err);
  EXPECT_GE(ok(call1(U, "[method]udp-socket.send-buffer-size", {borrow(u)})).u, 4096u);
  EXPECT_EQ(err(call1(U, "[method]udp-socket.stream", {borrow(u), Value::none()})), "invalid-state");  // not bound
  EXPECT_TRUE(call1("wasi:io/poll", "[method]pollable.ready",
                    {borrow(call1(U, "[method]udp-socket.subscribe", {borrow(u)}))}).b);

  Value net = network();
  Value ipv4 = Value::variant("ipv4", Value::record({{"port", Value::uint(TypeKind::U16, 0)},
                                                    {"address", Value::tuple({u8(127), u8(0), u8(0), u8(1)})}}));
  Value v4 = ok(call1("wasi:sockets/udp-create-socket", "create-udp-socket", {Value::enumeration("ipv4")}));
  EXPECT_FALSE(call1(U, "[method]udp-socket.start-bind", {borrow(v4), borrow(net), ipv4}).is_err);
  EXPECT_FALSE(call1(U, "[method]udp-socket.finish-bind", {borrow(v4)}).is_err);
  Value pair = ok(call1(U, "[method]udp-socket.stream", {borrow(v4), Value::none()}));
  EXPECT_TRUE(call1("wasi:io/poll", "[method]pollable.ready",
                    {borrow(call1(U, "[method]outgoing-datagram-stream.subscribe", {borrow(pair.items[1])}))}).b);
  EXPECT_FALSE(call1("wasi:io/poll", "[method]pollable.ready",
                     {borrow(call1(U, "[method]incoming-datagram-stream.subscribe", {borrow(pair.items[0])}))}).b);

  Value lookup = ok(call1("wasi:sockets/ip-name-lookup", "resolve-addresses", {borrow(net), str("127.0.0.1")}));
  EXPECT_TRUE(call1("wasi:io/poll", "[method]pollable.ready",
                    {borrow(call1("wasi:sockets/ip-name-lookup", "[method]resolve-address-stream.subscribe",
                                  {borrow(lookup)}))}).b);
}

}  // namespace
}  // namespace whirl::wasi::p2::testing
