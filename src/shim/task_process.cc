#include "shim/task_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "shim/host_handoff.h"

namespace whirl::shim {
namespace {

constexpr int kReadyFd = 3;
constexpr int kStartFd = 4;

// Task stdio as containerd names it: a FIFO path (`ctr run`, the CRI's
// log pipes) or file:///path (`ctr run --log-uri`). Output FIFOs are opened
// read-write, as containerd's runc shim keeps a reader too: opening never
// blocks, and a reader that goes away (a detached `ctr run -d`) does not
// turn the task's next write into SIGPIPE.
int open_stdio(const std::string& path, bool for_writing) {
  if (path.empty()) return ::open("/dev/null", for_writing ? O_WRONLY : O_RDONLY);
  if (path.rfind("file://", 0) == 0) {
    std::string file = path.substr(7);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path(), ec);
    return ::open(file.c_str(), for_writing ? O_WRONLY | O_CREAT | O_APPEND : O_RDONLY, 0640);
  }
  if (path.rfind("fifo://", 0) == 0) return open_stdio(path.substr(7), for_writing);
  if (path.find("://") != std::string::npos) {
    errno = EPROTONOSUPPORT;  // binary:// log drivers are not supported
    return -1;
  }
  int fd = ::open(path.c_str(), for_writing ? O_RDWR : O_RDONLY | O_NONBLOCK);
  if (fd >= 0 && !for_writing) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

void write_all(int fd, const std::string& s) {
  const char* p = s.data();
  size_t n = s.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= size_t(w);
  }
}

[[noreturn]] void child_fail(const std::string& message) {
  write_all(kReadyFd, "E" + message);
  _exit(1);
}

[[noreturn]] void child_main(const ProcessSpec& spec, int ready_fd, int start_fd, pid_t shim) {
  // Signals as a fresh process has them (the shim blocks several).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a closed log reader is an error, not death
  ::setsid();
  ::prctl(PR_SET_NAME, "whirl-task");  // ps tells task processes from the shim
  // A task does not outlive its shim (containerd's cleanup of a dead shim
  // cannot reach our children). The signal follows the forking thread,
  // which is the spawner below: it lives as long as the shim.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != shim) _exit(128 + SIGKILL);

  // Our two pipes at fixed numbers, stdio from the FIFOs, nothing else of the shim's.
  int r = ::fcntl(ready_fd, F_DUPFD, 10), s = ::fcntl(start_fd, F_DUPFD, 10);
  ::dup2(r, kReadyFd);
  ::dup2(s, kStartFd);
  int in = open_stdio(spec.stdin_path, false);
  int out = open_stdio(spec.stdout_path, true);
  int err = spec.stderr_path == spec.stdout_path && out >= 0 ? ::dup(out) : open_stdio(spec.stderr_path, true);
  if (in < 0 || out < 0 || err < 0)
    child_fail("cannot open the task's stdio (" + spec.stdout_path + "): " + std::string(std::strerror(errno)));
  int ino = ::fcntl(in, F_DUPFD, 10), outo = ::fcntl(out, F_DUPFD, 10), erro = ::fcntl(err, F_DUPFD, 10);
  ::dup2(ino, 0);
  ::dup2(outo, 1);
  ::dup2(erro, 2);
  ::syscall(SYS_close_range, 5u, ~0u, 0u);

  // The host's socket is a path in the shim's filesystem: reached before
  // the task's namespaces and rootfs.
  int node_host = -1;
  std::string refusal;
  if (!spec.node_host.empty() && (refusal = handoff_refusal(spec.workload)).empty()) {
    auto c = connect_node_host(spec.node_host);
    if (!c) child_fail(c.error().message);
    node_host = *c;
  }
  if (auto ns = enter_namespaces(spec.namespaces, spec.hostname); !ns) child_fail(ns.error().message);
  WorkloadSpec w = spec.workload;
  Expected<std::unique_ptr<Workload>> handed = std::unique_ptr<Workload>();
  if (node_host >= 0) handed = attach_to_node_host(node_host, spec.task_id, w);  // the listener in the pod's network
  if (!handed) child_fail(handed.error().message);
  // A WASI command is never the host's: said only of Spin apps it could not take.
  if (!refusal.empty() && !is_wasi_command(spec.workload)) {
    std::fprintf(stderr, "whirl: running in the task's own process, not the node host: %s\n", refusal.c_str());
    std::fflush(stderr);
  }
  if (::chroot(w.rootfs.c_str()) != 0 || ::chdir("/") != 0)
    child_fail("cannot enter the rootfs " + w.rootfs.string() + ": " + std::strerror(errno));
  w.rootfs = "/";
  w.scratch = "/.whirl-staging";
  auto workload = *handed ? std::move(handed) : prepare_workload(w);
  if (!workload) child_fail(workload.error().message);
  write_all(kReadyFd, "O");
  ::close(kReadyFd);

  char go = 0;
  ssize_t n;
  do n = ::read(kStartFd, &go, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) _exit(128 + SIGKILL);  // deleted before Start, or the shim went away
  ::close(kStartFd);
  int code = (*workload)->run();
  std::fflush(nullptr);
  _exit(code);
}

// Forks on one thread that never exits, so PR_SET_PDEATHSIG means "the shim
// died" and not "the connection thread that handled Create ended".
void on_spawner_thread(const std::function<void()>& job) {
  static std::mutex call_mu, mu;
  static std::condition_variable cv;
  static const std::function<void()>* pending = nullptr;
  static bool started = false;
  std::lock_guard call(call_mu);
  std::unique_lock lock(mu);
  if (!started) {
    started = true;
    std::thread([] {
      std::unique_lock l(mu);
      for (;;) {
        cv.wait(l, [] { return pending != nullptr; });
        (*pending)();
        pending = nullptr;
        cv.notify_all();
      }
    }).detach();
  }
  pending = &job;
  cv.notify_all();
  cv.wait(lock, [] { return pending == nullptr; });
}

}  // namespace

Expected<TaskProcess> fork_task_process(const ProcessSpec& spec) {
  int ready[2], start[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(start, O_CLOEXEC) != 0) {
    ::close(ready[0]);
    ::close(ready[1]);
    return make_error(std::string("pipe: ") + std::strerror(errno));
  }
  pid_t shim = ::getpid(), pid = -1;
  on_spawner_thread([&] {
    pid = ::fork();
    if (pid == 0) child_main(spec, ready[1], start[0], shim);
  });
  if (pid < 0) {
    int e = errno;
    for (int fd : {ready[0], ready[1], start[0], start[1]}) ::close(fd);
    return make_error(std::string("fork: ") + std::strerror(e));
  }
  ::close(ready[1]);
  ::close(start[0]);
  return TaskProcess{pid, ready[0], start[1]};
}

Expected<void> wait_task_ready(TaskProcess& p) {
  std::string report;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(p.ready_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buf, size_t(n));
    if (report == "O") break;  // all a ready child sends
  }
  ::close(p.ready_fd);
  p.ready_fd = -1;
  if (report == "O") return {};
  if (!report.empty() && report[0] == 'E') return make_error(report.substr(1));
  return make_error("the task process exited while loading the workload");
}

void release_task_process(TaskProcess& p) {
  if (p.start_fd < 0) return;
  char go = 1;
  (void)!::write(p.start_fd, &go, 1);
  ::close(p.start_fd);
  p.start_fd = -1;
}

uint32_t exit_status_of(int st) {
  if (WIFEXITED(st)) return uint32_t(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return 128u + uint32_t(WTERMSIG(st));
  return 255;
}

}  // namespace whirl::shim
