#include "spin/redis/client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace whirl::spin::redis {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSlice = std::chrono::milliseconds(50);  // how often a wait asks Cancel

ClientError os_error(int e, const std::string& what = "") {
  // As Rust's io::Error prints, which is what Spin's messages carry.
  return ClientError{(what.empty() ? "" : what + ": ") + std::strerror(e) + " (os error " + std::to_string(e) + ")"};
}

ClientError cancelled() { return ClientError{"cancelled", true}; }

std::string ssl_error_text() {
  unsigned long e = ERR_get_error();
  if (!e) return "TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// One client context per extra CA file, made once: the system store plus that file.
ClientResult<SSL_CTX*> tls_context(const std::string& extra_ca) {
  static std::mutex mu;
  static std::map<std::string, SSL_CTX*> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(extra_ca); it != cache.end()) return it->second;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return unexpected(ClientError{"cannot create a TLS context: " + ssl_error_text()});
  SSL_CTX_set_default_verify_paths(ctx);
  if (!extra_ca.empty() && SSL_CTX_load_verify_locations(ctx, extra_ca.c_str(), nullptr) != 1) {
    std::string why = ssl_error_text();
    SSL_CTX_free(ctx);
    return unexpected(ClientError{"cannot load CA file " + extra_ca + ": " + why});
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  cache[extra_ca] = ctx;
  return ctx;
}

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.kind = RedisReply::Kind::Bulk;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.kind = RedisReply::Kind::Status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = RedisReply::Kind::Error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::Kind::Integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::Kind::Array;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.kind = RedisReply::Kind::Nil;
  }
  return out;
}

std::string encode(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

}  // namespace

struct RedisConnection::Impl {
  int fd = -1;
  SSL* ssl = nullptr;
  redisReader* reader = nullptr;

  ~Impl() {
    if (ssl) SSL_free(ssl);
    if (fd >= 0) ::close(fd);
    if (reader) redisReaderFree(reader);
  }

