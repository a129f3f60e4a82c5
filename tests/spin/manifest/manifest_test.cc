// spin.toml reading: versions 1 and 2 into one model, and errors that point
// at FILE:LINE:COLUMN.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "spin/manifest/manifest.h"

namespace whirl::spin {
namespace {

AppManifest parse_ok(std::string_view text) {
  auto r = parse_manifest(text, "app/spin.toml");
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : AppManifest{};
}

std::string parse_err(std::string_view text) {
  auto r = parse_manifest(text, "app/spin.toml");
  EXPECT_FALSE(r) << "expected an error";
  return r ? "" : r.error().message;
}

constexpr const char* kFull = R"(spin_manifest_version = 2

[application]
name = "hello"
version = "1.2.3"
description = "A demo"
authors = ["Ann <ann@example.com>"]

[application.tool.something]
anything = 1

[variables]
greeting = { default = "hi" }
api_key = { required = true, secret = true }

[[trigger.http]]
route = "/hello/:name"
component = "hello"
executor = { type = "wagi", argv = "${SCRIPT_NAME} x ${ARGS}" }

[[trigger.http]]
route = "/static/..."
component = { source = "files.wasm", files = ["static/**/*"] }

[[trigger.http]]
route = { private = true }
component = "hidden"

[component.hello]
source = "hello.wasm"
description = "says hello"
files = ["*.txt", { source = "assets", destination = "/assets" }]
exclude_files = ["secret.txt"]
environment = { B = "2", A = "1" }
allowed_outbound_hosts = ["https://example.com"]
variables = { message = "{{ greeting }}" }
key_value_stores = ["default"]
sqlite_databases = ["default"]
[component.hello.build]
command = "make"
workdir = "src"
watch = ["src/*.c"]

[component.hidden]
source = "hidden.wasm"
)";

TEST(Manifest, V2Full) {
  auto app = parse_ok(kFull);
  EXPECT_EQ(app.manifest_version, 2);
  EXPECT_EQ(app.name, "hello");
  EXPECT_EQ(app.version, "1.2.3");
  EXPECT_EQ(app.description, "A demo");
  ASSERT_EQ(app.authors.size(), 1u);
  EXPECT_EQ(app.dir, "app");
  ASSERT_EQ(app.variables.size(), 2u);
  EXPECT_EQ(app.variables[0].name, "greeting");
  EXPECT_EQ(app.variables[0].default_value, "hi");
  EXPECT_TRUE(app.variables[1].required);
  EXPECT_TRUE(app.variables[1].secret);

  ASSERT_EQ(app.http_triggers.size(), 3u);
  const auto& t0 = app.http_triggers[0];
  EXPECT_EQ(t0.component, "hello");
  EXPECT_EQ(t0.route, "/hello/:name");
  EXPECT_EQ(t0.executor.kind, HttpExecutorConfig::Kind::Wagi);
  EXPECT_EQ(t0.executor.wagi.argv, "${SCRIPT_NAME} x ${ARGS}");
  EXPECT_EQ(t0.executor.wagi.entrypoint, "_start");
  EXPECT_EQ(t0.route_pos.line, 17u);
  EXPECT_EQ(t0.route_pos.column, 9u);

  const auto& t1 = app.http_triggers[1];
  EXPECT_EQ(t1.executor.kind, HttpExecutorConfig::Kind::Http);
  EXPECT_TRUE(t1.pattern.trailing_wildcard);
  const Component* inl = app.find_component(t1.component);
  ASSERT_NE(inl, nullptr);
  EXPECT_EQ(inl->source.path, "files.wasm");
  ASSERT_EQ(inl->files.size(), 1u);
  EXPECT_EQ(inl->files[0].pattern, "static/**/*");

  EXPECT_TRUE(app.http_triggers[2].is_private);

  const Component* c = app.find_component("hello");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->source.kind, ComponentSource::Kind::Local);
  EXPECT_EQ(c->source.path, "hello.wasm");
  EXPECT_EQ(c->description, "says hello");
  ASSERT_EQ(c->files.size(), 2u);
  EXPECT_EQ(c->files[1].kind, FilesMount::Kind::Placement);
  EXPECT_EQ(c->files[1].source, "assets");
  EXPECT_EQ(c->files[1].destination, "/assets");
  ASSERT_EQ(c->environment.size(), 2u);
  EXPECT_EQ(c->environment[0].first, "B");  // source order, not sorted
  EXPECT_EQ(c->exclude_files[0], "secret.txt");
  EXPECT_EQ(c->allowed_outbound_hosts[0], "https://example.com");
  EXPECT_EQ(c->variables[0].second, "{{ greeting }}");
  EXPECT_EQ(c->key_value_stores[0], "default");
  ASSERT_TRUE(c->build);
  EXPECT_EQ(c->build->commands[0], "make");
  EXPECT_EQ(c->build->workdir, "src");
}

