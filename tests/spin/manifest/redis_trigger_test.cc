// [[trigger.redis]] in both manifest versions, as Spin reads it: the
// application's address, a trigger's own address and channel (templates
// kept for startup), inline components, and errors with their position.
#include <gtest/gtest.h>

#include "spin/manifest/manifest.h"

namespace whirl::spin {
namespace {

Expected<AppManifest> parse(std::string_view text) { return parse_manifest(text, "app/spin.toml"); }

TEST(RedisTriggerManifest, Version2) {
  auto app = parse(R"(spin_manifest_version = 2
[application]
name = "r"
[application.trigger.redis]
address = "redis://{{ host }}:6379"
[variables]
host = { default = "localhost" }
[[trigger.redis]]
channel = "orders"
component = "handler"
[[trigger.redis]]
id = "audit"
address = "redis://audit.example.com"
channel = "{{ host }}-audit"
component = { source = "inline.wasm", allowed_outbound_hosts = ["redis://audit.example.com"] }
[component.handler]
source = "handler.wasm"
)");
  ASSERT_TRUE(app) << app.error().message;
  EXPECT_EQ(app->redis_address, "redis://{{ host }}:6379");
  EXPECT_EQ(app->redis_address_pos.line, 5u);
  ASSERT_EQ(app->redis_triggers.size(), 2u);
  const auto& a = app->redis_triggers[0];
  EXPECT_EQ(a.id, "handler-redis-trigger");
  EXPECT_EQ(a.component, "handler");
  EXPECT_EQ(a.channel, "orders");
  EXPECT_FALSE(a.address);
  const auto& b = app->redis_triggers[1];
  EXPECT_EQ(b.id, "audit");
  EXPECT_EQ(b.component, "audit-component");
  EXPECT_EQ(b.address, "redis://audit.example.com");
  EXPECT_EQ(b.channel, "{{ host }}-audit");
  ASSERT_NE(app->find_component("audit-component"), nullptr);
  EXPECT_TRUE(app->other_triggers.empty());
  EXPECT_TRUE(app->http_triggers.empty());
}

TEST(RedisTriggerManifest, Version1) {
  auto app = parse(R"(spin_manifest_version = "1"
name = "old-redis"
trigger = { type = "redis", address = "redis://localhost:6379" }
[[component]]
id = "echo"
source = "echo.wasm"
[component.trigger]
channel = "messages"
)");
  ASSERT_TRUE(app) << app.error().message;
  EXPECT_EQ(app->redis_address, "redis://localhost:6379");
  ASSERT_EQ(app->redis_triggers.size(), 1u);
  EXPECT_EQ(app->redis_triggers[0].id, "trigger-echo");
  EXPECT_EQ(app->redis_triggers[0].component, "echo");
  EXPECT_EQ(app->redis_triggers[0].channel, "messages");
  // Spin 1 components reached any Redis server: kept when the list is absent.
  EXPECT_EQ(app->components[0].allowed_outbound_hosts[0], "redis://*:*");
}

TEST(RedisTriggerManifest, Errors) {
  auto err = [](std::string_view text) {
    auto r = parse(text);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().message;
  };
  std::string head = "spin_manifest_version = 2\n[application]\nname = \"r\"\n";
  std::string comp = "[component.h]\nsource = \"h.wasm\"\n";
  EXPECT_EQ(err(head + "[[trigger.redis]]\ncomponent = \"h\"\n" + comp),
            "app/spin.toml:4:1: [[trigger.redis]] #1: missing field `channel`");
  EXPECT_EQ(err(head + "[[trigger.redis]]\nchannel = \"c\"\ncomponent = \"h\"\nroute = \"/x\"\n" + comp),
            "app/spin.toml:7:1: unknown field `route` in [[trigger.redis]] #1; expected one of `id`, `component`, "
            "`channel`, `address`");
  EXPECT_EQ(err(head + "[[trigger.redis]]\nchannel = \"c\"\ncomponent = \"missing\"\n" + comp),
            "app/spin.toml:6:13: the Redis trigger for channel `c` uses component `missing`, which is not defined "
            "(add a [component.missing] table)");
  EXPECT_EQ(err(head + "[application.trigger.redis]\nhost = \"x\"\n" + comp),
            "app/spin.toml:4:1: [application.trigger.redis]: missing field `address`");
  EXPECT_EQ(err(head + "[[trigger.redis]]\nchannel = \"{{ nope }}\"\ncomponent = \"h\"\naddress = \"redis://x\"\n" + comp),
            "app/spin.toml:5:11: Redis trigger channel \"{{ nope }}\" refers to `nope`, which is not in [variables]");
  EXPECT_EQ(err(head + "[[trigger.redis]]\nchannel = 7\ncomponent = \"h\"\n" + comp),
            "app/spin.toml:5:11: `channel` in [[trigger.redis]] #1 must be a string, not an integer");
}

}  // namespace
}  // namespace whirl::spin
