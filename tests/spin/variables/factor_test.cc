// The variables factor: prepared for an app (providers from the runtime
// config and the environment, the required check), attached per instance,
// and its host functions called as the runtime calls them, with each
// interface's error cases as Spin maps them (factor-variables/src/host.rs).
#include <gtest/gtest.h>

#include "../../wasi/p2/harness.h"
#include "spin/variables/variables.h"
#include "wasi/p2/ctx.h"

namespace whirl::spin::variables {
namespace {

namespace rt = component::runtime;
using component::abi::Value;
using wasi::p2::testing::FakeInstance;

const char* kManifest = R"(spin_manifest_version = 2
[application]
name = "v"
[variables]
greeting = { default = "hello" }
password = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "c.wasm"
variables = { msg = "{{ greeting }}, world", pw = "{{ password }}" }
)";

class VariablesFactorTest : public ::testing::Test {
 protected:
  // Prepares the factor for the app with `env` as the environment and
  // `config` as the runtime config text.
  Expected<std::shared_ptr<void>> prepare(std::map<std::string, std::string> env, const std::string& config = "",
                                          StringPairs cli = {}) {
    auto m = parse_manifest(kManifest, "spin.toml");
    EXPECT_TRUE(m) << m.error().message;
    app_.manifest = *m;
    app_.components.clear();
    LoadedComponent c;
    c.id = "c";
    app_.components.push_back(c);
    auto rc = RuntimeConfig::parse(config, "rc.toml");
    EXPECT_TRUE(rc);
    config_ = std::move(*rc);
    FactorContext ctx{app_, config_, "", {}, cli, {}};
    ctx.getenv = [env](const std::string& n) -> std::optional<std::string> {
      auto it = env.find(n);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return variables_factor().prepare_app(ctx);
  }

  void start(const std::shared_ptr<void>& state) {
    variables_factor().link(linker_);
    auto ctx = wasi::p2::create_wasi_p2(wasi::WasiConfig{});
    ASSERT_TRUE(ctx);
    ctx_ = *ctx;
    ASSERT_TRUE(variables_factor().prepare_instance(state, app_.components[0], *ctx_));
    inst_.host_data = ctx_;
  }

  Value call(const std::string& iface, const std::string& func, std::vector<Value> args = {}) {
    auto found = linker_.find(iface);
    EXPECT_TRUE(found.def) << iface;
    if (!found.def) return {};
    EXPECT_EQ(*found.name, iface);
    auto it = found.def->funcs.find(func);
    EXPECT_NE(it, found.def->funcs.end()) << func;
    rt::HostCall hc(inst_, func);
    auto r = it->second(hc, args);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r && !r->empty() ? (*r)[0] : Value{};
  }

  LoadedApp app_;
  RuntimeConfig config_;
  rt::Linker linker_;
  FakeInstance inst_;
  std::shared_ptr<wasi::p2::WasiP2> ctx_;
};

std::string str_ok(const Value& r) {
  EXPECT_EQ(r.kind, component::TypeKind::Result);
  EXPECT_FALSE(r.is_err) << component::abi::to_string(r);
  return r.payload() ? r.payload()->str : "";
}
std::pair<std::string, std::string> err_case(const Value& r) {
  EXPECT_TRUE(r.is_err) << component::abi::to_string(r);
  if (!r.payload()) return {};
  return {r.payload()->label, r.payload()->payload() ? r.payload()->payload()->str : ""};
}
Value s(std::string v) { return Value::string(std::move(v)); }

TEST_F(VariablesFactorTest, RequiredVariablesAreCheckedAtStartup) {
  auto st = prepare({});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message,
            "spin.toml: no provider resolved required variable(s) `password` (looked in: the environment variable "
            "SPIN_VARIABLE_PASSWORD (or in .env))");
  EXPECT_TRUE(prepare({{"SPIN_VARIABLE_PASSWORD", "pw"}}));
  // From the runtime config, or --variable.
  EXPECT_TRUE(prepare({}, "[[variables_provider]]\ntype = \"static\"\nvalues = { password = \"x\" }\n"));
  EXPECT_TRUE(prepare({}, "", {{"password", "x"}}));
  // A bad provider entry stops startup with its position.
  auto bad = prepare({{"SPIN_VARIABLE_PASSWORD", "pw"}}, "[[variables_provider]]\ntype = \"vault\"\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "rc.toml:2:8: variables provider type `vault` is not supported by whirl (supported: env, static)");
}

TEST_F(VariablesFactorTest, SpinVariables2) {
  auto st = prepare({{"SPIN_VARIABLE_PASSWORD", "pw-1"}, {"SPIN_VARIABLE_GREETING", "hi"}});
  ASSERT_TRUE(st) << st.error().message;
  start(*st);
  const std::string v2 = "fermyon:spin/variables@2.0.0";
  EXPECT_EQ(str_ok(call(v2, "get", {s("msg")})), "hi, world");
  EXPECT_EQ(str_ok(call(v2, "get", {s("pw")})), "pw-1");
  EXPECT_EQ(err_case(call(v2, "get", {s("greeting")})),
            (std::pair<std::string, std::string>("undefined", "no variable for \"c\".\"greeting\"")));
  EXPECT_EQ(err_case(call(v2, "get", {s("x-y")})).first, "invalid-name");
  // The 3.0.0 interface answers the same.
  EXPECT_EQ(str_ok(call("spin:variables/variables@3.0.0", "get", {s("msg")})), "hi, world");
  EXPECT_EQ(err_case(call("spin:variables/variables@3.0.0", "get", {s("nope")})).first, "undefined");
}

TEST_F(VariablesFactorTest, Spin1Config) {
  auto st = prepare({{"SPIN_VARIABLE_PASSWORD", "pw-1"}});
  ASSERT_TRUE(st);
  start(*st);
  EXPECT_EQ(str_ok(call("fermyon:spin/config", "get-config", {s("msg")})), "hello, world");
  // As Spin's v1 mapping: invalid-name -> invalid-key, undefined -> provider.
  EXPECT_EQ(err_case(call("fermyon:spin/config", "get-config", {s("Bad")})).first, "invalid-key");
  EXPECT_EQ(err_case(call("fermyon:spin/config", "get-config", {s("nope")})),
            (std::pair<std::string, std::string>("provider", "no variable for \"c\".\"nope\"")));
}

TEST_F(VariablesFactorTest, WasiConfigStore) {
  auto st = prepare({{"SPIN_VARIABLE_PASSWORD", "pw-1"}});
  ASSERT_TRUE(st);
  start(*st);
  const std::string store = "wasi:config/store@0.2.0-draft-2024-09-27";
  Value got = call(store, "get", {s("msg")});
  ASSERT_FALSE(got.is_err);
  ASSERT_EQ(got.payload()->kind, component::TypeKind::Option);
  EXPECT_EQ(got.payload()->payload()->str, "hello, world");
  // Undefined and invalid names are `none`.
  for (const char* n : {"nope", "Bad-Name"}) {
    Value none = call(store, "get", {s(n)});
    EXPECT_FALSE(none.is_err) << n;
    ASSERT_TRUE(none.payload());
    EXPECT_TRUE(none.payload()->items.empty()) << n;
  }
  Value all = call(store, "get-all");
  ASSERT_FALSE(all.is_err);
  const auto& items = all.payload()->items;
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].items[0].str, "msg");
  EXPECT_EQ(items[0].items[1].str, "hello, world");
  EXPECT_EQ(items[1].items[0].str, "pw");
  EXPECT_EQ(items[1].items[1].str, "pw-1");
}