TEST(Manifest, V1IsConverted) {
  auto app = parse_ok(R"(spin_manifest_version = "1"
name = "old"
version = "0.1.0"
trigger = { type = "http", base = "/api" }

[variables]
who = { default = "world" }

[[component]]
id = "Hello_World"
source = "hello.wasm"
config = { who = "{{ who }}" }
allowed_http_hosts = ["example.com"]
[component.trigger]
route = "/hello/..."
executor = { type = "wagi", entrypoint = "run" }

[[component]]
id = "spin"
source = "spin.wasm"
[component.trigger]
route = "/spin"
executor = { type = "spin" }
)");
  EXPECT_EQ(app.manifest_version, 1);
  EXPECT_EQ(app.name, "old");
  EXPECT_EQ(app.http_base, "/api");
  ASSERT_EQ(app.components.size(), 2u);
  EXPECT_EQ(app.components[0].id, "hello-world");
  EXPECT_EQ(app.components[0].variables[0].first, "who");
  // Without allowed_outbound_hosts a version 1 component keeps its old
  // database access, as Spin converts it; then its HTTP hosts.
  EXPECT_EQ(app.components[0].allowed_outbound_hosts,
            (std::vector<std::string>{"redis://*:*", "mysql://*:*", "postgres://*:*", "http://example.com",
                                      "https://example.com"}));
  ASSERT_EQ(app.http_triggers.size(), 2u);
  EXPECT_EQ(app.http_triggers[0].component, "hello-world");
  EXPECT_EQ(app.http_triggers[0].executor.kind, HttpExecutorConfig::Kind::Wagi);
  EXPECT_EQ(app.http_triggers[0].executor.wagi.entrypoint, "run");
  EXPECT_EQ(app.http_triggers[0].pattern.based, "/api/hello/...");
  EXPECT_EQ(app.http_triggers[1].executor.kind, HttpExecutorConfig::Kind::Http);
}

TEST(Manifest, OtherTriggerTypesAreKept) {
  auto app = parse_ok(R"(spin_manifest_version = 2
[application]
name = "r"
[[trigger.cron]]
cron_expression = "1/2 * * * * *"
component = "c"
[component.c]
source = "c.wasm"
)");
  ASSERT_EQ(app.other_triggers.size(), 1u);
  EXPECT_EQ(app.other_triggers[0].type, "cron");
  EXPECT_EQ(app.other_triggers[0].pos.line, 4u);
}

TEST(ManifestErrors, UnknownField) {
  auto e = parse_err(R"(spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
enviroment = { A = "1" }
)");
  EXPECT_NE(e.find("app/spin.toml:9:1: unknown field `enviroment` in [component.c]"), std::string::npos) << e;
  EXPECT_NE(e.find("`environment`"), std::string::npos) << e;
}

TEST(ManifestErrors, UnknownTriggerField) {
  auto e = parse_err(R"(spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/"
component = "c"
rout = "/x"
[component.c]
source = "c.wasm"
)");
  EXPECT_NE(e.find("app/spin.toml:7:1: unknown field `rout`"), std::string::npos) << e;
}

TEST(ManifestErrors, MissingComponent) {
  auto e = parse_err(R"(spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/"
component = "nope"
)");
  EXPECT_NE(e.find("app/spin.toml:6:13: "), std::string::npos) << e;
  EXPECT_NE(e.find("`nope`, which is not defined"), std::string::npos) << e;
}

TEST(ManifestErrors, DuplicateRoute) {
  auto e = parse_err(R"(spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/a/:x"
component = "c"
[[trigger.http]]
route = "/a/:y/"
component = "d"
[component.c]
source = "c.wasm"
[component.d]
source = "d.wasm"
)");
  EXPECT_NE(e.find("app/spin.toml:8:9: duplicate route `/a/:y/`"), std::string::npos) << e;
  EXPECT_NE(e.find("component `c` at app/spin.toml:5:9"), std::string::npos) << e;
}

TEST(ManifestErrors, BadRoute) {
  auto e = parse_err(R"(spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/a/.../b"
component = "c"
[component.c]
source = "c.wasm"
)");
  EXPECT_NE(e.find("app/spin.toml:5:9: bad route `/a/.../b`"), std::string::npos) << e;
}

TEST(ManifestErrors, PrivateFalse) {
  auto e = parse_err(R"(spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = { private = false }
component = "c"
[component.c]
source = "c.wasm"
)");
  EXPECT_NE(e.find("app/spin.toml:5:9: route must be a string pattern or `{ private = true }`"), std::string::npos)
      << e;
}

