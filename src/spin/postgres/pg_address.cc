#include "spin/postgres/pg_address.h"

#include <cctype>

namespace whirl::spin::postgres {
namespace {

Error invalid_value(std::string_view key) { return Error{"invalid value for option `" + std::string(key) + "`"}; }

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || out > (UINT64_MAX - 9) / 10) return false;
    out = out * 10 + uint64_t(c - '0');
  }
  return true;
}
bool parse_i64(std::string_view s, int64_t& out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg || (!s.empty() && s[0] == '+')) s.remove_prefix(1);
  uint64_t u;
  if (!parse_u64(s, u) || u > uint64_t(INT64_MAX)) return false;
  out = neg ? -int64_t(u) : int64_t(u);
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

bool valid_ip(std::string_view s) {
  // IPv4 dotted quad or IPv6 (hex groups, colons, an embedded IPv4 tail).
  if (s.find(':') == std::string_view::npos) {
    auto parts = split(s, '.');
    if (parts.size() != 4) return false;
    for (auto p : parts) {
      uint64_t v;
      if (p.size() > 3 || !parse_u64(p, v) || v > 255 || (p.size() > 1 && p[0] == '0')) return false;
    }
    return true;
  }
  for (char c : s)
    if (!std::isxdigit((unsigned char)c) && c != ':' && c != '.') return false;
  return s.find(":::") == std::string_view::npos;
}

// tokio-postgres's Config::param.
Expected<void> set_param(PgAddress& a, std::string_view key, const std::string& value) {
  if (key == "user") a.user = value;
  else if (key == "password") a.password = value;
  else if (key == "dbname") a.dbname = value;
  else if (key == "options") a.options = value;
  else if (key == "application_name") a.application_name = value;
  else if (key == "sslmode") {
    if (value != "disable" && value != "prefer" && value != "require") return unexpected(invalid_value(key));
    a.sslmode = value;
  } else if (key == "sslnegotiation") {
    if (value != "postgres" && value != "direct") return unexpected(invalid_value(key));
  } else if (key == "host") {
    for (auto h : split(value, ',')) a.hosts.emplace_back(h);
  } else if (key == "hostaddr") {
    for (auto h : split(value, ',')) {
      if (!valid_ip(h)) return unexpected(invalid_value(key));
      a.hostaddrs.emplace_back(h);
    }
  } else if (key == "port") {
    for (auto p : split(value, ',')) {
      uint64_t v = 5432;
      if (!p.empty() && (!parse_u64(p, v) || v > 65535)) return unexpected(invalid_value(key));
      a.ports.push_back(uint16_t(v));
    }
  } else if (key == "connect_timeout" || key == "tcp_user_timeout" || key == "keepalives_idle" ||
             key == "keepalives_interval") {
    int64_t v;
    if (!parse_i64(value, v)) return unexpected(invalid_value(key));
    if (v > 0) a.extra.emplace_back(std::string(key), std::to_string(key == "tcp_user_timeout" ? v * 1000 : v));
  } else if (key == "keepalives" || key == "keepalives_retries") {
    uint64_t v;
    if (!parse_u64(value, v) || (key == "keepalives_retries" && v > UINT32_MAX)) return unexpected(invalid_value(key));
    a.extra.emplace_back(std::string(key), std::to_string(v));
  } else if (key == "target_session_attrs") {
    if (value != "any" && value != "read-write" && value != "read-only") return unexpected(invalid_value(key));
    a.extra.emplace_back(std::string(key), value);
  } else if (key == "channel_binding") {
    if (value != "disable" && value != "prefer" && value != "require") return unexpected(invalid_value(key));
    a.extra.emplace_back(std::string(key), value);
  } else if (key == "load_balance_hosts") {
    if (value != "disable" && value != "random") return unexpected(invalid_value(key));
  } else {
    return make_error("unknown option `" + std::string(key) + "`");
  }
  return {};
}

