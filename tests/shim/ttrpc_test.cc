#include "shim/ttrpc.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace whirl::shim::ttrpc {
namespace {

// A server on a temporary unix socket, served on a background thread.
struct Served {
  std::string path;
  int listen_fd = -1;
  Server server;
  std::thread thread;

  Served(Handler h, std::function<bool(const std::string&)> blocking = {})
      : server("test.v1.Echo", std::move(h), std::move(blocking)) {
    path = (std::filesystem::temp_directory_path() / ("whirl-ttrpc-" + std::to_string(getpid()))).string();
    ::unlink(path.c_str());
    listen_fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    EXPECT_EQ(::bind(listen_fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd, 8), 0);
    thread = std::thread([this] { server.serve(listen_fd); });
  }
  ~Served() {
    server.stop();
    thread.join();
    ::close(listen_fd);
    ::unlink(path.c_str());
  }
};

TEST(Ttrpc, CallsReachTheHandlerAndRepliesComeBack) {
  Served s([](const std::string& method, const std::string& payload) -> Reply {
    if (method == "Echo") return "echo:" + payload;
    return rpc_error(Code::NotFound, "no such thing");
  });
  Client c;
  ASSERT_TRUE(c.connect(s.path));
  auto r = c.call("test.v1.Echo", "Echo", "hi");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "echo:hi");
  auto e = c.call("test.v1.Echo", "Other", "");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("no such thing"), std::string::npos);
  // A second call on the same connection uses the next odd stream id.
  EXPECT_EQ(*c.call("test.v1.Echo", "Echo", "again"), "echo:again");
}

TEST(Ttrpc, UnknownServiceIsUnimplemented) {
  Served s([](const std::string&, const std::string&) -> Reply { return std::string(); });
  Client c;
  ASSERT_TRUE(c.connect(s.path));
  auto r = c.call("other.Service", "X", "");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("service other.Service"), std::string::npos);
}

TEST(Ttrpc, BlockingMethodsDoNotHoldUpTheConnection) {
  std::atomic<bool> release{false};
  Served s(
      [&](const std::string& method, const std::string&) -> Reply {
        if (method == "Wait")
          while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return method;
      },
      [](const std::string& m) { return m == "Wait"; });
  // Raw frames: a Wait first (stream 1), then a Quick (stream 3) answered before it.
  Client waiter;
  ASSERT_TRUE(waiter.connect(s.path));
  std::thread t([&] { EXPECT_EQ(*waiter.call("test.v1.Echo", "Wait", ""), "Wait"); });
  Client quick;
  ASSERT_TRUE(quick.connect(s.path));
  EXPECT_EQ(*quick.call("test.v1.Echo", "Quick", ""), "Quick");
  release = true;
  t.join();
}

TEST(Ttrpc, FramesHaveTheTenByteHeader) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ASSERT_TRUE(write_frame(sv[0], 5, 2, "abc"));
  unsigned char raw[13];
  ASSERT_EQ(::read(sv[1], raw, sizeof raw), 13);
  const unsigned char want[10] = {0, 0, 0, 3, 0, 0, 0, 5, 2, 0};
  EXPECT_EQ(std::memcmp(raw, want, 10), 0);
  // An oversized length is refused, not allocated.
  const unsigned char huge[10] = {0x7f, 0, 0, 0, 0, 0, 0, 1, 1, 0};
  ASSERT_EQ(::write(sv[0], huge, 10), 10);
  uint32_t stream;
  uint8_t type;
  std::string body;
  EXPECT_FALSE(read_frame(sv[1], &stream, &type, &body));
  ::close(sv[0]);
  ::close(sv[1]);
}

}  // namespace
}  // namespace whirl::shim::ttrpc
