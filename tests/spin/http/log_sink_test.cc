// Component logs are bounded and never make a request wait: the per-request
// capture cap, rotation of log files, the bounded queue to the writer thread
// and a console nobody reads.
#include "spin/http/log_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace whirl::spin::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  explicit TempDir(const std::string& tag)
      : path(fs::temp_directory_path() / ("whirl-logs-" + tag + "-" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

// Ends the test binary if a test that must not block is still running after
// `limit`: a sink that blocks its callers would otherwise hang the run.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit)
      : thread_([this, limit] {
          std::unique_lock lock(mu_);
          if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "log_sink_test: blocked for %llds\n", (long long)limit.count());
            std::_Exit(1);
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// A pipe whose reader never reads: a console that blocks any plain write
// once its buffer is full.
struct StuckConsole {
  StuckConsole() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_fd = fds[0];
    file = ::fdopen(fds[1], "w");
  }
  ~StuckConsole() {
    std::fclose(file);
    ::close(read_fd);
  }
  int read_fd;
  FILE* file;
};

// Reads what is in `fd` (non-blocking) until `done(seen)` or `limit` passes.
std::string read_until(int fd, std::chrono::milliseconds limit, const std::function<bool(const std::string&)>& done) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string seen;
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done(seen) && std::chrono::steady_clock::now() < until) {
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0)
      seen.append(buf, size_t(n));
    else
      std::this_thread::sleep_for(1ms);
  }
  return seen;
}

// A pipe for one console stream; `file` is its write end.
struct ConsolePipe {
  ConsolePipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_fd = fds[0];
    file = ::fdopen(fds[1], "w");
  }
  ~ConsolePipe() {
    if (file) std::fclose(file);
    ::close(read_fd);
  }
  // Closes the write end (after the sink is gone) and reads everything.
  std::string close_and_read() {
    std::fclose(file);
    file = nullptr;
    std::string seen;
    char buf[4096];
    for (ssize_t n; (n = ::read(read_fd, buf, sizeof buf)) > 0;) seen.append(buf, size_t(n));
    return seen;
  }
  int read_fd;
  FILE* file;
};

// One entry larger than the console buffer (a request's whole captured
// stderr): the console shows its beginning and then says how much it lost
// and why; the file gets all of it.
TEST(FileLogSink, EntryLargerThanTheConsoleBufferKeepsItsBeginning) {
  TempDir dir("bigentry");
  ConsolePipe err;
  FileLogOptions o;
  o.console_buffer_bytes = 64 * 1024;
  std::string big(200 * 1024, 'x');
  std::string seen;
  {
    FileLogSink sink(dir.path, err.file, o);
    sink.component_output("a", "stderr", big);
    seen = read_until(err.read_fd, 5s, [](const std::string& s) { return s.find("full]\n") != std::string::npos; });
    sink.component_output("a", "stderr", "after\n");
    seen += read_until(err.read_fd, 5s, [](const std::string& s) { return s.find("after\n") != std::string::npos; });
  }
  EXPECT_EQ(seen.substr(0, 64 * 1024), std::string(64 * 1024, 'x'));
  EXPECT_NE(seen.find("[whirl: 139264 bytes of console output dropped: the console buffer (64 KiB) was full]\nafter\n"),
            std::string::npos)
      << seen.substr(std::min(seen.size(), size_t(64 * 1024)));
  EXPECT_EQ(std::filesystem::file_size(dir.path / "a_stderr.txt"), big.size() + 6);
}

// The shim's layout: "stdout" output on one descriptor, "stderr" output and
// error lines on another, each in its own order; the files get both.
TEST(FileLogSink, StdoutConsoleTakesTheStdoutStream) {
  TempDir dir("split");
  ConsolePipe out, err;
  FileLogOptions o;
  o.stdout_console = out.file;
  {
    FileLogSink sink(dir.path, err.file, o);
    sink.component_output("a", "stdout", "o1\n");
    sink.component_output("a", "stderr", "e1\n");
    sink.error("request failed: trap");
    sink.component_output("b", "stdout", "o2\n");
    sink.component_output("b", "stderr", "e2\n");
    sink.component_output("a", "stdout", "o3\n");
  }
  EXPECT_EQ(out.close_and_read(), "o1\no2\no3\n");
  EXPECT_EQ(err.close_and_read(), "e1\nrequest failed: trap\ne2\n");
  EXPECT_EQ(slurp(dir.path / "a_stdout.txt"), "o1\no3\n");
  EXPECT_EQ(slurp(dir.path / "b_stderr.txt"), "e2\n");
}

