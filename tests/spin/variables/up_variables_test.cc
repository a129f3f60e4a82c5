// `whirl up` serving a JS guest (componentize-js, built here from
// js/guest.js) that reads variables through every interface Spin links:
// defaults, SPIN_VARIABLE_* overrides, a dotenv file, runtime-config
// providers, `--variable`, an undefined name, another component's key,
// wasi:config get-all; allowed_outbound_hosts templates resolved with the
// same providers; startup errors; a secret never in the logs. Expected
// values follow Spin (crates/factor-variables, crates/expressions,
// crates/variables-env, crates/runtime-config/src/variables.rs).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../http/http_client.h"
#include "../up/process.h"
#include "variables_guest.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSecret = "s3cr3t-Pa55w0rd";

const char* kManifest = R"(spin_manifest_version = 2
[application]
name = "vars-app"

[variables]
greeting = { default = "hello" }
region = { default = "eu" }
password = { required = true, secret = true }
from_dotenv = { default = "none" }
from_runtime = { default = "none" }
upstream = { default = "example.invalid" }

[[trigger.http]]
route = "/a/..."
component = "a"

[[trigger.http]]
route = "/b/..."
component = "b"

[component.a]
source = "guest.wasm"
allowed_outbound_hosts = ["http://{{ upstream }}"]
[component.a.variables]
message = "{{ greeting }}, {{region}}!"
password = "{{ password }}"
dotenv = "{{ from_dotenv }}"
runtime = "{{ from_runtime }}"
plain = "just text"

[component.b]
source = "guest.wasm"
allowed_outbound_hosts = ["http://{{ greeting }}.invalid"]
variables = { message = "b says {{ greeting }}" }
)";

// A port nothing listens on now (the app is then told to use it).
uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

