#include "spin/http/body_channel.h"

namespace whirl::spin::http {

BodyStream::Chunk BodyChannel::read(size_t max) {
  Chunk c;
  std::function<void()> resume;
  {
    std::lock_guard lock(mu_);
    size_t n = std::min(max, buf_.size() - head_);
    c.bytes.assign(buf_, head_, n);
    head_ += n;
    if (head_ == buf_.size()) buf_.clear(), head_ = 0;
    // Compact once the read part dominates, so the buffer stays bounded.
    if (head_ > capacity_) buf_.erase(0, head_), head_ = 0;
    if (buf_.size() == head_) {
      c.end = end_;
      c.error = error_;
      c.status = status_;
    }
    resume = take_resume_if_room();
  }
  if (resume) resume();
  return c;
}

bool BodyChannel::wait_for(std::chrono::nanoseconds timeout) {
  std::unique_lock lock(mu_);
  auto readable = [&] { return buf_.size() > head_ || end_ || !error_.empty(); };
  cv_.wait_for(lock, timeout, readable);
  return readable();
}

std::vector<Header> BodyChannel::trailers() {
  std::lock_guard lock(mu_);
  return trailers_;
}

bool BodyChannel::push(std::string_view bytes) {
  std::lock_guard lock(mu_);
  if (end_ || !error_.empty()) return false;
  buf_.append(bytes);
  cv_.notify_all();
  if (buf_.size() - head_ < capacity_) return true;
  paused_ = true;
  return false;
}

void BodyChannel::finish(std::vector<Header> trailers) {
  std::lock_guard lock(mu_);
  if (!error_.empty()) return;
  end_ = true;
  trailers_ = std::move(trailers);
  resume_ = nullptr;
  cv_.notify_all();
}

void BodyChannel::fail(std::string error, unsigned status) {
  std::function<void()> dropped;  // destroyed outside the lock: it may hold the session
  {
    std::lock_guard lock(mu_);
    if (end_ || !error_.empty()) return;
    error_ = error.empty() ? "the request body failed" : std::move(error);
    status_ = status;
    dropped = std::move(resume_);
    resume_ = nullptr;
    cv_.notify_all();
  }
}

void BodyChannel::on_space(std::function<void()> resume) {
  {
    std::lock_guard lock(mu_);
    if (end_ || !error_.empty()) return;
    if (paused_) {
      resume_ = std::move(resume);
      return;
    }
  }
  resume();  // the reader made room before the server asked
}

bool BodyChannel::done() const {
  std::lock_guard lock(mu_);
  return end_ || !error_.empty();
}

std::function<void()> BodyChannel::take_resume_if_room() {
  if (!paused_ || buf_.size() - head_ > capacity_ / 2) return nullptr;
  paused_ = false;
  auto r = std::move(resume_);
  resume_ = nullptr;
  return r;
}

}  // namespace whirl::spin::http