// No directory and no console (the shim with its stderr elsewhere): stdout
// output still reaches its console.
TEST(FileLogSink, StdoutConsoleWithoutConsole) {
  ConsolePipe out;
  FileLogOptions o;
  o.stdout_console = out.file;
  {
    FileLogSink sink("", nullptr, o);
    sink.component_output("a", "stdout", "shown\n");
  }
  EXPECT_EQ(out.close_and_read(), "shown\n");
}

// Two descriptors for one pipe (the task's stderr a dup of its stdout):
// one buffer, so the streams keep their relative order.
TEST(FileLogSink, SameFileForBothStreamsKeepsOrder) {
  ConsolePipe err;
  FILE* out = ::fdopen(::dup(::fileno(err.file)), "w");
  // The writer is held until everything is queued: one batch, so separate
  // buffers would write one stream's lines before the other's.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  FileLogOptions o;
  o.stdout_console = out;
  o.before_batch = [&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
  };
  {
    FileLogSink sink("", err.file, o);
    for (int i = 0; i < 200; ++i) {
      sink.component_output("a", "stdout", "o" + std::to_string(i) + "\n");
      sink.component_output("a", "stderr", "e" + std::to_string(i) + "\n");
    }
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
  }
  std::fclose(out);
  std::string expected;
  for (int i = 0; i < 200; ++i) expected += "o" + std::to_string(i) + "\ne" + std::to_string(i) + "\n";
  EXPECT_EQ(err.close_and_read(), expected);
}

// containerd stops reading the task's stdout: stderr output and error lines
// queued after megabytes of stdout still come out on stderr at once, and no
// caller waits.
TEST(FileLogSink, StuckStdoutDelaysNeitherStderrNorCallers) {
  StuckConsole out;
  ConsolePipe err;
  Watchdog watchdog(30s);
  FileLogOptions o;
  o.stdout_console = out.file;
  o.close_timeout = 200ms;
  auto sink = std::make_unique<FileLogSink>("", err.file, o);
  std::string out_sent, err_sent;
  double worst = 0;
  // 24 x 32 KiB of stdout: several times what a pipe holds, under the
  // console buffer, so the head of it is written and the rest waits.
  for (int i = 0; i < 24; ++i) {
    std::string chunk = std::to_string(i) + ":" + std::string(32 << 10, char('a' + i % 26)) + "\n";
    std::string line = "err " + std::to_string(i) + "\n";
    auto start = std::chrono::steady_clock::now();
    sink->component_output("c", "stdout", chunk);
    sink->component_output("c", "stderr", line);
    if (i % 8 == 7) sink->error("request " + std::to_string(i) + " failed");
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    worst = std::max(worst, took.count());
    out_sent += chunk;
    err_sent += line;
    if (i % 8 == 7) err_sent += "request " + std::to_string(i) + " failed\n";
  }
  EXPECT_LT(worst, 0.5);
  // All of stderr arrives while stdout is still stuck (the sink is alive).
  auto start = std::chrono::steady_clock::now();
  std::string got = read_until(err.read_fd, 5000ms, [&](const std::string& s) { return s.size() >= err_sent.size(); });
  std::chrono::duration<double> waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(got, err_sent);
  EXPECT_LT(waited.count(), 2.0);
  EXPECT_EQ(sink->dropped_bytes(), 0u);
  // Closing gives the stuck console close_timeout, then drops the rest.
  auto closing = std::chrono::steady_clock::now();
  sink.reset();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - closing;
  EXPECT_LT(took.count(), 2.0);
  // What the stuck pipe holds is the start of stdout, in order.
  std::string held = read_until(out.read_fd, 100ms, [](const std::string&) { return false; });
  ASSERT_FALSE(held.empty());
  EXPECT_LT(held.size(), out_sent.size());
  EXPECT_EQ(held, out_sent.substr(0, held.size()));
}

TEST(OutputCapture, KeepsUpToTheCapAndNotesTheRest) {
  OutputCapture c("stderr", 1024);
  c.append(std::string(1000, 'a'));
  c.append(std::string(100, 'b'));  // 24 fit
  c.append("ccc");
  EXPECT_EQ(c.size(), 1024u);
  EXPECT_EQ(c.dropped(), 79u);
  std::string out = c.take();
  EXPECT_EQ(out, std::string(1000, 'a') + std::string(24, 'b') +
                     "\n[whirl: 79 bytes of stderr dropped: per-request cap of 1 KiB]\n");
  // Emptied and reusable.
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.dropped(), 0u);
  c.append("ok\n");
  EXPECT_EQ(c.take(), "ok\n");
}

