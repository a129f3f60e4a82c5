// Shared by the PostgreSQL, MySQL and MQTT tests: the JS guest (js/guest.js,
// built once per build tree with componentize-js, by whichever test needs
// it first, under a lock), servers started by the tests on 127.0.0.1 with
// private temporary directories (stopped by PID), and `whirl up` serving
// the guest with a given allowed_outbound_hosts.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../http/http_client.h"
#include "../support/listener.h"
#include "../support/stop_process.h"
#include "../up/process.h"

namespace whirl::test::outbound {

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A port nothing listens on now (bound, then released).
inline uint16_t free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

// A private temporary directory, removed at the end (owned by `nobody`
// when servers must run unprivileged, see Server::as_nobody).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    std::string t = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
    path_ = mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The unprivileged user servers that refuse root run as (initdb, postgres).
inline std::optional<std::pair<uid_t, gid_t>> nobody() {
  if (geteuid() != 0) return std::nullopt;
  const passwd* pw = getpwnam("nobody");
  if (!pw) return std::nullopt;
  return std::make_pair(pw->pw_uid, pw->pw_gid);
}

inline void chown_tree(const fs::path& p, uid_t uid, gid_t gid) {
  chown(p.c_str(), uid, gid);
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(p, ec)) chown(e.path().c_str(), uid, gid);
}

// A server process: output to a log file, stopped by its PID (SIGTERM,
// then SIGKILL after 10 s).
class Server {
 public:
  Server(const std::vector<std::string>& argv, const fs::path& log, std::optional<std::pair<uid_t, gid_t>> user = {}) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
      setpgid(0, 0);
      if (user) {
        setgroups(0, nullptr);
        if (setgid(user->second) != 0 || setuid(user->first) != 0) _exit(126);
      }
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
  }
  ~Server() { stop(); }
  pid_t pid() const { return pid_; }
  bool running() {
    if (pid_ <= 0) return false;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  // Exit code once it exits within `seconds` (-1: still running, then stopped).
  int wait(int seconds) {
    for (int i = 0; pid_ > 0 && i < seconds * 100; ++i) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    return -1;
  }
  void stop() { stop_process(pid_, std::chrono::seconds(10)); }

 private:
  pid_t pid_ = -1;
};

// Runs a command to completion (bounded by `timeout` seconds); its exit code.
inline int run(const std::vector<std::string>& argv, const fs::path& log, int timeout,
               std::optional<std::pair<uid_t, gid_t>> user = {}) {
  Server s(argv, log, user);
  return s.wait(timeout);
}

// Polls `ready` every 100 ms for up to `seconds`.
inline bool wait_until(const std::function<bool()>& ready, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// The guest component, built if it is missing or older than its sources;
// an empty path (with `skip` set) when the npm tools cannot be installed.
inline fs::path guest(std::string* skip, std::string* error) {
  fs::path src = fs::path(WHIRL_OUTBOUND_GUEST_SRC), dir = fs::path(WHIRL_OUTBOUND_GUEST_DIR);
  fs::create_directories(dir);
  int lock = open((dir / "lock").c_str(), O_RDWR | O_CREAT, 0644);
  flock(lock, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() { close(fd); }
  } unlock{lock};
  fs::path out = dir / "guest.wasm";
  fs::path repo = src / ".." / ".." / ".." / "..";
  std::vector<fs::path> inputs = {src / "guest.js", src / "build.mjs", repo / "scripts" / "componentize.mjs"};
  for (auto d : {"spin-fermyon-v1", "spin-fermyon-2.0.0", "spin-postgres-3.0.0", "spin-postgres-4.2.0", "wasi-0.2", "wasi-http-0.2"})
    for (auto& e : fs::directory_iterator(repo / "wit" / d)) inputs.push_back(e.path());
  std::error_code ec;
  if (fs::exists(out)) {
    auto built = fs::last_write_time(out);
    bool fresh = true;
    for (auto& i : inputs) fresh = fresh && fs::last_write_time(i, ec) <= built;
    if (fresh) return out;
  }
  fs::path tools = WHIRL_NPM_TOOLS_DIR;
  if (run({(repo / "scripts" / "npm-tools.sh").string(), tools.string()}, dir / "npm.log", 900) != 0) {
    *skip = "npm tools unavailable (npm unreachable?): " + read_file(dir / "npm.log");
    return {};
  }
  fs::remove(out, ec);
  int rc = run({"node", (src / "build.mjs").string(), tools.string(), (dir / "work").string(), out.string()},
               dir / "build.log", 900);
  if (rc != 0 || !fs::exists(out)) {
    *error = "building the guest failed: " + read_file(dir / "build.log");
    return {};
  }
  return out;
}

// `whirl up` serving the guest as component "guest" on route /..., with
// these allowed_outbound_hosts and an optional runtime config.
class App {
 public:
  // `variables`: the manifest's [variables] table body (`name = { default = "x" }`).
  // `extra`: more `whirl up` arguments (`--timeout 2`).
  App(const fs::path& wasm, const std::vector<std::string>& allowed, const std::string& runtime_config = "",
      const std::string& variables = "", const std::vector<std::string>& extra = {})
      : dir_("whirl-outbound-app-") {
    fs::copy_file(wasm, dir_.path() / "guest.wasm");
    std::string hosts;
    for (const auto& h : allowed) hosts += (hosts.empty() ? "\"" : ", \"") + h + "\"";
    std::ofstream(dir_.path() / "spin.toml") << "spin_manifest_version = 2\n[application]\nname = \"outbound\"\n"
                                                "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"guest\"\n"
                                                "[component.guest]\nsource = \"guest.wasm\"\nallowed_outbound_hosts = ["
                                             << hosts << "]\n"
                                             << (variables.empty() ? "" : "[variables]\n" + variables);
    std::vector<std::string> args = {WHIRL_BINARY, "up", "-f", dir_.path().string(), "--listen", "127.0.0.1:0"};
    if (!runtime_config.empty()) {
      std::ofstream(dir_.path() / "runtime-config.toml") << runtime_config;
      args.push_back("--runtime-config-file");
      args.push_back((dir_.path() / "runtime-config.toml").string());
    }
    args.insert(args.end(), extra.begin(), extra.end());
    up_ = std::make_unique<UpProcess>(args, (dir_.path() / "up.err").string());
    port_ = up_->wait_serving();
  }
  uint16_t port() const { return port_; }
  std::string log() const { return up_->stderr_text(); }

  // The HTTP status of a script the guest may not finish (a deadline).
  unsigned status(const std::string& iface, const std::vector<json>& steps) {
    Client c(port_);
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = json{{"iface", iface}, {"steps", json(steps)}}.dump();
    return c.send(std::move(req)).status;
  }

  // Runs one script in one instance: each step's outcome.
  json call(const std::string& iface, const std::vector<json>& steps) {
    Client c(port_);
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = json{{"iface", iface}, {"steps", json(steps)}}.dump();
    Reply r = c.send(std::move(req));
    json out = json::parse(r.body, nullptr, false);
    if (r.status == 200 && out.is_array()) return out;
    // A failed request: reported, and an answer per step that says so.
    json failure = {{"status", r.status}, {"body", r.body}, {"error", r.error}, {"log", log()}};
    ADD_FAILURE() << "the guest failed: " << failure.dump();
    return json::array_t(steps.size() + 1, json{{"failed", failure}});
  }

 private:
  TempDir dir_;
  std::unique_ptr<UpProcess> up_;
  uint16_t port_ = 0;
};

}  // namespace whirl::test::outbound
