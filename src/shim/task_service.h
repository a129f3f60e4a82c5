// containerd's Task service (containerd.task.v2.Task) for whirl tasks: the
// table of tasks this shim owns, each with its mounted rootfs and its
// process (task_process.h), and the events their lifecycle publishes.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "shim/cgroups.h"
#include "shim/events.h"
#include "shim/module_cache.h"
#include "shim/task_process.h"
#include "shim/ttrpc.h"

namespace whirl::shim {

inline constexpr const char* kTaskServiceName = "containerd.task.v2.Task";

class TaskService {
 public:
  // `on_shutdown` runs (once) when Shutdown finds nothing left to serve.
  TaskService(EventPublisher* events, std::function<void()> on_shutdown);
  ~TaskService();

  ttrpc::Reply handle(const std::string& method, const std::string& payload);
  // Methods that block until something happens run on their own thread.
  static bool is_blocking(const std::string& method) { return method == "Wait"; }
  // From the reaper: a child exited with `wait_status`.
  void on_exit(pid_t pid, int wait_status);
  // The shim is going away (SIGTERM): kill every task, unmount, remove cgroups.
  void abandon_all();

 private:
  enum class State { Creating, Created, Running, Stopped };
  struct Task {
    std::string id, bundle, rootfs, stdin_path, stdout_path, stderr_path;
    bool terminal = false;
    bool mounted = false;
    TaskProcess process;
    std::optional<Cgroup> cgroup;  // only when the spec sets limits
    ModuleCache::Handle module;    // a WASI command's module, shared with tasks of the same bytes
    State state = State::Creating;
    uint32_t exit_status = 0;
    int64_t exited_sec = 0;
    int32_t exited_nsec = 0;
  };

  ttrpc::Reply create(const std::string& payload);
  ttrpc::Reply start(const std::string& payload);
  ttrpc::Reply state(const std::string& payload);
  ttrpc::Reply kill(const std::string& payload);
  ttrpc::Reply wait(const std::string& payload);
  ttrpc::Reply remove(const std::string& payload);
  ttrpc::Reply pids(const std::string& payload);
  ttrpc::Reply stats(const std::string& payload);
  ttrpc::Reply connect(const std::string& payload);
  ttrpc::Reply shutdown(const std::string& payload);
  ttrpc::Reply signal_all(const std::string& payload, int sig);

  // Looks a task up by id (mu_ held); NotFound names it.
  Expected<std::shared_ptr<Task>, ttrpc::Status> find(const std::string& id);
  void cleanup_rootfs(Task& t);

  EventPublisher* events_;
  std::function<void()> on_shutdown_;
  std::mutex mu_;
  std::condition_variable exited_;
  std::map<std::string, std::shared_ptr<Task>> tasks_;
  ModuleCache modules_;
  bool shutting_down_ = false;
  bool cgroup_v2_ = false;
};

}  // namespace whirl::shim
