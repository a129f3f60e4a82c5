// A small synchronous HTTP client for tests (Boost.Beast), loopback only.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <string>
#include <thread>

namespace whirl::test {

namespace bhttp = boost::beast::http;
using boost::asio::ip::tcp;

struct Reply {
  unsigned status = 0;
  std::string body;
  bhttp::fields headers;
  std::string error;
};

class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    boost::system::error_code ec;
    socket_.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), ec);
    connected_ = !ec;
  }
  bool connected() const { return connected_; }

  Reply send(bhttp::request<bhttp::string_body> req) {
    Reply r;
    try {
      req.prepare_payload();
      bhttp::write(socket_, req);
      return read();
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    return r;
  }

  Reply get(const std::string& target, bool keep_alive = true) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    return send(std::move(req));
  }

  // HEAD: the response has headers only.
  Reply head(const std::string& target) {
    Reply r;
    try {
      bhttp::request<bhttp::empty_body> req{bhttp::verb::head, target, 11};
      req.set(bhttp::field::host, "127.0.0.1");
      bhttp::write(socket_, req);
      return read(true);
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    return r;
  }

  // Sends bytes as they are (for chunked bodies) and reads one response.
  Reply raw(const std::string& bytes) {
    try {
      boost::asio::write(socket_, boost::asio::buffer(bytes));
      return read();
    } catch (const std::exception& e) {
      Reply r;
      r.error = e.what();
      return r;
    }
  }

  Reply read(bool head = false) {
    Reply r;
    bhttp::response_parser<bhttp::string_body> p;
    p.skip(head);
    p.body_limit(256 << 20);
    boost::system::error_code ec;
    bhttp::read(socket_, buf_, p, ec);
    if (ec) {
      r.error = ec.message();
      return r;
    }
    auto msg = p.release();
    r.status = msg.result_int();
    r.body = msg.body();
    r.headers = msg.base();
    return r;
  }

 private:
  boost::asio::io_context ioc_;
  tcp::socket socket_;
  boost::beast::flat_buffer buf_;
  bool connected_ = false;
};

inline Reply get_once(uint16_t port, const std::string& target) {
  Client c(port);
  if (!c.connected()) return Reply{0, "", {}, "cannot connect"};
  return c.get(target, false);
}

}  // namespace whirl::test