class UpVariables : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto built = variables_guest();
    if (!built) {
      skip_ = built.error().message;
      return;
    }
    guest_ = *built;
  }
  void SetUp() override {
    if (skip_.rfind("skip: ", 0) == 0) GTEST_SKIP() << skip_;
    ASSERT_TRUE(skip_.empty()) << skip_;
    dir_ = fs::temp_directory_path() /
           ("whirl-up-variables-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy_file(guest_, dir_ / "guest.wasm");
    std::ofstream(dir_ / "spin.toml") << kManifest;
    // Spin's default environment provider reads .env in the working directory.
    std::ofstream(dir_ / ".env") << "# dotenv\nSPIN_VARIABLE_FROM_DOTENV=\"from .env\"\nSPIN_VARIABLE_REGION=dotenv-loses\n";
  }
  void TearDown() override {
    up_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // `whirl up` in the app's directory with `env` ("NAME=value" each) added
  // to its environment and `args` after `up`.
  std::unique_ptr<UpProcess> start(const std::vector<std::string>& env, const std::vector<std::string>& args) {
    std::string cmd = "cd '" + dir_.string() + "' && exec env";
    for (const auto& e : env) cmd += " '" + e + "'";
    cmd += " '" + std::string(WHIRL_BINARY) + "' up";
    for (const auto& a : args) cmd += " '" + a + "'";
    return std::make_unique<UpProcess>(std::vector<std::string>{"/bin/sh", "-c", cmd},
                                       (dir_ / "stderr.txt").string());
  }
  void serve(const std::vector<std::string>& env, std::vector<std::string> args = {}) {
    port_ = free_port();
    ASSERT_NE(port_, 0);
    args.push_back("--listen");
    args.push_back("127.0.0.1:" + std::to_string(port_));
    up_ = start(env, args);
    ASSERT_EQ(up_->wait_serving(), port_) << up_->stderr_text();
  }
  // Startup fails: exit code 1, and what it printed.
  std::string startup_error(const std::vector<std::string>& env, const std::vector<std::string>& args = {}) {
    auto p = start(env, args);
    EXPECT_EQ(p->wait_exit(std::chrono::seconds(120)), 1);
    return p->stderr_text() + p->drain_stdout();
  }

  json ask(const std::string& target) {
    Reply r = get_once(port_, target);
    EXPECT_EQ(r.status, 200u) << target << ": " << r.error << up_->stderr_text();
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << target << ": " << r.body;
    return j;
  }
  static json ok(json v) { return json{{"ok", std::move(v)}}; }
  static json err(const std::string& tag, const std::string& val) { return json{{"err", {{"tag", tag}, {"val", val}}}}; }

  // Everything whirl up wrote: console and component logs.
  std::string all_output() {
    std::string s = up_ ? up_->stderr_text() : "";
    std::error_code ec;
    if (fs::exists(dir_ / ".spin" / "logs", ec))
      for (const auto& e : fs::recursive_directory_iterator(dir_ / ".spin" / "logs", ec)) {
        std::ifstream in(e.path());
        s += std::string(std::istreambuf_iterator<char>(in), {});
      }
    return s;
  }

  static std::string skip_;
  static fs::path guest_;
  fs::path dir_;
  std::unique_ptr<UpProcess> up_;
  uint16_t port_ = 0;
};
std::string UpVariables::skip_;
fs::path UpVariables::guest_;

TEST_F(UpVariables, EveryInterfaceWithDefaultsOverridesAndProviders) {
  std::ofstream(dir_ / "rc.toml") << "[[variables_provider]]\ntype = \"static\"\nvalues = { from_runtime = \"rc\" }\n";
  serve({"SPIN_VARIABLE_PASSWORD=" + std::string(kSecret), "SPIN_VARIABLE_REGION=us"},
        {"--runtime-config-file", "rc.toml"});
  // Defaults, the environment (which beats .env), .env, the runtime config, literal text.
  EXPECT_EQ(ask("/a/v2?name=message"), ok("hello, us!"));
  EXPECT_EQ(ask("/a/v2?name=password"), ok(kSecret));
  EXPECT_EQ(ask("/a/v2?name=dotenv"), ok("from .env"));
  EXPECT_EQ(ask("/a/v2?name=runtime"), ok("rc"));
  EXPECT_EQ(ask("/a/v2?name=plain"), ok("just text"));
  // Application variables are not keys; a component reads only its own keys.
  EXPECT_EQ(ask("/a/v2?name=greeting"), err("undefined", "no variable for \"a\".\"greeting\""));
  EXPECT_EQ(ask("/b/v2?name=password"), err("undefined", "no variable for \"b\".\"password\""));
  EXPECT_EQ(ask("/b/v2?name=message"), ok("b says hello"));
  EXPECT_EQ(ask("/a/v2?name=Bad"),
            err("invalid-name", "\"Bad\": invalid character 'B'. Variable names may contain only lower-case letters, "
                                "numbers, and underscores."));
  // spin:variables@3.0.0 answers as 2.0.0; Spin 1's config maps the cases.
  EXPECT_EQ(ask("/a/v3?name=message"), ok("hello, us!"));
  EXPECT_EQ(ask("/a/v3?name=nope"), err("undefined", "no variable for \"a\".\"nope\""));
  EXPECT_EQ(ask("/a/v1?name=runtime"), ok("rc"));
  EXPECT_EQ(ask("/a/v1?name=nope"), err("provider", "no variable for \"a\".\"nope\""));
  EXPECT_EQ(ask("/a/v1?name=Bad")["err"]["tag"], "invalid-key");
  // wasi:config: absent is none; get-all is the component's keys.
  EXPECT_EQ(ask("/a/config?name=message"), ok("hello, us!"));
  EXPECT_EQ(ask("/a/config?name=nope"), ok(nullptr));
  EXPECT_EQ(ask("/a/config?name=Bad"), ok(nullptr));
  EXPECT_EQ(ask("/a/all"), ok(json::array({json::array({"dotenv", "from .env"}), json::array({"message", "hello, us!"}),
                                           json::array({"password", kSecret}), json::array({"plain", "just text"}),
                                           json::array({"runtime", "rc"})})));
  EXPECT_EQ(ask("/b/all"), ok(json::array({json::array({"message", "b says hello"})})));
  // The secret value is in no log.
  EXPECT_EQ(all_output().find(kSecret), std::string::npos) << all_output();
}

TEST_F(UpVariables, VariableFlagWinsOverEveryProvider) {
  std::ofstream(dir_ / "vars.json") << R"({"region": "from-json"})";
  std::ofstream(dir_ / "rc.toml") << "[[variables_provider]]\ntype = \"static\"\nvalues = { greeting = \"rc\" }\n";
  serve({"SPIN_VARIABLE_PASSWORD=x", "SPIN_VARIABLE_GREETING=env", "SPIN_VARIABLE_REGION=env"},
        {"--runtime-config-file", "rc.toml", "--variable", "greeting=hey", "--variable", "@vars.json"});
  EXPECT_EQ(ask("/a/v2?name=message"), ok("hey, from-json!"));
}

TEST_F(UpVariables, EnvProviderWithPrefixAndDotenvFromTheRuntimeConfig) {
  std::ofstream(dir_ / "app.env") << "MYAPP_PASSWORD=from-app-env\n";
  std::ofstream(dir_ / "rc.toml") << "[[config_provider]]\ntype = \"env\"\nprefix = \"MYAPP\"\ndotenv_path = \"app.env\"\n";
  // The required variable comes from the provider's dotenv file; its prefix
  // reaches the environment too, ahead of SPIN_VARIABLE_*.
  serve({"MYAPP_GREETING=prefixed", "SPIN_VARIABLE_GREETING=default-env"}, {"--runtime-config-file", "rc.toml"});
  EXPECT_EQ(ask("/a/v2?name=password"), ok("from-app-env"));
  EXPECT_EQ(ask("/b/v2?name=message"), ok("b says prefixed"));
}

TEST_F(UpVariables, AllowedOutboundHostsUseTheSameProviders) {
  // `upstream` names the app itself, given by the runtime config only: `a`
  // may call it; `b`'s template resolves elsewhere, so it is denied.
  uint16_t port = free_port();
  std::ofstream(dir_ / "rc.toml") << "[[variables_provider]]\ntype = \"static\"\nvalues = { upstream = \"127.0.0.1:" +
                                         std::to_string(port) + "\" }\n";
  port_ = port;
  up_ = start({"SPIN_VARIABLE_PASSWORD=x"},
              {"--runtime-config-file", "rc.toml", "--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_EQ(up_->wait_serving(), port) << up_->stderr_text();
  std::string target = "http://127.0.0.1:" + std::to_string(port) + "/b/v2?name=message";
  json r = ask("/a/fetch?url=" + target);
  ASSERT_TRUE(r.contains("ok")) << r.dump() << up_->stderr_text();
  EXPECT_EQ(r["ok"]["status"], 200);
  EXPECT_EQ(json::parse(r["ok"]["body"].get<std::string>()), ok("b says hello"));
  json denied = ask("/b/fetch?url=" + target);
  EXPECT_TRUE(denied.contains("err")) << denied.dump();
  EXPECT_NE(up_->stderr_text().find("component `b`: outbound request to http://127.0.0.1:" + std::to_string(port) +
                                    " is denied"),
            std::string::npos)
      << up_->stderr_text();
}

TEST_F(UpVariables, StartupErrors) {
  // A required variable no provider has.
  std::string e = startup_error({}, {"--listen", "127.0.0.1:0"});
  EXPECT_NE(e.find("spin.toml: no provider resolved required variable(s) `password` (looked in: the environment "
                   "variable SPIN_VARIABLE_PASSWORD (or in .env))"),
            std::string::npos)
      << e;
  // A provider type whirl does not implement, at its position.
  std::ofstream(dir_ / "rc.toml") << "[[variables_provider]]\ntype = \"vault\"\nurl = \"http://127.0.0.1:8200\"\n"
                                     "token = \"root\"\nmount = \"secret\"\n";
  e = startup_error({"SPIN_VARIABLE_PASSWORD=x"}, {"--listen", "127.0.0.1:0", "--runtime-config-file", "rc.toml"});
  EXPECT_NE(e.find("rc.toml:2:8: variables provider type `vault` is not supported by whirl (supported: env, static)"),
            std::string::npos)
      << e;
  // A bad --variable.
  e = startup_error({"SPIN_VARIABLE_PASSWORD=x"}, {"--listen", "127.0.0.1:0", "--variable", "novalue"});
  EXPECT_NE(e.find("variables must be in the form 'key=value' or '@file'"), std::string::npos) << e;
}

}  // namespace
}  // namespace whirl::test