Expected<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit((unsigned char)s[i + 1]) &&
        std::isxdigit((unsigned char)s[i + 2])) {
      out.push_back(char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// postgres:// and postgresql:// URLs (tokio-postgres's UrlParser).
Expected<PgAddress> parse_url(std::string_view s) {
  PgAddress a;
  if (auto at = s.find('@'); at != std::string_view::npos) {
    std::string_view creds = s.substr(0, at);
    s.remove_prefix(at + 1);
    auto colon = creds.find(':');
    auto user = percent_decode(creds.substr(0, colon));
    if (!user) return unexpected(user.error());
    a.user = *user;
    if (colon != std::string_view::npos) a.password = *percent_decode(creds.substr(colon + 1));
  }
  std::string_view host = s.substr(0, s.find_first_of("/?"));
  s.remove_prefix(host.size());
  if (!host.empty()) {
    for (auto chunk : split(host, ',')) {
      std::string_view h = chunk, port;
      bool has_port = false;
      if (!chunk.empty() && chunk[0] == '[') {
        auto close = chunk.find(']');
        if (close == std::string_view::npos) return make_error("unterminated IPv6 host");
        h = chunk.substr(1, close - 1);
        std::string_view rest = chunk.substr(close + 1);
        if (!rest.empty()) {
          if (rest[0] != ':') return make_error("unexpected character after ]");
          port = rest.substr(1), has_port = true;
        }
      } else if (auto c = chunk.find(':'); c != std::string_view::npos) {
        h = chunk.substr(0, c), port = chunk.substr(c + 1), has_port = true;
      }
      if (auto ok = set_param(a, "host", *percent_decode(h)); !ok) return unexpected(ok.error());
      if (auto ok = set_param(a, "port", has_port ? *percent_decode(port) : std::string("5432")); !ok)
        return unexpected(ok.error());
    }
  }
  if (!s.empty() && s[0] == '/') {
    s.remove_prefix(1);
    std::string_view db = s.substr(0, s.find('?'));
    s.remove_prefix(db.size());
    if (!db.empty()) a.dbname = *percent_decode(db);
  }
  if (!s.empty() && s[0] == '?') {
    s.remove_prefix(1);
    while (!s.empty()) {
      auto eq = s.find('=');
      if (eq == std::string_view::npos) return make_error("unterminated parameter");
      std::string key = *percent_decode(s.substr(0, eq));
      s.remove_prefix(eq + 1);
      auto amp = s.find('&');
      std::string_view value = s.substr(0, amp);
      s.remove_prefix(amp == std::string_view::npos ? s.size() : amp + 1);
      if (auto ok = set_param(a, key, *percent_decode(value)); !ok) return unexpected(ok.error());
    }
  }
  return a;
}

// `key = value` pairs (tokio-postgres's Parser).
Expected<PgAddress> parse_pairs(std::string_view s) {
  PgAddress a;
  size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && std::isspace((unsigned char)s[i])) ++i;
  };
  while (true) {
    ws();
    size_t k0 = i;
    while (i < s.size() && !std::isspace((unsigned char)s[i]) && s[i] != '=') ++i;
    if (i == k0) {
      if (i >= s.size()) break;
      return make_error("unexpected character at byte " + std::to_string(i) + ": expected keyword");
    }
    std::string key(s.substr(k0, i - k0));
    ws();
    if (i >= s.size()) return make_error("unexpected EOF");
    if (s[i] != '=')
      return make_error("unexpected character at byte " + std::to_string(i) + ": expected `=` but got `" +
                        std::string(1, s[i]) + "`");
    ++i;
    ws();
    std::string value;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '\'') {
          closed = true;
          break;
        }
        if (c == '\\' && i < s.size()) c = s[i++];
        value.push_back(c);
      }
      if (!closed) return make_error("unterminated quoted connection parameter value");
    } else {
      while (i < s.size() && !std::isspace((unsigned char)s[i])) {
        char c = s[i++];
        if (c == '\\' && i < s.size()) c = s[i++];
        value.push_back(c);
      }
      if (value.empty()) return make_error("unexpected EOF");
    }
    if (auto ok = set_param(a, key, value); !ok) return unexpected(ok.error());
  }
  return a;
}

}  // namespace

Expected<PgAddress> parse_pg_address(std::string_view text) {
  Expected<PgAddress> a = make_error("");
  if (text.substr(0, 13) == "postgresql://") a = parse_url(text.substr(13));
  else if (text.substr(0, 11) == "postgres://") a = parse_url(text.substr(11));
  else a = parse_pairs(text);
  if (!a) return make_error("invalid configuration: " + a.error().message);
  return a;
}

}  // namespace whirl::spin::postgres