TEST(OutputCapture, DefaultCapIsOneMiB) {
  OutputCapture c;
  EXPECT_EQ(c.cap(), size_t(1) << 20);
  std::string chunk(64 << 10, 'x');
  for (int i = 0; i < 20; ++i) c.append(chunk);  // 1.25 MiB
  EXPECT_EQ(c.size(), size_t(1) << 20);
  EXPECT_EQ(c.dropped(), size_t(4) * (64 << 10));
  std::string out = c.take();
  EXPECT_NE(out.find("[whirl: 262144 bytes of stderr dropped: per-request cap of 1 MiB]\n"), std::string::npos);
}

TEST(FormatSize, Units) {
  EXPECT_EQ(format_size(1 << 20), "1 MiB");
  EXPECT_EQ(format_size(3 << 10), "3 KiB");
  EXPECT_EQ(format_size(1000), "1000 bytes");
}

TEST(FileLogSink, WritesFilesAndConsoleInOrder) {
  TempDir dir("basic");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  FILE* console = ::fdopen(fds[1], "w");
  {
    FileLogSink sink(dir.path, console);
    sink.component_output("web", "stderr", "one\n");
    sink.error("request failed: trap");
    sink.component_output("web", "stdout", "out\n");
    sink.component_output("web", "stderr", "two\n");
  }
  std::fclose(console);
  std::string seen;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) seen.append(buf, size_t(n));
  ::close(fds[0]);
  EXPECT_EQ(seen, "one\nrequest failed: trap\nout\ntwo\n");
  EXPECT_EQ(slurp(dir.path / "web_stderr.txt"), "one\ntwo\n");
  EXPECT_EQ(slurp(dir.path / "web_stdout.txt"), "out\n");
}

TEST(FileLogSink, RotatesAtTheSizeLimit) {
  TempDir dir("rotate");
  FileLogOptions o;
  o.max_file_bytes = 1000;
  o.keep_files = 2;
  std::string all;
  {
    FileLogSink sink(dir.path, nullptr, o);
    for (int i = 0; i < 500; ++i) {
      std::string line = "line " + std::to_string(i) + "\n";
      all += line;
      sink.component_output("c", "stderr", line);
    }
    sink.component_output("c", "stderr", std::string(2500, 'z'));  // larger than a file: split
    all += std::string(2500, 'z');
  }
  uint64_t total = 0;
  int count = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    ++count;
    EXPECT_LE(e.file_size(), 1000u) << e.path();
    total += e.file_size();
  }
  EXPECT_EQ(count, 3);  // c_stderr.txt, .1, .2
  EXPECT_LE(total, 3000u);
  // The newest bytes are kept, oldest first across .2, .1, current.
  std::string kept = slurp(dir.path / "c_stderr.txt.2") + slurp(dir.path / "c_stderr.txt.1") +
                     slurp(dir.path / "c_stderr.txt");
  EXPECT_EQ(kept, all.substr(all.size() - kept.size()));
  EXPECT_EQ(slurp(dir.path / "c_stderr.txt"), std::string(500, 'z'));
}

TEST(FileLogSink, RotationContinuesAnExistingFile) {
  TempDir dir("existing");
  std::ofstream(dir.path / "c_stdout.txt") << std::string(900, 'o');
  FileLogOptions o;
  o.max_file_bytes = 1000;
  o.keep_files = 0;
  {
    FileLogSink sink(dir.path, nullptr, o);
    sink.component_output("c", "stdout", std::string(200, 'n'));
  }
  // keep_files 0: truncated, no old file kept.
  EXPECT_EQ(slurp(dir.path / "c_stdout.txt"), std::string(200, 'n'));
  EXPECT_FALSE(fs::exists(dir.path / "c_stdout.txt.1"));
}

