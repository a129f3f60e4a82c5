#include "wasm/aot/tier.h"
#include "shim/shim_main.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "shim/events.h"
#include "shim/mounts.h"
#include "shim/oci_spec.h"
#include "shim/task_service.h"
#include "shim/ttrpc.h"

namespace whirl::shim {
namespace {

struct Flags {
  std::string ns, address, publish_binary, id, bundle, action;
  bool debug = false, version = false;
};

// Go's flag syntax, as containerd passes it: -name value, -name=value, --name.
Expected<Flags> parse_flags(int argc, char** argv) {
  Flags f;
  std::map<std::string, std::string*> values = {{"namespace", &f.ns},       {"address", &f.address},
                                                {"publish-binary", &f.publish_binary}, {"id", &f.id},
                                                {"bundle", &f.bundle}};
  std::string ignored;
  values["socket"] = &ignored;  // older containerd versions pass it; we choose our own socket
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-') {
      if (!f.action.empty()) return make_error("unexpected argument `" + a + "`");
      f.action = a;
      continue;
    }
    std::string name = a.substr(a[1] == '-' ? 2 : 1), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "debug" || name == "v" || name == "version") {
      (name == "debug" ? f.debug : f.version) = !has_value || value == "true";
      continue;
    }
    auto it = values.find(name);
    if (it == values.end()) return make_error("unknown flag -" + name);
    if (!has_value) {
      if (i + 1 >= argc) return make_error("flag -" + name + " needs a value");
      value = argv[++i];
    }
    *it->second = value;
  }
  return f;
}

uint64_t fnv1a(const std::string& s, uint64_t h) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// One shim per pod (sandbox) and containerd instance, as runwasi and the
// runc shim do: the socket name hashes containerd's address, the namespace
// and the grouping id. Short enough for sun_path (108 bytes).
std::string socket_path_for(const Flags& f, const std::string& group) {
  std::string key = f.address + '\n' + f.ns + '\n' + group;
  char name[64];
  std::snprintf(name, sizeof name, "whirl-%016llx%016llx", (unsigned long long)fnv1a(key, 14695981039346656037ull),
                (unsigned long long)fnv1a(key, 0x9e3779b97f4a7c15ull));
  return std::string("/run/containerd/s/") + name;
}

int connect_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof addr.sun_path - 1));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

Expected<int> listen_unix(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return make_error("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  ::unlink(path.c_str());  // a stale socket of a shim that died
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    int e = errno;
    ::close(fd);
    return make_error("listen on " + path + ": " + std::strerror(e));
  }
  ::chmod(path.c_str(), 0600);
  return fd;
}

// The shim server: serves the Task service until Shutdown, reaping task
// processes on a signal-waiting thread. Never returns.
[[noreturn]] void serve(const Flags& f, int listen_fd, const std::string& socket_path) {
  // The execution tier for every task's modules: WHIRL_TIER in containerd's
  // environment (interp, aot or auto; auto by default), as whirl's --tier.
  const char* env_tier = std::getenv("WHIRL_TIER");
  if (auto t = wasm::aot::select_tier(env_tier && *env_tier ? env_tier : "auto", true); !t) {
    std::fprintf(stderr, "whirl shim: WHIRL_TIER: %s\n", t.error().message.c_str());
    std::exit(1);
  }
  const char* ttrpc_address = std::getenv("TTRPC_ADDRESS");
  EventPublisher events(ttrpc_address ? ttrpc_address : "", f.ns);
  ttrpc::Server* server_ptr = nullptr;
  TaskService tasks(&events, [&server_ptr] { server_ptr->stop_after_reply(); });
  // With -debug (containerd at debug level) or WHIRL_SHIM_DEBUG=1 in
  // containerd's environment, every call and its duration goes to the shim
  // log, which containerd copies into its own.
  const char* env_debug = std::getenv("WHIRL_SHIM_DEBUG");
  bool debug = f.debug || (env_debug && *env_debug && std::string(env_debug) != "0");
  ttrpc::Server server(
      kTaskServiceName,
      [&tasks, debug](const std::string& m, const std::string& p) {
        if (!debug) return tasks.handle(m, p);
        auto t0 = std::chrono::steady_clock::now();
        auto r = tasks.handle(m, p);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "whirl shim: %s %s in %lld us\n", m.c_str(), r ? "ok" : r.error().message.c_str(),
                     (long long)us);
        return r;
      },
      &TaskService::is_blocking);
  server_ptr = &server;

  std::atomic<bool> terminated{false};
  std::thread reaper([&tasks, &server, &terminated] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    for (;;) {
      siginfo_t info;
      if (sigwaitinfo(&set, &info) < 0) continue;
      if (info.si_signo != SIGCHLD) {
        terminated = true;
        server.stop();
        continue;
      }
      int st = 0;
      for (pid_t pid; (pid = ::waitpid(-1, &st, WNOHANG)) > 0;) tasks.on_exit(pid, st);
    }
  });
  reaper.detach();

  server.serve(listen_fd);
  ::close(listen_fd);
  if (terminated) tasks.abandon_all();
  ::unlink(socket_path.c_str());
  events.flush(2000);
  std::fflush(nullptr);
  _exit(0);
}

