// The resolver against Spin's expression rules (crates/expressions): names,
// templates, defaults, required variables, provider order and errors.
#include <gtest/gtest.h>

#include <map>

#include "spin/variables/resolver.h"

namespace whirl::spin::variables {
namespace {

using Kind = VarError::Kind;

AppManifest app(const std::string& text) {
  auto m = parse_manifest(text, "spin.toml");
  EXPECT_TRUE(m) << m.error().message;
  return m ? *m : AppManifest{};
}

// The manifest of most tests: one required variable, one with a default,
// one secret; component `c` reads them through templates.
const char* kApp = R"(spin_manifest_version = 2
[application]
name = "v"
[variables]
greeting = { default = "hello" }
api_key = { required = true, secret = true }
host = { default = "example.com" }
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "c.wasm"
variables = { msg = "{{ greeting }}, world", key = "{{api_key}}", url = "https://{{ host }}:8443/{{greeting}}", plain = "literal text" }
[[trigger.http]]
route = "/other/..."
component = "d"
[component.d]
source = "d.wasm"
)";

// An app with `variables` (lines of its [variables] table) and one
// component, `c`, whose table comes last (open for more lines).
std::string one_component(const std::string& variables) {
  return R"(spin_manifest_version = 2
[application]
name = "v"
[variables]
)" + variables + R"([[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "c.wasm"
)";
}

// A provider answering from a map, or failing for one name.
class MapProvider final : public Provider {
 public:
  explicit MapProvider(std::map<std::string, std::string> m, std::string broken = "")
      : m_(std::move(m)), broken_(std::move(broken)) {}
  Expected<std::optional<std::string>> get(const std::string& name) const override {
    ++calls;
    if (name == broken_) return make_error("the store is down");
    auto it = m_.find(name);
    if (it == m_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  std::string describe(const std::string&) const override { return "a test map"; }
  mutable int calls = 0;

 private:
  std::map<std::string, std::string> m_;
  std::string broken_;
};

std::shared_ptr<Resolver> resolver(std::vector<std::unique_ptr<Provider>> ps, const char* text = kApp) {
  auto r = Resolver::create(app(text), std::move(ps));
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : nullptr;
}

std::vector<std::unique_ptr<Provider>> one(std::map<std::string, std::string> m, std::string broken = "") {
  std::vector<std::unique_ptr<Provider>> v;
  v.push_back(std::make_unique<MapProvider>(std::move(m), std::move(broken)));
  return v;
}

TEST(VariableNames, AsSpinKeys) {
  for (const char* good : {"a", "abc", "a1b2c3", "a_1", "a_1_b_3"}) EXPECT_TRUE(validate_name(good)) << good;
  for (const char* bad : {"", "aX", "1bc", "_x", "x.y", "x_", "a__b", "x-y"}) {
    auto r = validate_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, Kind::InvalidName);
  }
  EXPECT_EQ(validate_name("aX").error().message,
            "\"aX\": invalid character 'X'. Variable names may contain only lower-case letters, numbers, and "
            "underscores.");
  EXPECT_EQ(validate_name("1bc").error().message, "\"1bc\": must start with a lowercase ASCII letter");
  EXPECT_EQ(validate_name("x_").error().message, "\"x_\": must end with a lowercase ASCII letter or digit");
  EXPECT_EQ(validate_name("a__b").error().message, "\"a__b\": must not contain multiple consecutive underscores");
  EXPECT_EQ(validate_name("").error().message, "\"\": must not be empty");
}

TEST(Templates, Parts) {
  auto t = Template::parse("a-{{ expr }}-b{{x}}{{ y }}");
  ASSERT_TRUE(t);
  ASSERT_EQ(t->parts.size(), 5u);
  EXPECT_EQ(t->parts[0].text, "a-");
  EXPECT_TRUE(t->parts[1].is_name);
  EXPECT_EQ(t->parts[1].text, "expr");
  EXPECT_EQ(t->parts[2].text, "-b");
  EXPECT_EQ(t->parts[3].text, "x");
  EXPECT_EQ(t->parts[4].text, "y");
  EXPECT_TRUE(Template::parse("")->parts.empty());
  EXPECT_FALSE(Template::parse("{{ matched }} {{ unmatched"));
  auto lit = Template::parse("only }} literal");
  ASSERT_TRUE(lit);
  ASSERT_EQ(lit->parts.size(), 1u);
  EXPECT_FALSE(lit->parts[0].is_name);
}

TEST(Resolver, TemplatesDefaultsAndLiteralText) {
  auto r = resolver(one({{"api_key", "k-123"}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r->get("c", "msg"), "hello, world");
  EXPECT_EQ(*r->get("c", "url"), "https://example.com:8443/hello");
  EXPECT_EQ(*r->get("c", "plain"), "literal text");
  EXPECT_EQ(*r->get("c", "key"), "k-123");
  auto all = r->get_all("c");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4u);  // in manifest order
  EXPECT_EQ((*all)[0], (std::pair<std::string, std::string>("msg", "hello, world")));
  EXPECT_EQ((*all)[3], (std::pair<std::string, std::string>("plain", "literal text")));
  EXPECT_TRUE(r->get_all("d")->empty());
  EXPECT_EQ(*r->resolve("{{ host }}/x"), "example.com/x");
  EXPECT_EQ(*r->variable("greeting"), "hello");
}

TEST(Resolver, AComponentReadsOnlyItsOwnKeys) {
  auto r = resolver(one({{"api_key", "k"}}));
  // `d` has no keys; application variables are not keys of any component.
  auto e = r->get("d", "msg");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, Kind::Undefined);
  EXPECT_EQ(e.error().message, "no variable for \"d\".\"msg\"");
  e = r->get("c", "greeting");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, Kind::Undefined);
  EXPECT_EQ(e.error().message, "no variable for \"c\".\"greeting\"");
  e = r->get("nobody", "msg");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "no variable for component \"nobody\"");
  e = r->get("c", "Bad-Name");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, Kind::InvalidName);
  EXPECT_EQ(e.error().message.rfind("\"Bad-Name\": invalid character 'B'", 0), 0u) << e.error().message;
}

