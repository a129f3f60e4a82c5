// Route pattern syntax: exact, `:name`, trailing `/...`, base joining, errors.
#include <gtest/gtest.h>

#include "spin/manifest/route_pattern.h"

namespace whirl::spin {
namespace {

RoutePattern ok(std::string_view base, std::string_view raw) {
  auto r = parse_route(base, raw);
  EXPECT_TRUE(r) << raw << ": " << (r ? "" : r.error().message);
  return r ? *r : RoutePattern{};
}

std::string err(std::string_view raw) {
  auto r = parse_route("/", raw);
  EXPECT_FALSE(r) << raw;
  return r ? "" : r.error().message;
}

TEST(RoutePattern, Exact) {
  auto p = ok("/", "/hello/world");
  EXPECT_EQ(p.based, "/hello/world");
  EXPECT_FALSE(p.trailing_wildcard);
  ASSERT_EQ(p.segments.size(), 2u);
  EXPECT_EQ(p.segments[1].text, "world");
  EXPECT_EQ(p.display(), "/hello/world");
  EXPECT_EQ(p.based_prefix(), "/hello/world");
}

TEST(RoutePattern, RootIsEmptyBasedRoute) {
  auto p = ok("/", "/");
  EXPECT_EQ(p.based, "");
  EXPECT_TRUE(p.segments.empty());
  EXPECT_FALSE(p.trailing_wildcard);
}

TEST(RoutePattern, OneTrailingSlashIsStripped) {
  EXPECT_EQ(ok("/", "/foo/").based, "/foo");
  EXPECT_EQ(ok("/", "/foo/").raw, "/foo/");
  EXPECT_EQ(ok("/", "foo").based, "/foo");  // made absolute
}

TEST(RoutePattern, TrailingWildcard) {
  auto p = ok("/", "/static/...");
  EXPECT_TRUE(p.trailing_wildcard);
  EXPECT_EQ(p.based, "/static/...");
  EXPECT_EQ(p.based_prefix(), "/static");
  EXPECT_EQ(p.raw_prefix(), "/static");
  EXPECT_EQ(p.display(), "/static (wildcard)");
  ASSERT_EQ(p.segments.size(), 1u);

  auto all = ok("/", "/...");
  EXPECT_TRUE(all.trailing_wildcard);
  EXPECT_TRUE(all.segments.empty());
  EXPECT_EQ(all.based_prefix(), "");
  EXPECT_EQ(all.display(), " (wildcard)");
}

TEST(RoutePattern, StarSuffixIsAWildcardToo) {
  auto p = ok("/", "/files/*");
  EXPECT_TRUE(p.trailing_wildcard);
  EXPECT_EQ(p.based, "/files/...");
}

TEST(RoutePattern, NamedParameters) {
  auto p = ok("/", "/users/:id/posts/:post-id/...");
  ASSERT_EQ(p.segments.size(), 4u);
  EXPECT_EQ(p.segments[1].kind, RouteSegment::Kind::Param);
  EXPECT_EQ(p.segments[1].text, "id");
  EXPECT_EQ(p.segments[3].text, "post-id");
  EXPECT_TRUE(p.trailing_wildcard);
  EXPECT_EQ(p.raw_prefix(), "/users/:id/posts/:post-id");
}

TEST(RoutePattern, Base) {
  auto p = ok("/api", "/users/...");
  EXPECT_EQ(p.based, "/api/users/...");
  EXPECT_EQ(p.raw, "/users/...");
  EXPECT_EQ(p.raw_prefix(), "/users");
  EXPECT_EQ(p.based_prefix(), "/api/users");
  EXPECT_EQ(ok("/api/", "/x").based, "/api/x");
}

TEST(RoutePattern, SameShape) {
  EXPECT_TRUE(ok("/", "/a/:x").same_shape(ok("/", "/a/:y")));
  EXPECT_TRUE(ok("/", "/a/").same_shape(ok("/", "/a")));
  EXPECT_FALSE(ok("/", "/a/...").same_shape(ok("/", "/a")));
  EXPECT_FALSE(ok("/", "/a/b").same_shape(ok("/", "/a/:b")));
}

TEST(RoutePattern, SyntaxErrors) {
  EXPECT_NE(err("/a/.../b").find("last segment"), std::string::npos);
  EXPECT_NE(err("/a...").find("whole segment"), std::string::npos);
  EXPECT_NE(err("/a/:").find("needs a name"), std::string::npos);
  EXPECT_NE(err("/a/:x/:x").find("twice"), std::string::npos);
  EXPECT_NE(err("/a/:x.y").find("letters, digits"), std::string::npos);
  EXPECT_NE(err("/a//b").find("empty segment"), std::string::npos);
  EXPECT_NE(err("/a?b=c").find("`?`"), std::string::npos);
  EXPECT_NE(err("/a b").find("spaces"), std::string::npos);
  EXPECT_NE(err("/a/*/b").find("last segment"), std::string::npos);
}

}  // namespace
}  // namespace whirl::spin
