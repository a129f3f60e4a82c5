#include "spin/redis/address.h"

#include <charconv>

namespace whirl::spin::redis {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(char(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// `a=1&b=2`: calls fn(key, value) for each pair (values percent-decoded).
template <class F>
void each_query_pair(std::string_view q, F fn) {
  while (!q.empty()) {
    std::string_view pair = q.substr(0, q.find('&'));
    q = pair.size() < q.size() ? q.substr(pair.size() + 1) : std::string_view();
    auto eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    fn(k, percent_decode(v));
  }
}

}  // namespace

std::string RedisAddress::display() const {
  if (!unix_path.empty()) return unix_path;
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Expected<RedisAddress> parse_redis_address(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return make_error("a Redis address starts with redis://, rediss:// or redis+unix:// (got no scheme)");
  std::string scheme = lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  RedisAddress a;

  if (scheme == "redis+unix" || scheme == "unix" || scheme == "valkey+unix") {
    std::string_view path = rest.substr(0, rest.find_first_of("?#"));
    if (path.empty() || path.front() != '/') return make_error("a Unix socket address needs an absolute path");
    a.unix_path = percent_decode(path);
    if (auto q = rest.find('?'); q != std::string_view::npos) {
      std::string_view query = rest.substr(q + 1);
      query = query.substr(0, query.find('#'));
      bool bad_db = false;
      each_query_pair(query, [&](std::string_view k, std::string v) {
        if (k == "db") bad_db = !parse_number(std::string_view(v), a.db);
        else if (k == "user") a.username = std::move(v);
        else if (k == "pass") a.password = std::move(v);
      });
      if (bad_db) return make_error("invalid database number in the Redis address");
    }
    return a;
  }
  if (scheme == "rediss" || scheme == "valkeys") a.tls = true;
  else if (scheme != "redis" && scheme != "valkey")
    return make_error("unknown Redis address scheme `" + scheme + "` (expected redis, rediss or redis+unix)");

  if (auto h = rest.find('#'); h != std::string_view::npos) {
    a.insecure = rest.substr(h + 1) == "insecure";
    rest = rest.substr(0, h);
  }
  rest = rest.substr(0, rest.find('?'));  // `protocol=`: whirl speaks RESP2, as redis-rs does by default
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = rest.substr(authority.size());
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    a.username = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) a.password = percent_decode(userinfo.substr(colon + 1));
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return make_error("unclosed IPv6 address in the Redis address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error("invalid Redis address");
      port = after.substr(1);
    }
  } else if (auto c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c + 1);
  }
  if (host.empty()) return make_error("missing hostname in the Redis address");
  a.host = std::string(host);
  if (!port.empty() && !parse_number(port, a.port)) return make_error("invalid port in the Redis address");
  if (path.size() > 1 && !parse_number(path.substr(1), a.db))
    return make_error("invalid database number in the Redis address");
  return a;
}

}  // namespace whirl::spin::redis
