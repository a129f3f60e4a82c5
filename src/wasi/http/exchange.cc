// The two bounded buffers and the head of an outbound request in flight.
#include "wasi/http/exchange.h"
#include "wasi/http/wasi_http.h"

namespace whirl::wasi::http {

uint64_t Exchange::body_room() {
  std::lock_guard lock(mu_);
  return body_.size() >= kWindow ? 0 : kWindow - body_.size();
}

bool Exchange::wait_body_room(std::chrono::nanoseconds t) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, t, [&] { return cancelled_ || body_.size() < kWindow; });
}

bool Exchange::push_body(std::string_view bytes) {
  std::lock_guard lock(mu_);
  if (cancelled_ || body_ended_ || !body_failed_.empty()) return false;
  body_.append(bytes);  // may pass the window by one write: check_write said how much fits
  cv_.notify_all();
  return true;
}

void Exchange::end_body() {
  std::lock_guard lock(mu_);
  body_ended_ = true;
  cv_.notify_all();
}

void Exchange::fail_body(std::string why) {
  std::lock_guard lock(mu_);
  if (body_failed_.empty()) body_failed_ = why.empty() ? "the request body failed" : std::move(why);
  cv_.notify_all();
}

Exchange::BodyEvent Exchange::next_body(std::string& out) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return cancelled_ || !body_.empty() || body_ended_ || !body_failed_.empty(); });
  if (cancelled_) return BodyEvent::Cancelled;
  if (!body_failed_.empty()) {
    out = body_failed_;
    return BodyEvent::Failed;
  }
  if (!body_.empty()) {
    out.swap(body_);
    body_.clear();
    cv_.notify_all();
    return BodyEvent::Data;
  }
  return BodyEvent::End;
}

bool Exchange::body_complete(std::string& whole) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return cancelled_ || !body_.empty() || body_ended_ || !body_failed_.empty(); });
  if (!body_ended_ || cancelled_ || !body_failed_.empty()) return false;
  whole.swap(body_);
  body_.clear();
  return true;
}

void Exchange::respond(uint16_t status, FieldList headers) {
  std::lock_guard lock(mu_);
  if (head_ready_) return;
  head_ready_ = true;
  head_.status = status;
  head_.headers = std::move(headers);
  cv_.notify_all();
}

void Exchange::fail(component::abi::Value code) {
  std::lock_guard lock(mu_);
  if (!head_ready_) {
    head_ready_ = true;
    head_.error = std::move(code);
  } else if (!resp_ended_ && resp_error_.empty()) {
    resp_error_code_ = code.label;
    resp_error_ = "the response body failed: " + code.label;
  }
  cv_.notify_all();
}

bool Exchange::head_ready() {
  std::lock_guard lock(mu_);
  return head_ready_;
}

bool Exchange::wait_head(std::chrono::nanoseconds t) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, t, [&] { return head_ready_; });
}

Exchange::Head Exchange::head() {
  std::lock_guard lock(mu_);
  return head_;
}

bool Exchange::push_response(std::string_view bytes) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return cancelled_ || resp_.size() < kWindow; });
  if (cancelled_) return false;
  resp_.append(bytes);
  cv_.notify_all();
  return true;
}

void Exchange::end_response() {
  std::lock_guard lock(mu_);
  resp_ended_ = true;
  cv_.notify_all();
}

p2::HostInputStream::Chunk Exchange::read_response(size_t max) {
  std::lock_guard lock(mu_);
  p2::HostInputStream::Chunk c;
  size_t n = std::min(max, resp_.size());
  if (n) {
    c.bytes.assign(resp_, 0, n);
    resp_.erase(0, n);
    cv_.notify_all();
    return c;
  }
  if (!resp_error_.empty()) {
    c.error = resp_error_;
    c.http_code = resp_error_code_;
  } else if (resp_ended_) {
    c.end = true;
  } else if (cancelled_) {
    c.error = "the response was abandoned";
    c.http_code = "connection-terminated";
  }
  return c;
}

bool Exchange::response_ready() {
  std::lock_guard lock(mu_);
  return !resp_.empty() || resp_ended_ || !resp_error_.empty() || cancelled_;
}

bool Exchange::wait_response(std::chrono::nanoseconds t) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, t, [&] { return !resp_.empty() || resp_ended_ || !resp_error_.empty() || cancelled_; });
}

void Exchange::cancel() {
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    cv_.notify_all();
  }
  std::lock_guard hook(hook_mu_);
  if (hook_) hook_();
}

bool Exchange::cancelled() {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void Exchange::on_cancel(std::function<void()> hook) {
  std::lock_guard h(hook_mu_);
  hook_ = std::move(hook);
  if (hook_ && cancelled()) hook_();
}

bool RequestLimit::acquire(Exchange& ex) {
  std::unique_lock lock(mu_);
  // Cancellation does not signal this condition: look again now and then.
  while (used_ >= max_) {
    if (ex.cancelled()) return false;
    cv_.wait_for(lock, std::chrono::milliseconds(20));
  }
  ++used_;
  return true;
}

void RequestLimit::release() {
  {
    std::lock_guard lock(mu_);
    --used_;
  }
  cv_.notify_one();
}

}  // namespace whirl::wasi::http
