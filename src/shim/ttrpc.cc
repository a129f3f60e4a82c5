#include "shim/ttrpc.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shim/ttrpc.pb.h"

namespace whirl::shim::ttrpc {
namespace {

constexpr uint8_t kRequest = 1;
constexpr uint8_t kResponse = 2;

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

bool read_all(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= size_t(r);
  }
  return true;
}

void put_be32(char* p, uint32_t v) {
  p[0] = char(v >> 24);
  p[1] = char(v >> 16);
  p[2] = char(v >> 8);
  p[3] = char(v);
}

uint32_t get_be32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
}

// One accepted connection: replies from several threads share the socket.
struct Conn {
  int fd;
  std::mutex write_mu;
  explicit Conn(int f) : fd(f) {}
  ~Conn() { ::close(fd); }
  void reply(uint32_t stream, const Reply& r) {
    whirl::ttrpc::Response resp;
    if (r) {
      resp.set_payload(*r);
    } else {
      resp.mutable_status()->set_code(int32_t(r.error().code));
      resp.mutable_status()->set_message(r.error().message);
    }
    std::lock_guard lock(write_mu);
    (void)write_frame(fd, stream, kResponse, resp.SerializeAsString());
  }
};

}  // namespace

Expected<void> write_frame(int fd, uint32_t stream, uint8_t type, const std::string& body) {
  if (body.size() > kMaxMessage) return make_error("ttrpc: message of " + std::to_string(body.size()) + " bytes is too large");
  char header[10];
  put_be32(header, uint32_t(body.size()));
  put_be32(header + 4, stream);
  header[8] = char(type);
  header[9] = 0;
  if (!write_all(fd, header, sizeof header) || !write_all(fd, body.data(), body.size()))
    return make_error(std::string("ttrpc: write failed: ") + std::strerror(errno));
  return {};
}

Expected<void> read_frame(int fd, uint32_t* stream, uint8_t* type, std::string* body) {
  char header[10];
  if (!read_all(fd, header, sizeof header)) return make_error("ttrpc: connection closed");
  uint32_t len = get_be32(header);
  *stream = get_be32(header + 4);
  *type = uint8_t(header[8]);
  if (len > kMaxMessage) return make_error("ttrpc: frame of " + std::to_string(len) + " bytes exceeds the limit");
  body->resize(len);
  if (len && !read_all(fd, body->data(), len)) return make_error("ttrpc: connection closed inside a frame");
  return {};
}

Server::Server(std::string service, Handler handler, std::function<bool(const std::string&)> blocking)
    : service_(std::move(service)), handler_(std::move(handler)), blocking_(std::move(blocking)) {
  if (::pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
}

Server::~Server() {
  if (wake_[0] >= 0) ::close(wake_[0]);
  if (wake_[1] >= 0) ::close(wake_[1]);
}

void Server::stop() {
  char c = 0;
  if (wake_[1] >= 0) (void)!::write(wake_[1], &c, 1);
}

void Server::serve(int listen_fd) {
  for (;;) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN)) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread([this, fd] { serve_connection(fd); }).detach();
  }
}

void Server::serve_connection(int fd) {
  auto conn = std::make_shared<Conn>(fd);
  for (;;) {
    uint32_t stream = 0;
    uint8_t type = 0;
    std::string body;
    if (!read_frame(fd, &stream, &type, &body)) return;
    if (type != kRequest) continue;  // responses or stream data: not expected from containerd
    whirl::ttrpc::Request req;
    if (!req.ParseFromString(body)) {
      conn->reply(stream, rpc_error(Code::InvalidArgument, "ttrpc: malformed request"));
      continue;
    }
    if (req.service() != service_) {
      conn->reply(stream, rpc_error(Code::Unimplemented, "service " + req.service()));
      continue;
    }
    if (blocking_ && blocking_(req.method())) {
      std::thread([this, conn, stream, req = std::move(req)] {
        conn->reply(stream, handler_(req.method(), req.payload()));
      }).detach();
    } else {
      conn->reply(stream, handler_(req.method(), req.payload()));
      if (stop_after_reply_) stop();
    }
  }
}

Client::~Client() { close(); }

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Expected<void> Client::connect(const std::string& socket_path) {
  close();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return make_error("ttrpc: socket path too long: " + socket_path);
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("ttrpc: socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    return make_error("ttrpc: connect " + socket_path + ": " + std::strerror(e));
  }
  fd_ = fd;
  return {};
}

Expected<std::string> Client::call(const std::string& service, const std::string& method, const std::string& payload) {
  if (fd_ < 0) return make_error("ttrpc: not connected");
  whirl::ttrpc::Request req;
  req.set_service(service);
  req.set_method(method);
  req.set_payload(payload);
  uint32_t stream = next_stream_;
  next_stream_ += 2;
  if (auto ok = write_frame(fd_, stream, kRequest, req.SerializeAsString()); !ok) {
    close();
    return unexpected(ok.error());
  }
  for (;;) {
    uint32_t got = 0;
    uint8_t type = 0;
    std::string body;
    if (auto ok = read_frame(fd_, &got, &type, &body); !ok) {
      close();
      return unexpected(ok.error());
    }
    if (type != kResponse || got != stream) continue;
    whirl::ttrpc::Response resp;
    if (!resp.ParseFromString(body)) return make_error("ttrpc: malformed response");
    if (resp.has_status() && resp.status().code() != 0)
      return make_error(service + "/" + method + ": " + resp.status().message());
    return std::string(resp.payload());
  }
}

}  // namespace whirl::shim::ttrpc
