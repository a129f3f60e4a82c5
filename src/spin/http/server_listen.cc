// Listening sockets and their accept loops: the server's own (listen()),
// and sockets bound elsewhere and handed over (adopt_listener()).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "spin/http/server_impl.h"

namespace whirl::spin::http {

void HttpServer::Impl::do_accept(const std::shared_ptr<Listener>& l) {
  l->acceptor.async_accept(net::make_strand(ioc), [this, l](beast::error_code ec, tcp::socket socket) {
    if (ec) return on_accept_error(l, ec);
    if (stopping || !l->open) return;
    if (l->accept_paused) {
      log("accepting connections again");
      l->accept_paused = false;
    }
    l->accept_backoff = std::chrono::milliseconds(10);
    start_session(std::move(socket), l);
    do_accept(l);
  });
}

// Out of descriptors or memory, accept fails at once again and again: wait
// (growing to a second) instead of spinning, and say so once.
void HttpServer::Impl::on_accept_error(const std::shared_ptr<Listener>& l, const beast::error_code& ec) {
  if (stopping || !l->open || !l->acceptor.is_open()) return;
  int e = ec.value();
  bool exhausted = ec.category() == boost::system::system_category() &&
                   (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM);
  if (!exhausted) return do_accept(l);
  if (!l->accept_paused) {
    log("cannot accept connections: " + ec.message() + "; retrying with backoff");
    l->accept_paused = true;
  }
  l->accept_timer.expires_after(l->accept_backoff);
  l->accept_backoff = std::min<std::chrono::milliseconds>(l->accept_backoff * 2, std::chrono::seconds(1));
  l->accept_timer.async_wait([this, l](beast::error_code ec) {
    if (!ec && !stopping && l->open) do_accept(l);
  });
}

void HttpServer::Impl::start_accepting(const std::shared_ptr<Listener>& l) {
  if (l->accepting || !l->open || stopping) return;
  l->accepting = true;
  do_accept(l);
}

void HttpServer::Impl::start_all() {
  running = true;
  start_accepting(own);
  std::vector<std::shared_ptr<Listener>> all;
  {
    std::lock_guard lock(mu);
    for (auto& [id, l] : adopted) all.push_back(l);
  }
  for (auto& l : all) start_accepting(l);
}

void HttpServer::Impl::close_listeners() {
  std::vector<std::shared_ptr<Listener>> all{own};
  {
    std::lock_guard lock(mu);
    for (auto& [id, l] : adopted) all.push_back(l);
    adopted.clear();
  }
  beast::error_code ec;
  for (auto& l : all) {
    l->open = false;
    l->acceptor.close(ec);
    l->accept_timer.cancel();
  }
}

Expected<void> HttpServer::listen() {
  auto& a = impl_->own->acceptor;
  std::string where = impl_->opts.host + ":" + std::to_string(impl_->opts.port);
  try {
    auto addr = net::ip::make_address(impl_->opts.host);
    tcp::endpoint ep(addr, impl_->opts.port);
    a.open(ep.protocol());
    a.set_option(net::socket_base::reuse_address(true));
    a.bind(ep);
    a.listen(net::socket_base::max_listen_connections);
    impl_->bound_port = a.local_endpoint().port();
  } catch (const std::exception& e) {
    return make_error("cannot listen on " + where + ": " + e.what());
  }
  return {};
}

uint16_t HttpServer::port() const { return impl_->bound_port; }

Expected<uint64_t> HttpServer::adopt_listener(int fd, std::string tag) {
  int listening = 0, type = 0;
  socklen_t len = sizeof listening;
  sockaddr_storage addr{};
  socklen_t alen = sizeof addr;
  bool ok = ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening;
  len = sizeof type;
  ok = ok && ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM &&
       ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) == 0 &&
       (addr.ss_family == AF_INET || addr.ss_family == AF_INET6);
  if (!ok) {
    ::close(fd);
    return make_error("not a listening TCP socket");
  }
  auto l = std::make_shared<Listener>(impl_->ctl);
  l->tag = std::move(tag);
  beast::error_code ec;
  l->acceptor.assign(addr.ss_family == AF_INET ? tcp::v4() : tcp::v6(), fd, ec);
  if (ec) {
    ::close(fd);
    return make_error("cannot use the listener: " + ec.message());
  }
  uint64_t id;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return make_error("the server is stopping");  // the acceptor closes fd
    id = impl_->next_listener++;
    impl_->adopted[id] = l;
  }
  net::post(impl_->ctl, [this, l] {
    if (impl_->running) impl_->start_accepting(l);
  });
  return id;
}

void HttpServer::close_listener(uint64_t id) {
  std::shared_ptr<Listener> l;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->adopted.find(id);
    if (it == impl_->adopted.end()) return;
    l = it->second;
    impl_->adopted.erase(it);
  }
  l->open = false;
  net::post(impl_->ctl, [this, l] {
    beast::error_code ec;
    l->acceptor.close(ec);
    l->accept_timer.cancel();
    impl_->end_sessions_of(l.get());
  });
}

bool parse_listen_address(const std::string& s, std::string* host, uint16_t* port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 == s.size()) return false;
  std::string h = s.substr(0, colon), p = s.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost") h = "127.0.0.1";
  if (h.empty() || p.size() > 5) return false;
  for (char c : p)
    if (c < '0' || c > '9') return false;
  unsigned long v = std::stoul(p);
  if (v > 65535) return false;
  *host = h;
  *port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace whirl::spin::http
