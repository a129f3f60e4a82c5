// allowed_outbound_hosts, checked against the examples of Spin's own tests
// (spin-outbound-networking) and its docs ("Making HTTP requests").
#include <gtest/gtest.h>

#include "spin/manifest/allowed_hosts.h"

namespace whirl::spin {
namespace {

AllowedHosts hosts(std::vector<std::string> entries, VariableLookup lookup = {}) {
  auto h = AllowedHosts::parse(entries, lookup);
  EXPECT_TRUE(h) << (h ? "" : h.error().message);
  return h ? *h : AllowedHosts{};
}

bool allows(const AllowedHosts& h, std::string_view url, std::string_view default_scheme = "https") {
  auto u = parse_outbound_url(url, default_scheme);
  EXPECT_TRUE(u) << url;
  return u && h.allows(*u);
}

std::string parse_error(std::string_view entry) {
  auto h = AllowedHost::parse(entry);
  EXPECT_FALSE(h) << entry << " should not parse";
  return h ? "" : h.error().message;
}

TEST(AllowedHosts, EntriesNeedASchemeAndNoPath) {
  EXPECT_NE(parse_error("spin.fermyon.dev").find("does not contain a scheme"), std::string::npos);
  parse_error("spin.fermyon.dev:80");
  parse_error("localhost:3001");
  EXPECT_NE(parse_error("http://spin.fermyon.dev:6666/a/b").find("has a path"), std::string::npos);
  EXPECT_NE(parse_error("http://spin.fermyon.dev/a").find("paths"), std::string::npos);
  parse_error("http://*.fermyon.dev/a");
  parse_error("http://[::1]");  // Spin splits at the last ':'
  EXPECT_NE(parse_error("*://example.com").find("known default port"), std::string::npos);
  EXPECT_NE(parse_error("*://127.0.0.0/24").find("known default port"), std::string::npos);
  EXPECT_NE(parse_error("http://a.*.com").find("only as subdomains"), std::string::npos);
  EXPECT_NE(parse_error("http://*.a.*.com").find("only as prefixes"), std::string::npos);
  EXPECT_NE(parse_error("ht-tp://a.com").find("non alphabetic"), std::string::npos);
  EXPECT_NE(parse_error("http://a.com:eighty").find("not a number"), std::string::npos);
  EXPECT_NE(parse_error("http://a.com:1..x").find("contains non-number"), std::string::npos);
  EXPECT_TRUE(AllowedHost::parse("http://spin.fermyon.dev:4444/"));
  EXPECT_TRUE(AllowedHost::parse("http://[::1]:8001"));
  EXPECT_TRUE(AllowedHost::parse("http://192.168.1.1"));
  EXPECT_TRUE(AllowedHost::parse("*://*:*"));
  EXPECT_TRUE(AllowedHost::parse("http://self"));
  EXPECT_TRUE(AllowedHost::parse("*://ff00::/8:80"));
}

TEST(AllowedHosts, InsecureAllowAllIsRefused) {
  EXPECT_FALSE(AllowedHosts::parse({"insecure:allow-all"}, {}));
  EXPECT_FALSE(AllowedHosts::parse({"spin.fermyon.dev", "insecure:allow-all"}, {}));
}

TEST(AllowedHosts, SpecificHostsAndDefaultPorts) {
  auto h = hosts({"*://spin.fermyon.dev:443", "http://example.com:8383"});
  EXPECT_TRUE(allows(h, "http://example.com:8383/foo/bar"));
  EXPECT_TRUE(allows(h, "https://spin.fermyon.dev/"));
  EXPECT_FALSE(allows(h, "http://example.com/"));
  EXPECT_FALSE(allows(h, "http://google.com/"));
  EXPECT_TRUE(allows(h, "spin.fermyon.dev:443", "https"));
  EXPECT_TRUE(allows(h, "example.com:8383", "http"));
  EXPECT_FALSE(allows(h, "http://spin.fermyon.dev/"));  // port 80
  auto d = hosts({"https://example.com"});  // no port: https's 443
  EXPECT_TRUE(allows(d, "https://example.com/x"));
  EXPECT_TRUE(allows(d, "https://example.com:443/x"));
  EXPECT_FALSE(allows(d, "https://example.com:8443/x"));
  EXPECT_FALSE(allows(d, "http://example.com/x"));
  EXPECT_TRUE(allows(d, "https://user:pw@example.com/x"));
}

TEST(AllowedHosts, SubdomainWildcards) {
  auto h = hosts({"http://*.example.com", "http://*.example2.com:8383"});
  EXPECT_TRUE(allows(h, "http://a.example.com/foo/bar"));
  EXPECT_TRUE(allows(h, "http://a.b.example.com/foo/bar"));
  EXPECT_TRUE(allows(h, "http://a.b.example2.com:8383/foo/bar"));
  EXPECT_FALSE(allows(h, "http://a.b.example2.com/foo/bar"));
  EXPECT_FALSE(allows(h, "http://example.com/foo/bar"));
  EXPECT_FALSE(allows(h, "http://example.com:8383/foo/bar"));
  EXPECT_FALSE(allows(h, "http://myexample.com/foo/bar"));
}

TEST(AllowedHosts, WildcardsForSchemeHostAndPort) {
  auto all = hosts({"*://*:*"});
  EXPECT_TRUE(allows(all, "http://anything:1/"));
  EXPECT_TRUE(allows(all, "https://x.y/"));
  EXPECT_TRUE(all.allows_relative());
  auto port = hosts({"https://example.com:*"});
  EXPECT_TRUE(allows(port, "https://example.com:9999/"));
  EXPECT_FALSE(allows(port, "http://example.com:9999/"));
  auto scheme = hosts({"*://example.com:7777"});
  EXPECT_TRUE(allows(scheme, "http://example.com:7777/"));
  EXPECT_TRUE(allows(scheme, "https://example.com:7777/"));
  auto host = hosts({"http://*:8080"});
  EXPECT_TRUE(allows(host, "http://a.b.c:8080/"));
  EXPECT_FALSE(allows(host, "http://a.b.c:8081/"));
}

TEST(AllowedHosts, PortRangesExcludeTheirEnd) {
  auto h = hosts({"http://spin.fermyon.dev:4444..5555"});
  EXPECT_TRUE(allows(h, "http://spin.fermyon.dev:4444/"));
  EXPECT_TRUE(allows(h, "http://spin.fermyon.dev:5554/"));
  EXPECT_FALSE(allows(h, "http://spin.fermyon.dev:5555/"));
  EXPECT_FALSE(allows(h, "http://spin.fermyon.dev:4443/"));
}

TEST(AllowedHosts, IpAddressesAndCidr) {
  auto h = hosts({"http://192.168.1.1:3002", "http://[::1]:8001", "*://127.0.0.0/24:80"});
  EXPECT_TRUE(allows(h, "http://192.168.1.1:3002/"));
  EXPECT_FALSE(allows(h, "http://192.168.1.1/"));
  EXPECT_TRUE(allows(h, "http://[::1]:8001/"));
  EXPECT_TRUE(allows(h, "http://127.0.0.9/"));
  EXPECT_FALSE(allows(h, "http://127.0.1.9/"));
  EXPECT_FALSE(allows(h, "http://127.0.0.9:81/"));
}

TEST(AllowedHosts, SelfOnlyAllowsRelativeRequests) {
  auto h = hosts({"http://self"});
  EXPECT_TRUE(h.allows_relative());
  EXPECT_FALSE(allows(h, "http://self/"));
  EXPECT_FALSE(allows(h, "http://localhost/"));
  EXPECT_FALSE(hosts({"https://example.com"}).allows_relative());
  EXPECT_FALSE(hosts({"redis://self"}).allows_relative());
  EXPECT_TRUE(hosts({"*://self:*"}).allows_relative());
  EXPECT_FALSE(hosts({}).allows_relative());
  EXPECT_FALSE(allows(hosts({}), "https://example.com/"));
}

TEST(AllowedHosts, TemplatesResolveApplicationVariables) {
  VariableLookup vars = [](std::string_view n) -> std::optional<std::string> {
    if (n == "api_host") return "api.example.com";
    if (n == "port") return "8443";
    return std::nullopt;
  };
  auto h = hosts({"https://{{ api_host }}:{{port}}"}, vars);
  EXPECT_TRUE(allows(h, "https://api.example.com:8443/v1"));
  EXPECT_FALSE(allows(h, "https://api.example.com/v1"));
  auto missing = AllowedHosts::parse({"https://{{ nope }}"}, vars);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("`nope` has no value"), std::string::npos);
  auto bad = AllowedHosts::parse({"{{ api_host }}"}, vars);  // resolves to an entry without a scheme
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("does not contain a scheme"), std::string::npos);
}

