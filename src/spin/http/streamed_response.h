// The server's side of one response (internal to server.cc): a worker
// thread produces it through ResponseWriter, the connection's strand
// (Session, in server.cc) sends it. Independent of Beast.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "spin/http/message.h"

namespace whirl::spin::http {

class Session;

// One response in flight: a worker thread produces it (ResponseWriter),
// the session's strand sends it (Session::pump). The buffer between them is
// bounded: a full buffer blocks the producer until the socket drains it.
class StreamedResponse final : public ResponseWriter, public std::enable_shared_from_this<StreamedResponse> {
 public:
  StreamedResponse(std::shared_ptr<Session> s, size_t capacity, bool head_request)
      : session_(std::move(s)), capacity_(std::max<size_t>(capacity, 1)), head_request_(head_request) {}

  bool start(unsigned status, std::vector<Header> headers) override {
    std::lock_guard lock(mu_);
    if (has_head_ || cancel_.cancelled()) return false;
    has_head_ = true;
    status_ = status;
    headers_ = std::move(headers);
    // 1xx, 204 and 304 have no body in HTTP (RFC 9110 6.4.1): what a guest
    // writes for one is dropped, as for HEAD.
    no_body_ = status < 200 || status == 204 || status == 304;
    return true;
  }

  bool write(std::string_view bytes) override {
    std::unique_lock lock(mu_);
    if (!has_head_ || finished_ || aborted_) return false;
    while (!bytes.empty()) {
      if (cancel_.cancelled()) return false;
      if (head_request_ || no_body_) {  // nothing is sent; only the length counts
        body_bytes_ += bytes.size();
        return true;
      }
      if (pending_.size() >= capacity_) {
        streaming_ = true;
        kick();
        cv_.wait(lock);
        continue;
      }
      size_t n = std::min(bytes.size(), capacity_ - pending_.size());
      pending_.append(bytes.data(), n);
      body_bytes_ += n;
      bytes.remove_prefix(n);
      if (streaming_) kick();
    }
    return !cancel_.cancelled();
  }

  void finish() override {
    std::lock_guard lock(mu_);
    if (!has_head_) {
      has_head_ = true;
      status_ = 500;
    }
    finished_ = true;
    kick();
  }

  void abort() override {
    {
      std::lock_guard lock(mu_);
      if (finished_ && head_sent_) return;
      if (!head_sent_) {
        answer_500();
      } else {
        aborted_ = true;
      }
      kick();
    }
    cv_.notify_all();
  }

  void set_trailers(std::vector<Header> trailers) override {
    std::lock_guard lock(mu_);
    if (has_head_ && !finished_ && !aborted_) trailers_ = std::move(trailers);
  }

  bool started() const override {
    std::lock_guard lock(mu_);
    return has_head_;
  }

  void cancel() override {
    if (!cancel_.cancel()) return;
    {
      std::lock_guard lock(mu_);
      kick();
    }
    cv_.notify_all();
  }

  bool cancelled() const override { return cancel_.cancelled(); }
  void on_cancel(std::function<void()> hook) override { cancel_.on_cancel(std::move(hook)); }

  // After the handler returned: no answer is a 500, a half-sent body is cut off.
  void complete_if_unanswered() {
    {
      std::lock_guard lock(mu_);
      if (finished_ || aborted_) return;
    }
    abort();
  }

 private:
  friend class Session;
  void kick();  // with mu_ held: make sure the strand looks at the state
  void answer_500() {  // with mu_ held, nothing sent yet
    has_head_ = finished_ = true;
    status_ = 500;
    headers_.clear();
    pending_.clear();
    body_bytes_ = 0;
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Session> session_;  // until the response is done
  bool no_body_ = false;              // a status without a body (start())
  const size_t capacity_;
  const bool head_request_;
  bool has_head_ = false, streaming_ = false, finished_ = false, aborted_ = false;
  Cancellation cancel_;
  bool pumping_ = false;    // the strand has work scheduled or a write in flight
  bool head_sent_ = false;  // strand side
  unsigned status_ = 200;
  std::vector<Header> headers_;
  std::vector<Header> trailers_;
  std::string pending_;
  uint64_t body_bytes_ = 0;
};

}  // namespace whirl::spin::http
