#include "spin/key_value/redis_client.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <charconv>

namespace whirl::spin::key_value {
namespace {

constexpr timeval kConnectTimeout{5, 0};
// A command waits at most this long for its reply (KEYS on a big database
// is the slow one); then the connection is dropped and the call fails.
constexpr timeval kCommandTimeout{30, 0};

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
      out += char(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool parse_int(std::string_view s, int64_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = RedisReply::Type::String; break;
    case REDIS_REPLY_ARRAY: out.type = RedisReply::Type::Array; break;
    case REDIS_REPLY_INTEGER: out.type = RedisReply::Type::Integer; break;
    case REDIS_REPLY_STATUS: out.type = RedisReply::Type::Status; break;
    case REDIS_REPLY_ERROR: out.type = RedisReply::Type::Error; break;
    default: out.type = RedisReply::Type::Nil; break;
  }
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR)
    out.str.assign(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) out.integer = r->integer;
  if (r->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
  return out;
}

}  // namespace

Expected<RedisUrl> RedisUrl::parse(const std::string& url) {
  auto bad = [&](const std::string& why) { return make_error("invalid Redis URL \"" + url + "\": " + why); };
  auto sep = url.find("://");
  if (sep == std::string::npos) return bad("expected redis://host[:port][/db] or redis+unix:///path");
  std::string scheme = url.substr(0, sep);
  std::string_view rest = std::string_view(url).substr(sep + 3);
  RedisUrl u;
  if (scheme == "rediss")
    return bad("TLS (rediss://) is not supported: whirl's Redis client (hiredis) is built without TLS");
  if (scheme == "redis+unix" || scheme == "unix") {
    std::string_view path = rest, query;
    if (auto q = rest.find('?'); q != std::string_view::npos) path = rest.substr(0, q), query = rest.substr(q + 1);
    if (path.empty() || path[0] != '/') return bad("a Unix socket URL needs an absolute path (redis+unix:///path)");
    u.socket_path = percent_decode(path);
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view kv = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      auto eq = kv.find('=');
      std::string_view k = kv.substr(0, eq), v = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
      if (k == "db" && !parse_int(v, u.db)) return bad("invalid database number");
      if (k == "pass") u.password = percent_decode(v);
      if (k == "user") u.user = percent_decode(v);
    }
    u.display = u.socket_path;
    return u;
  }
  if (scheme != "redis") return bad("unknown scheme `" + scheme + "` (expected redis, redis+unix or unix)");
  std::string_view authority = rest, path;
  if (auto slash = rest.find_first_of("/?#"); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash);
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = cred.find(':');
    u.user = percent_decode(cred.substr(0, colon));
    if (colon != std::string_view::npos) u.password = percent_decode(cred.substr(colon + 1));
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("unexpected text after the host");
      port = authority.substr(close + 2);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad("missing hostname");
  u.host = std::string(host);
  if (!port.empty()) {
    int64_t p = 0;
    if (!parse_int(port, p) || p < 0 || p > 65535) return bad("invalid port `" + std::string(port) + "`");
    u.port = uint16_t(p);
  }
  if (auto q = path.find_first_of("?#"); q != std::string_view::npos) path = path.substr(0, q);
  if (path.size() > 1 && !parse_int(path.substr(1), u.db)) return bad("invalid database number");
  u.display = (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) + ":" + std::to_string(u.port);
  return u;
}

RedisConnection::~RedisConnection() {
  if (ctx_) redisFree(ctx_);
}

Expected<std::unique_ptr<RedisConnection>> RedisConnection::connect(const RedisUrl& url) {
  redisContext* c = url.socket_path.empty() ? redisConnectWithTimeout(url.host.c_str(), url.port, kConnectTimeout)
                                            : redisConnectUnixWithTimeout(url.socket_path.c_str(), kConnectTimeout);
  if (!c) return make_error("cannot connect to Redis at " + url.display + ": out of memory");
  std::unique_ptr<RedisConnection> conn(new RedisConnection(c));
  if (c->err) return make_error("cannot connect to Redis at " + url.display + ": " + c->errstr);
  redisSetTimeout(c, kCommandTimeout);
  if (url.socket_path.empty()) redisEnableKeepAlive(c);
  auto setup = [&](std::vector<std::string> args) -> Expected<void> {
    auto r = conn->command(args);
    if (!r) return unexpected(r.error());
    if (r->type == RedisReply::Type::Error)
      return make_error("Redis at " + url.display + " refused " + args[0] + ": " + r->str);
    return {};
  };
  if (!url.password.empty() || !url.user.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!url.user.empty()) auth.push_back(url.user);
    auth.push_back(url.password);
    if (auto ok = setup(auth); !ok) return unexpected(ok.error());
  }
  if (url.db != 0)
    if (auto ok = setup({"SELECT", std::to_string(url.db)}); !ok) return unexpected(ok.error());
  return conn;
}

Expected<RedisReply> RedisConnection::command(const std::vector<std::string>& args) {
  if (broken_) return make_error("the connection to Redis failed earlier");
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_, int(argv.size()), argv.data(), lens.data()));
  if (!r) {
    broken_ = true;  // hiredis may not be used again after an I/O error
    return make_error(ctx_->err ? std::string(ctx_->errstr) : std::string("no reply"));
  }
  RedisReply out = convert(r);
  freeReplyObject(r);
  return out;
}

bool RedisConnection::alive() const {
  if (broken_ || !ctx_ || ctx_->err) return false;
  pollfd p{ctx_->fd, POLLIN, 0};
  // An idle connection has nothing to read: readable means the server
  // closed it (or sent what nobody asked for); either way it is not reused.
  return poll(&p, 1, 0) == 0;
}

Expected<std::unique_ptr<RedisConnection>> RedisPool::take() {
  {
    std::lock_guard lock(mu_);
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->alive()) return c;
    }
  }
  return RedisConnection::connect(url_);
}

void RedisPool::give_back(std::unique_ptr<RedisConnection> c) {
  if (!c || c->broken()) return;
  std::lock_guard lock(mu_);
  if (idle_.size() < 64) idle_.push_back(std::move(c));
}

Expected<RedisReply> RedisPool::command(const std::vector<std::string>& args) {
  auto c = take();
  if (!c) return unexpected(c.error());
  auto r = (*c)->command(args);
  if (!r) return make_error("Redis at " + url_.display + ": " + args[0] + " failed: " + r.error().message);
  give_back(std::move(*c));
  if (r->type == RedisReply::Type::Error) return make_error("Redis at " + url_.display + ": " + r->str);
  return r;
}

}  // namespace whirl::spin::key_value
