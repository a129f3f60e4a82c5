// The node host's admin API: a Unix stream socket taking one JSON object
// per line and answering each with one JSON line.
//   {"op":"add","name":"hello","dir":"/srv/apps/hello"}  -> {"ok":true,"load_ms":12.5}
//   {"op":"remove","name":"hello"}                        -> {"ok":true}
//   {"op":"list"}   -> {"ok":true,"apps":[{"name","dir","routes","requests","source"}]}
//   {"op":"status"} -> {"ok":true,"apps":N,"requests":N}
// A request it cannot do gets {"ok":false,"error":"..."} naming why. The
// socket file is made by start() (mode 0600: the host's user only) and
// removed at the end.
#pragma once

#include <filesystem>
#include <string>
#include <thread>

#include "common/expected.h"
#include "host/host.h"

namespace whirl::host {

class AdminServer {
 public:
  AdminServer(Host& host, std::filesystem::path socket_path) : host_(host), path_(std::move(socket_path)) {}
  ~AdminServer();  // stops taking connections and waits for the one being served
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  Expected<void> start();
  // One request line's answer (no newline): what a connection gets.
  std::string answer(const std::string& line);

 private:
  void serve();
  void serve_connection(int fd);

  Host& host_;
  std::filesystem::path path_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace whirl::host
