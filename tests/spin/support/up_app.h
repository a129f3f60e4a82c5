// `whirl up` serving an app of its own for the end-to-end tests of a
// factor: a directory (emptied, named for the test, removed at the end)
// with the guest and the files the test writes, the server started there
// with the test's environment and arguments on 127.0.0.1, its startup
// errors, and JSON requests to it.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "../http/http_client.h"
#include "../up/process.h"

namespace whirl::test {

class UpApp {
 public:
  using json = nlohmann::json;

  // TMP/whirl-up-WHAT-PID-TEST, made empty.
  explicit UpApp(const std::string& what)
      : dir_(std::filesystem::temp_directory_path() /
             ("whirl-up-" + what + "-" + std::to_string(getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  // ... holding `manifest` as spin.toml and a link to a guest built for
  // the tests as GUEST_NAME.
  UpApp(const std::string& what, const std::string& manifest, const std::filesystem::path& guest,
        const std::string& guest_name)
      : UpApp(what) {
    write("spin.toml", manifest);
    link(guest, guest_name);
  }
  ~UpApp() {
    up_.reset();  // kills a server still running
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  UpApp(const UpApp&) = delete;
  UpApp& operator=(const UpApp&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  // DIR/NAME with `text`.
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }
  // DIR/NAME, a link to a guest built for the tests.
  void link(const std::filesystem::path& built, const std::string& name) const {
    std::filesystem::create_symlink(built, dir_ / name);
  }

  // `whirl up ARGS` started in the directory (relative paths start there,
  // as spin up's do at its current directory), with ENV ("NAME=value"
  // each) added to its environment; its stderr in a file of each start.
  std::unique_ptr<UpProcess> start(const std::vector<std::string>& env, const std::vector<std::string>& args) {
    std::string cmd = "cd " + word(dir_.string()) + " && exec env";
    for (const auto& e : env) cmd += " " + word(e);
    cmd += " " + word(WHIRL_BINARY) + " up";
    for (const auto& a : args) cmd += " " + word(a);
    return std::make_unique<UpProcess>(std::vector<std::string>{"/bin/sh", "-c", cmd},
                                       (dir_ / ("stderr" + std::to_string(++starts_) + ".txt")).string());
  }
  // Starts the app's server (ARGS name where it listens): its port once
  // it serves, 0 if it did not (then process() tells why).
  uint16_t serve(const std::vector<std::string>& env, const std::vector<std::string>& args) {
    up_ = start(env, args);
    port_ = up_->wait_serving();
    return port_;
  }
  // Sends `sig` to the server and waits for it: its exit code (-1: it
  // had not exited within `limit`).
  int stop(int sig, std::chrono::milliseconds limit) {
    up_->signal(sig);
    return up_->wait_exit(limit);
  }
  // A start that must fail: expects exit code 1; what it printed.
  std::string startup_error(const std::vector<std::string>& env, const std::vector<std::string>& args) {
    auto p = start(env, args);
    EXPECT_EQ(p->wait_exit(std::chrono::seconds(120)), 1);
    return p->stderr_text() + p->drain_stdout();
  }

  UpProcess& process() { return *up_; }
  uint16_t port() const { return port_; }
  std::string stderr_text() const { return up_ ? up_->stderr_text() : ""; }
  std::string stderr_with(const std::string& needle) const { return up_ ? up_->stderr_with(needle) : ""; }

  // GET (no body) or POST `body` to `target`: the answer as JSON, null
  // when it is not 200 with JSON (a test failure).
  json get_json(const std::string& target) { return parse(target, get_once(port_, target)); }
  json post_json(const std::string& target, const json& body) {
    Client c(port_);
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = body.dump();
    return parse(target, c.send(std::move(req)));
  }

 private:
  static std::string word(std::string a) {  // one shell word
    for (size_t i = 0; (i = a.find('\'', i)) != std::string::npos; i += 4) a.replace(i, 1, "'\\''");
    return "'" + a + "'";
  }
  json parse(const std::string& target, const Reply& r) const {
    EXPECT_EQ(r.status, 200u) << target << ": " << r.error << r.body << stderr_text();
    if (r.status != 200) return nullptr;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << target << ": " << r.body;
    return j.is_discarded() ? json() : j;
  }

  std::filesystem::path dir_;
  std::unique_ptr<UpProcess> up_;
  uint16_t port_ = 0;
  int starts_ = 0;
};

}  // namespace whirl::test
