// Where component output and request errors go. The default writes each
// component's output to the console and to `<dir>/<component>_<stream>.txt`
// (Spin's `.spin/logs` layout); tests use a memory sink.
//
// Everything here is bounded: a request's output by OutputCapture, the bytes
// waiting to be written by FileLogOptions::queue_bytes, each log file by
// rotation. A request never waits on file or console I/O: FileLogSink hands
// bytes to one writer thread and the only lock a request takes guards the
// queue push.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace whirl::spin::http {

class LogSink {
 public:
  virtual ~LogSink() = default;
  // `stream` is "stdout" or "stderr".
  virtual void component_output(std::string_view component, std::string_view stream, std::string_view bytes) = 0;
  // A request failed (trap, bad CGI output, timeout): one line, no newline.
  virtual void error(std::string_view message) = 0;
};

// One request's output on one stream, kept up to `cap` bytes; the rest is
// dropped and counted. Fed incrementally (a host write callback per guest
// write), taken once when the request ends. Not thread-safe: one guest
// instance writes from one thread.
class OutputCapture {
 public:
  static constexpr size_t kDefaultCap = size_t(1) << 20;  // 1 MiB per request per stream

  // `stream` only names the stream in the dropped-bytes note.
  explicit OutputCapture(std::string stream = "stderr", size_t cap = kDefaultCap);

  // Keeps what fits under the cap, counts the rest.
  void append(std::string_view bytes);
  // The kept bytes, then, if anything was dropped, one note line
  // `[whirl: N bytes of <stream> dropped: per-request cap of 1 MiB]`.
  // Leaves the capture empty (cap unchanged, counters reset).
  std::string take();

  size_t size() const { return kept_.size(); }
  size_t dropped() const { return dropped_; }
  size_t cap() const { return cap_; }

 private:
  std::string stream_;
  size_t cap_;
  std::string kept_;
  size_t dropped_ = 0;
};

// "1 MiB", "64 KiB", "1000 bytes": sizes in notes.
std::string format_size(uint64_t bytes);

struct FileLogOptions {
  // Bytes of component output queued for the writer thread; output that
  // would go beyond is dropped, counted, and noted in its log file and on
  // the console once the writer catches up. This bounds memory, and lets
  // several requests at the per-request cap queue while the writer works.
  size_t queue_bytes = size_t(8) << 20;  // 8 MiB
  // error() lines have their own budget, so a guest flooding its output
  // cannot push request errors out.
  size_t error_queue_bytes = size_t(1) << 20;  // 1 MiB
  // Console output waiting for a slow console (a pipe nobody reads, a
  // stopped terminal); beyond it console output is dropped (the files still
  // get everything). The console never delays the files.
  // Each console has its own buffer of this size.
  size_t console_buffer_bytes = size_t(1) << 20;  // 1 MiB
  // Where components' "stdout" stream is echoed instead of the console (the
  // containerd shim: stdout to fd 1, stderr and error lines to fd 2). Null:
  // the console takes both streams. It has its own buffer, so a stuck one
  // never delays the other. Not owned; the sink writes to its descriptor.
  FILE* stdout_console = nullptr;
  // A log file is rotated (`x.txt` -> `x.txt.1` -> ... -> `x.txt.<keep>`)
  // before it would exceed this, so no file is larger and one stream uses
  // at most max_file_bytes * (keep_files + 1) of disk. keep_files 0: the
  // file is truncated instead.
  uint64_t max_file_bytes = uint64_t(10) << 20;  // 10 MiB
  int keep_files = 2;
  // How long the destructor lets a stuck console take before dropping what
  // it still holds for it (files are always written out).
  std::chrono::milliseconds close_timeout{2000};
  // Test seam: the writer thread calls this before each batch it takes.
  std::function<void()> before_batch;
};

class FileLogSink : public LogSink {
 public:
  // `dir` empty: console only. `console` null: no console for component
  // output but options.stdout_console's (error lines then go to stderr).
  FileLogSink(std::filesystem::path dir, FILE* console, FileLogOptions options = {});
  // Writes out what is queued and joins the writer (console bounded by
  // close_timeout).
  ~FileLogSink() override;
  FileLogSink(const FileLogSink&) = delete;
  FileLogSink& operator=(const FileLogSink&) = delete;

  // Both copy the bytes and queue them (or count them as dropped): no I/O.
  void component_output(std::string_view component, std::string_view stream, std::string_view bytes) override;
  void error(std::string_view message) override;

  // Bytes dropped so far because the queue was full.
  uint64_t dropped_bytes() const { return dropped_total_.load(); }

 private:
  struct Entry {
    bool is_error = false;
    bool is_stdout = false;  // a component's "stdout" stream
    std::string file;  // `<component>_<stream>.txt`; empty for errors
    std::string bytes;
  };
  // A descriptor the writer polls, with what is waiting for it. Writer
  // thread only.
  struct Console {
    int fd = -1;
    std::string pending;
    size_t off = 0;  // written prefix of pending
    uint64_t dropped = 0;
    bool dead = false;
    bool waiting() const { return !dead && off < pending.size(); }
  };
  struct LogFile {
    FILE* f = nullptr;
    uint64_t size = 0;
  };

  void run();
  std::string drop_note(const Console& c) const;  // "[whirl: N bytes ... dropped ...]"
  void write_file(const std::string& name, std::string_view bytes);
  void rotate(const std::string& name, LogFile& lf);
  // Where a stream's output is echoed; null: nowhere.
  Console* console_for(bool is_stdout);
  void to_console(Console& c, std::string_view bytes, size_t limit);
  void drain_consoles(bool until_deadline, std::chrono::steady_clock::time_point deadline);

  const std::filesystem::path dir_;
  const bool echo_stderr_;  // "stderr" output goes to consoles_[0]
  // "stdout" output goes to consoles_[1] when it is a separate console, else
  // to consoles_[0] (when echo_stderr_).
  const bool echo_stdout_;
  const FileLogOptions opt_;

  // Guarded by mu_: the queue and its counters. Nothing else.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> queue_;
  size_t queued_output_ = 0;  // output bytes queued or being written
  size_t queued_errors_ = 0;
  std::map<std::string, uint64_t, std::less<>> dropped_;  // per file; "" for errors
  bool stop_ = false;
  std::atomic<uint64_t> dropped_total_{0};
  std::chrono::steady_clock::time_point close_deadline_;  // set with stop_

  // Writer thread only.
  std::map<std::string, LogFile> files_;
  // [0]: the console (or stderr, for error lines, when there is none);
  // [1]: options.stdout_console when set and not the same file as [0]
  // (fd -1 otherwise).
  Console consoles_[2];

  std::thread writer_;  // last: starts after everything above exists
};

}  // namespace whirl::spin::http