  // Waits for `events` on the socket until `deadline` (none: no limit),
  // asking `cancel` every slice. False: the deadline passed.
  ClientResult<bool> wait(short events, std::optional<Clock::time_point> deadline, const Cancel& cancel) {
    while (true) {
      if (cancel && cancel()) return unexpected(cancelled());
      auto slice = kSlice;
      if (deadline) {
        auto now = Clock::now();
        if (now >= *deadline) return false;
        slice = std::min(slice, std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now) +
                                    std::chrono::milliseconds(1));
      }
      pollfd p{fd, events, 0};
      int n = ::poll(&p, 1, int(slice.count()));
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return unexpected(os_error(errno));
    }
  }

  // Waits until an SSL call that asked for more I/O may go on.
  ClientResult<bool> wait_ssl(int ret, std::optional<Clock::time_point> deadline, const Cancel& cancel) {
    int e = SSL_get_error(ssl, ret);
    if (e == SSL_ERROR_WANT_READ) return wait(POLLIN, deadline, cancel);
    if (e == SSL_ERROR_WANT_WRITE) return wait(POLLOUT, deadline, cancel);
    if (e == SSL_ERROR_ZERO_RETURN) return unexpected(ClientError{"the server closed the connection"});
    if (e == SSL_ERROR_SYSCALL && errno) return unexpected(os_error(errno));
    return unexpected(ClientError{ssl_error_text()});
  }

  ClientResult<void> write_all(std::string_view data, const Cancel& cancel) {
    while (!data.empty()) {
      if (ssl) {
        int n = SSL_write(ssl, data.data(), int(data.size()));
        if (n > 0) {
          data.remove_prefix(size_t(n));
          continue;
        }
        auto ok = wait_ssl(n, std::nullopt, cancel);
        if (!ok) return unexpected(ok.error());
        continue;
      }
      ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(size_t(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        auto ok = wait(POLLOUT, std::nullopt, cancel);
        if (!ok) return unexpected(ok.error());
        continue;
      }
      return unexpected(os_error(errno));
    }
    return {};
  }

  // Reads what is there into the reader, waiting until `deadline`; false:
  // nothing came in time.
  ClientResult<bool> read_more(std::optional<Clock::time_point> deadline, const Cancel& cancel) {
    char buf[16384];
    while (true) {
      if (ssl) {
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n > 0) {
          redisReaderFeed(reader, buf, size_t(n));
          return true;
        }
        auto ok = wait_ssl(n, deadline, cancel);
        if (!ok) return unexpected(ok.error());
        if (!*ok) return false;
        continue;
      }
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        redisReaderFeed(reader, buf, size_t(n));
        return true;
      }
      if (n == 0) return unexpected(ClientError{"the server closed the connection"});
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return unexpected(os_error(errno));
      auto ok = wait(POLLIN, deadline, cancel);
      if (!ok) return unexpected(ok.error());
      if (!*ok) return false;
    }
  }

  ClientResult<std::optional<RedisReply>> next_reply(std::optional<Clock::time_point> deadline, const Cancel& cancel) {
    while (true) {
      void* r = nullptr;
      if (redisReaderGetReply(reader, &r) != REDIS_OK)
        return unexpected(ClientError{std::string("protocol error: ") + reader->errstr});
      if (r) {
        RedisReply out = convert(static_cast<redisReply*>(r));
        freeReplyObject(r);
        return std::optional<RedisReply>(std::move(out));
      }
      auto more = read_more(deadline, cancel);
      if (!more) return unexpected(more.error());
      if (!*more) return std::optional<RedisReply>();
    }
  }

  ClientResult<void> connect_tcp(const RedisAddress& a, Clock::time_point deadline, const Cancel& cancel) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    std::string port = std::to_string(a.port);
    if (int rc = ::getaddrinfo(a.host.c_str(), port.c_str(), &hints, &res); rc != 0)
      return unexpected(ClientError{"failed to look up address information for " + a.host + ": " + gai_strerror(rc)});
    ClientError last{"no address for " + a.host};
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
      int s = ::socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (s < 0) {
        last = os_error(errno);
        continue;
      }
      fd = s;
      int rc = ::connect(s, ai->ai_addr, ai->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
        auto ready = wait(POLLOUT, deadline, cancel);
        if (!ready) {
          ::freeaddrinfo(res);
          return unexpected(ready.error());
        }
        int err = ETIMEDOUT;
        socklen_t len = sizeof err;
        if (*ready) ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err ? -1 : 0;
        errno = err;
      }
      if (rc == 0) {
        int one = 1;
        ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::freeaddrinfo(res);
        return {};
      }
      last = os_error(errno);
      ::close(s);
      fd = -1;
    }
    ::freeaddrinfo(res);
    return unexpected(last);
  }

  ClientResult<void> connect_unix(const RedisAddress& a) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (a.unix_path.size() >= sizeof sa.sun_path) return unexpected(ClientError{"Unix socket path too long"});
    std::memcpy(sa.sun_path, a.unix_path.data(), a.unix_path.size());
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return unexpected(os_error(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return unexpected(os_error(errno));
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return {};
  }

  ClientResult<void> handshake(const RedisAddress& a, const std::string& extra_ca, Clock::time_point deadline,
                               const Cancel& cancel) {
    auto ctx = tls_context(extra_ca);
    if (!ctx) return unexpected(ctx.error());
    ssl = SSL_new(*ctx);
    if (!ssl) return unexpected(ClientError{ssl_error_text()});
    SSL_set_fd(ssl, fd);
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, a.host.c_str(), ip) == 1 || inet_pton(AF_INET6, a.host.c_str(), ip) == 1;
    if (a.insecure) {
      SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    } else if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), a.host.c_str());
    } else {
      SSL_set1_host(ssl, a.host.c_str());
    }
    if (!is_ip) SSL_set_tlsext_host_name(ssl, a.host.c_str());
    while (true) {
      int rc = SSL_connect(ssl);
      if (rc == 1) return {};
      int e = SSL_get_error(ssl, rc);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK)
          return unexpected(ClientError{std::string("TLS certificate verification failed: ") +
                                        X509_verify_cert_error_string(verify)});
        return unexpected(ClientError{"TLS handshake failed: " + ssl_error_text()});
      }
      auto ok = wait_ssl(rc, deadline, cancel);
      if (!ok) return unexpected(ok.error());
      if (!*ok) return unexpected(ClientError{"TLS handshake timed out"});
    }
  }
};