// Many threads log while the console is a pipe nobody reads: each call
// returns promptly, the files get every line, each thread's lines in order.
TEST(FileLogSink, StuckConsoleBlocksNobody) {
  TempDir dir("stuck");
  StuckConsole console;
  constexpr int kThreads = 8, kLines = 2000;
  Watchdog watchdog(30s);
  std::vector<double> worst(kThreads);
  {
    FileLogOptions o;
    o.close_timeout = 200ms;
    auto owned = std::make_unique<FileLogSink>(dir.path, console.file, o);
    FileLogSink& sink = *owned;
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t)
      ts.emplace_back([&, t] {
        for (int i = 0; i < kLines; ++i) {
          std::string line = "t" + std::to_string(t) + " " + std::to_string(i) + " " + std::string(100, 'p') + "\n";
          auto start = std::chrono::steady_clock::now();
          sink.component_output("c", "stderr", line);
          std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
          worst[t] = std::max(worst[t], took.count());
          // Paced a little so the writer keeps the queue below its cap.
          if (i % 100 == 0) std::this_thread::sleep_for(1ms);
        }
      });
    for (auto& t : ts) t.join();
    EXPECT_EQ(sink.dropped_bytes(), 0u);
    // The destructor gives the console close_timeout, then gives up on it.
    auto closing = std::chrono::steady_clock::now();
    owned.reset();
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - closing;
    EXPECT_LT(took.count(), 2.0);
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_LT(worst[t], 0.5) << "thread " << t;
  std::istringstream in(slurp(dir.path / "c_stderr.txt"));
  std::vector<int> next(kThreads, 0);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    int t = 0, i = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "t%d %d", &t, &i), 2) << line;
    ASSERT_EQ(i, next[t]) << "thread " << t << " out of order";
    ++next[t];
    ++lines;
  }
  EXPECT_EQ(lines, kThreads * kLines);
}

// The writer is held (test seam) while requests log: calls still return at
// once, what fits in the queue is written in order, the rest is dropped and
// noted in the file.
TEST(FileLogSink, FullQueueDropsAndNotes) {
  TempDir dir("full");
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  FileLogOptions o;
  o.queue_bytes = 10000;
  o.before_batch = [&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
  };
  std::string expected;
  Watchdog watchdog(30s);
  {
    FileLogSink sink(dir.path, nullptr, o);
    auto start = std::chrono::steady_clock::now();
    // 100-byte lines: 100 fit, the writer holds at most the first batch.
    for (int i = 0; i < 300; ++i) {
      char line[101];
      std::snprintf(line, sizeof line, "%04d%095d\n", i, 0);
      sink.component_output("c", "stdout", std::string_view(line, 100));
    }
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took.count(), 1.0);
    EXPECT_EQ(sink.dropped_bytes(), 200u * 100);
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
  }
  std::string got = slurp(dir.path / "c_stdout.txt");
  for (int i = 0; i < 100; ++i) {
    char line[101];
    std::snprintf(line, sizeof line, "%04d%095d\n", i, 0);
    expected += std::string_view(line, 100);
  }
  ASSERT_EQ(got.substr(0, expected.size()), expected);
  // Drops are noted per batch the writer takes: one note, or two when the
  // writer took its first batch after some drops. Together they count all.
  std::istringstream notes(got.substr(expected.size()));
  std::string line, tail = " bytes dropped: log queue full (" + format_size(10000) + ")]";
  uint64_t noted = 0;
  while (std::getline(notes, line)) {
    ASSERT_EQ(line.rfind("[whirl: ", 0), 0u) << line;
    ASSERT_GE(line.size(), 8 + tail.size()) << line;
    ASSERT_EQ(line.substr(line.size() - tail.size()), tail) << line;
    noted += std::stoull(line.substr(8, line.size() - 8 - tail.size()));
  }
  EXPECT_EQ(noted, 20000u);
}

// Error lines have their own budget: a flood of output does not drop them,
// and they keep their order.
TEST(FileLogSink, ErrorsSurviveAnOutputFlood) {
  TempDir dir("errors");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  FILE* console = ::fdopen(fds[1], "w");
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  FileLogOptions o;
  o.queue_bytes = 1000;
  o.before_batch = [&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
  };
  std::string seen;
  {
    FileLogSink sink("", console, o);
    for (int i = 0; i < 50; ++i) {
      sink.component_output("c", "stderr", std::string(100, 'x'));
      sink.error("error " + std::to_string(i));
    }
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
    // Read while the sink drains (the pipe holds less than the flood).
    auto until = std::chrono::steady_clock::now() + 5s;
    while (seen.find("error 49\n") == std::string::npos && std::chrono::steady_clock::now() < until) {
      char buf[4096];
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n > 0)
        seen.append(buf, size_t(n));
      else
        std::this_thread::sleep_for(1ms);
    }
  }
  std::fclose(console);
  ::close(fds[0]);
  size_t at = 0;
  for (int i = 0; i < 50; ++i) {
    size_t found = seen.find("error " + std::to_string(i) + "\n", at);
    ASSERT_NE(found, std::string::npos) << "error " << i;
    at = found;
  }
}

}  // namespace
}  // namespace whirl::spin::http
