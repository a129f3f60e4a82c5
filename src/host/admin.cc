#include "host/admin.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

namespace whirl::host {
namespace {
using json = nlohmann::json;
constexpr size_t kMaxLine = 64 * 1024;  // a longer request line closes the connection
constexpr size_t kMaxConnections = 4096;  // beyond: closed at once (one per task, plus the admin's)
constexpr size_t kMaxFds = 8;             // descriptors one message may pass
constexpr std::chrono::milliseconds kDetachGrace{10000};  // as the shim's own process drains at SIGTERM

json fail(const std::string& why) { return json{{"ok", false}, {"error", why}}; }
}  // namespace

AdminServer::~AdminServer() {
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  for (int fd : {listen_fd_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
  if (listen_fd_ >= 0) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
}

Expected<void> AdminServer::start() {
  const std::string p = path_.string();
  sockaddr_un addr{};
  if (p.size() >= sizeof addr.sun_path) return make_error(p + ": the admin socket path is too long");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  // A socket file left by a host that died; anything else is not ours to replace.
  struct stat st {};
  if (::lstat(p.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return make_error(p + ": exists and is not a socket");
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) ::close(probe);
    if (live) return make_error(p + ": another host is listening on it");
    ::unlink(p.c_str());
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return make_error("admin socket: " + std::string(std::strerror(errno)));
  mode_t old = ::umask(0177);
  int b = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (b != 0 || ::listen(listen_fd_, 16) != 0) {
    int e = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    return make_error(p + ": cannot listen: " + std::strerror(e));
  }
  if (::pipe2(wake_, O_CLOEXEC) != 0) return make_error("admin socket: " + std::string(std::strerror(errno)));
  thread_ = std::thread([this] { serve(); });
  return {};
}

void AdminServer::serve() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) break;
    if (!(p[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    connections_.remove_if([](Running& r) {
      if (!r.done) return false;
      r.thread.join();
      return true;
    });
    if (connections_.size() >= kMaxConnections) {
      ::close(fd);
      continue;
    }
    Running& r = connections_.emplace_back();
    r.thread = std::thread([this, fd, &r] {
      serve_connection(fd);
      ::close(fd);
      r.done = true;
    });
  }
  for (auto& r : connections_) r.thread.join();
}

namespace {
// Reads what is there, taking descriptors passed along into `fds`.
ssize_t receive(int fd, char* buf, size_t size, std::vector<int>& fds) {
  iovec iov{buf, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  if (got < 0) return got;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; ++i) {
      int passed;
      std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
      fds.push_back(passed);
    }
  }
  return got;
}
}  // namespace

void AdminServer::serve_connection(int fd) {
  std::string buf;
  char tmp[4096];
  Connection c;
  for (;;) {
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    // An idle client does not hold a thread for ever; a task's connection
    // lasts as long as the task.
    int n = ::poll(p, 2, c.task.empty() ? 30000 : -1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || p[1].revents) break;
    ssize_t got = receive(fd, tmp, sizeof tmp, c.fds);
    if (got <= 0) break;
    // Descriptors no request has taken yet: the newest few are kept (an
    // attach takes its own), older ones closed, so a client cannot pile
    // them up.
    if (c.fds.size() > kMaxFds) {
      const size_t drop = c.fds.size() - kMaxFds;
      for (size_t i = 0; i < drop; ++i) ::close(c.fds[i]);
      c.fds.erase(c.fds.begin(), c.fds.begin() + std::ptrdiff_t(drop));
    }
    buf.append(tmp, size_t(got));
    size_t nl;
    bool gone = false;
    while (!gone && (nl = buf.find('\n')) != std::string::npos) {
      std::string reply = answer(buf.substr(0, nl), c) + "\n";
      buf.erase(0, nl + 1);
      for (size_t done = 0; done < reply.size();) {
        ssize_t w = ::send(fd, reply.data() + done, reply.size() - done, MSG_NOSIGNAL);
        if (w <= 0) {
          gone = true;
          break;
        }
        done += size_t(w);
      }
    }
    if (gone || buf.size() > kMaxLine) break;
  }
  for (int passed : c.fds) ::close(passed);
  // The task went without detaching (killed, or its connection broke).
  if (!c.task.empty()) host_.detach(c.task, std::chrono::milliseconds(0));
}

std::string AdminServer::answer(const std::string& line) {
  Connection c;
  std::string reply = answer(line, c);
  for (int passed : c.fds) ::close(passed);
  return reply;
}

std::string AdminServer::answer_task(const std::string& op, const json& req, Connection& c) {
  if (op == "attach") {
    std::vector<int> fds = std::move(c.fds);
    c.fds.clear();
    auto close_fds = [&] {
      for (int passed : fds) ::close(passed);
    };
    if (!c.task.empty()) return close_fds(), fail("this connection has attached app `" + c.task + "` already").dump();
    std::string name = req.contains("name") && req["name"].is_string() ? req["name"].get<std::string>() : "";
    if (name.empty()) return close_fds(), fail("attach needs \"name\"").dump();
    if (fds.size() != 4)
      return close_fds(),
             fail("attach passes four descriptors (the image's directory, the listener, stdout, stderr), got " +
                  std::to_string(fds.size()))
                 .dump();
    TaskApp t;
    t.name = name;
    t.dir_fd = fds[0];
    t.listener_fd = fds[1];
    t.stdout_fd = fds[2];
    t.stderr_fd = fds[3];
    if (req.contains("env") && req["env"].is_array())
      for (const auto& e : req["env"])
        if (e.is_string()) t.env.push_back(e.get<std::string>());
    if (auto ok = host_.attach(std::move(t)); !ok) return fail(ok.error().message).dump();
    c.task = name;
    return json{{"ok", true}}.dump();
  }
  if (c.task.empty()) return fail(op + ": no app attached on this connection").dump();
  if (op == "start") {
    if (auto ok = host_.serve_attached(c.task); !ok) return fail(ok.error().message).dump();
    return json{{"ok", true}}.dump();
  }
  // detach
  host_.detach(c.task, kDetachGrace);
  c.task.clear();
  return json{{"ok", true}}.dump();
}

std::string AdminServer::answer(const std::string& line, Connection& c) {
  json req = json::parse(line, nullptr, false);
  if (req.is_discarded() || !req.is_object()) return fail("not a JSON object").dump();
  const std::string op = req.value("op", "");
  if (op == "attach" || op == "start" || op == "detach") return answer_task(op, req, c);
  auto str = [&](const char* k) { return req.contains(k) && req[k].is_string() ? req[k].get<std::string>() : ""; };
  if (op == "add") {
    std::string name = str("name"), dir = str("dir");
    if (name.empty() || dir.empty()) return fail("add needs \"name\" and \"dir\"").dump();
    AppSettings settings;
    if (req.contains("limits")) {
      const json& l = req["limits"];
      auto number = [&](const char* k, double lo) -> std::optional<double> {
        if (!l.contains(k)) return std::nullopt;
        if (!l[k].is_number() || l[k].get<double>() < lo) return -1.0;
        return l[k].get<double>();
      };
      if (!l.is_object()) return fail("\"limits\" must be an object").dump();
      for (const auto& [k, v] : l.items())
        if (k != "rate" && k != "burst" && k != "timeout_ms" && k != "max_memory" && k != "max_app_memory")
          return fail("unknown limit \"" + k + "\" (rate, burst, timeout_ms, max_memory, max_app_memory)").dump();
      auto rate = number("rate", 0), burst = number("burst", 0), timeout = number("timeout_ms", 1),
           memory = number("max_memory", 65536), app_memory = number("max_app_memory", 65536);
      for (auto [k, v] : {std::pair{"rate", rate}, {"burst", burst}, {"timeout_ms", timeout}, {"max_memory", memory},
                          {"max_app_memory", app_memory}})
        if (v && *v < 0) return fail(std::string("limit \"") + k + "\" must be a number in range").dump();
      if (rate || burst) settings.limits = AppLimits{rate.value_or(0), burst.value_or(0)};
      if (timeout) settings.timeout = std::chrono::milliseconds(int64_t(*timeout));
      if (memory) settings.max_memory = uint64_t(*memory);
      if (app_memory) settings.max_app_memory = uint64_t(*app_memory);
    }
    auto t0 = std::chrono::steady_clock::now();
    if (auto ok = host_.add(name, dir, settings); !ok) return fail(ok.error().message).dump();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return json{{"ok", true}, {"load_ms", ms}}.dump();
  }
  if (op == "remove") {
    std::string name = str("name");
    if (name.empty()) return fail("remove needs \"name\"").dump();
    if (!host_.remove(name)) return fail("no app `" + name + "`").dump();
    return json{{"ok", true}}.dump();
  }
  if (op == "list") {
    json apps = json::array();
    for (const auto& a : host_.list())
      apps.push_back({{"name", a.name},
                      {"dir", a.dir.string()},
                      {"routes", a.routes},
                      {"requests", a.requests},
                      {"limits", {{"rate", a.limits.rate}, {"burst", a.limits.burst}}},
                      {"source", a.task ? "task" : a.from_apps_dir ? "apps-dir" : "admin"},
                      {"loaded", a.loaded}});
    return json{{"ok", true}, {"apps", apps}}.dump();
  }
  if (op == "status") {
    const HostCounts c = host_.counts();
    return json{{"ok", true},
                {"apps", c.apps},
                {"loaded", c.loaded},
                {"requests", host_.total_requests()},
                {"evictions", c.evictions},
                {"code", {{"modules", c.code_modules}, {"components", c.code_components}, {"shared", c.code_shared}}}}
        .dump();
  }
  return fail("unknown op \"" + op + "\" (add, remove, list, status, attach, start, detach)").dump();
}

}  // namespace whirl::host