TEST_F(VariablesFactorTest, ProviderErrorsAreUpstreamInWasiConfigAndNeverCarryTheValue) {
  // A dotenv file with a bad line holding a secret: a provider error for a
  // variable the environment lacks.
  auto dir = whirl::testing::scratch_dir("whirl-variables-factor");
  auto f = dir / "bad.env";
  wasi::p2::testing::write_file(f, "GREETING_X=\"unterminated s3cr3t\n");
  auto st = prepare({{"SPIN_VARIABLE_PASSWORD", "pw-1"}},
                    "[[variables_provider]]\ntype = \"env\"\nprefix = \"GREETING\"\ndotenv_path = \"" + f.string() +
                        "\"\n");
  ASSERT_TRUE(st) << st.error().message;
  start(*st);
  auto e = err_case(call("fermyon:spin/variables@2.0.0", "get", {s("msg")}));
  EXPECT_EQ(e.first, "provider");
  EXPECT_EQ(e.second.find("s3cr3t"), std::string::npos);
  Value c = call("wasi:config/store@0.2.0-draft-2024-09-27", "get", {s("msg")});
  EXPECT_EQ(err_case(c).first, "upstream");
  Value all = call("wasi:config/store@0.2.0-draft-2024-09-27", "get-all");
  EXPECT_EQ(err_case(all).first, "upstream");
  auto v1 = err_case(call("fermyon:spin/config", "get-config", {s("msg")}));
  EXPECT_EQ(v1.first, "other");
  EXPECT_EQ(v1.second.rfind("Error::Provider(\"", 0), 0u) << v1.second;
}

TEST_F(VariablesFactorTest, OtherFactorsReachTheResolver) {
  auto st = prepare({{"SPIN_VARIABLE_PASSWORD", "pw-1"}});
  ASSERT_TRUE(st);
  auto r = app_variables(*st);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r->resolve("redis://{{ greeting }}:6379"), "redis://hello:6379");
  FactorContext ctx{app_, config_, "", {}, {}, [&](const Factor& f) {
                      return &f == &variables_factor() ? *st : std::shared_ptr<void>();
                    }};
  EXPECT_EQ(app_variables(ctx), r);
  // As AllowedHosts::parse takes it.
  auto hosts = AllowedHosts::parse({"redis://{{ greeting }}:6379"}, lookup(r));
  ASSERT_TRUE(hosts) << hosts.error().message;
  auto url = parse_outbound_url("redis://hello:6379", "redis");
  ASSERT_TRUE(url);
  EXPECT_TRUE(hosts->allows(*url));
  EXPECT_EQ(lookup(r)("password"), "pw-1");
  EXPECT_EQ(lookup(r)("nope"), std::nullopt);
}

}  // namespace
}  // namespace whirl::spin::variables
