// Test servers on 127.0.0.1 that several suites share: a CA and a server
// certificate made at test time with the openssl command, and a TCP (or
// TLS) server that accepts on a thread and serves each connection on one
// of its own with the suite's `serve`.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace whirl::test {

// Makes ca.pem (a CA), server.pem and server.key (a certificate for
// 127.0.0.1 the CA signed) in `dir`; `dir` as a string, "" if the openssl
// command failed.
inline std::string make_test_certs(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::string d = dir.string();
  std::string cmd =
      "cd '" + d + "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=whirl-test-ca"
      " >/dev/null 2>&1 && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1"
      " >/dev/null 2>&1 && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && openssl x509 -req -in server.csr -CA ca.pem"
      " -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile san.ext >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 ? d : "";
}

// Accepts on 127.0.0.1 (an ephemeral port) until destroyed; each
// connection (after the TLS handshake when given a context) goes to
// `serve(stream)` on a thread of its own. `Serve` has a templated call
// operator: it gets a tcp::socket or an ssl::stream<tcp::socket>.
template <class Serve>
class LoopbackServer {
 public:
  using tcp = boost::asio::ip::tcp;

  explicit LoopbackServer(Serve serve, boost::asio::ssl::context* tls = nullptr)
      : serve_(std::move(serve)), tls_(tls), acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    boost::beast::error_code ec;
    tcp::socket wake(ioc_);  // accept returns with a connection of our own
    wake.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
    for (auto& t : conns_) t.join();
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  Serve& serve() { return serve_; }

 private:
  void accept_loop() {
    while (!stop_) {
      tcp::socket s(ioc_);
      boost::beast::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) break;
      ++connections_;
      conns_.emplace_back([this, s = std::move(s)]() mutable {
        if (tls_) {
          boost::asio::ssl::stream<tcp::socket> st(std::move(s), *tls_);
          boost::beast::error_code e;
          st.handshake(boost::asio::ssl::stream_base::server, e);
          if (!e) serve_(st);
        } else {
          serve_(s);
        }
      });
    }
  }

  Serve serve_;
  boost::asio::ssl::context* tls_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::vector<std::thread> conns_;
};

}  // namespace whirl::test