int start(const Flags& f) {
  if (f.id.empty()) {
    std::fprintf(stderr, "containerd-shim-whirl-v2: start needs -id\n");
    return 1;
  }
  std::string bundle = f.bundle.empty() ? std::filesystem::current_path().string() : f.bundle;
  std::string group = f.id;
  if (auto spec = read_oci_spec(bundle)) {
    auto it = spec->annotations.find(kSandboxIdAnnotation);
    if (it != spec->annotations.end() && !it->second.empty()) group = it->second;
  }
  std::string path = socket_path_for(f, group);
  std::string address = "unix://" + path;
  auto announce = [&] {
    std::ofstream(std::filesystem::path(bundle) / "address") << address;
    std::printf("%s\n", address.c_str());
    std::fflush(stdout);
    return 0;
  };
  if (int fd = connect_unix(path); fd >= 0) {  // the pod's shim is already running
    ::close(fd);
    return announce();
  }
  auto listen_fd = listen_unix(path);
  if (!listen_fd) {
    std::fprintf(stderr, "containerd-shim-whirl-v2: %s\n", listen_fd.error().message.c_str());
    return 1;
  }

  // Signals the server waits for: blocked before any thread exists.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  pid_t pid = ::fork();
  if (pid < 0) {
    std::fprintf(stderr, "containerd-shim-whirl-v2: fork: %s\n", std::strerror(errno));
    return 1;
  }
  if (pid == 0) {
    // Detached: its own session, no stdio of containerd's (which waits for
    // `start`'s output to close), stderr into the bundle's shim log FIFO.
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    int log = ::open((std::filesystem::path(bundle) / "log").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(log >= 0 ? log : null, 2);
    if (null > 2) ::close(null);
    if (log > 2) ::close(log);
    if (::chdir("/") != 0) _exit(1);
    serve(f, *listen_fd, path);
  }
  ::close(*listen_fd);
  return announce();
}

// Cleanup after a shim that died: unmount the rootfs, report a killed task.
int remove(const Flags& f) {
  std::string bundle = f.bundle.empty() ? std::filesystem::current_path().string() : f.bundle;
  std::string root = "rootfs", group = f.id;
  if (auto spec = read_oci_spec(bundle)) {
    root = spec->root_path;
    auto it = spec->annotations.find(kSandboxIdAnnotation);
    if (it != spec->annotations.end() && !it->second.empty()) group = it->second;
  }
  // A killed shim leaves its socket behind; a live one (the pod's) keeps it.
  std::string path = socket_path_for(f, group);
  if (int fd = connect_unix(path); fd >= 0) ::close(fd);
  else ::unlink(path.c_str());
  std::filesystem::path rootfs = std::filesystem::path(root).is_absolute() ? std::filesystem::path(root) : std::filesystem::path(bundle) / root;
  unmount_all(rootfs.string());
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  containerd::task::v2::DeleteResponse resp;
  resp.set_exit_status(128 + SIGKILL);
  resp.mutable_exited_at()->set_seconds(now.tv_sec);
  resp.mutable_exited_at()->set_nanos(int32_t(now.tv_nsec));
  std::string out = resp.SerializeAsString();
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

int shim_main(int argc, char** argv) {
  auto f = parse_flags(argc, argv);
  if (!f) {
    std::fprintf(stderr, "containerd-shim-whirl-v2: %s\n", f.error().message.c_str());
    return 1;
  }
  if (f->version) {
    std::printf("containerd-shim-whirl-v2 (whirl)\n");
    return 0;
  }
  if (f->action == "start") return start(*f);
  if (f->action == "delete") return remove(*f);
  std::fprintf(stderr, "containerd-shim-whirl-v2: unknown action `%s` (start or delete)\n", f->action.c_str());
  return 1;
}

}  // namespace whirl::shim
