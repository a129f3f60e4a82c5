#include "spin/http/wagi_cgi.h"

#include <unordered_set>

#include "spin/http/spin_headers.h"

namespace whirl::spin::http {
namespace {

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 32 || c >= 127) return false;
    if (std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) != std::string_view::npos) return false;
  }
  return true;
}

bool valid_header_value(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 32 && c != '\t') || c == 127) return false;
  return true;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    if (c < 0x80) n = 0;
    else if ((c >> 5) == 6) n = 1;
    else if ((c >> 4) == 14) n = 2;
    else if ((c >> 3) == 30) n = 3;
    else return false;
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n + 1;
  }
  return true;
}

// host and port from the Host header, defaulting as Spin's WAGI does.
std::pair<std::string, std::string> host_and_port(const Request& req) {
  std::string host = "default_host", port = "80";
  if (auto h = req.header("host")) {
    std::string_view v = *h;
    auto colon = v.find(':');
    std::string_view name = v.substr(0, colon);
    if (!name.empty()) host = std::string(name);
    if (colon != std::string_view::npos && colon + 1 < v.size()) port = std::string(v.substr(colon + 1));
  }
  return {host, port};
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

WagiInvocation build_wagi_invocation(const Request& req, const RouteMatch& match, const WagiConfig& config,
                                     const StringPairs& component_env, std::string_view base_path) {
  WagiInvocation inv;

  // argv, as Spin builds it (an empty query leaves an empty last argument).
  std::string args = replace_all(req.query, "&", " ");
  std::string line = replace_all(replace_all(config.argv, "${SCRIPT_NAME}", req.path), "${ARGS}", args);
  size_t start = 0;
  while (true) {
    size_t sp = line.find(' ', start);
    inv.argv.push_back(line.substr(start, sp - start));
    if (sp == std::string::npos) break;
    start = sp + 1;
  }

  std::vector<std::pair<std::string, std::string>> cgi;
  auto set = [&cgi](std::string k, std::string v) {
    for (auto& e : cgi)
      if (e.first == k) {
        e.second = std::move(v);
        return;
      }
    cgi.emplace_back(std::move(k), std::move(v));
  };
  auto [host, port] = host_and_port(req);
  std::string path_info = match.trailing;
  std::string decoded = percent_decode(path_info);

  set("AUTH_TYPE", "");
  set("CONTENT_LENGTH", std::to_string(req.body.size()));
  set("CONTENT_TYPE", std::string(req.header("content-type").value_or("")));
  set("GATEWAY_INTERFACE", "CGI/1.1");
  set("QUERY_STRING", req.query);
  set("REMOTE_ADDR", req.client_ip);
  set("REMOTE_HOST", req.client_ip);
  set("REMOTE_USER", "");
  set("REQUEST_METHOD", req.method);
  set("SCRIPT_NAME", match.pattern().based_prefix());
  set("X_RAW_PATH_INFO", path_info);
  set("PATH_TRANSLATED", decoded);
  set("SERVER_NAME", host);
  set("SERVER_PORT", port);
  set("SERVER_PROTOCOL", req.version == 10 ? "HTTP/1.0" : "HTTP/1.1");
  set("SERVER_SOFTWARE", "WAGI/1");
  for (const auto& h : req.headers) {
    std::string key = "HTTP_";
    for (char c : h.name) key.push_back(c == '-' ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c);
    if (key == "HTTP_AUTHORIZATION" || key == "HTTP_CONNECTION") continue;
    set(std::move(key), h.value);
  }
  // Spin's routing variables override what came before (PATH_INFO stays raw).
  for (auto& sh : compute_spin_headers(req, match, base_path)) set(std::move(sh.env), std::move(sh.value));

  std::unordered_set<std::string> taken;
  for (const auto& [k, v] : component_env) {
    if (!taken.insert(k).second) continue;
    inv.env.emplace_back(k, v);
  }
  for (auto& [k, v] : cgi)
    if (!taken.count(k)) inv.env.emplace_back(std::move(k), std::move(v));
  return inv;
}

Expected<Response> parse_cgi_response(std::string_view out) {
  // Split at the first empty line, ignoring CRs in the header part.
  std::string head;
  size_t body_start = std::string_view::npos;
  char last = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (c == '\r') continue;
    if (c == '\n' && last == '\n') {
      body_start = i + 1;
      break;
    }
    last = c;
    head.push_back(c);
  }
  if (body_start == std::string_view::npos)
    return make_error("the module's output has no CGI header block (headers, then an empty line, then the body)");
  if (!valid_utf8(head)) return make_error("the module's CGI headers are not valid UTF-8");

  Response res;
  res.body = std::string(out.substr(body_start));
  bool sufficient = false, explicit_status = false;
  std::optional<std::string> location;
  size_t pos = 0;
  while (pos <= head.size()) {
    size_t nl = head.find('\n', pos);
    std::string_view line = std::string_view(head).substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? head.size() + 1 : nl + 1;
    if (trim(line).empty()) continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // corrupt header line: ignored, as Spin does
    std::string name = trim(line.substr(0, colon));
    std::string value = trim(line.substr(colon + 1));
    if (iequals(name, "content-type")) {
      sufficient = true;
      res.set_header("content-type", value);
    } else if (iequals(name, "status")) {
      sufficient = true;
      explicit_status = true;
      std::string code = value.substr(0, value.find(' '));
      unsigned v = 0;
      bool ok = code.size() == 3;
      for (char c : code) ok = ok && c >= '0' && c <= '9';
      if (ok) v = static_cast<unsigned>(std::stoul(code));
      res.status = ok && v >= 100 ? v : 502;
    } else if (iequals(name, "location")) {
      sufficient = true;
      location = value;
      res.set_header("location", value);
    } else if (is_token(name) && valid_header_value(value)) {
      std::string lower = name;
      for (char& c : lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      res.set_header(lower, value);
    }
  }
  if (!sufficient) return make_error("the module's CGI headers need one of `Content-Type`, `Location` or `Status`");
  if (location && !explicit_status) res.status = 302;
  return res;
}

bool CgiResponseStream::feed(std::string_view bytes) {
  if (!error_.empty()) return false;
  if (started_) return out_.write(bytes);
  if (!bytes.empty()) any_output_ = true;
  // Scan only the new bytes for the blank line that ends the header block.
  size_t old = head_.size();
  for (size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (c == '\r') continue;
    if (c == '\n' && last_ == '\n') {
      head_.append(bytes.data(), i + 1);
      std::string block = std::move(head_);
      head_.clear();
      if (!start(block)) return false;
      return bytes.size() == i + 1 || out_.write(bytes.substr(i + 1));
    }
    last_ = c;
    if (old + i + 1 > header_limit_) {
      error_ = "the module's CGI header block is larger than " + std::to_string(header_limit_) + " bytes";
      return false;
    }
  }
  head_.append(bytes.data(), bytes.size());
  return true;
}

bool CgiResponseStream::start(std::string_view block) {
  auto r = parse_cgi_response(block);
  if (!r) {
    error_ = r.error().message;
    return false;
  }
  started_ = true;
  return out_.start(r->status, std::move(r->headers));
}

Expected<void> CgiResponseStream::finish() {
  if (!error_.empty()) return make_error(error_);
  if (started_) {
    out_.finish();
    return {};
  }
  if (!any_output_) return make_error("did not write to stdout");
  return make_error("the module's output has no CGI header block (headers, then an empty line, then the body)");
}

}  // namespace whirl::spin::http
