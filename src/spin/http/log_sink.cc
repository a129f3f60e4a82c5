#include "spin/http/log_sink.h"

#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

namespace whirl::spin::http {
namespace {

// At most what a pipe takes in one write once poll says it is writable, so
// a console write does not block the writer.
constexpr size_t kConsoleChunk = 4096;

}  // namespace

std::string format_size(uint64_t bytes) {
  constexpr uint64_t kKiB = 1024, kMiB = kKiB * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

OutputCapture::OutputCapture(std::string stream, size_t cap) : stream_(std::move(stream)), cap_(cap) {}

void OutputCapture::append(std::string_view bytes) {
  size_t room = cap_ - kept_.size();
  size_t keep = std::min(room, bytes.size());
  kept_.append(bytes.data(), keep);
  dropped_ += bytes.size() - keep;
}

std::string OutputCapture::take() {
  std::string out = std::move(kept_);
  kept_.clear();
  if (dropped_) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += "[whirl: " + std::to_string(dropped_) + " bytes of " + stream_ + " dropped: per-request cap of " +
           format_size(cap_) + "]\n";
  }
  dropped_ = 0;
  return out;
}

FileLogSink::FileLogSink(std::filesystem::path dir, FILE* console, FileLogOptions options)
    : dir_(std::move(dir)),
      echo_stderr_(console != nullptr),
      echo_stdout_(console != nullptr || options.stdout_console != nullptr),
      opt_(std::move(options)) {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
  }
  consoles_[0].fd = console ? ::fileno(console) : STDERR_FILENO;
  if (opt_.stdout_console) {
    // Two descriptors for one file (fd 2 a dup of fd 1, one terminal) share
    // a buffer, so the streams keep their order there.
    int fd = ::fileno(opt_.stdout_console);
    struct stat a {}, b {};
    bool same = ::fstat(fd, &a) == 0 && ::fstat(consoles_[0].fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    if (!same) consoles_[1].fd = fd;
    std::fflush(opt_.stdout_console);
  }
  // The writer writes to the descriptor: nothing may sit in the FILE's buffer before it.
  std::fflush(console ? console : stderr);
  writer_ = std::thread([this] { run(); });
}

FileLogSink::~FileLogSink() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    close_deadline_ = std::chrono::steady_clock::now() + opt_.close_timeout;
  }
  cv_.notify_one();
  writer_.join();
  for (auto& [_, lf] : files_)
    if (lf.f) std::fclose(lf.f);
}

void FileLogSink::component_output(std::string_view component, std::string_view stream, std::string_view bytes) {
  bool is_stdout = stream == "stdout";
  if (bytes.empty() || (dir_.empty() && !(is_stdout ? echo_stdout_ : echo_stderr_))) return;
  // Built before taking the lock: the lock covers the push only.
  Entry e{false, is_stdout, std::string(component) + "_" + std::string(stream) + ".txt", std::string(bytes)};
  {
    std::lock_guard lock(mu_);
    if (bytes.size() > opt_.queue_bytes - std::min(queued_output_, opt_.queue_bytes)) {
      auto it = dropped_.find(e.file);
      if (it == dropped_.end()) it = dropped_.emplace(std::move(e.file), 0).first;
      it->second += bytes.size();
      dropped_total_ += bytes.size();
      return;
    }
    queued_output_ += bytes.size();
    queue_.push_back(std::move(e));
  }
  cv_.notify_one();
}

void FileLogSink::error(std::string_view message) {
  Entry e{true, false, {}, std::string(message)};
  e.bytes += '\n';
  size_t n = e.bytes.size();
  {
    std::lock_guard lock(mu_);
    if (n > opt_.error_queue_bytes - std::min(queued_errors_, opt_.error_queue_bytes)) {
      dropped_[""] += n;
      dropped_total_ += n;
      return;
    }
    queued_errors_ += n;
    queue_.push_back(std::move(e));
  }
  cv_.notify_one();
}

void FileLogSink::run() {
  // A console whose reader went away is an error (EPIPE) for this thread,
  // not the death of the process.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

  using namespace std::chrono_literals;
  std::unique_lock lock(mu_);
  for (;;) {
    auto ready = [&] { return stop_ || !queue_.empty() || !dropped_.empty(); };
    // With console bytes waiting, wake up now and then to retry the consoles.
    if (consoles_[0].waiting() || consoles_[1].waiting())
      cv_.wait_for(lock, 10ms, ready);
    else
      cv_.wait(lock, ready);
    std::deque<Entry> batch;
    batch.swap(queue_);
    auto dropped = std::move(dropped_);
    dropped_.clear();
    bool stopping = stop_;
    auto deadline = close_deadline_;
    lock.unlock();

    if (opt_.before_batch && !batch.empty()) opt_.before_batch();
    size_t out_bytes = 0, err_bytes = 0;
    for (const auto& e : batch) {
      if (e.is_error) {
        err_bytes += e.bytes.size();
        to_console(consoles_[0], e.bytes, opt_.console_buffer_bytes + opt_.error_queue_bytes);
        continue;
      }
      out_bytes += e.bytes.size();
      if (!dir_.empty()) write_file(e.file, e.bytes);
      if (Console* c = console_for(e.is_stdout)) to_console(*c, e.bytes, opt_.console_buffer_bytes);
    }
    for (const auto& [file, n] : dropped) {
      std::string what = file.empty() ? " bytes of error lines" : " bytes";
      std::string note = "[whirl: " + std::to_string(n) + what + " dropped: log queue full (" +
                         format_size(file.empty() ? opt_.error_queue_bytes : opt_.queue_bytes) + ")]\n";
      if (!file.empty() && !dir_.empty()) write_file(file, note);
      // The note goes where the dropped stream's output would have gone.
      bool is_stdout = file.size() >= 11 && file.compare(file.size() - 11, 11, "_stdout.txt") == 0;
      Console* c = file.empty() ? &consoles_[0] : console_for(is_stdout);
      if (c) to_console(*c, note, opt_.console_buffer_bytes + opt_.error_queue_bytes);
    }
    for (auto& [_, lf] : files_)
      if (lf.f) std::fflush(lf.f);
    drain_consoles(stopping, deadline);

    lock.lock();
    queued_output_ -= out_bytes;
    queued_errors_ -= err_bytes;
    if (stopping && queue_.empty() && dropped_.empty()) break;
  }
}