TEST(ManifestErrors, WrongTypeAndMissingFields) {
  auto e = parse_err(R"(spin_manifest_version = 2
[application]
name = 3
)");
  EXPECT_NE(e.find("app/spin.toml:3:8: `name` in [application] must be a string, not an integer"), std::string::npos)
      << e;
  e = parse_err("spin_manifest_version = 2\n[application]\nname = \"x\"\n[[trigger.http]]\nroute = \"/\"\n");
  EXPECT_NE(e.find("app/spin.toml:4:1: [[trigger.http]] #1: missing field `component`"), std::string::npos) << e;
  e = parse_err("spin_manifest_version = 2\n[application]\nname = \"x\"\n[component.Bad_Name]\nsource = \"x\"\n");
  EXPECT_NE(e.find("app/spin.toml:4:12: component id `Bad_Name` must be kebab case"), std::string::npos) << e;
  e = parse_err(R"(spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/"
component = "c"
executor = { type = "cgi" }
[component.c]
source = "c.wasm"
)");
  EXPECT_NE(e.find("app/spin.toml:7:21: unknown executor type `cgi`"), std::string::npos) << e;
}

TEST(ManifestErrors, InvalidTomlAndVersion) {
  auto e = parse_err("spin_manifest_version = 2\n[application\n");
  EXPECT_NE(e.find("app/spin.toml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid TOML"), std::string::npos) << e;
  e = parse_err("name = \"x\"\n");
  EXPECT_NE(e.find("missing `spin_manifest_version`"), std::string::npos) << e;
  e = parse_err("spin_manifest_version = 3\n");
  EXPECT_NE(e.find("app/spin.toml:1:25: unsupported manifest version"), std::string::npos) << e;
}

TEST(ManifestErrors, Variables) {
  auto e = parse_err("spin_manifest_version = 2\n[application]\nname = \"x\"\n[variables]\nv = { }\n");
  EXPECT_NE(e.find("app/spin.toml:5:5: variable `v` must be `required = true` or have a `default`"),
            std::string::npos)
      << e;
  e = parse_err("spin_manifest_version = 2\n[application]\nname = \"x\"\n[variables]\nBad = { default = \"\" }\n");
  EXPECT_NE(e.find("variable name `Bad`"), std::string::npos) << e;
}

class ManifestFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("whirl-manifest-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::filesystem::path dir_;
};

TEST_F(ManifestFiles, LoadsFromDirectory) {
  write("spin.toml", "spin_manifest_version = 2\n[application]\nname = \"x\"\n[[trigger.http]]\nroute = \"/\"\n"
                     "component = \"c\"\n[component.c]\nsource = \"c.wasm\"\n");
  write("c.wasm", "\0asm");
  auto app = load_manifest(dir_);
  ASSERT_TRUE(app) << app.error().message;
  EXPECT_EQ(app->dir, dir_);
  EXPECT_EQ(app->path, dir_ / "spin.toml");
}

TEST_F(ManifestFiles, SourceNotFound) {
  write("spin.toml", "spin_manifest_version = 2\n[application]\nname = \"x\"\n[[trigger.http]]\nroute = \"/\"\n"
                     "component = \"c\"\n[component.c]\nsource = \"missing.wasm\"\n");
  auto app = load_manifest(dir_ / "spin.toml");
  ASSERT_FALSE(app);
  EXPECT_NE(app.error().message.find("spin.toml:8:10: component `c`: source file `missing.wasm` not found"),
            std::string::npos)
      << app.error().message;
}

TEST_F(ManifestFiles, RemoteSourcesAreNotSupportedYet) {
  write("spin.toml", "spin_manifest_version = 2\n[application]\nname = \"x\"\n[[trigger.http]]\nroute = \"/\"\n"
                     "component = \"c\"\n[component.c]\nsource = { url = \"https://example.com/c.wasm\", "
                     "digest = \"sha256:00\" }\n");
  auto app = load_manifest(dir_);
  ASSERT_FALSE(app);
  EXPECT_NE(app.error().message.find("spin.toml:8:10: component `c`: URL sources"), std::string::npos)
      << app.error().message;
  EXPECT_NE(app.error().message.find("not supported yet"), std::string::npos);
}

TEST_F(ManifestFiles, MissingManifest) {
  auto app = load_manifest(dir_ / "nope.toml");
  ASSERT_FALSE(app);
  EXPECT_NE(app.error().message.find("nope.toml: cannot read the manifest"), std::string::npos);
}

}  // namespace
}  // namespace whirl::spin