TEST(Resolver, ProvidersInOrderThenTheDefault) {
  std::vector<std::unique_ptr<Provider>> ps;
  ps.push_back(std::make_unique<MapProvider>(std::map<std::string, std::string>{{"greeting", "first"}}));
  ps.push_back(std::make_unique<MapProvider>(
      std::map<std::string, std::string>{{"greeting", "second"}, {"host", "h.test"}, {"api_key", "k"}}));
  auto r = resolver(std::move(ps));
  EXPECT_EQ(*r->get("c", "msg"), "first, world");
  EXPECT_EQ(*r->get("c", "url"), "https://h.test:8443/first");
}

TEST(Resolver, ARequiredVariableWithoutAValueIsAProviderError) {
  auto r = resolver(one({}));
  EXPECT_FALSE(r->check_required());
  auto e = r->get("c", "key");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, Kind::Provider);
  EXPECT_EQ(e.error().message, "no provider resolved required variable \"api_key\"");
  // Keys not using it still resolve.
  EXPECT_EQ(*r->get("c", "msg"), "hello, world");
}

TEST(Resolver, CheckRequiredNamesEachMissingVariableAndWhereItLooked) {
  std::string text = one_component("a = { required = true }\nb = { required = true }\nc = { default = \"x\" }\n");
  auto r = resolver(one({{"b", "set"}}), text.c_str());
  auto ok = r->check_required();
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().message, "spin.toml: no provider resolved required variable(s) `a` (looked in: a test map)");
  auto all = resolver(one({{"a", "1"}, {"b", "2"}}), text.c_str());
  EXPECT_TRUE(all->check_required());
}

TEST(Resolver, AProviderErrorStopsTheLookup) {
  std::vector<std::unique_ptr<Provider>> ps;
  ps.push_back(std::make_unique<MapProvider>(std::map<std::string, std::string>{}, "host"));
  ps.push_back(std::make_unique<MapProvider>(std::map<std::string, std::string>{{"host", "later"}}));
  auto r = resolver(std::move(ps));
  auto e = r->get("c", "url");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, Kind::Provider);
  EXPECT_EQ(e.error().message, "the store is down");
}

TEST(Resolver, ValuesAreNotCachedBetweenCalls) {
  auto ps = one({{"api_key", "k"}});
  auto* p = static_cast<MapProvider*>(ps[0].get());
  auto r = resolver(std::move(ps));
  (void)r->get("c", "key");
  (void)r->get("c", "key");
  EXPECT_EQ(p->calls, 2);
}

TEST(Resolver, StartupErrorsNameTheManifestPosition) {
  std::string base = one_component("greeting = { default = \"hi\" }\n");
  auto bad = [&](const std::string& vars) {
    auto r = Resolver::create(app(base + "variables = { " + vars + " }\n"), {});
    EXPECT_FALSE(r) << vars;
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(bad("msg = \"say {{ greting }}\""),
            "spin.toml:9:1: component `c`: variable `msg` refers to `greting`, which is not in [variables]");
  EXPECT_EQ(bad("msg = \"say {{ greeting \""),
            "spin.toml:9:1: component `c`: variable `msg`: unmatched '{{' in template");
  EXPECT_EQ(bad("msg = \"{{ }}\""),
            "spin.toml:9:1: component `c`: variable `msg` refers to ``, which is not in [variables]");
  EXPECT_EQ(bad("Msg = \"x\""),
            "spin.toml:9:1: component `c`: invalid variable name: \"Msg\": invalid character 'M'. Variable names "
            "may contain only lower-case letters, numbers, and underscores.");
}

TEST(Resolver, ResolveNamesTheVariableNeverTheValue) {
  auto r = resolver(one({{"api_key", "s3cr3t-value"}}));
  auto e = r->resolve("https://{{ nope }}");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "invalid variable template: unknown variable \"nope\"");
  EXPECT_TRUE(r->is_secret("api_key"));
  EXPECT_FALSE(r->is_secret("host"));
}

}  // namespace
}  // namespace whirl::spin::variables
