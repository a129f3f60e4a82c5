#include "spin/http/message.h"

namespace whirl::spin::http {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

Expected<std::string, BodyError> read_whole_body(const Request& req) {
  if (!req.body_stream) return req.body;
  std::string out;
  for (;;) {
    BodyStream::Chunk c = req.body_stream->read(size_t(1) << 20);
    out += c.bytes;
    if (!c.error.empty()) return unexpected(BodyError{c.status ? c.status : 400, std::move(c.error)});
    if (c.end) return out;
    if (c.bytes.empty()) req.body_stream->wait_for(std::chrono::milliseconds(100));
  }
}

Expected<Request, BodyError> with_whole_body(const Request& req) {
  auto body = read_whole_body(req);
  if (!body) return unexpected(std::move(body).error());
  Request whole = req;
  whole.body = std::move(*body);
  whole.body_stream.reset();
  return whole;
}

std::string Request::client_addr() const {
  if (client_ip.find(':') != std::string::npos) return "[" + client_ip + "]:" + std::to_string(client_port);
  return client_ip + ":" + std::to_string(client_port);
}

void Request::set_target(std::string_view t) {
  target = std::string(t);
  // Absolute form "http://host/path?q": keep only the path and query.
  if (auto scheme = t.find("://"); scheme != std::string_view::npos && t.front() != '/') {
    auto slash = t.find('/', scheme + 3);
    t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
    target = std::string(t);
  }
  auto q = t.find('?');
  path = std::string(t.substr(0, q));
  query = q == std::string_view::npos ? std::string() : std::string(t.substr(q + 1));
  if (auto hash = query.find('#'); hash != std::string::npos) query.resize(hash);
  if (path.empty()) path = "/";
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

void Response::set_header(std::string name, std::string value) {
  for (size_t i = 0; i < headers.size();) {
    if (iequals(headers[i].name, name)) headers.erase(headers.begin() + static_cast<std::ptrdiff_t>(i));
    else ++i;
  }
  headers.push_back({std::move(name), std::move(value)});
}

Response Response::text(unsigned status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.push_back({"content-type", std::move(content_type)});
  r.body = std::move(body);
  return r;
}

bool CollectedResponse::start(unsigned status, std::vector<Header> headers) {
  std::lock_guard lock(mu_);
  if (started_ || cancel_.cancelled()) return false;
  started_ = true;
  r_.status = status;
  r_.headers = std::move(headers);
  return true;
}

bool CollectedResponse::write(std::string_view bytes) {
  std::lock_guard lock(mu_);
  if (!started_ || finished_ || aborted_ || cancel_.cancelled()) return false;
  if (r_.body.size() + bytes.size() > limit_) return false;
  r_.body.append(bytes);
  return true;
}

void CollectedResponse::finish() {
  std::lock_guard lock(mu_);
  if (!started_) {
    started_ = true;
    r_ = Response::empty(500);
  }
  finished_ = true;
}

void CollectedResponse::abort() {
  std::lock_guard lock(mu_);
  if (finished_) return;
  // Nothing has left the process: the failure can still be a clean 500.
  started_ = finished_ = aborted_ = true;
  r_ = Response::empty(500);
}

bool CollectedResponse::started() const {
  std::lock_guard lock(mu_);
  return started_;
}

bool CollectedResponse::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}

bool CollectedResponse::aborted() const {
  std::lock_guard lock(mu_);
  return aborted_;
}

void CollectedResponse::set_trailers(std::vector<Header> trailers) {
  std::lock_guard lock(mu_);
  if (started_ && !finished_) r_.trailers = std::move(trailers);
}

Response CollectedResponse::response() const {
  std::lock_guard lock(mu_);
  return r_;
}

}  // namespace whirl::spin::http
