// HTTP requests and responses as the trigger and executors see them:
// plain values, independent of the server library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace whirl::spin::http {

struct Header {
  std::string name;
  std::string value;
};

bool iequals(std::string_view a, std::string_view b);

struct Request {
  std::string method = "GET";
  std::string target = "/";  // as received: path and query ("/a/b?x=1")
  std::string path = "/";    // raw (percent-encoded) path
  std::string query;         // after '?', without it
  unsigned version = 11;     // 10 or 11
  std::vector<Header> headers;
  std::string body;
  std::string client_ip = "127.0.0.1";
  uint16_t client_port = 0;

  // The first header of that name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  // "ip:port" ("[ip]:port" for IPv6), as Spin prints a SocketAddr.
  std::string client_addr() const;
  // Splits `target` into `path` and `query` (accepts absolute-form targets).
  void set_target(std::string_view t);
};

struct Response {
  unsigned status = 200;
  std::vector<Header> headers;
  std::string body;

  std::optional<std::string_view> header(std::string_view name) const;
  void set_header(std::string name, std::string value);  // replaces any of that name

  static Response text(unsigned status, std::string body, std::string content_type = "text/plain");
  static Response empty(unsigned status) { Response r; r.status = status; return r; }
};

}  // namespace whirl::spin::http