void FileLogSink::write_file(const std::string& name, std::string_view bytes) {
  uint64_t max = std::max<uint64_t>(opt_.max_file_bytes, 1);
  auto it = files_.find(name);
  if (it == files_.end()) {
    LogFile lf;
    std::filesystem::path path = dir_ / name;
    lf.f = std::fopen(path.c_str(), "ab");
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(path, ec);
    lf.size = ec ? 0 : size;
    it = files_.emplace(name, lf).first;
  }
  LogFile& lf = it->second;
  while (lf.f && !bytes.empty()) {
    // Rotate before a write that would not fit; a write larger than a whole
    // file is split across files.
    if (lf.size > 0 && lf.size + bytes.size() > max) rotate(name, lf);
    if (!lf.f) return;
    size_t n = size_t(std::min<uint64_t>(bytes.size(), max - std::min(lf.size, max)));
    if (n == 0) {
      rotate(name, lf);
      continue;
    }
    if (std::fwrite(bytes.data(), 1, n, lf.f) != n) return;
    lf.size += n;
    bytes.remove_prefix(n);
  }
}

void FileLogSink::rotate(const std::string& name, LogFile& lf) {
  std::fclose(lf.f);
  lf.f = nullptr;
  lf.size = 0;
  std::filesystem::path base = dir_ / name;
  std::error_code ec;
  for (int k = opt_.keep_files; k >= 1; --k) {
    std::filesystem::path from = k == 1 ? base : std::filesystem::path(base.string() + "." + std::to_string(k - 1));
    std::filesystem::rename(from, base.string() + "." + std::to_string(k), ec);
  }
  lf.f = std::fopen(base.c_str(), "wb");
}

FileLogSink::Console* FileLogSink::console_for(bool is_stdout) {
  if (!is_stdout) return echo_stderr_ ? &consoles_[0] : nullptr;
  if (!echo_stdout_) return nullptr;
  return consoles_[1].fd >= 0 ? &consoles_[1] : &consoles_[0];
}

std::string FileLogSink::drop_note(const Console& c) const {
  std::string note = "[whirl: " + std::to_string(c.dropped) + " bytes of console output dropped: the console buffer (" +
                     format_size(opt_.console_buffer_bytes) + ") was full]\n";
  if (c.off < c.pending.size() && c.pending.back() != '\n') note.insert(note.begin(), '\n');
  return note;
}

void FileLogSink::to_console(Console& c, std::string_view bytes, size_t limit) {
  if (c.dead) return;
  if (c.off == c.pending.size()) {
    c.pending.clear();
    c.off = 0;
  }
  size_t pending = c.pending.size() - c.off;
  if (c.dropped) {
    std::string note = drop_note(c);
    if (pending + note.size() > limit) {
      c.dropped += bytes.size();
      return;
    }
    c.pending += note;
    pending += note.size();
    c.dropped = 0;
  }
  // What fits is kept, so one entry larger than the buffer (a request's
  // whole captured stderr) still shows its beginning.
  size_t take = std::min(bytes.size(), limit - std::min(limit, pending));
  c.pending.append(bytes.substr(0, take));
  c.dropped += bytes.size() - take;
}

// Writes what each console can take now (or, when closing, until the
// deadline). Both are polled together: a stuck one never delays the other.
void FileLogSink::drain_consoles(bool until_deadline, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    pollfd p[2];
    Console* which[2];
    nfds_t n = 0;
    for (Console& c : consoles_)
      if (c.waiting()) {
        p[n] = pollfd{c.fd, POLLOUT, 0};
        which[n++] = &c;
      }
    if (n == 0) break;
    int timeout_ms = 0;
    if (until_deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        for (nfds_t i = 0; i < n; ++i) which[i]->dead = true;
        break;
      }
      timeout_ms = int(std::min<int64_t>(left.count(), 50));
    }
    int r = ::poll(p, n, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      for (nfds_t i = 0; i < n; ++i) which[i]->dead = true;
      break;
    }
    if (r == 0) {
      if (!until_deadline) break;
      continue;
    }
    for (nfds_t i = 0; i < n; ++i) {
      Console& c = *which[i];
      if (p[i].revents & (POLLERR | POLLNVAL)) {
        c.dead = true;
        continue;
      }
      if (!(p[i].revents & (POLLOUT | POLLHUP))) continue;
      // One chunk: what a pipe that polls writable takes without blocking.
      size_t len = std::min(c.pending.size() - c.off, kConsoleChunk);
      ssize_t w = ::write(c.fd, c.pending.data() + c.off, len);
      if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (w <= 0) {
        c.dead = true;
        continue;
      }
      c.off += size_t(w);
      if (c.off == c.pending.size() && c.dropped) {
        // Caught up: the note of what was lost goes out now, not only
        // when (if ever) more output comes.
        c.pending = drop_note(Console{c.fd, {}, 0, c.dropped, false});
        c.off = 0;
        c.dropped = 0;
      }
    }
  }
  for (Console& c : consoles_)
    if (c.dead || c.off == c.pending.size()) {
      c.pending.clear();
      c.off = 0;
    }
}

}  // namespace whirl::spin::http
