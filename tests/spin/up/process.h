// Runs `whirl up` as a child process for integration tests: its stdout is
// read through a pipe (to learn the port from "Serving http://..."), its
// stderr goes to a file. Every process started is stopped by its PID.
#pragma once

#include <cstdlib>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace whirl::test {

// How long a `whirl up` may take to start serving: under WHIRL_TIER=aot
// (ctest's aot/ copies) it compiles every component first, a JS engine's
// tens of MB taking a minute or more on a busy 2-core machine (once: then
// the build tree's cache has it).
inline std::chrono::seconds startup_limit() {
  const char* tier = std::getenv("WHIRL_TIER");
  return std::chrono::seconds(tier && std::string_view(tier) == "aot" ? 600 : 30);
}

class UpProcess {
 public:
  // `max_files` > 0: the child's RLIMIT_NOFILE.
  UpProcess(const std::vector<std::string>& args, const std::string& stderr_path, rlim_t max_files = 0)
      : stderr_path_(stderr_path) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) dup2(err, 2);
      close(out[0]);
      if (max_files > 0) {
        struct rlimit rl{max_files, max_files};
        setrlimit(RLIMIT_NOFILE, &rl);
      }
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = out[0];
  }
  ~UpProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  // Reads stdout until a line starting with `prefix` (bounded wait); returns the line.
  std::optional<std::string> wait_line(const std::string& prefix, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      size_t nl;
      while ((nl = buf_.find('\n')) != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        stdout_ += buf_.substr(0, nl + 1);
        buf_.erase(0, nl + 1);
        if (line.rfind(prefix, 0) == 0) return line;
      }
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 50) > 0) {
        char tmp[4096];
        ssize_t n = read(out_, tmp, sizeof tmp);
        if (n <= 0) return std::nullopt;
        buf_.append(tmp, size_t(n));
      }
    }
    return std::nullopt;
  }

  // "Serving http://127.0.0.1:PORT" -> PORT (0 if it did not start).
  uint16_t wait_serving() {
    auto line = wait_line("Serving http://", startup_limit());
    if (!line) return 0;
    auto colon = line->rfind(':');
    return static_cast<uint16_t>(std::stoi(line->substr(colon + 1)));
  }

  // Reads the rest of stdout (after the process ended).
  std::string drain_stdout() {
    char tmp[4096];
    ssize_t n;
    while ((n = read(out_, tmp, sizeof tmp)) > 0) buf_.append(tmp, size_t(n));
    stdout_ += buf_;
    buf_.clear();
    return stdout_;
  }

  void signal(int sig) {
    if (pid_ > 0 && !exited_) kill(pid_, sig);
  }

  // Exit code, or -1 if it had not exited within `limit` (then killed).
  int wait_exit(std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

  std::string stderr_text() const {
    std::ifstream in(stderr_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // The stderr text once it holds `needle`, or as it is after `limit`: a
  // server logs a request's error around the time it answers, not before.
  std::string stderr_with(const std::string& needle, std::chrono::milliseconds limit = std::chrono::seconds(10)) const {
    auto end = std::chrono::steady_clock::now() + limit;
    std::string text = stderr_text();
    while (text.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      text = stderr_text();
    }
    return text;
  }

  pid_t pid() const { return pid_; }

  // Resident memory in KiB (0 if unknown).
  uint64_t rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    return 0;
  }

  // CPU time used so far (user + system), in seconds.
  double cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close_paren + 2));
    std::string f;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {  // field 3 is the state
      if (i == 14) utime = std::stoull(f);
      if (i == 15) stime = std::stoull(f);
    }
    return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
  std::string buf_, stdout_;
  std::string stderr_path_;
};

}  // namespace whirl::test
