// Routing as Spin does it: specificity, wildcards, parameters, private routes.
#include <gtest/gtest.h>

#include "spin/http/router.h"

namespace whirl::spin::http {
namespace {

Router make(std::vector<std::pair<std::string, std::string>> routes, std::string base = "/") {
  std::vector<RouteEntry> entries;
  for (size_t i = 0; i < routes.size(); ++i) {
    auto p = parse_route(base, routes[i].second);
    EXPECT_TRUE(p) << routes[i].second;
    entries.push_back({routes[i].first, *p, i});
  }
  return Router(std::move(entries));
}

std::string who(const Router& r, std::string_view path) {
  auto m = r.route(path);
  return m ? m->component() : "404";
}

TEST(Router, Exact) {
  auto r = make({{"foo", "/foo"}, {"foobar", "/foo/bar"}, {"root", "/"}});
  EXPECT_EQ(who(r, "/foo"), "foo");
  EXPECT_EQ(who(r, "/foo/"), "foo");
  EXPECT_EQ(who(r, "/foo/bar"), "foobar");
  EXPECT_EQ(who(r, "/"), "root");
  EXPECT_EQ(who(r, "/foo/bar/baz"), "404");
  EXPECT_EQ(who(r, "/fo"), "404");
}

TEST(Router, WildcardCatchesAll) {
  auto r = make({{"all", "/..."}});
  EXPECT_EQ(who(r, "/"), "all");
  EXPECT_EQ(who(r, "/a/b/c"), "all");
  EXPECT_EQ(r.route("/1/2/3")->trailing, "/1/2/3");
  EXPECT_EQ(r.route("/")->trailing, "/");
}

TEST(Router, LongestWildcardWinsRegardlessOfOrder) {
  auto a = make({{"one", "/one/..."}, {"two", "/one/two/..."}, {"three", "/one/two/three/..."}});
  auto b = make({{"three", "/one/two/three/..."}, {"two", "/one/two/..."}, {"one", "/one/..."}});
  for (auto* r : {&a, &b}) {
    EXPECT_EQ(who(*r, "/one/two/three/four"), "three");
    EXPECT_EQ(who(*r, "/one/two/x"), "two");
    EXPECT_EQ(who(*r, "/one"), "one");
  }
}

TEST(Router, ExactBeatsWildcard) {
  auto r = make({{"wild", "/..."}, {"exact", "/one"}, {"fw", "/foo/..."}, {"fe", "/foo"}});
  EXPECT_EQ(who(r, "/one"), "exact");
  EXPECT_EQ(who(r, "/two"), "wild");
  EXPECT_EQ(who(r, "/foo"), "fe");
  EXPECT_EQ(who(r, "/foo/x"), "fw");
}

TEST(Router, TrailingWildcardKeepsSlashes) {
  auto r = make({{"c", "/test/..."}});
  EXPECT_EQ(r.route("/test")->trailing, "");
  EXPECT_EQ(r.route("/test/")->trailing, "/");
  EXPECT_EQ(r.route("/test/hello")->trailing, "/hello");
  EXPECT_EQ(r.route("/test/hello/")->trailing, "/hello/");
  EXPECT_EQ(who(r, "/testing"), "404");
}

TEST(Router, NamedParameters) {
  auto r = make({{"one", "/1/:two/3"}, {"wild", "/users/:id/..."}});
  auto m = r.route("/1/2/3");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->params.size(), 1u);
  EXPECT_EQ(m->params[0].first, "two");
  EXPECT_EQ(m->params[0].second, "2");
  m = r.route("/users/42/posts/7");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params[0].second, "42");
  EXPECT_EQ(m->trailing, "/posts/7");
  EXPECT_EQ(who(r, "/1//3"), "404");  // a parameter matches a non-empty segment
}

TEST(Router, ExactSegmentBeatsParameterBeatsWildcard) {
  auto r = make({{"param", "/users/:id"}, {"me", "/users/me"}, {"wild", "/users/..."}, {"left", "/:x/me"}});
  EXPECT_EQ(who(r, "/users/me"), "me");
  EXPECT_EQ(who(r, "/users/7"), "param");
  EXPECT_EQ(who(r, "/users/7/x"), "wild");
  EXPECT_EQ(who(r, "/users"), "wild");
  EXPECT_EQ(who(r, "/other/me"), "left");
}

TEST(Router, Base) {
  auto r = make({{"foo", "/foo"}, {"all", "/..."}}, "/base");
  EXPECT_EQ(who(r, "/base/foo"), "foo");
  EXPECT_EQ(who(r, "/base/x"), "all");
  EXPECT_EQ(who(r, "/foo"), "404");
}

TEST(Router, PrivateRoutesAreNotRoutable) {
  auto app = parse_manifest(R"(spin_manifest_version = 2
[application]
name = "p"
[[trigger.http]]
route = { private = true }
component = "hidden"
[[trigger.http]]
route = "/shown"
component = "shown"
[component.hidden]
source = "h.wasm"
[component.shown]
source = "s.wasm"
)", "spin.toml");
  ASSERT_TRUE(app) << app.error().message;
  auto r = Router::from_manifest(*app);
  ASSERT_EQ(r.entries().size(), 1u);
  EXPECT_EQ(r.entries()[0].trigger_index, 1u);
  EXPECT_EQ(who(r, "/shown"), "shown");
}

}  // namespace
}  // namespace whirl::spin::http
