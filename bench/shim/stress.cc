// whirl-shim-stress: create+start+wait+delete N tasks sequentially, talking
// ttrpc directly to one containerd shim v2 (any shim binary: whirl's or
// containerd-shim-runc-v2), with containerd mocked out. The method of
// runwasi's crates/stress-test in its default (mocked containerd) mode:
//   - a dummy events service (containerd.services.events.ttrpc.v1.Events,
//     accepts every Forward) on a socket passed to the shim as TTRPC_ADDRESS;
//   - the shim binary run once with `-namespace NS -id ID -address A start`
//     in a scratch bundle (default spec, `log` -> /dev/null), then a ttrpc
//     connection to the address it prints;
//   - one "pause" task created (not started) first, to keep the shim alive;
//   - every task's bundle (config.json, rootfs directory, the rootfs mount
//     the shim performs at Create) prepared before the clock starts;
//   - timed: Create, Start, Wait, Delete of each task in turn; tasks/s =
//     N / elapsed. Then Shutdown.
// Each task's spec is containerd's default spec (`ctr oci spec`: new pid,
// ipc, uts, mount and network namespaces, cgroupsPath /NS/ID, the default
// mounts) with the given args. Its stdout and stderr go to files
// (file:// URIs); every task must exit 0 and print -expect.
//
//   whirl-shim-stress -shim BIN -image DIR [-n 200] [-expect TEXT]
//       [-mount overlay|bind|none] [-tmp DIR] [-timeout SEC] [-hold SEC] [-log FILE] -- ARGS...
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "shim/ttrpc.h"

namespace fs = std::filesystem;
namespace v2 = containerd::task::v2;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kTask = "containerd.task.v2.Task";

struct Options {
  std::string shim, image, expect, mount = "overlay", tmp = "/tmp", log = "/dev/null";
  int n = 200, timeout = 300, hold = 0;
  std::vector<std::string> args;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "whirl-shim-stress: %s\n"
               "usage: whirl-shim-stress -shim BIN -image DIR [-n N] [-expect TEXT]\n"
               "         [-mount overlay|bind|none] [-tmp DIR] [-timeout SEC] [-hold SEC] [-log FILE] -- ARGS...\n"
               "  -log: the shim's log (its bundle's `log`; default /dev/null)\n"
               "  -hold: print the shim's pid and wait SEC seconds before the timed run (to attach perf/strace)\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) usage(("missing value for " + a).c_str());
    std::string v = argv[++i];
    if (a == "-shim") o.shim = v;
    else if (a == "-image") o.image = v;
    else if (a == "-expect") o.expect = v;
    else if (a == "-mount") o.mount = v;
    else if (a == "-tmp") o.tmp = v;
    else if (a == "-n") o.n = std::atoi(v.c_str());
    else if (a == "-timeout") o.timeout = std::atoi(v.c_str());
    else if (a == "-hold") o.hold = std::atoi(v.c_str());
    else if (a == "-log") o.log = v;
    else usage(("unknown flag " + a).c_str());
  }
  for (; i < argc; ++i) o.args.push_back(argv[i]);
  if (o.shim.empty() || o.image.empty() || o.args.empty()) usage("-shim, -image and ARGS are required");
  if (o.n < 1 || o.n > 100000) usage("-n must be 1..100000");
  if (o.mount != "overlay" && o.mount != "bind" && o.mount != "none") usage("-mount must be overlay, bind or none");
  return o;
}

