// Apps handed over by containerd tasks (Host::attach and its kin): served
// from the task's own listener, their output on the task's stdio.
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "common/env_list.h"
#include "host/host.h"

namespace whirl::host {
namespace fs = std::filesystem;
namespace {

// The task's stdio as the app's sink: components' "stdout" to the task's
// stdout, the rest and error lines to its stderr (as the shim's own
// process writes them), through a writer thread that never lets a stalled
// reader hold a request.
class TaskLogSink final : public spin::http::LogSink {
 public:
  TaskLogSink(FILE* out, FILE* err) : out_(out), err_(err) {
    spin::http::FileLogOptions o;
    o.stdout_console = out_;
    inner_ = std::make_unique<spin::http::FileLogSink>(fs::path(), err_, std::move(o));
  }
  ~TaskLogSink() override {
    inner_.reset();  // its writer thread ends before the files close
    std::fclose(out_);
    std::fclose(err_);
  }
  void component_output(std::string_view component, std::string_view stream, std::string_view bytes) override {
    inner_->component_output(component, stream, bytes);
  }
  void error(std::string_view message) override { inner_->error(message); }

 private:
  FILE* out_;
  FILE* err_;
  std::unique_ptr<spin::http::FileLogSink> inner_;
};

struct OwnedFd {
  explicit OwnedFd(int f) : fd(f) {}
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

}  // namespace

Expected<void> Host::attach(TaskApp t) {
  auto dir_fd = std::make_shared<OwnedFd>(t.dir_fd);
  OwnedFd listener(t.listener_fd), out_fd(t.stdout_fd), err_fd(t.stderr_fd);
  const std::string who = "app `" + t.name + "`";
  if (t.dir_fd < 0 || t.listener_fd < 0 || t.stdout_fd < 0 || t.stderr_fd < 0)
    return make_error(who + ": a task hands over its image's directory, its listener, its stdout and its stderr");
  {
    std::shared_lock lock(mu_);
    if (apps_.count(t.name)) return make_error(who + " already exists");
  }
  FILE* out = ::fdopen(out_fd.fd, "w");
  if (out) out_fd.fd = -1;
  FILE* err = out ? ::fdopen(err_fd.fd, "w") : nullptr;
  if (err) err_fd.fd = -1;
  if (!out || !err) {
    if (out) std::fclose(out);
    return make_error(who + ": cannot write to the task's stdio");
  }
  HostedAppOptions ho = app_options(t.name, {});
  ho.own_logs = std::make_shared<TaskLogSink>(out, err);
  ho.runtime.getenv = getenv_from(std::move(t.env));  // as the task's own process reads it
  ho.confined = true;
  ho.keep = dir_fd;
  // The image as the task sees it, through the descriptor it handed over
  // (whatever mount namespace it is in).
  const fs::path dir = "/proc/self/fd/" + std::to_string(dir_fd->fd);
  auto app = HostedApp::register_app(t.name, dir, ho);
  if (!app) return unexpected(app.error());
  if (snapshots_) snapshots_->want(t.name, (*app)->manifest());
  {
    std::unique_lock lock(mu_);
    if (apps_.count(t.name)) return make_error(who + " already exists");
    Entry& e = apps_[t.name];
    e.app = std::move(*app);
    e.metrics = std::make_shared<AppMetrics>();
    e.task = true;
    e.listener_fd = listener.fd;
    listener.fd = -1;
  }
  ++loads_;
  say(who + " attached (a containerd task's)");
  return {};
}

Expected<void> Host::serve_attached(const std::string& name) {
  int fd = -1;
  {
    std::unique_lock lock(mu_);
    auto it = apps_.find(name);
    if (it == apps_.end() || !it->second.task) return make_error("no task app `" + name + "`");
    if (it->second.listener_fd < 0) return make_error("app `" + name + "` is served already");
    fd = it->second.listener_fd;
    it->second.listener_fd = -1;
  }
  auto id = server_->adopt_listener(fd, name);
  if (!id) return make_error("app `" + name + "`: " + id.error().message);
  std::unique_lock lock(mu_);
  auto it = apps_.find(name);
  if (it == apps_.end()) {  // detached meanwhile
    server_->close_listener(*id);
    return make_error("app `" + name + "` was detached");
  }
  it->second.listener_id = *id;
  return {};
}

bool Host::detach(const std::string& name, std::chrono::milliseconds grace) {
  std::shared_ptr<AppMetrics> metrics;
  {
    std::unique_lock lock(mu_);
    auto it = apps_.find(name);
    if (it == apps_.end() || !it->second.task) return false;
    if (it->second.listener_id) server_->close_listener(*it->second.listener_id);
    if (it->second.listener_fd >= 0) ::close(it->second.listener_fd);
    it->second.listener_id.reset();
    it->second.listener_fd = -1;
    metrics = it->second.metrics;
  }
  // Requests in flight finish on the app, as a task's own process drains
  // them at SIGTERM.
  const auto until = std::chrono::steady_clock::now() + grace;
  while (metrics->in_flight.load() > 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::shared_ptr<HostedApp> old;
  {
    std::unique_lock lock(mu_);
    auto it = apps_.find(name);
    if (it == apps_.end() || !it->second.task) return false;
    old = std::move(it->second.app);
    apps_.erase(it);
  }
  say("app `" + name + "` detached");
  return true;
}

}  // namespace whirl::host