RedisConnection::RedisConnection() : impl_(std::make_unique<Impl>()) {}
RedisConnection::~RedisConnection() = default;

ClientResult<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisAddress& a, const Cancel& cancel,
                                                                     const ClientOptions& o) {
  std::unique_ptr<RedisConnection> c(new RedisConnection());
  Impl& im = *c->impl_;
  im.reader = redisReaderCreate();
  if (!im.reader) return unexpected(ClientError{"out of memory"});
  auto deadline = Clock::now() + o.connect_timeout;
  if (!a.unix_path.empty()) {
    if (auto ok = im.connect_unix(a); !ok) return unexpected(ok.error());
  } else {
    if (auto ok = im.connect_tcp(a, deadline, cancel); !ok) return unexpected(ok.error());
  }
  if (a.tls) {
    std::string ca = o.extra_ca_file;
    if (ca.empty())
      if (const char* env = std::getenv("WHIRL_OUTBOUND_EXTRA_CA")) ca = env;
    if (auto ok = im.handshake(a, ca, deadline, cancel); !ok) return unexpected(ok.error());
  }
  if (!a.password.empty()) {
    std::vector<std::string> argv{"AUTH"};
    if (!a.username.empty()) argv.push_back(a.username);
    argv.push_back(a.password);
    auto r = c->command(argv, cancel);
    if (!r) return unexpected(r.error());
    if (r->kind == RedisReply::Kind::Error)
      return unexpected(ClientError{"authentication failed: " + describe_error_reply(r->str)});
  }
  if (a.db != 0) {
    auto r = c->command({"SELECT", std::to_string(a.db)}, cancel);
    if (!r) return unexpected(r.error());
    if (r->kind == RedisReply::Kind::Error) return unexpected(ClientError{describe_error_reply(r->str)});
  }
  return c;
}

ClientResult<void> RedisConnection::send(const std::vector<std::string>& argv, const Cancel& cancel) {
  return impl_->write_all(encode(argv), cancel);
}

ClientResult<RedisReply> RedisConnection::command(const std::vector<std::string>& argv, const Cancel& cancel) {
  if (auto ok = send(argv, cancel); !ok) return unexpected(ok.error());
  auto r = impl_->next_reply(std::nullopt, cancel);
  if (!r) return unexpected(r.error());
  return std::move(**r);
}

ClientResult<std::optional<RedisReply>> RedisConnection::read(std::chrono::milliseconds wait, const Cancel& cancel) {
  return impl_->next_reply(Clock::now() + wait, cancel);
}

bool RedisConnection::idle_ok() {
  // A deadline already past: read what is there now, wait for nothing.
  auto more = impl_->read_more(Clock::now(), nullptr);
  return more && !*more;
}

std::string describe_error_reply(const std::string& text) {
  // As redis-rs words server errors (Spin's `other` messages carry them).
  static const std::pair<const char*, const char*> kinds[] = {
      {"ERR", "ResponseError"},        {"EXECABORT", "ExecAbortError"}, {"LOADING", "BusyLoadingError"},
      {"NOSCRIPT", "NoScriptError"},   {"MOVED", "Moved"},              {"ASK", "Ask"},
      {"TRYAGAIN", "TryAgain"},        {"CLUSTERDOWN", "ClusterDown"},  {"CROSSSLOT", "CrossSlot"},
      {"MASTERDOWN", "MasterDown"},    {"READONLY", "ReadOnly"},
  };
  auto sp = text.find(' ');
  std::string code = text.substr(0, sp), detail = sp == std::string::npos ? "" : text.substr(sp + 1);
  for (const auto& [c, kind] : kinds)
    if (code == c)
      return std::string("An error was signalled by the server - ") + kind + (detail.empty() ? "" : ": " + detail);
  return code + (detail.empty() ? "" : ": " + detail);
}

}  // namespace whirl::spin::redis
