// The key-value factor's per-app setup: `[key_value_store.NAME]` as Spin's
// runtime config reads it (crates/runtime-config, key-value-spin,
// key-value-redis), the `default` store, Spin's startup check that every
// granted label is defined, and an instance's open (access-denied first).
#include <gtest/gtest.h>

#include <filesystem>

#include "spin/key_value/app_state.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;
namespace kv = spin::key_value;

constexpr const char* kManifest = R"(spin_manifest_version = 2
[application]
name = "kv"

[[trigger.http]]
route = "/..."
component = "web"

[component.web]
source = "web.wasm"
key_value_stores = ["default", "cache"]

[component.other]
source = "other.wasm"
)";

// An app of one component, `web`, with `extra` lines in its table.
std::string web_only(const std::string& extra = "") {
  return R"(spin_manifest_version = 2
[application]
name = "kv"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
)" + extra;
}

struct Setup {
  std::shared_ptr<spin::LoadedApp> app = std::make_shared<spin::LoadedApp>();
  spin::RuntimeConfig config;
};

// The manifest (at /apps/kv/spin.toml) and a runtime config text (at
// /etc/whirl/rc.toml; empty: no file).
Setup setup(const std::string& manifest, const std::string& rc) {
  Setup s;
  auto m = spin::parse_manifest(manifest, "/apps/kv/spin.toml");
  EXPECT_TRUE(m) << m.error().message;
  if (m) s.app->manifest = std::move(*m);
  if (!rc.empty()) {
    auto c = spin::RuntimeConfig::parse(rc, "/etc/whirl/rc.toml");
    EXPECT_TRUE(c) << c.error().message;
    if (c) s.config = std::move(*c);
  }
  return s;
}

Expected<std::shared_ptr<kv::KeyValueApp>> configure(const Setup& s) {
  spin::FactorContext ctx{*s.app, s.config, "/apps/kv/.spin"};
  return kv::configure(ctx);
}

std::string error_of(const std::string& manifest, const std::string& rc) {
  auto s = setup(manifest, rc);
  auto app = configure(s);
  return app ? "<no error>" : app.error().message;
}

TEST(KeyValueConfig, DefaultStoreInTheStateDirectory) {
  auto s = setup(web_only("key_value_stores = [\"default\"]\n"), "");
  auto app = configure(s);
  ASSERT_TRUE(app) << app.error().message;
  ASSERT_EQ((*app)->stores.size(), 1u);
  EXPECT_EQ((*app)->stores.at("default")->summary(), "\"/apps/kv/.spin/sqlite_key_value.db\"");
  EXPECT_EQ((*app)->granted.at("web"), std::set<std::string>{"default"});
}

TEST(KeyValueConfig, StoresOfTheRuntimeConfig) {
  auto s = setup(kManifest, R"(
[key_value_store.cache]
type = "redis"
url = "redis://cache.internal:6380/2"
ignored_by_spin = true

[key_value_store.local]
type = "spin"
path = "data/kv.db"

[key_value_store.abs]
type = "spin"
path = "/var/kv.db"

[key_value_store.mem]
type = "spin"
)");
  auto app = configure(s);
  ASSERT_TRUE(app) << app.error().message;
  const auto& st = (*app)->stores;
  EXPECT_EQ(st.size(), 5u);
  EXPECT_EQ(st.at("cache")->summary(), "Redis at cache.internal:6380");
  // Relative to the runtime config file's directory, as Spin resolves it.
  EXPECT_EQ(st.at("local")->summary(), "\"/etc/whirl/data/kv.db\"");
  EXPECT_EQ(st.at("abs")->summary(), "\"/var/kv.db\"");
  EXPECT_EQ(st.at("mem")->summary(), "a temporary in-memory store");
  EXPECT_EQ(st.at("default")->summary(), "\"/apps/kv/.spin/sqlite_key_value.db\"");
  EXPECT_EQ((*app)->granted.at("web"), (std::set<std::string>{"default", "cache"}));
  EXPECT_TRUE((*app)->granted.at("other").empty());
}

TEST(KeyValueConfig, DefaultReplacedByTheRuntimeConfig) {
  auto s = setup(kManifest, "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://r\"\n"
                            "[key_value_store.cache]\ntype = \"spin\"\n");
  auto app = configure(s);
  ASSERT_TRUE(app) << app.error().message;
  EXPECT_EQ((*app)->stores.at("default")->summary(), "Redis at r:6379");
}

// Spin refuses to start when a granted label is neither `default` nor
// defined ("unknown key_value_stores label"): the error names the
// manifest position, the component and the label.
TEST(KeyValueConfig, GrantedStoreNotDefined) {
  std::string e = error_of(kManifest, "");
  EXPECT_EQ(e.rfind("/apps/kv/spin.toml:9:1: component `web` is granted key-value store `cache`", 0), 0u) << e;
  EXPECT_NE(e.find("no runtime config file was given"), std::string::npos) << e;
  e = error_of(kManifest, "[key_value_store.other]\ntype = \"spin\"\n");
  EXPECT_NE(e.find("add [key_value_store.cache] to /etc/whirl/rc.toml"), std::string::npos) << e;
}

