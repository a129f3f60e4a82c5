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

}  // namespace whirl::spin::http
