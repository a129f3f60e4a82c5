// A real redis-server for tests: started on 127.0.0.1 with a free port and
// a private temporary directory (no persistence), stopped by its PID.
// Restartable on the same port (the trigger's reconnection test). The
// test's own views of the server: a small hiredis client, and redis-cli.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "free_port.h"
#include "run_output.h"
#include "stop_process.h"

namespace whirl::test {

inline bool have_redis_server() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }

// The test's own connection (hiredis), with a timeout on every reply.
class RedisClient {
 public:
  explicit RedisClient(uint16_t port) {
    timeval tv{5, 0};
    c_ = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (c_ && !c_->err) redisSetTimeout(c_, tv);
  }
  ~RedisClient() {
    if (c_) redisFree(c_);
  }
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;
  bool ok() const { return c_ && !c_->err; }

  struct Reply {
    int type = REDIS_REPLY_NIL;
    std::string str;
    long long integer = 0;
    std::vector<std::string> elements;  // an array's strings
  };
  // One command, its arguments binary-safe.
  Reply command(const std::vector<std::string>& argv) {
    std::vector<const char*> p;
    std::vector<size_t> n;
    for (const auto& a : argv) {
      p.push_back(a.data());
      n.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c_, int(argv.size()), p.data(), n.data()));
    return take(r);
  }
  // The next reply on a subscribed connection (none after the timeout).
  std::optional<Reply> next() {
    void* r = nullptr;
    if (redisGetReply(c_, &r) != REDIS_OK || !r) return std::nullopt;
    return take(static_cast<redisReply*>(r));
  }

 private:
  static Reply take(redisReply* r) {
    Reply out;
    if (!r) {
      out.type = REDIS_REPLY_ERROR;
      out.str = "no reply";
      return out;
    }
    out.type = r->type;
    if (r->str) out.str.assign(r->str, r->len);
    out.integer = r->integer;
    for (size_t i = 0; i < r->elements; ++i)
      out.elements.emplace_back(r->element[i]->str ? std::string(r->element[i]->str, r->element[i]->len) : "");
    freeReplyObject(r);
    return out;
  }
  redisContext* c_ = nullptr;
};

class RedisServer {
 public:
  RedisServer() : port_(free_port()) {
    char tmpl[] = "/tmp/whirl-redis-XXXXXX";
    if (char* d = mkdtemp(tmpl)) dir_ = d;
  }
  ~RedisServer() {
    stop();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // TLS only, on the same port: the certificate and key files (PEM).
  void use_tls(std::string cert, std::string key) { tls_ = {std::move(cert), std::move(key)}; }

  // Starts (again) on the same port; true once it answers PING (bounded
  // wait; with TLS, once it accepts connections).
  bool start() {
    if (pid_ > 0 || dir_.empty()) return false;
    std::string port = std::to_string(port_);
    std::string log = (std::filesystem::path(dir_) / "redis.log").string();
    std::vector<std::string> args{"redis-server", "--bind", "127.0.0.1", "--dir", dir_, "--save", "",
                                  "--appendonly", "no", "--daemonize", "no", "--logfile", log,
                                  "--protected-mode", "no"};
    if (tls_.empty()) {
      args.insert(args.end(), {"--port", port});
    } else {
      args.insert(args.end(), {"--port", "0", "--tls-port", port, "--tls-cert-file", tls_[0], "--tls-key-file",
                               tls_[1], "--tls-auth-clients", "no"});
    }
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("redis-server", argv.data());
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (!tls_.empty() ? accepts() : [&] {
            RedisClient c(port_);
            return c.ok() && c.command({"PING"}).str == "PONG";
          }())
        return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }
  // SIGTERM by PID, then SIGKILL if it has not gone within 5 s.
  void stop() { stop_process(pid_, std::chrono::seconds(5)); }
  uint16_t port() const { return port_; }
  bool accepts() const {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port_);
    bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    return ok;
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // A command through redis-cli (arguments shell-quoted by the caller):
  // its output without the trailing newline.
  std::string cli(const std::string& args) const {
    return run_output("redis-cli -h 127.0.0.1 -p " + std::to_string(port_) + " " + args + " 2>&1");
  }

 private:
  uint16_t port_;
  std::string dir_;
  std::vector<std::string> tls_;  // cert, key
  pid_t pid_ = -1;
};

}  // namespace whirl::test
