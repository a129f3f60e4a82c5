// Spin headers, the WAGI environment and argv, and CGI response parsing.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "spin/http/spin_headers.h"
#include "spin/http/wagi_cgi.h"

namespace whirl::spin::http {
namespace {

struct Fixture {
  std::shared_ptr<RouteEntry> entry;  // the match points at it: keep it in place when the fixture moves
  RouteMatch match;
  Request req;
};

Fixture make(std::string route, std::string target, std::string base = "/") {
  Fixture f;
  f.entry = std::make_shared<RouteEntry>(RouteEntry{"comp", *parse_route(base, route), 0});
  Router r({*f.entry});
  f.req.set_target(target);
  auto m = r.route(f.req.path);
  EXPECT_TRUE(m);
  f.match = *m;
  f.match.entry = f.entry.get();
  f.req.method = "POST";
  f.req.headers = {{"Host", "example.test:3000"}, {"Content-Type", "text/plain"}, {"X-Custom-Thing", "yes"},
                   {"Authorization", "secret"}, {"Connection", "keep-alive"}};
  f.req.body = "hello";
  f.req.client_ip = "127.0.0.1";
  f.req.client_port = 8777;
  return f;
}

std::map<std::string, std::string> as_map(const std::vector<std::pair<std::string, std::string>>& v) {
  std::map<std::string, std::string> m;
  for (const auto& [k, val] : v) m.emplace(k, val);
  return m;
}

TEST(SpinHeaders, Wildcard) {
  auto f = make("/foo/...", "/foo/bar?key1=value1&key2=value2");
  std::map<std::string, std::string> h, e;
  for (auto& s : compute_spin_headers(f.req, f.match, "/")) {
    h[s.header] = s.value;
    e[s.env] = s.value;
  }
  EXPECT_EQ(h["spin-full-url"], "http://example.test:3000/foo/bar?key1=value1&key2=value2");
  EXPECT_EQ(h["spin-path-info"], "/bar");
  EXPECT_EQ(h["spin-matched-route"], "/foo/...");
  EXPECT_EQ(h["spin-base-path"], "/");
  EXPECT_EQ(h["spin-raw-component-route"], "/foo/...");
  EXPECT_EQ(h["spin-component-route"], "/foo");
  EXPECT_EQ(h["spin-client-addr"], "127.0.0.1:8777");
  EXPECT_EQ(e["X_FULL_URL"], h["spin-full-url"]);
  EXPECT_EQ(e["PATH_INFO"], "/bar");
  EXPECT_EQ(e["X_CLIENT_ADDR"], "127.0.0.1:8777");
}

TEST(SpinHeaders, NamedWildcards) {
  auto f = make("/foo/:userid/...", "/foo/42/bar");
  std::map<std::string, std::string> h, e;
  for (auto& s : compute_spin_headers(f.req, f.match, "/")) {
    h[s.header] = s.value;
    e[s.env] = s.value;
  }
  EXPECT_EQ(h["spin-path-match-userid"], "42");
  EXPECT_EQ(e["X_PATH_MATCH_USERID"], "42");
  EXPECT_EQ(h["spin-component-route"], "/foo/:userid");
  EXPECT_EQ(h["spin-path-info"], "/bar");
}

TEST(WagiEnv, CgiVariables) {
  auto f = make("/wagi/...", "/wagi/a%20b?x=1&y=2");
  StringPairs comp_env = {{"MY_VAR", "mine"}, {"REQUEST_METHOD", "overridden by the manifest"}};
  auto inv = build_wagi_invocation(f.req, f.match, WagiConfig{}, comp_env, "/");
  auto env = as_map(inv.env);
  EXPECT_EQ(inv.env[0].first, "MY_VAR");
  EXPECT_EQ(env["REQUEST_METHOD"], "overridden by the manifest");
  EXPECT_EQ(env["SCRIPT_NAME"], "/wagi");
  EXPECT_EQ(env["PATH_INFO"], "/a%20b");
  EXPECT_EQ(env["X_RAW_PATH_INFO"], "/a%20b");
  EXPECT_EQ(env["PATH_TRANSLATED"], "/a b");
  EXPECT_EQ(env["QUERY_STRING"], "x=1&y=2");
  EXPECT_EQ(env["CONTENT_TYPE"], "text/plain");
  EXPECT_EQ(env["CONTENT_LENGTH"], "5");
  EXPECT_EQ(env["SERVER_NAME"], "example.test");
  EXPECT_EQ(env["SERVER_PORT"], "3000");
  EXPECT_EQ(env["SERVER_PROTOCOL"], "HTTP/1.1");
  EXPECT_EQ(env["SERVER_SOFTWARE"], "WAGI/1");
  EXPECT_EQ(env["GATEWAY_INTERFACE"], "CGI/1.1");
  EXPECT_EQ(env["REMOTE_ADDR"], "127.0.0.1");
  EXPECT_EQ(env["REMOTE_HOST"], "127.0.0.1");
  EXPECT_EQ(env["AUTH_TYPE"], "");
  EXPECT_EQ(env["X_FULL_URL"], "http://example.test:3000/wagi/a%20b?x=1&y=2");
  EXPECT_EQ(env["X_MATCHED_ROUTE"], "/wagi/...");
  EXPECT_EQ(env["X_COMPONENT_ROUTE"], "/wagi");
  EXPECT_EQ(env["X_RAW_COMPONENT_ROUTE"], "/wagi/...");
  EXPECT_EQ(env["X_BASE_PATH"], "/");
  EXPECT_EQ(env["HTTP_X_CUSTOM_THING"], "yes");
  EXPECT_EQ(env["HTTP_HOST"], "example.test:3000");
  EXPECT_EQ(env.count("HTTP_AUTHORIZATION"), 0u);
  EXPECT_EQ(env.count("HTTP_CONNECTION"), 0u);
}

TEST(WagiEnv, Argv) {
  auto f = make("/wagi/...", "/wagi/x?a=1&b=2");
  auto inv = build_wagi_invocation(f.req, f.match, WagiConfig{}, {}, "/");
  EXPECT_EQ(inv.argv, (std::vector<std::string>{"/wagi/x", "a=1", "b=2"}));
  f = make("/wagi/...", "/wagi/x");
  inv = build_wagi_invocation(f.req, f.match, WagiConfig{}, {}, "/");
  EXPECT_EQ(inv.argv, (std::vector<std::string>{"/wagi/x", ""}));  // as Spin: the empty ${ARGS} stays
  WagiConfig custom;
  custom.argv = "prog --path ${SCRIPT_NAME} ${ARGS}";
  f = make("/wagi/...", "/wagi/x?q");
  inv = build_wagi_invocation(f.req, f.match, custom, {}, "/");
  EXPECT_EQ(inv.argv, (std::vector<std::string>{"prog", "--path", "/wagi/x", "q"}));
}

TEST(Cgi, ContentTypeAndBody) {
  auto r = parse_cgi_response("Content-Type: text/html\r\nX-Extra:  v \r\n\r\n<p>hi</p>\r\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->header("content-type").value_or(""), "text/html");
  EXPECT_EQ(r->header("x-extra").value_or(""), "v");
  EXPECT_EQ(r->body, "<p>hi</p>\r\n");
}

TEST(Cgi, Status) {
  auto r = parse_cgi_response("Status: 404 Not Found\nContent-Type: text/plain\n\nnope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404u);
  r = parse_cgi_response("Status: 201\n\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201u);
  r = parse_cgi_response("Status: abc\nContent-Type: text/plain\n\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502u);
}

TEST(Cgi, LocationRedirects) {
  auto r = parse_cgi_response("Location: /elsewhere\n\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 302u);
  EXPECT_EQ(r->header("location").value_or(""), "/elsewhere");
  r = parse_cgi_response("Location: /x\nStatus: 301\n\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 301u);
  r = parse_cgi_response("Status: 307\nLocation: /x\n\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 307u);
}

TEST(Cgi, Invalid) {
  EXPECT_FALSE(parse_cgi_response("just some text"));
  EXPECT_FALSE(parse_cgi_response("X-Only: header\n\nbody"));
  EXPECT_FALSE(parse_cgi_response("Content-Type: \xff\xfe\n\n"));
  auto r = parse_cgi_response("Content-Type: text/plain\nbad header line\nBad Name: x\n\nok");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers.size(), 1u);
}

TEST(Cgi, PercentDecode) {
  EXPECT_EQ(percent_decode("/a%20b%2Fc%zz%4"), "/a b/c%zz%4");
}

}  // namespace
}  // namespace whirl::spin::http