TEST(AllowedHosts, ManifestErrorsNameFileAndComponent) {
  auto r = parse_manifest(R"(spin_manifest_version = 2
[application]
name = "a"
[variables]
host = { default = "example.com" }
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
allowed_outbound_hosts = ["https://{{ host }}", "example.org"]
)",
                          "app/spin.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("app/spin.toml:9:"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("component `web`"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("\"example.org\" does not contain a scheme"), std::string::npos);

  auto undefined = parse_manifest(R"(spin_manifest_version = 2
[application]
name = "a"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
allowed_outbound_hosts = ["https://{{ host }}"]
)",
                                  "app/spin.toml");
  ASSERT_FALSE(undefined);
  EXPECT_NE(undefined.error().message.find("`host`, which is not in [variables]"), std::string::npos);

  auto ok = parse_manifest(R"(spin_manifest_version = 2
[application]
name = "a"
[variables]
host = { default = "example.com" }
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
allowed_outbound_hosts = ["https://{{ host }}", "http://self", "*://*.example.org:8000..9000"]
)",
                           "app/spin.toml");
  ASSERT_TRUE(ok) << ok.error().message;
  auto env = [](const char* n) -> const char* { return std::string_view(n) == "SPIN_VARIABLE_HOST" ? "h.example" : nullptr; };
  EXPECT_EQ(variable_value(*ok, "host", env), "h.example");
  EXPECT_EQ(variable_value(*ok, "host", {}), "example.com");
}

}  // namespace
}  // namespace whirl::spin
