// `whirl up` serving a JS guest (componentize-js, built here from
// js/guest.js) that reads variables through every interface Spin links:
// defaults, SPIN_VARIABLE_* overrides, a dotenv file, runtime-config
// providers, `--variable`, an undefined name, another component's key,
// wasi:config get-all; allowed_outbound_hosts templates resolved with the
// same providers; startup errors; a secret never in the logs. Expected
// values follow Spin (crates/factor-variables, crates/expressions,
// crates/variables-env, crates/runtime-config/src/variables.rs).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/free_port.h"
#include "../support/js_guest.h"
#include "../support/up_app.h"

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

// The guest, built once per test process.
const Expected<fs::path>& variables_guest() {
  static const Expected<fs::path> built = build_js_guest(
      {"tests/spin/variables/js",
       {"tests/spin/variables/js/guest.js", "wit/spin-fermyon-2.0.0/variables.wit", "wit/spin-fermyon-v1/config.wit",
        "wit/spin-variables-3.0.0/variables.wit", "wit/wasi-config-0.2.0-draft-2024-09-27/store.wit"},
       WHIRL_VARIABLES_GUEST_DIR,
       fs::path(WHIRL_VARIABLES_GUEST_DIR) / "guest.wasm"});
  return built;
}

class UpVariables : public ::testing::Test {
 protected:
  void SetUp() override {
    WHIRL_REQUIRE_JS_GUEST(variables_guest());
    app_ = std::make_unique<UpApp>("variables", kManifest, *variables_guest(), "guest.wasm");
    dir_ = app_->dir();
    // Spin's default environment provider reads .env in the working directory.
    app_->write(".env", "# dotenv\nSPIN_VARIABLE_FROM_DOTENV=\"from .env\"\nSPIN_VARIABLE_REGION=dotenv-loses\n");
  }

  // `whirl up ARGS` in the app's directory with `env` ("NAME=value" each)
  // added to its environment, listening on `port` (0: any).
  void serve(const std::vector<std::string>& env, std::vector<std::string> args = {}, uint16_t port = 0) {
    args.push_back("--listen");
    args.push_back("127.0.0.1:" + std::to_string(port));
    uint16_t serving = app_->serve(env, args);
    ASSERT_NE(serving, 0) << app_->stderr_text();
    if (port) ASSERT_EQ(serving, port);
  }
  // Startup fails: exit code 1, and what it printed.
  std::string startup_error(const std::vector<std::string>& env, const std::vector<std::string>& args = {}) {
    return app_->startup_error(env, args);
  }

  json ask(const std::string& target) { return app_->get_json(target); }
  static json ok(json v) { return json{{"ok", std::move(v)}}; }
  static json err(const std::string& tag, const std::string& val) { return json{{"err", {{"tag", tag}, {"val", val}}}}; }

  // Everything whirl up wrote: console and component logs.
  std::string all_output() {
    std::string s = app_->stderr_text();
    std::error_code ec;
    if (fs::exists(dir_ / ".spin" / "logs", ec))
      for (const auto& e : fs::recursive_directory_iterator(dir_ / ".spin" / "logs", ec)) {
        std::ifstream in(e.path());
        s += std::string(std::istreambuf_iterator<char>(in), {});
      }
    return s;
  }

  std::unique_ptr<UpApp> app_;
  fs::path dir_;  // the app's
};

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
  ASSERT_NO_FATAL_FAILURE(serve({"SPIN_VARIABLE_PASSWORD=x"}, {"--runtime-config-file", "rc.toml"}, port));
  std::string target = "http://127.0.0.1:" + std::to_string(port) + "/b/v2?name=message";
  json r = ask("/a/fetch?url=" + target);
  ASSERT_TRUE(r.contains("ok")) << r.dump() << app_->stderr_text();
  EXPECT_EQ(r["ok"]["status"], 200);
  EXPECT_EQ(json::parse(r["ok"]["body"].get<std::string>()), ok("b says hello"));
  json denied = ask("/b/fetch?url=" + target);
  EXPECT_TRUE(denied.contains("err")) << denied.dump();
  const std::string denial =
      "component `b`: outbound request to http://127.0.0.1:" + std::to_string(port) + " is denied";
  EXPECT_NE(app_->stderr_with(denial).find(denial), std::string::npos)
      << app_->stderr_text();
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