TEST(KeyValueConfig, RuntimeConfigErrorsAtFileLineColumn) {
  const std::string grant_default = web_only();
  struct Case {
    std::string rc, want;
  } cases[] = {
      {"[key_value_store.x]\ntype = \"nosuch\"\n",
       "/etc/whirl/rc.toml:2:8: key-value store `x`: type \"nosuch\" is not a key-value store type (whirl has \"spin\" and \"redis\")"},
      {"[key_value_store.x]\ntype = \"azure_cosmos\"\n",
       "/etc/whirl/rc.toml:2:8: key-value store `x`: type \"azure_cosmos\" is a Spin store type whirl does not support"},
      {"[key_value_store.x]\npath = \"a.db\"\n", "/etc/whirl/rc.toml:1:1: key-value store `x` has no `type`"},
      {"[key_value_store.x]\ntype = 3\n", "/etc/whirl/rc.toml:2:8: key-value store `x`: `type` must be a string, not an integer"},
      {"[key_value_store.x]\ntype = \"spin\"\npath = [1]\n",
       "/etc/whirl/rc.toml:3:8: key-value store `x`: `path` must be a string, not an array"},
      {"[key_value_store.x]\ntype = \"redis\"\n", "/etc/whirl/rc.toml:1:1: key-value store `x` of type \"redis\" has no `url`"},
      {"[key_value_store.x]\ntype = \"redis\"\nurl = \"localhost:6379\"\n",
       "/etc/whirl/rc.toml:3:7: key-value store `x`: invalid Redis URL \"localhost:6379\""},
      {"key_value_store = 1\n", "/etc/whirl/rc.toml:1:19: `key_value_store` must be a table of stores"},
      {"[key_value_store]\nx = \"spin\"\n", "/etc/whirl/rc.toml:2:5: key-value store `x` must be a table"},
  };
  for (const auto& c : cases) {
    std::string e = error_of(grant_default, c.rc);
    EXPECT_EQ(e.rfind(c.want, 0), 0u) << "runtime config:\n" << c.rc << "error: " << e;
  }
}

// `url` as Spin's key-value-redis reads it (redis-rs's parse_redis_url):
// TCP with or without TLS, or a Unix socket; anything else is refused at
// the url's position, the text quoted.
TEST(KeyValueConfig, RedisUrls) {
  auto s = setup(kManifest, R"(
[key_value_store.cache]
type = "redis"
url = "redis://:pw@cache.internal"
[key_value_store.tls]
type = "redis"
url = "rediss://secure.example:6390/1"
[key_value_store.sock]
type = "redis"
url = "redis+unix:///run/redis.sock?db=2"
[key_value_store.sock2]
type = "redis"
url = "unix:///run/other.sock"
)");
  auto app = configure(s);
  ASSERT_TRUE(app) << app.error().message;
  const auto& st = (*app)->stores;
  EXPECT_EQ(st.at("cache")->summary(), "Redis at cache.internal:6379");
  EXPECT_EQ(st.at("tls")->summary(), "Redis at secure.example:6390");
  EXPECT_EQ(st.at("sock")->summary(), "Redis at /run/redis.sock");
  EXPECT_EQ(st.at("sock2")->summary(), "Redis at /run/other.sock");

  for (std::string bad : {"localhost:6379", "http://localhost", "redis://", "redis://h:notaport", "redis://h:1/x",
                          "redis+unix://relative"}) {
    std::string e = error_of(kManifest, "[key_value_store.cache]\ntype = \"redis\"\nurl = \"" + bad + "\"\n");
    std::string want = "/etc/whirl/rc.toml:3:7: key-value store `cache`: invalid Redis URL \"" + bad + "\": ";
    EXPECT_EQ(e.rfind(want, 0), 0u) << e;
  }
}

// An instance opens only what its component was granted (access-denied
// otherwise, whether or not the store exists), in one handle table.
TEST(KeyValueConfig, InstanceOpen) {
  fs::path state = fs::temp_directory_path() / ("whirl-kv-config-" + std::to_string(getpid()));
  auto s = setup(kManifest, "[key_value_store.cache]\ntype = \"spin\"\n");
  spin::FactorContext ctx{*s.app, s.config, state};
  auto app = kv::configure(ctx);
  ASSERT_TRUE(app) << app.error().message;
  std::shared_ptr<const kv::KeyValueApp> shared = *app;
  kv::KeyValueInstance web(shared, &shared->granted.at("web"));
  auto a = web.open("cache");
  ASSERT_TRUE(a) << a.error().message;
  auto b = web.open("cache");
  ASSERT_TRUE(b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(web.stores.size(), 2u);
  auto denied = web.open("nosuch");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, kv::StoreError::Kind::AccessDenied);

  kv::KeyValueInstance other(shared, &shared->granted.at("other"));
  auto d2 = other.open("default");  // defined, not granted to it
  ASSERT_FALSE(d2);
  EXPECT_EQ(d2.error().kind, kv::StoreError::Kind::AccessDenied);
  EXPECT_FALSE(fs::exists(state)) << "the default store is made at its first open";
  auto d = web.open("default");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(fs::exists(state / "sqlite_key_value.db"));
  fs::remove_all(state);
}

}  // namespace
}  // namespace whirl::test
