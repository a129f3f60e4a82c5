// A Beast server on 127.0.0.1 (a free port) with the handler a test gives,
// stopped and joined after the test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "spin/http/server.h"

namespace whirl::test {

class ServerFixture : public ::testing::Test {
 protected:
  void start(spin::http::HttpServer::Handler h, spin::http::ServerOptions o = {}) {
    o.host = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<spin::http::HttpServer>(o, std::move(h));
    auto ok = server_->listen();
    ASSERT_TRUE(ok) << ok.error().message;
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    if (server_) server_->request_stop();
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return server_->port(); }

  std::unique_ptr<spin::http::HttpServer> server_;
  std::thread thread_;
};

}  // namespace whirl::test
