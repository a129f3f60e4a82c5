// Import/export names: the Explainer's own examples of valid and invalid
// labels, strong uniqueness, and wasmtime's version matching.
#include <gtest/gtest.h>

#include "component/names.h"

namespace whirl::component {
namespace {

TEST(Names, LabelsAreKebabCase) {
  for (const char* ok : {"a", "a-b-c", "a1-2-3", "A", "A-B-C", "A1-2-3", "a11-w0rds", "A11-4CR0NYMS", "m1x3d-4CR0NYMS",
                         "is-XML", "get-JSON"})
    EXPECT_TRUE(is_label(ok)) << ok;
  for (const char* bad : {"", "1-2-3", "a--b", "-a", "a-", "aB", "a_b", "a b", "é", "Ab"})
    EXPECT_FALSE(is_label(bad)) << bad;
}

TEST(Names, PlainAndAnnotatedNames) {
  auto m = parse_extern_name("[method]blob.read-all");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->kind, ExternName::Kind::Method);
  EXPECT_EQ(m->resource, "blob");
  EXPECT_EQ(m->label, "read-all");
  auto c = parse_extern_name("[constructor]blob");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, ExternName::Kind::Constructor);
  EXPECT_EQ(c->label, "blob");
  EXPECT_EQ(parse_extern_name("[static]blob.new")->kind, ExternName::Kind::Static);
  EXPECT_EQ(parse_extern_name("custom-hook")->label, "custom-hook");
  for (const char* bad : {"[method]blob", "[method]blob.", "[static].x", "[constructor]", "[other]x", "Custom_hook"}) {
    auto r = parse_extern_name(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message.find(std::string("invalid name `") + bad + "`"), std::string::npos);
    }
  }
}

TEST(Names, InterfaceNames) {
  auto n = parse_extern_name("wasi:io/streams@0.2.12");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->kind, ExternName::Kind::Interface);
  ASSERT_EQ(n->namespaces.size(), 1u);
  EXPECT_EQ(n->namespaces[0], "wasi");
  EXPECT_EQ(n->package, "io");
  ASSERT_EQ(n->projections.size(), 1u);
  EXPECT_EQ(n->projections[0], "streams");
  ASSERT_TRUE(n->version);
  EXPECT_EQ(n->version->text(), "0.2.12");
  EXPECT_EQ(n->unversioned(), "wasi:io/streams");
  auto unversioned = parse_extern_name("fermyon:spin/key-value");
  ASSERT_TRUE(unversioned);
  EXPECT_FALSE(unversioned->version);
  auto canon = parse_extern_name("wasi:io/streams@0.2");  // a canonical version
  ASSERT_TRUE(canon) << canon.error().message;
  EXPECT_EQ(canon->version_text, "0.2");
  EXPECT_TRUE(versions_compatible(*parse_semver("0.2.12"), *canon->version));
  EXPECT_TRUE(is_canon_version("1") && is_canon_version("0.2") && is_canon_version("0.0.3") && is_canon_version("0.0.0"));
  EXPECT_FALSE(is_canon_version("0") || is_canon_version("0.0") || is_canon_version("1.2") || is_canon_version("01"));
  auto nested = parse_extern_name("a:b:c/d/e@1.0.0-rc.1+build.5");
  ASSERT_TRUE(nested) << nested.error().message;
  EXPECT_EQ(nested->unversioned(), "a:b:c/d/e");
  EXPECT_EQ(nested->version->pre, "rc.1");
  EXPECT_EQ(nested->version->build, "build.5");
  for (const char* bad : {"wasi:io", "wasi/io", ":io/streams", "WASI:io/streams", "wasi:io/streams@0.02", "wasi:io/streams@01.2.3",
                          "wasi:io/streams@1.2.3-01", "wasi:io/", "wasi:i_o/streams"})
    EXPECT_FALSE(parse_extern_name(bad)) << bad;
}

TEST(Names, StrongUniqueness) {
  // Explainer.md: these are all strongly unique...
  std::vector<std::string> unique = {"foo", "foo-bar", "[constructor]foo", "[method]foo.bar", "[static]foo.baz",
                                     "foo:bar/baz"};
  for (size_t i = 0; i < unique.size(); ++i)
    for (size_t j = i + 1; j < unique.size(); ++j)
      EXPECT_NE(uniqueness_key(unique[i]), uniqueness_key(unique[j])) << unique[i] << " / " << unique[j];
  // ...and each of these clashes with one of them.
  for (const char* clash : {"foo", "FOO", "foo-BAR", "[constructor]FOO", "[method]foo.BAR", "[static]foo.bar",
                            "[method]foo.baz", "[method]foo.foo", "[static]foo-BAR.FOO-bar", "foo:bar/BAZ"}) {
    bool found = false;
    for (const auto& u : unique) found = found || uniqueness_key(clash) == uniqueness_key(u);
    EXPECT_TRUE(found) << clash;
  }
}

TEST(Names, Semver) {
  auto v = parse_semver("1.2.3-alpha.1+sha.5114f85");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 1u);
  EXPECT_EQ(v->minor, 2u);
  EXPECT_EQ(v->patch, 3u);
  EXPECT_EQ(v->pre, "alpha.1");
  EXPECT_EQ(v->build, "sha.5114f85");
  for (const char* bad : {"1.2", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3+", "1.2.3-a..b", "1.2.x", "", "1.2.3-00"})
    EXPECT_FALSE(parse_semver(bad)) << bad;
  EXPECT_EQ(canon_version(*parse_semver("1.2.3")), "1");
  EXPECT_EQ(canon_version(*parse_semver("0.2.6-rc.1")), "0.2");
  EXPECT_EQ(canon_version(*parse_semver("0.0.1-alpha")), "0.0.1");
}

TEST(Names, VersionsMatchAsWasmtimeLinks) {
  auto compatible = [](const char* a, const char* b) { return versions_compatible(*parse_semver(a), *parse_semver(b)); };
  EXPECT_TRUE(compatible("0.2.12", "0.2.0"));  // an import of 0.2.12 runs on a 0.2.x host
  EXPECT_TRUE(compatible("0.2.0", "0.2.6"));
  EXPECT_TRUE(compatible("1.4.0", "1.0.2"));
  EXPECT_TRUE(compatible("0.2.3+build", "0.2.3"));
  EXPECT_FALSE(compatible("0.3.0", "0.2.6"));  // 0.x: the minor is the major
  EXPECT_FALSE(compatible("2.0.0", "1.9.0"));
  EXPECT_FALSE(compatible("0.0.1", "0.0.2"));  // 0.0.x only exactly
  EXPECT_TRUE(compatible("0.0.2", "0.0.2"));
  EXPECT_FALSE(compatible("0.2.0-rc.1", "0.2.0"));  // pre-releases only exactly
  EXPECT_TRUE(compatible("0.3.0-rc-2025-09-16", "0.3.0-rc-2025-09-16"));
}

}  // namespace
}  // namespace whirl::component