// containerd 1.6's default spec (oci.populateDefaultUnixSpec, as
// `ctr oci spec` prints it) with the task's args and cgroup.
std::string default_spec(const std::vector<std::string>& args, const std::string& cgroups_path) {
  using nlohmann::json;
  json caps = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",      "CAP_FOWNER", "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",      "CAP_SETFCAP", "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  json spec = {
      {"ociVersion", "1.0.2-dev"},
      {"process",
       {{"user", {{"uid", 0}, {"gid", 0}}},
        {"args", args},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}}},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}, {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
        {{"destination", "/dev/shm"}, {"type", "tmpfs"}, {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"}, {"type", "mqueue"}, {"source", "mqueue"}, {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"}, {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/run"}, {"type", "tmpfs"}, {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}}}},
      {"linux",
       {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
        {"cgroupsPath", cgroups_path},
        {"namespaces", {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}, {{"type", "network"}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
        {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
  return spec.dump(4);
}

void write_file(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

long rss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

// Runs `shim ... start` in `bundle` and returns what it prints (the address).
std::string start_shim(const Options& o, const std::string& ns, const std::string& id, const std::string& address,
                       const std::string& events, const fs::path& bundle) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return "";
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    int err = ::open((bundle / "start.stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 0);
    ::dup2(out[1], 1);
    ::dup2(err >= 0 ? err : null, 2);
    if (::chdir(bundle.c_str()) != 0) _exit(127);
    ::setenv("TTRPC_ADDRESS", events.c_str(), 1);
    const char* argv[] = {o.shim.c_str(), "-namespace", ns.c_str(), "-id", id.c_str(), "-address", address.c_str(), "start", nullptr};
    ::execv(o.shim.c_str(), const_cast<char* const*>(argv));
    _exit(127);
  }
  ::close(out[1]);
  std::string s;
  char buf[512];
  for (ssize_t r; (r = ::read(out[0], buf, sizeof buf)) != 0;) {
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    s.append(buf, size_t(r));
  }
  ::close(out[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    std::fprintf(stderr, "whirl-shim-stress: %s start failed: %s\n", o.shim.c_str(), read_file(bundle / "start.stderr").c_str());
    return "";
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.rfind("unix://", 0) == 0) s = s.substr(7);
  return s;
}

// Mount points at or under `dir`, deepest first.
std::vector<std::string> mounts_under(const std::string& dir) {
  std::vector<std::string> found;
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ls(line);
    std::string a, b, c, d, point;
    ls >> a >> b >> c >> d >> point;
    if (point == dir || point.rfind(dir + "/", 0) == 0) found.push_back(point);
  }
  std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) { return x.size() > y.size(); });
  return found;
}

struct Phase {
  const char* name;
  double total_ms = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (::geteuid() != 0) {
    std::fprintf(stderr, "whirl-shim-stress: needs root (mounts, namespaces); skipped\n");
    return 77;  // ctest's skip code
  }
  o.shim = fs::absolute(o.shim).string();
  o.image = fs::absolute(o.image).string();
  ::signal(SIGPIPE, SIG_IGN);
  // The shim daemonizes; as its subreaper we reap it and know when it is gone.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  char tmpl[4096];
  std::snprintf(tmpl, sizeof tmpl, "%s/whirl-stress.XXXXXX", o.tmp.c_str());
  if (!::mkdtemp(tmpl)) usage("cannot create a scratch directory (-tmp)");
  fs::path T = tmpl;
  std::string tag = std::to_string(::getpid());
  std::string ns = "whirl-stress-" + tag, shim_id = "whirl-stress-" + tag;

  // The mocked containerd: an events service that accepts everything.
  std::string events_path = (T / "events.sock").string();
  std::atomic<int> events_seen{0};
  whirl::shim::ttrpc::Server events("containerd.services.events.ttrpc.v1.Events",
                                    [&](const std::string& method, const std::string&) -> whirl::shim::ttrpc::Reply {
                                      if (method == "Forward") ++events_seen;
                                      return std::string();
                                    },
                                    {});
  int events_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, events_path.c_str(), sizeof a.sun_path - 1);
    if (::bind(events_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(events_fd, 16) != 0)
      usage("cannot listen on the events socket (a shorter -tmp?)");
  }
  std::thread([&] { events.serve(events_fd); }).detach();

  // The shim, started as containerd starts it.
  fs::path shim_bundle = T / "shim";
  fs::create_directories(shim_bundle);
  write_file(shim_bundle / "config.json", default_spec(o.args, "/" + ns + "/" + shim_id));
  if (o.log != "/dev/null") {
    o.log = fs::absolute(o.log).string();
    write_file(o.log, "");
  }
  fs::create_symlink(o.log, shim_bundle / "log");
  std::string address = start_shim(o, ns, shim_id, (T / "containerd.sock").string(), events_path, shim_bundle);

  int rc = 1;
  pid_t shim_pid = -1;
  std::atomic<bool> done{false};
  std::vector<std::string> created;  // ids the shim may still hold
  whirl::shim::ttrpc::Client client;
  auto call = [&](const char* method, const google::protobuf::MessageLite& req, google::protobuf::MessageLite* resp) -> bool {
    auto r = client.call(kTask, method, req.SerializeAsString());
    if (!r) {
      std::fprintf(stderr, "whirl-shim-stress: %s: %s\n", method, r.error().message.c_str());
      return false;
    }
    if (resp && !resp->ParseFromString(*r)) {
      std::fprintf(stderr, "whirl-shim-stress: %s: malformed response\n", method);
      return false;
    }
    return true;
  };
  auto make_bundle = [&](const std::string& id, fs::path dir, v2::CreateTaskRequest* req) {
    fs::create_directories(dir / "rootfs");
    write_file(dir / "config.json", default_spec(o.args, "/" + ns + "/" + id));
    write_file(dir / "stdout", "");
    write_file(dir / "stderr", "");
    req->set_id(id);
    req->set_bundle(dir.string());
    req->set_stdout("file://" + (dir / "stdout").string());
    req->set_stderr("file://" + (dir / "stderr").string());
    if (o.mount == "overlay") {
      fs::create_directories(dir / "fs/upper");
      fs::create_directories(dir / "fs/work");
      auto* m = req->add_rootfs();
      m->set_type("overlay");
      m->set_source("overlay");
      m->add_options("index=off");
      m->add_options("workdir=" + (dir / "fs/work").string());
      m->add_options("upperdir=" + (dir / "fs/upper").string());
      m->add_options("lowerdir=" + o.image);
    } else if (o.mount == "bind") {
      auto* m = req->add_rootfs();
      m->set_type("bind");
      m->set_source(o.image);
      m->add_options("rbind");
      m->add_options("rw");
    } else {
      fs::remove(dir / "rootfs");
      fs::create_directory_symlink(o.image, dir / "rootfs");
    }
  };

  std::thread watchdog;
  do {
    if (address.empty()) break;
    if (auto ok = client.connect(address); !ok) {
      std::fprintf(stderr, "whirl-shim-stress: %s\n", ok.error().message.c_str());
      break;
    }
    v2::ConnectRequest creq;
    v2::ConnectResponse cresp;
    if (!call("Connect", creq, &cresp)) break;
    shim_pid = pid_t(cresp.shim_pid());
    // Bounded: past the deadline the shim is killed, and every call fails.
    watchdog = std::thread([&, shim_pid] {
      auto deadline = Clock::now() + std::chrono::seconds(o.timeout);
      while (!done && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (!done) {
        std::fprintf(stderr, "whirl-shim-stress: timed out after %d s; killing the shim\n", o.timeout);
        ::kill(shim_pid, SIGKILL);
      }
    });

    // The pause task keeps the shim alive (created, never started).
    v2::CreateTaskRequest pause;
    make_bundle("pause-" + tag, T / "pause", &pause);
    created.push_back(pause.id());
    if (!call("Create", pause, nullptr)) break;
    long rss_idle = rss_kb(shim_pid);

    std::vector<v2::CreateTaskRequest> reqs(size_t(o.n));
    for (int i = 0; i < o.n; ++i)
      make_bundle("task-" + tag + "-" + std::to_string(i), T / "tasks" / std::to_string(i), &reqs[size_t(i)]);

    if (o.hold > 0) {
      std::fprintf(stderr, "whirl-shim-stress: shim pid %d; starting in %d s\n", int(shim_pid), o.hold);
      std::this_thread::sleep_for(std::chrono::seconds(o.hold));
    }
    Phase phases[4] = {{"Create"}, {"Start"}, {"Wait"}, {"Delete"}};
    bool failed = false;
    auto t0 = Clock::now();
    for (int i = 0; i < o.n && !failed; ++i) {
      const auto& req = reqs[size_t(i)];
      auto mark = Clock::now();
      auto lap = [&](int k) {
        auto now = Clock::now();
        phases[k].total_ms += std::chrono::duration<double, std::milli>(now - mark).count();
        mark = now;
      };
      created.push_back(req.id());
      v2::StartRequest sreq;
      sreq.set_id(req.id());
      v2::WaitRequest wreq;
      wreq.set_id(req.id());
      v2::WaitResponse wresp;
      v2::DeleteRequest dreq;
      dreq.set_id(req.id());
      if (!call("Create", req, nullptr)) { failed = true; break; }
      lap(0);
      if (!call("Start", sreq, nullptr)) { failed = true; break; }
      lap(1);
      if (!call("Wait", wreq, &wresp)) { failed = true; break; }
      lap(2);
      if (wresp.exit_status() != 0) {
        std::fprintf(stderr, "whirl-shim-stress: task %d exited with %u: %s%s\n", i, wresp.exit_status(),
                     read_file(fs::path(req.bundle()) / "stdout").c_str(), read_file(fs::path(req.bundle()) / "stderr").c_str());
        failed = true;
        break;
      }
      if (!call("Delete", dreq, nullptr)) { failed = true; break; }
      lap(3);
      created.pop_back();
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    if (failed) break;

    // Proof the tasks ran: each one's output.
    int bad = 0;
    for (int i = 0; i < o.n; ++i) {
      std::string out = read_file(fs::path(reqs[size_t(i)].bundle()) / "stdout");
      if (out.find(o.expect) == std::string::npos || out.empty()) {
        if (bad++ < 3) std::fprintf(stderr, "whirl-shim-stress: task %d printed \"%s\"\n", i, out.c_str());
      }
    }
    std::string first = read_file(fs::path(reqs[0].bundle()) / "stdout");
    while (!first.empty() && first.back() == '\n') first.pop_back();
    long rss_after = rss_kb(shim_pid);
    std::printf("%d tasks in %.3f s: %.1f tasks/s (create+start+wait+delete, sequential, rootfs mount: %s)\n", o.n,
                elapsed, o.n / elapsed, o.mount.c_str());
    std::printf("  per call:");
    for (auto& p : phases) std::printf(" %s %.3f ms", p.name, p.total_ms / o.n);
    std::printf("\n  shim pid %d, VmRSS idle (one created task) %ld kB, after the run %ld kB\n", int(shim_pid), rss_idle,
                rss_after);
    std::printf("  output of task 0: \"%s\"; %d of %d tasks printed \"%s\" and exited 0\n", first.c_str(), o.n - bad, o.n,
                o.expect.c_str());
    if (bad) break;
    rc = 0;
  } while (false);

  // Teardown: the pause task (and anything a failure left), then Shutdown.
  if (client.connected()) {
    for (const auto& id : created) {
      v2::KillRequest k;
      k.set_id(id);
      k.set_signal(SIGKILL);
      (void)client.call(kTask, "Kill", k.SerializeAsString());
      v2::WaitRequest w;
      w.set_id(id);
      (void)client.call(kTask, "Wait", w.SerializeAsString());
      v2::DeleteRequest d;
      d.set_id(id);
      (void)client.call(kTask, "Delete", d.SerializeAsString());
    }
    v2::ShutdownRequest s;
    s.set_now(true);
    (void)client.call(kTask, "Shutdown", s.SerializeAsString());
    client.close();
  }
  if (shim_pid > 0) {
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline && ::waitpid(shim_pid, nullptr, WNOHANG) == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (::kill(shim_pid, 0) == 0) {
      std::fprintf(stderr, "whirl-shim-stress: the shim did not exit; killing it\n");
      ::kill(shim_pid, SIGKILL);
      ::waitpid(shim_pid, nullptr, 0);
      rc = 1;
    }
  }
  done = true;
  if (watchdog.joinable()) watchdog.join();
  // Orphans we inherited as subreaper (none expected).
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
  if (!address.empty() && fs::exists(address)) ::unlink(address.c_str());  // a killed shim's socket
  // Containers a killed runc shim left behind (a timeout): runc's own state, by id.
  std::string runc_root = "/run/containerd/runc/" + ns;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(runc_root, ec)) {
    std::fprintf(stderr, "whirl-shim-stress: removing the runc container %s the shim left\n", d.path().filename().c_str());
    pid_t p = ::fork();
    if (p == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 1);
      ::execlp("runc", "runc", "--root", runc_root.c_str(), "delete", "--force", d.path().filename().c_str(), nullptr);
      _exit(127);
    }
    if (p > 0) ::waitpid(p, nullptr, 0);
    rc = 1;
  }
  ::rmdir(runc_root.c_str());
  // The cgroups runc made for /NS/ID (their parent stays behind).
  for (const char* root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    ::rmdir((std::string(root) + "/" + ns).c_str());
    std::error_code ec;
    for (const auto& d : fs::directory_iterator(root, ec)) ::rmdir((d.path() / ns).c_str());
  }
  for (const auto& m : mounts_under(T.string())) ::umount2(m.c_str(), MNT_DETACH);
  if (rc == 0) std::printf("  events forwarded to the mocked containerd: %d\n", events_seen.load());
  events.stop();
  if (mounts_under(T.string()).empty()) {
    std::error_code ec;
    fs::remove_all(T, ec);
  } else {
    std::fprintf(stderr, "whirl-shim-stress: mounts left under %s; not removing it\n", T.c_str());
    rc = 1;
  }
  std::fflush(nullptr);
  _exit(rc);
}
