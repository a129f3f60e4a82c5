// The node host's admin API: a Unix stream socket taking one JSON object
// per line and answering each with one JSON line.
//   {"op":"add","name":"hello","dir":"/srv/apps/hello"}  -> {"ok":true,"load_ms":12.5}
//   {"op":"remove","name":"hello"}                        -> {"ok":true}
//   {"op":"list"}   -> {"ok":true,"apps":[{"name","dir","routes","requests","source"}]}
//   {"op":"status"} -> {"ok":true,"apps":N,"requests":N}
// A containerd task hands its app over on a connection of its own
// (docs/kubernetes.md, "Handing apps to the node host"):
//   {"op":"attach","name":N,"env":[..]} with four descriptors passed along
//     (SCM_RIGHTS: the image's directory, its listener, stdout, stderr)
//   {"op":"start"}   the host begins serving it
//   {"op":"detach"}  in-flight requests finish, then the app goes
// The connection ending detaches the app at once (the task died).
// Connections are served side by side, each on a thread of its own.
// A request it cannot do gets {"ok":false,"error":"..."} naming why. The
// socket file is made by start() (mode 0600: the host's user only) and
// removed at the end.
#pragma once

#include <atomic>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/expected.h"
#include "host/host.h"

namespace whirl::host {

class AdminServer {
 public:
  AdminServer(Host& host, std::filesystem::path socket_path) : host_(host), path_(std::move(socket_path)) {}
  ~AdminServer();  // stops taking connections and waits for those being served
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  Expected<void> start();
  // What one connection holds beyond its bytes.
  struct Connection {
    std::vector<int> fds;  // received and not yet taken (closed at the end)
    std::string task;      // the app it attached, until detached
  };
  // One request line's answer (no newline): what a connection gets.
  std::string answer(const std::string& line);
  std::string answer(const std::string& line, Connection& c);

 private:
  struct Running {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void serve();
  void serve_connection(int fd);
  std::string answer_task(const std::string& op, const nlohmann::json& req, Connection& c);

  Host& host_;
  std::filesystem::path path_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::list<Running> connections_;  // the accepting thread's only
};

}  // namespace whirl::host
