#include "shim/host_handoff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "platform/signal_waiter.h"
#include "shim/oci_spec.h"
#include "spin/http/server.h"
#include "spin/manifest/manifest.h"

namespace whirl::shim {
namespace {
using json = nlohmann::json;

// The host's grace for in-flight requests, and a margin for the reply.
constexpr int kDetachWaitMs = 15000;

std::string errno_text() { return std::strerror(errno); }

Expected<void> send_line(int fd, const std::string& line, const std::vector<int>& fds = {}) {
  std::string data = line + "\n";
  iovec iov{data.data(), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != ssize_t(data.size())) return make_error("the node host: cannot send (" + errno_text() + ")");
  return {};
}

// One reply line; an error if the host does not answer within `timeout_ms`
// or says it cannot do it.
Expected<json> request(int fd, const json& req, int timeout_ms, const std::vector<int>& fds = {}) {
  if (auto ok = send_line(fd, req.dump(), fds); !ok) return unexpected(ok.error());
  std::string line;
  char c;
  while (line.size() < 65536) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return make_error("the node host did not answer");
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error("the node host closed the connection");
    if (c == '\n') break;
    line += c;
  }
  json reply = json::parse(line, nullptr, false);
  if (!reply.is_object()) return make_error("the node host: an answer that is not JSON");
  if (!reply.value("ok", false)) return make_error(reply.value("error", std::string("refused")));
  return reply;
}

Expected<int> bind_listener(const std::string& host, uint16_t port) {
  sockaddr_storage ss{};
  socklen_t len;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
  } else {
    return make_error("SPIN_HTTP_LISTEN_ADDR: `" + host + "` is not an IP address");
  }
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    std::string why = errno_text();
    if (fd >= 0) ::close(fd);
    return make_error("cannot listen on " + host + ":" + std::to_string(port) + ": " + why);
  }
  return fd;
}

class HandedOver : public Workload {
 public:
  HandedOver(int connection, std::string name, std::string where)
      : conn_(connection), name_(std::move(name)), where_(std::move(where)) {}
  ~HandedOver() override { ::close(conn_); }

  int run() override {
    const sigset_t stop = platform::block_stop_signals();
    int sfd = ::signalfd(-1, &stop, SFD_CLOEXEC);
    if (sfd < 0) return fail("signalfd: " + errno_text());
    if (auto ok = request(conn_, json{{"op", "start"}}, kDetachWaitMs); !ok) return fail(ok.error().message);
    std::fprintf(stderr, "whirl: serving %s on %s through the node host\n", name_.c_str(), where_.c_str());
    std::fflush(stderr);
    for (;;) {
      pollfd p[2] = {{sfd, POLLIN, 0}, {conn_, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return fail("poll: " + errno_text());
      }
      if (p[1].revents) return fail("the node host closed the connection");
      signalfd_siginfo si{};
      if (::read(sfd, &si, sizeof si) != ssize_t(sizeof si)) continue;
      // The host lets requests in flight finish; a second signal while it
      // does ends the task at once (the connection closing drops the app).
      if (auto ok = send_line(conn_, json{{"op", "detach"}}.dump()); !ok) return fail(ok.error().message);
      pollfd q[2] = {{sfd, POLLIN, 0}, {conn_, POLLIN, 0}};
      while (::poll(q, 2, kDetachWaitMs) < 0 && errno == EINTR) {
      }
      return 128 + int(si.ssi_signo);
    }
  }

 private:
  int fail(const std::string& what) {
    std::fprintf(stderr, "whirl: %s\n", what.c_str());
    std::fflush(stderr);
    return 1;
  }
  int conn_;
  std::string name_, where_;
};

}  // namespace

Expected<int> connect_node_host(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return make_error(path + ": the node host's socket path is too long");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("socket: " + errno_text());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::string why = errno_text();
    ::close(fd);
    return make_error("cannot reach the node host at " + path + ": " + why + " (is `whirl host --admin-socket` running?)");
  }
  return fd;
}

std::string handoff_refusal(const WorkloadSpec& spec) {
  if (is_wasi_command(spec)) return "a WASI command";
  std::error_code ec;
  if (std::filesystem::exists(spec.rootfs / "runtime-config.toml", ec)) return "the image has a runtime-config.toml";
  auto manifest = spin::load_manifest(spec.rootfs / "spin.toml");
  if (!manifest) return "";  // the host says what is wrong with it
  if (!manifest->redis_triggers.empty()) return "the app has Redis triggers";
  return "";
}

std::string app_name_for_task(const std::string& task_id) {
  std::string name;
  for (char c : task_id) {
    if (name.size() == 63) break;
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    name += ok ? c : (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : '-';
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  while (!name.empty() && name.front() == '-') name.erase(0, 1);
  return name.empty() ? "task" : name;
}

Expected<std::unique_ptr<Workload>> attach_to_node_host(int connection, const std::string& task_id,
                                                       const WorkloadSpec& spec, int stdout_fd, int stderr_fd) {
  std::string listen = "0.0.0.0:80", storage, host;
  if (auto v = find_env(spec.env, "SPIN_HTTP_LISTEN_ADDR", &storage)) listen = *v;
  uint16_t port = 0;
  if (!spin::http::parse_listen_address(listen, &host, &port))
    return make_error("SPIN_HTTP_LISTEN_ADDR must be ADDRESS:PORT, got `" + listen + "`");
  auto listener = bind_listener(host, port);
  if (!listener) return unexpected(listener.error());
  int dir = ::open(spec.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    ::close(*listener);
    return make_error(spec.rootfs.string() + ": cannot open the rootfs: " + errno_text());
  }
  const std::string name = app_name_for_task(task_id);
  json req{{"op", "attach"}, {"name", name}, {"env", spec.env}};
  auto reply = request(connection, req, kDetachWaitMs, {dir, *listener, stdout_fd, stderr_fd});
  ::close(dir);
  ::close(*listener);
  if (!reply) return unexpected(reply.error());
  return std::unique_ptr<Workload>(std::make_unique<HandedOver>(connection, name, listen));
}

}  // namespace whirl::shim
