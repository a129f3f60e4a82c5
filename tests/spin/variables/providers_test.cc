// Providers as Spin's (crates/variables-env, variables-static,
// runtime-config/src/variables.rs): the environment with its prefix and
// dotenv file, static values, `whirl up --variable`, and the runtime
// config's [[variables_provider]] list with FILE:LINE:COLUMN errors.
#include <gtest/gtest.h>

#include <fstream>

#include "../../scratch_dir.h"
#include "spin/variables/providers.h"

namespace whirl::spin::variables {
namespace {

namespace fs = std::filesystem;

fs::path dir() { return whirl::testing::scratch_dir("whirl-variables-providers"); }

fs::path write(const std::string& name, const std::string& text) {
  fs::path p = dir() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

EnvLookup env_of(std::map<std::string, std::string> m) {
  return [m](const std::string& n) -> std::optional<std::string> {
    auto it = m.find(n);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

std::optional<std::string> value(const Provider& p, const std::string& name) {
  auto v = p.get(name);
  EXPECT_TRUE(v) << v.error().message;
  return v ? *v : std::nullopt;
}

TEST(EnvProvider, UpperCasedNameAfterThePrefix) {
  EnvProvider p("SPIN_VARIABLE", env_of({{"SPIN_VARIABLE_API_KEY", "k"}, {"TESTING_SPIN_ENV_KEY1", "val"}}), {});
  EXPECT_EQ(value(p, "api_key"), "k");
  EXPECT_EQ(value(p, "other"), std::nullopt);
  EXPECT_TRUE(p.may_resolve("api_key"));
  EXPECT_FALSE(p.may_resolve("other"));
  EnvProvider q("TESTING_SPIN", env_of({{"TESTING_SPIN_ENV_KEY1", "val"}}), {});
  EXPECT_EQ(value(q, "env_key1"), "val");
  // An empty prefix still joins with `_` (Spin's code does).
  EnvProvider r("", env_of({{"_X", "under"}}), {});
  EXPECT_EQ(value(r, "x"), "under");
}

TEST(EnvProvider, ANonUnicodeValueIsAnErrorWithoutTheValue) {
  EnvProvider p("SPIN_VARIABLE", env_of({{"SPIN_VARIABLE_BAD", "secret\xff"}}), {});
  auto v = p.get("bad");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "failed to resolve env var SPIN_VARIABLE_BAD");
}

TEST(EnvProvider, TheDotenvFileWhenTheEnvironmentHasNone) {
  auto f = write("a.env", "# a comment\nexport SPIN_VARIABLE_FROM_FILE=dotenv_val\nSPIN_VARIABLE_BOTH=file\n");
  EnvProvider p("SPIN_VARIABLE", env_of({{"SPIN_VARIABLE_BOTH", "env"}}), f);
  EXPECT_EQ(value(p, "from_file"), "dotenv_val");
  EXPECT_EQ(value(p, "both"), "env");
  EXPECT_EQ(value(p, "neither"), std::nullopt);
  // Read once: a later change is not seen (Spin caches it).
  write("a.env", "SPIN_VARIABLE_FROM_FILE=changed\n");
  EXPECT_EQ(value(p, "from_file"), "dotenv_val");
  // No file: no values, no error.
  EnvProvider none("SPIN_VARIABLE", env_of({}), dir() / "missing.env");
  EXPECT_EQ(value(none, "x"), std::nullopt);
}

TEST(Dotenv, DotenvySyntax) {
  auto f = write("syntax.env", R"(
KEY=1
KEY2="2"
KEY3='3'
KEY4='fo ur'
KEY5="fi ve"
KEY6=s\ ix
KEY7=
KEY8=     
KEY9=   # foo
export   SHELL_LOVER=1
ESC="awesome stuff \"mang\""
LIT='sweet $\fgs'
SUB=${KEY}-$KEY2-${FROM_ENV}
NOSUB='${KEY}'
QUOTED_SUB="x${KEY3}y"
COMMENTED="lol" #well
NL="a\nb"
MULTI="line one
line two"
)");
  auto m = read_dotenv(f, env_of({{"FROM_ENV", "e"}}));
  ASSERT_TRUE(m) << m.error().message;
  std::map<std::string, std::string> want{
      {"KEY", "1"}, {"KEY2", "2"}, {"KEY3", "3"}, {"KEY4", "fo ur"}, {"KEY5", "fi ve"}, {"KEY6", "s ix"},
      {"KEY7", ""}, {"KEY8", ""}, {"KEY9", ""}, {"SHELL_LOVER", "1"}, {"ESC", "awesome stuff \"mang\""},
      {"LIT", "sweet $\\fgs"}, {"SUB", "1-2-e"}, {"NOSUB", "${KEY}"}, {"QUOTED_SUB", "x3y"}, {"COMMENTED", "lol"},
      {"NL", "a\nb"}, {"MULTI", "line one\nline two"}};
  EXPECT_EQ(*m, want);
}

TEST(Dotenv, ABadLineIsAnErrorNamingTheLineNotItsText) {
  for (const char* bad : {"KEY =val", "KEY2= val", "very bacon = yes", "=value", "KEY=my uncool s3cr3t",
                          "KEY=\"why", "KEY=h\\8u"}) {
    auto f = write("bad.env", std::string("OK=1\n") + bad + "\n");
    auto m = read_dotenv(f, {});
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().message, f.string() + ":2: cannot parse this dotenv line") << bad;
  }
  // Through the provider: an error for names the environment does not have.
  auto f = write("bad2.env", "SPIN_VARIABLE_X=fine\nSPIN_VARIABLE_Y=s3cr3t oops\n");
  EnvProvider p("SPIN_VARIABLE", env_of({}), f);
  auto v = p.get("x");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message.find("s3cr3t"), std::string::npos);
}

TEST(VariableArgs, AsSpinUpVariable) {
  auto txt = write("value.txt", "sausage time!");
  auto json = write("vars.json", R"({"k": "v", "j": "from json"})");
  auto toml = write("vars.toml", "k = \"from toml\"\n");
  auto r = read_variable_args({"a=1", "b=x=y", "c=@" + txt.string(), "@" + json.string(), "@" + toml.string()});
  ASSERT_TRUE(r) << r.error().message;
  StringPairs want{{"a", "1"}, {"b", "x=y"}, {"c", "sausage time!"}, {"k", "v"}, {"j", "from json"}, {"k", "from toml"}};
  EXPECT_EQ(*r, want);
  EXPECT_FALSE(read_variable_args({"nope"}));
  auto wrong_kind = read_variable_args({"@file.yaml"});
  ASSERT_FALSE(wrong_kind);
  EXPECT_NE(wrong_kind.error().message.find("variable files must end in .json or .toml"), std::string::npos);
  EXPECT_FALSE(read_variable_args({"k=@" + (dir() / "missing.txt").string()}));
  auto not_string = write("bad.json", R"({"k": 1})");
  EXPECT_FALSE(read_variable_args({"@" + not_string.string()}));
}

Expected<std::vector<std::unique_ptr<Provider>>> from_config(const std::string& text, ProviderOptions o = {}) {
  auto c = RuntimeConfig::parse(text, "rc.toml");
  EXPECT_TRUE(c) << c.error().message;
  return make_providers(*c, o);
}

std::string config_error(const std::string& text) {
  auto p = from_config(text);
  EXPECT_FALSE(p) << text;
  return p ? std::string() : p.error().message;
}

TEST(RuntimeConfigProviders, SpinsOrder) {
  auto dotenv = write("rc.env", "MY_APP_TOKEN=from-dotenv\n");
  ProviderOptions o;
  o.env = env_of({{"SPIN_VARIABLE_TOKEN", "default-env"}, {"SPIN_VARIABLE_ONLY_ENV", "e"}});
  o.cli_values = {{"cli", "1"}, {"cli", "2"}};
  o.default_dotenv = "";
  auto ps = from_config(R"(
[[variables_provider]]
type = "static"
values = { token = "static", only_static = "s" }

[[variables_provider]]
type = "env"
prefix = "MY_APP"
dotenv_path = ")" + dotenv.string() + R"("
)",
                        o);
  ASSERT_TRUE(ps) << ps.error().message;
  ASSERT_EQ(ps->size(), 4u);  // --variable, static, env (MY_APP), the default env
  EXPECT_EQ(value(*(*ps)[0], "cli"), "2");
  EXPECT_EQ(value(*(*ps)[1], "token"), "static");
  EXPECT_EQ(value(*(*ps)[2], "token"), "from-dotenv");
  EXPECT_EQ(value(*(*ps)[3], "token"), "default-env");
  EXPECT_EQ(value(*(*ps)[3], "only_env"), "e");
}

TEST(RuntimeConfigProviders, ConfigProviderIsTheOldName) {
  auto ps = from_config("[[config_provider]]\ntype = \"static\"\nvalues = { a = \"1\" }\n");
  ASSERT_TRUE(ps);
  EXPECT_EQ(ps->size(), 2u);
  EXPECT_EQ(config_error("[[config_provider]]\ntype = \"env\"\n[[variables_provider]]\ntype = \"env\"\n"),
            "rc.toml:1:1: `config_provider` is the old name of `variables_provider`; give only one of them");
}

TEST(RuntimeConfigProviders, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(config_error("[[variables_provider]]\ntype = \"vault\"\nurl = \"http://127.0.0.1:8200\"\ntoken = \"t\"\n"
                         "mount = \"secret\"\n"),
            "rc.toml:2:8: variables provider type `vault` is not supported by whirl (supported: env, static)");
  EXPECT_EQ(config_error("\n[[variables_provider]]\ntype = \"azure_key_vault\"\nvault_url = \"https://x\"\n"),
            "rc.toml:3:8: variables provider type `azure_key_vault` is not supported by whirl (supported: env, "
            "static)");
  EXPECT_EQ(config_error("[[variables_provider]]\ntype = \"consul\"\n"),
            "rc.toml:2:8: unknown variables provider type `consul` (expected one of env, static, vault, "
            "azure_key_vault)");
  EXPECT_EQ(config_error("[[variables_provider]]\nprefix = \"X\"\n"),
            "rc.toml:1:1: [[variables_provider]] needs `type` (one of env, static, vault, azure_key_vault)");
  EXPECT_EQ(config_error("[[variables_provider]]\ntype = \"env\"\nprefx = \"X\"\n"),
            "rc.toml:3:9: unknown field `prefx` of an env variables provider (expected `prefix` or `dotenv_path`)");
  EXPECT_EQ(config_error("[[variables_provider]]\ntype = \"env\"\nprefix = 3\n"),
            "rc.toml:3:10: `prefix` must be a string");
  EXPECT_EQ(config_error("[variables_provider]\ntype = \"env\"\n"),
            "rc.toml:1:1: `variables_provider` must be an array of tables: write [[variables_provider]]");
  EXPECT_EQ(config_error("[[variables_provider]]\ntype = \"static\"\n"),
            "rc.toml:1:1: a static variables provider needs `values` (a table)");
}

TEST(RuntimeConfigProviders, AStaticValueOfTheWrongTypeNamesTheKeyOnly) {
  auto e = config_error("[[variables_provider]]\ntype = \"static\"\nvalues = { password = 12345678 }\n");
  EXPECT_EQ(e, "rc.toml:3:23: the value of `password` must be a string");
  EXPECT_EQ(e.find("12345678"), std::string::npos);
}

TEST(RuntimeConfigProviders, WithoutAFileOnlyTheEnvironment) {
  RuntimeConfig none;
  ProviderOptions o;
  o.env = env_of({{"SPIN_VARIABLE_A", "1"}});
  auto ps = make_providers(none, o);
  ASSERT_TRUE(ps);
  ASSERT_EQ(ps->size(), 1u);
  EXPECT_EQ(value(*(*ps)[0], "a"), "1");
  EXPECT_EQ((*ps)[0]->describe("api_key"), "the environment variable SPIN_VARIABLE_API_KEY (or in .env)");
}

}  // namespace
}  // namespace whirl::spin::variables
