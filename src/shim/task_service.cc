#include "shim/task_service.h"

#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "shim/mounts.h"
#include "shim/oci_spec.h"
#include "shim/runtime_options.h"
#include "shim/stats.h"
#include "shim/workload.h"

namespace whirl::shim {
namespace {

namespace v2 = containerd::task::v2;
namespace types = containerd::v1::types;
using ttrpc::Code;
using ttrpc::rpc_error;

template <class M>
Expected<M, ttrpc::Status> parse(const std::string& payload) {
  M m;
  if (!m.ParseFromString(payload)) return rpc_error(Code::InvalidArgument, "malformed " + m.GetTypeName());
  return m;
}

template <class M>
ttrpc::Reply ok(const M& m) {
  return m.SerializeAsString();
}

ttrpc::Reply empty_reply() { return std::string(); }

Unexpected<ttrpc::Status> no_exec(const std::string& exec_id) {
  return rpc_error(Code::NotFound, "exec " + exec_id + ": whirl tasks have no exec processes");
}

#define PARSE(Type, var, payload)                         \
  auto var##_parsed = parse<Type>(payload);               \
  if (!var##_parsed) return unexpected(var##_parsed.error()); \
  const Type& var = *var##_parsed

}  // namespace

TaskService::TaskService(EventPublisher* events, std::function<void()> on_shutdown)
    : events_(events), on_shutdown_(std::move(on_shutdown)), cgroup_v2_(host_uses_cgroup_v2()) {}

TaskService::~TaskService() = default;

ttrpc::Reply TaskService::handle(const std::string& method, const std::string& payload) {
  if (method == "Create") return create(payload);
  if (method == "Start") return start(payload);
  if (method == "State") return state(payload);
  if (method == "Kill") return kill(payload);
  if (method == "Wait") return wait(payload);
  if (method == "Delete") return remove(payload);
  if (method == "Pids") return pids(payload);
  if (method == "Stats") return stats(payload);
  if (method == "Connect") return connect(payload);
  if (method == "Shutdown") return shutdown(payload);
  if (method == "Pause") return signal_all(payload, SIGSTOP);
  if (method == "Resume") return signal_all(payload, SIGCONT);
  if (method == "CloseIO" || method == "Update" || method == "ResizePty") return empty_reply();  // nothing to do for a wasm task
  if (method == "Exec") return rpc_error(Code::Unimplemented, "whirl tasks do not support exec");
  if (method == "Checkpoint") return rpc_error(Code::Unimplemented, "whirl tasks do not support checkpoints");
  return rpc_error(Code::Unimplemented, "method " + method);
}

Expected<std::shared_ptr<TaskService::Task>, ttrpc::Status> TaskService::find(const std::string& id) {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return rpc_error(Code::NotFound, "task " + id + " not found");
  return it->second;
}

void TaskService::cleanup_rootfs(Task& t) {
  if (t.mounted) unmount_all(t.rootfs);
  t.mounted = false;
}

ttrpc::Reply TaskService::create(const std::string& payload) {
  PARSE(v2::CreateTaskRequest, req, payload);
  if (req.id().empty() || req.bundle().empty()) return rpc_error(Code::InvalidArgument, "id and bundle are required");
  if (!req.checkpoint().empty()) return rpc_error(Code::Unimplemented, "whirl tasks cannot be restored from checkpoints");
  if (req.terminal()) return rpc_error(Code::InvalidArgument, "whirl tasks have no terminal (run without -t/tty)");
  auto spec = read_oci_spec(req.bundle());
  if (!spec) return rpc_error(Code::InvalidArgument, spec.error().message);
  auto shim_options = parse_shim_options(req.options().type_url(), req.options().value());
  if (!shim_options) return rpc_error(Code::InvalidArgument, shim_options.error().message);

  auto t = std::make_shared<Task>();
  t->id = req.id();
  t->bundle = req.bundle();
  std::filesystem::path root = spec->root_path;
  t->rootfs = (root.is_absolute() ? root : std::filesystem::path(req.bundle()) / root).string();
  t->stdin_path = req.stdin();
  t->stdout_path = req.stdout();
  t->stderr_path = req.stderr();
  t->terminal = req.terminal();
  {
    std::lock_guard lock(mu_);
    if (tasks_.count(t->id)) return rpc_error(Code::AlreadyExists, "task " + t->id + " already exists");
    tasks_[t->id] = t;
  }
  auto fail = [&](Code code, const std::string& message) -> ttrpc::Reply {
    std::lock_guard lock(mu_);
    cleanup_rootfs(*t);
    if (t->cgroup) t->cgroup->remove();
    tasks_.erase(t->id);
    return rpc_error(code, message);
  };

  std::vector<MountSpec> mounts;
  for (const auto& m : req.rootfs()) mounts.push_back(MountSpec{m.type(), m.source(), {m.options().begin(), m.options().end()}});
  if (!mounts.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(t->rootfs, ec);
    if (auto r = mount_all(mounts, t->rootfs); !r) return fail(Code::Internal, r.error().message);
    t->mounted = true;
  }

  ProcessSpec ps;
  ps.stdin_path = t->stdin_path;
  ps.stdout_path = t->stdout_path;
  ps.stderr_path = t->stderr_path;
  ps.namespaces = spec->namespaces;
  ps.hostname = spec->hostname;
  ps.workload.rootfs = t->rootfs;
  ps.workload.args = spec->args;
  ps.workload.env = spec->env;
  ps.workload.cwd = spec->cwd;
  ps.node_host = shim_options->node_host;
  ps.task_id = t->id;
  if (is_wasi_command(ps.workload)) {
    // Compiled once per shim and inherited by the task process
    // (module_cache.h). A module that cannot be read is the task process's
    // error to report, as before.
    if (auto file = map_wasi_module(ps.workload)) {
      t->module = modules_.lookup(file->bytes());
      ps.workload.module = ModuleCache::compiled(t->module);
    }
  }
  TaskProcess proc;
  {
    // The pid is recorded before the reaper can see the child exit.
    std::lock_guard lock(mu_);
    auto forked = fork_task_process(ps);
    if (!forked) {
      cleanup_rootfs(*t);
      tasks_.erase(t->id);
      return rpc_error(Code::Internal, forked.error().message);
    }
    t->process = *forked;
    proc = *forked;
  }
  Expected<void> ready;
  if (spec->resources.any()) {
    // In its cgroup before it can run: the limits hold from Start on.
    auto cg = Cgroup::create(spec->cgroups_path, spec->resources);
    if (cg && !(ready = cg->add(proc.pid))) cg->remove();
    if (!cg) ready = unexpected(cg.error());
    std::lock_guard lock(mu_);
    if (cg && ready) t->cgroup = std::move(*cg);
  }
  if (ready) {
    ready = wait_task_ready(proc);
  } else {
    // A task process that failed to load its workload may have exited
    // before it could be moved into its cgroup: its own error is the one to
    // report (a bad image), not the cgroup's.
    pollfd pfd{proc.ready_fd, POLLIN, 0};
    if (::poll(&pfd, 1, 1000) == 1)
      if (auto child = wait_task_ready(proc); !child) ready = unexpected(child.error());
  }
  if (proc.ready_fd >= 0) ::close(proc.ready_fd);  // not read when the cgroup failed
  if (!ready) {
    {
      std::unique_lock lock(mu_);
      t->process.ready_fd = -1;
      ::kill(proc.pid, SIGKILL);
      if (t->process.start_fd >= 0) ::close(t->process.start_fd);
      t->process.start_fd = -1;
      // The mount must outlive the child that still has the rootfs as its root.
      exited_.wait_for(lock, std::chrono::seconds(5), [&] { return t->state == State::Stopped; });
    }
    return fail(Code::InvalidArgument, "whirl: " + ready.error().message);
  }

  if (t->module && !ps.workload.module) ModuleCache::mark_verified(t->module);  // the task process compiled it
  {
    std::lock_guard lock(mu_);
    t->process.ready_fd = -1;
    if (t->state == State::Creating) t->state = State::Created;
  }
  containerd::events::TaskCreate ev;
  ev.set_container_id(t->id);
  ev.set_bundle(t->bundle);
  *ev.mutable_rootfs() = req.rootfs();
  ev.mutable_io()->set_stdin(t->stdin_path);
  ev.mutable_io()->set_stdout(t->stdout_path);
  ev.mutable_io()->set_stderr(t->stderr_path);
  ev.mutable_io()->set_terminal(t->terminal);
  ev.set_pid(uint32_t(proc.pid));
  events_->publish("/tasks/create", "containerd.events.TaskCreate", ev.SerializeAsString());
  v2::CreateTaskResponse resp;
  resp.set_pid(uint32_t(proc.pid));
  return ok(resp);
}

ttrpc::Reply TaskService::start(const std::string& payload) {
  PARSE(v2::StartRequest, req, payload);
  if (!req.exec_id().empty()) return no_exec(req.exec_id());
  std::lock_guard lock(mu_);
  auto t = find(req.id());
  if (!t) return unexpected(t.error());
  auto& task = **t;
  if (task.state != State::Created)
    return rpc_error(Code::FailedPrecondition, "task " + task.id + " is not in the created state");
  release_task_process(task.process);
  task.state = State::Running;
  containerd::events::TaskStart ev;
  ev.set_container_id(task.id);
  ev.set_pid(uint32_t(task.process.pid));
  events_->publish("/tasks/start", "containerd.events.TaskStart", ev.SerializeAsString());
  v2::StartResponse resp;
  resp.set_pid(uint32_t(task.process.pid));
  return ok(resp);
}

ttrpc::Reply TaskService::state(const std::string& payload) {
  PARSE(v2::StateRequest, req, payload);
  if (!req.exec_id().empty()) return no_exec(req.exec_id());
  std::lock_guard lock(mu_);
  auto t = find(req.id());
  if (!t) return unexpected(t.error());
  const auto& task = **t;
  v2::StateResponse resp;
  resp.set_id(task.id);
  resp.set_bundle(task.bundle);
  resp.set_pid(uint32_t(task.process.pid));
  switch (task.state) {
    case State::Creating:
    case State::Created: resp.set_status(types::CREATED); break;
    case State::Running: resp.set_status(types::RUNNING); break;
    case State::Stopped: resp.set_status(types::STOPPED); break;
  }
  resp.set_stdin(task.stdin_path);
  resp.set_stdout(task.stdout_path);
  resp.set_stderr(task.stderr_path);
  resp.set_terminal(task.terminal);
  resp.set_exit_status(task.exit_status);
  resp.mutable_exited_at()->set_seconds(task.exited_sec);
  resp.mutable_exited_at()->set_nanos(task.exited_nsec);
  return ok(resp);
}

ttrpc::Reply TaskService::kill(const std::string& payload) {
  PARSE(v2::KillRequest, req, payload);
  if (!req.exec_id().empty()) return no_exec(req.exec_id());
  std::lock_guard lock(mu_);
  auto t = find(req.id());
  if (!t) return unexpected(t.error());
  auto& task = **t;
  if (task.state == State::Stopped) return rpc_error(Code::NotFound, "process already finished");
  int sig = req.signal() ? int(req.signal()) : SIGKILL;
  // The task process leads its own session; `all` reaches anything it started.
  if (::kill(req.all() ? -task.process.pid : task.process.pid, sig) != 0 && errno != ESRCH)
    return rpc_error(Code::InvalidArgument, "kill " + std::to_string(sig) + ": " + std::strerror(errno));
  return empty_reply();
}

ttrpc::Reply TaskService::signal_all(const std::string& payload, int sig) {
  PARSE(v2::PauseRequest, req, payload);  // Pause and Resume requests have the same shape
  std::lock_guard lock(mu_);
  auto t = find(req.id());
  if (!t) return unexpected(t.error());
  if ((*t)->state == State::Running) ::kill(-(*t)->process.pid, sig);
  return empty_reply();
}

ttrpc::Reply TaskService::wait(const std::string& payload) {
  PARSE(v2::WaitRequest, req, payload);
  if (!req.exec_id().empty()) return no_exec(req.exec_id());
  std::unique_lock lock(mu_);
  auto t = find(req.id());
  if (!t) return unexpected(t.error());
  auto task = *t;
  exited_.wait(lock, [&] { return task->state == State::Stopped; });
  v2::WaitResponse resp;
  resp.set_exit_status(task->exit_status);
  resp.mutable_exited_at()->set_seconds(task->exited_sec);
  resp.mutable_exited_at()->set_nanos(task->exited_nsec);
  return ok(resp);
}

ttrpc::Reply TaskService::remove(const std::string& payload) {
  PARSE(v2::DeleteRequest, req, payload);
  if (!req.exec_id().empty()) return no_exec(req.exec_id());
  std::unique_lock lock(mu_);
  auto t = find(req.id());
  if (!t) return unexpected(t.error());
  auto task = *t;
  if (task->state == State::Running) return rpc_error(Code::FailedPrecondition, "task " + task->id + " is still running");
  if (task->state != State::Stopped) {
    // Created but never started: the waiting process goes away with its start pipe.
    release_task_process(task->process);  // closes the pipe only if still open
    ::kill(task->process.pid, SIGKILL);
    exited_.wait_for(lock, std::chrono::seconds(5), [&] { return task->state == State::Stopped; });
  }
  cleanup_rootfs(*task);
  if (task->cgroup) task->cgroup->remove();
  tasks_.erase(task->id);
  containerd::events::TaskDelete ev;
  ev.set_container_id(task->id);
  ev.set_id(task->id);
  ev.set_pid(uint32_t(task->process.pid));
  ev.set_exit_status(task->exit_status);
  ev.mutable_exited_at()->set_seconds(task->exited_sec);
  ev.mutable_exited_at()->set_nanos(task->exited_nsec);
  events_->publish("/tasks/delete", "containerd.events.TaskDelete", ev.SerializeAsString());
  v2::DeleteResponse resp;
  resp.set_pid(uint32_t(task->process.pid));
  resp.set_exit_status(task->exit_status);
  *resp.mutable_exited_at() = ev.exited_at();
  return ok(resp);
}

ttrpc::Reply TaskService::pids(const std::string& payload) {
  PARSE(v2::PidsRequest, req, payload);
  std::lock_guard lock(mu_);
  auto t = find(req.id());
  if (!t) return unexpected(t.error());
  v2::PidsResponse resp;
  if ((*t)->state != State::Stopped) resp.add_processes()->set_pid(uint32_t((*t)->process.pid));
  return ok(resp);
}

ttrpc::Reply TaskService::stats(const std::string& payload) {
  PARSE(v2::StatsRequest, req, payload);
  pid_t pid;
  std::optional<uint64_t> cgroup_memory;
  {
    std::lock_guard lock(mu_);
    auto t = find(req.id());
    if (!t) return unexpected(t.error());
    if ((*t)->state == State::Stopped) return rpc_error(Code::NotFound, "task " + req.id() + " has exited");
    pid = (*t)->process.pid;
    if ((*t)->cgroup) cgroup_memory = (*t)->cgroup->memory_usage();
  }
  auto usage = read_process_usage(pid);
  if (!usage) return rpc_error(Code::NotFound, usage.error().message);
  if (cgroup_memory) usage->rss_bytes = *cgroup_memory;  // the cgroup's charge, as the kubelet expects
  auto packed = pack_metrics(*usage, cgroup_v2_);
  v2::StatsResponse resp;
  resp.mutable_stats()->set_type_url(packed.type_url);
  resp.mutable_stats()->set_value(packed.value);
  return ok(resp);
}

ttrpc::Reply TaskService::connect(const std::string& payload) {
  PARSE(v2::ConnectRequest, req, payload);
  std::lock_guard lock(mu_);
  v2::ConnectResponse resp;
  resp.set_shim_pid(uint32_t(::getpid()));
  if (auto it = tasks_.find(req.id()); it != tasks_.end()) resp.set_task_pid(uint32_t(it->second->process.pid));
  resp.set_version("whirl");
  return ok(resp);
}

ttrpc::Reply TaskService::shutdown(const std::string& payload) {
  PARSE(v2::ShutdownRequest, req, payload);
  std::lock_guard lock(mu_);
  // Other containers of the pod may still live here: stay until the last one goes.
  if (!tasks_.empty() && !req.now()) return empty_reply();
  for (auto& [id, t] : tasks_)
    if (t->state != State::Stopped) ::kill(t->process.pid, SIGKILL);
  if (!shutting_down_) {
    shutting_down_ = true;
    on_shutdown_();
  }
  return empty_reply();
}

void TaskService::abandon_all() {
  std::unique_lock lock(mu_);
  for (auto& [id, t] : tasks_)
    if (t->state != State::Stopped && t->process.pid > 0) ::kill(t->process.pid, SIGKILL);
  exited_.wait_for(lock, std::chrono::seconds(2), [this] {
    for (auto& [id, t] : tasks_)
      if (t->state != State::Stopped && t->process.pid > 0) return false;
    return true;
  });
  for (auto& [id, t] : tasks_) {
    cleanup_rootfs(*t);
    if (t->cgroup) t->cgroup->remove();
  }
}

void TaskService::on_exit(pid_t pid, int wait_status) {
  std::lock_guard lock(mu_);
  for (auto& [id, t] : tasks_) {
    if (t->process.pid != pid || t->state == State::Stopped) continue;
    bool announced = t->state != State::Creating;  // a failed Create was never a task for containerd
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    t->state = State::Stopped;
    t->exit_status = exit_status_of(wait_status);
    t->exited_sec = now.tv_sec;
    t->exited_nsec = int32_t(now.tv_nsec);
    if (t->process.start_fd >= 0) ::close(t->process.start_fd);
    t->process.start_fd = -1;
    if (!announced) break;
    containerd::events::TaskExit ev;
    ev.set_container_id(t->id);
    ev.set_id(t->id);
    ev.set_pid(uint32_t(pid));
    ev.set_exit_status(t->exit_status);
    ev.mutable_exited_at()->set_seconds(now.tv_sec);
    ev.mutable_exited_at()->set_nanos(int32_t(now.tv_nsec));
    events_->publish("/tasks/exit", "containerd.events.TaskExit", ev.SerializeAsString());
    break;
  }
  exited_.notify_all();
}

}  // namespace whirl::shim
