// wasi:http/types host functions called directly, as the runtime calls
// them: fields rules (syntax, forbidden names, immutability), request and
// response resources, bodies through wasi:io streams and pollables,
// future-trailers, outbound requests denied, and every function of
// wit/wasi-http-0.2 defined.
#include <fstream>
#include <regex>

#include "../p2/harness.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/ctx.h"

namespace whirl::wasi::http::testing {
namespace {

using p2::testing::bytes;
using p2::testing::borrow;
using p2::testing::ok;
using p2::testing::str;
using p2::testing::text;
using p2::testing::u64;
using component::abi::Value;

struct Sink : ResponseSink {
  uint16_t status = 0;
  FieldList headers, trailers;
  std::string body;
  bool finished = false;
  bool start(uint16_t s, const FieldList& h) override {
    status = s;
    headers = h;
    return true;
  }
  bool write(std::string_view b) override {
    body.append(b);
    return true;
  }
  void finish(const FieldList& t) override {
    finished = true;
    trailers = t;
  }
};

class WasiHttpTypes : public p2::testing::P2Test {
 protected:
  WasiHttpTypes() {
    add_to_linker(linker_);
    start(WasiConfig{});
    state_ = attach_http(*ctx_, sink_);
  }
  Value t(const std::string& f, std::vector<Value> args = {}) { return call1("wasi:http/types", f, std::move(args)); }
  std::string t_trap(const std::string& f, std::vector<Value> args = {}) {
    return trap_of("wasi:http/types", f, std::move(args));
  }
  Value fields(std::vector<std::pair<std::string, std::string>> e = {}) {
    Value f = t("[constructor]fields");
    for (auto& [n, v] : e) EXPECT_FALSE(t("[method]fields.append", {borrow(f), str(n), bytes(v)}).is_err);
    return f;
  }
  // The header-error label of a result ("ok" if it succeeded).
  static std::string herr(const Value& r) { return r.is_err ? r.payload()->label : "ok"; }
  std::string entries(const Value& f) {
    std::string s;
    for (const Value& e : t("[method]fields.entries", {borrow(f)}).items) s += e.items[0].str + "=" + text(e.items[1]) + ";";
    return s;
  }

  std::shared_ptr<Sink> sink_ = std::make_shared<Sink>();
  std::shared_ptr<HttpState> state_;
};

TEST_F(WasiHttpTypes, FieldNamesAndValuesAreChecked) {
  Value f = fields();
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(f), str("malformed header name"), bytes("ok value")})), "invalid-syntax");
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(f), str(""), bytes("v")})), "invalid-syntax");
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(f), str("ok-header-name"), bytes("ok value")})), "ok");
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(f), str("ok-header-name"), bytes("bad\nvalue")})), "invalid-syntax");
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(f), str("x"), bytes(std::string("nul\0", 4))})), "invalid-syntax");
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(f), str("x-tab"), bytes("a\tb \x80\xff")})), "ok");
  // wasmtime's forbidden names, in any case.
  for (const char* n : {"Connection", "Keep-Alive", "Host", "proxy-authenticate", "Proxy-Authorization",
                        "proxy-connection", "Transfer-Encoding", "upgrade", "HTTP2-Settings"}) {
    EXPECT_EQ(herr(t("[method]fields.append", {borrow(f), str(n), bytes("v")})), "forbidden") << n;
    EXPECT_EQ(herr(t("[method]fields.set", {borrow(f), str(n), Value::list({bytes("v")})})), "forbidden") << n;
    EXPECT_EQ(herr(t("[method]fields.delete", {borrow(f), str(n)})), "forbidden") << n;
  }
  EXPECT_EQ(entries(f), "ok-header-name=ok value;x-tab=a\tb \x80\xff;");
}

TEST_F(WasiHttpTypes, FromListChecksEveryEntry) {
  auto from = [&](std::string n, std::string v) {
    return t("[static]fields.from-list", {Value::list({Value::tuple({str(n), bytes(v)})})});
  };
  EXPECT_EQ(herr(from("bad header", "value")), "invalid-syntax");
  EXPECT_EQ(herr(from("host", "value")), "forbidden");
  EXPECT_EQ(herr(from("ok-header-name", "bad\nvalue")), "invalid-syntax");
  Value r = t("[static]fields.from-list", {Value::list({Value::tuple({str("A"), bytes("1")}),
                                                        Value::tuple({str("b"), bytes("2")}),
                                                        Value::tuple({str("a"), bytes("3")})})});
  ASSERT_FALSE(r.is_err);
  Value f = *r.payload();
  EXPECT_EQ(entries(f), "A=1;b=2;a=3;");
  // Names compare case-insensitively; values of one name in order.
  Value got = t("[method]fields.get", {borrow(f), str("a")});
  ASSERT_EQ(got.items.size(), 2u);
  EXPECT_EQ(text(got.items[0]), "1");
  EXPECT_EQ(text(got.items[1]), "3");
  EXPECT_TRUE(t("[method]fields.has", {borrow(f), str("B")}).b);
  EXPECT_FALSE(t("[method]fields.has", {borrow(f), str("c")}).b);
  EXPECT_FALSE(t("[method]fields.has", {borrow(f), str("bad name")}).b);
  EXPECT_TRUE(t("[method]fields.get", {borrow(f), str("bad name")}).items.empty());
}

TEST_F(WasiHttpTypes, SetDeleteAndClone) {
  Value f = fields({{"a", "1"}, {"b", "2"}, {"a", "3"}});
  EXPECT_EQ(herr(t("[method]fields.set", {borrow(f), str("A"), Value::list({bytes("x"), bytes("y")})})), "ok");
  EXPECT_EQ(entries(f), "A=x;A=y;b=2;");
  EXPECT_EQ(herr(t("[method]fields.set", {borrow(f), str("c"), Value::list({bytes("bad\r")})})), "invalid-syntax");
  EXPECT_EQ(entries(f), "A=x;A=y;b=2;");
  EXPECT_EQ(herr(t("[method]fields.delete", {borrow(f), str("a")})), "ok");
  EXPECT_EQ(herr(t("[method]fields.delete", {borrow(f), str("absent")})), "ok");
  EXPECT_EQ(entries(f), "b=2;");
  Value c = t("[method]fields.clone", {borrow(f)});
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(c), str("d"), bytes("4")})), "ok");
  EXPECT_EQ(entries(c), "b=2;d=4;");
  EXPECT_EQ(entries(f), "b=2;");
}

TEST_F(WasiHttpTypes, HeadersOfRequestsAndResponsesAreImmutable) {
  IncomingRequest q;
  q.headers = {{"x-a", "1"}};
  auto [req, out] = new_incoming_call(*state_, q);
  Value h = t("[method]incoming-request.headers", {Value::borrow(req)});
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(h), str("x-b"), bytes("2")})), "immutable");
  EXPECT_EQ(herr(t("[method]fields.set", {borrow(h), str("x-a"), Value::list({})})), "immutable");
  EXPECT_EQ(herr(t("[method]fields.delete", {borrow(h), str("x-a")})), "immutable");
  // immutable comes first, before the name's syntax (wasmtime's order).
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(h), str("bad name"), bytes("2")})), "immutable");
  Value clone = t("[method]fields.clone", {borrow(h)});
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(clone), str("x-b"), bytes("2")})), "ok");

  Value resp = t("[constructor]outgoing-response", {fields({{"content-type", "text/plain"}})});
  Value rh = t("[method]outgoing-response.headers", {borrow(resp)});
  EXPECT_EQ(entries(rh), "content-type=text/plain;");
  EXPECT_EQ(herr(t("[method]fields.append", {borrow(rh), str("x"), bytes("1")})), "immutable");
  Value oreq = t("[constructor]outgoing-request", {fields({{"x", "1"}})});
  Value oh = t("[method]outgoing-request.headers", {borrow(oreq)});
  EXPECT_EQ(herr(t("[method]fields.set", {borrow(oh), str("Content-Length"), Value::list({bytes("10")})})), "immutable");
}

TEST_F(WasiHttpTypes, ResponseStatusBodyOnceAndSet) {
  Value resp = t("[constructor]outgoing-response", {fields({{"x-a", "1"}})});
  EXPECT_EQ(t("[method]outgoing-response.status-code", {borrow(resp)}).u, 200u);  // the default
  EXPECT_TRUE(t("[method]outgoing-response.set-status-code", {borrow(resp), p2::testing::u32(99)}).is_err);
  EXPECT_TRUE(t("[method]outgoing-response.set-status-code", {borrow(resp), p2::testing::u32(1000)}).is_err);
  EXPECT_FALSE(t("[method]outgoing-response.set-status-code", {borrow(resp), p2::testing::u32(418)}).is_err);
  Value body = ok(t("[method]outgoing-response.body", {borrow(resp)}));
  EXPECT_TRUE(t("[method]outgoing-response.body", {borrow(resp)}).is_err);  // at most once
  Value os = ok(t("[method]outgoing-body.write", {borrow(body)}));
  EXPECT_TRUE(t("[method]outgoing-body.write", {borrow(body)}).is_err);  // at most once
  // Written before the response is set: held, then sent after the head.
  EXPECT_FALSE(out("write", {borrow(os), bytes("early ")}).is_err);
  auto [req, outparam] = new_incoming_call(*state_, IncomingRequest{});
  t("[static]response-outparam.set", {Value::own(outparam), Value::ok(resp)});
  EXPECT_EQ(sink_->status, 418);
  ASSERT_EQ(sink_->headers.size(), 1u);
  EXPECT_EQ(sink_->headers[0].first, "x-a");
  EXPECT_EQ(sink_->body, "early ");
  EXPECT_FALSE(out("blocking-write-and-flush", {borrow(os), bytes("late")}).is_err);
  EXPECT_EQ(sink_->body, "early late");
  // finish while the output-stream (a child) is alive traps.
  EXPECT_NE(t_trap("[static]outgoing-body.finish", {body, Value::none()}).find("child"), std::string::npos);
  drop("wasi:io/streams", "output-stream", os);
  EXPECT_FALSE(t("[static]outgoing-body.finish", {body, Value::some(fields({{"x-trailer", "t"}}))}).is_err);
  EXPECT_TRUE(sink_->finished);
  ASSERT_EQ(sink_->trailers.size(), 1u);
  EXPECT_EQ(sink_->trailers[0].second, "t");
  Outcome o = outcome(*state_);
  EXPECT_EQ(o.kind, Outcome::Kind::Response);
  EXPECT_TRUE(o.body_finished);
}

TEST_F(WasiHttpTypes, ContentLengthIsHeldTo) {
  Value resp = t("[constructor]outgoing-response", {fields({{"Content-Length", "4"}})});
  Value body = ok(t("[method]outgoing-response.body", {borrow(resp)}));
  Value os = ok(t("[method]outgoing-body.write", {borrow(body)}));
  EXPECT_FALSE(out("write", {borrow(os), bytes("abc")}).is_err);
  Value over = out("write", {borrow(os), bytes("de")});
  ASSERT_TRUE(over.is_err);
  EXPECT_EQ(over.payload()->label, "last-operation-failed");
  drop("wasi:io/streams", "output-stream", os);
  Value r = t("[static]outgoing-body.finish", {body, Value::none()});
  ASSERT_TRUE(r.is_err);
  EXPECT_EQ(r.payload()->label, "HTTP-response-body-size");
}

TEST_F(WasiHttpTypes, ErrorCodeResponse) {
  auto [req, outparam] = new_incoming_call(*state_, IncomingRequest{});
  t("[static]response-outparam.set",
    {Value::own(outparam), Value::err(Value::variant("internal-error", Value::some(str("boom"))))});
  Outcome o = outcome(*state_);
  EXPECT_EQ(o.kind, Outcome::Kind::Error);
  EXPECT_EQ(o.error, "internal-error(some(\"boom\"))");
  EXPECT_EQ(sink_->status, 0);  // nothing was sent: the server answers 500
}

TEST_F(WasiHttpTypes, RequestAccessorsAndBodyStream) {
  IncomingRequest q;
  q.method = "PROPFIND";
  q.path_with_query = "/a?b=c";
  q.scheme = "https";
  q.authority = "h:1";
  q.body = body_from_string("0123456789");
  auto [req, out_] = new_incoming_call(*state_, q);
  Value r = Value::borrow(req);
  Value m = t("[method]incoming-request.method", {r});
  EXPECT_EQ(m.label, "other");
  EXPECT_EQ(m.payload()->str, "PROPFIND");
  EXPECT_EQ(t("[method]incoming-request.path-with-query", {r}).payload()->str, "/a?b=c");
  EXPECT_EQ(t("[method]incoming-request.scheme", {r}).payload()->label, "HTTPS");
  EXPECT_EQ(t("[method]incoming-request.authority", {r}).payload()->str, "h:1");
  Value body = ok(t("[method]incoming-request.consume", {r}));
  EXPECT_TRUE(t("[method]incoming-request.consume", {r}).is_err);  // at most once
  Value s = ok(t("[method]incoming-body.stream", {borrow(body)}));
  EXPECT_TRUE(t("[method]incoming-body.stream", {borrow(body)}).is_err);
  Value p = in("subscribe", {borrow(s)});
  EXPECT_TRUE(call1("wasi:io/poll", "[method]pollable.ready", {borrow(p)}).b);
  EXPECT_EQ(text(ok(in("read", {borrow(s), u64(4)}))), "0123");
  EXPECT_EQ(ok(in("skip", {borrow(s), u64(2)})).u, 2u);
  EXPECT_EQ(text(ok(in("blocking-read", {borrow(s), u64(100)}))), "6789");
  Value end = in("read", {borrow(s), u64(1)});
  ASSERT_TRUE(end.is_err);
  EXPECT_EQ(end.payload()->label, "closed");
  EXPECT_NE(t_trap("[static]incoming-body.finish", {body}).find("child"), std::string::npos);
  drop("wasi:io/streams", "input-stream", s);
  Value ft = t("[static]incoming-body.finish", {body});
  Value fp = t("[method]future-trailers.subscribe", {borrow(ft)});
  EXPECT_TRUE(call1("wasi:io/poll", "[method]pollable.ready", {borrow(fp)}).b);
  Value got = t("[method]future-trailers.get", {borrow(ft)});
  EXPECT_EQ(component::abi::to_string(got), "some(ok(ok(none)))");
  EXPECT_EQ(component::abi::to_string(t("[method]future-trailers.get", {borrow(ft)})), "some(err)");  // once only
}

TEST_F(WasiHttpTypes, UnreadBodyIsDrainedForTheTrailers) {
  IncomingRequest q;
  q.body = body_from_string(std::string(300000, 'x'));
  auto [req, out_] = new_incoming_call(*state_, q);
  Value body = ok(t("[method]incoming-request.consume", {Value::borrow(req)}));
  Value ft = t("[static]incoming-body.finish", {body});
  EXPECT_EQ(component::abi::to_string(t("[method]future-trailers.get", {borrow(ft)})), "some(ok(ok(none)))");
}

TEST_F(WasiHttpTypes, OutboundRequestsAreBuiltButDenied) {
  Value req = t("[constructor]outgoing-request", {fields()});
  EXPECT_EQ(t("[method]outgoing-request.method", {borrow(req)}).label, "get");
  EXPECT_FALSE(t("[method]outgoing-request.set-method", {borrow(req), Value::variant("other", str("PURGE"))}).is_err);
  EXPECT_TRUE(t("[method]outgoing-request.set-method", {borrow(req), Value::variant("other", str("bad method"))}).is_err);
  EXPECT_FALSE(t("[method]outgoing-request.set-path-with-query", {borrow(req), Value::some(str("/x?y"))}).is_err);
  EXPECT_EQ(t("[method]outgoing-request.path-with-query", {borrow(req)}).payload()->str, "/x?y");
  EXPECT_FALSE(t("[method]outgoing-request.set-scheme", {borrow(req), Value::some(Value::variant("HTTPS"))}).is_err);
  EXPECT_FALSE(t("[method]outgoing-request.set-authority", {borrow(req), Value::some(str("example.com:443"))}).is_err);
  EXPECT_EQ(t("[method]outgoing-request.authority", {borrow(req)}).payload()->str, "example.com:443");
  Value opts = t("[constructor]request-options");
  EXPECT_FALSE(t("[method]request-options.set-connect-timeout", {borrow(opts), Value::some(u64(5))}).is_err);
  EXPECT_EQ(t("[method]request-options.connect-timeout", {borrow(opts)}).payload()->u, 5u);
  Value r = call1("wasi:http/outgoing-handler", "handle", {req, Value::some(opts)});
  ASSERT_TRUE(r.is_err);
  EXPECT_EQ(r.payload()->label, "HTTP-request-denied");
}

TEST_F(WasiHttpTypes, HttpErrorCodeOfABodyStreamError) {
  // A response body whose client left: the write fails with an io error
  // that http-error-code maps back to an error-code.
  struct Gone : ResponseSink {
    bool start(uint16_t, const FieldList&) override { return true; }
    bool write(std::string_view) override { return false; }
    void finish(const FieldList&) override {}
  };
  state_ = attach_http(*ctx_, std::make_shared<Gone>());
  Value resp = t("[constructor]outgoing-response", {fields()});
  Value body = ok(t("[method]outgoing-response.body", {borrow(resp)}));
  auto [req, outparam] = new_incoming_call(*state_, IncomingRequest{});
  t("[static]response-outparam.set", {Value::own(outparam), Value::ok(resp)});
  Value os = ok(t("[method]outgoing-body.write", {borrow(body)}));
  Value w = out("write", {borrow(os), bytes("x")});
  ASSERT_TRUE(w.is_err);
  Value e = *w.payload()->payload();
  Value code = t("http-error-code", {borrow(e)});
  EXPECT_EQ(component::abi::to_string(code), "some(connection-terminated)");
  EXPECT_NE(call1("wasi:io/error", "[method]error.to-debug-string", {borrow(e)}).str.find("client went away"),
            std::string::npos);
}

// Every function and resource of wit/wasi-http-0.2 is in the linker.
TEST_F(WasiHttpTypes, EveryWitFunctionIsDefined) {
  std::string wit_dir = std::string(__FILE__).substr(0, std::string(__FILE__).rfind("/tests/")) + "/wit/wasi-http-0.2/";
  size_t funcs = 0, resources = 0;
  for (const char* file : {"types.wit", "handler.wit"}) {
    std::ifstream f(wit_dir + file);
    ASSERT_TRUE(f) << wit_dir + file;
    std::string package, iface, resource, line;
    int depth = 0;
    static const std::regex pkg(R"(^package (\S+):(\S+)@)"), itf(R"(^interface ([a-z0-9-]+) \{)"),
        res(R"(^\s*resource ([a-z0-9-]+)\s*(\{|;))"), fn(R"(^\s*%?([a-z0-9-]+): func)"), ctor(R"(^\s*constructor\()"),
        stat(R"(^\s*%?([a-z0-9-]+): static func)");
    while (std::getline(f, line)) {
      std::smatch m;
      if (std::regex_search(line, m, pkg)) package = m[1].str() + ":" + m[2].str();
      if (depth == 0 && std::regex_search(line, m, itf)) iface = package + "/" + m[1].str();
      if (!iface.empty() && std::regex_search(line, m, res)) {
        ++resources;
        auto found = linker_.find(iface + "@0.2.0");
        ASSERT_TRUE(found.def) << iface;
        EXPECT_TRUE(found.def->resources.count(m[1].str())) << iface << " resource " << m[1].str();
        if (m[2] == "{") resource = m[1].str();
      }
      std::string name;
      if (std::regex_search(line, m, stat)) name = "[static]" + resource + "." + m[1].str();
      else if (std::regex_search(line, m, fn)) name = resource.empty() ? m[1].str() : "[method]" + resource + "." + m[1].str();
      else if (std::regex_search(line, m, ctor)) name = "[constructor]" + resource;
      // incoming-handler is what the guest exports, not the host.
      if (!iface.empty() && !name.empty() && iface != "wasi:http/incoming-handler") {
        ++funcs;
        auto found = linker_.find(iface + "@0.2.0");
        ASSERT_TRUE(found.def) << iface;
        EXPECT_TRUE(found.def->funcs.count(name)) << iface << "#" << name;
      }
      for (char ch : line) depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
      if (depth <= 1) resource.clear();
    }
  }
  EXPECT_EQ(funcs, 52u);
  EXPECT_EQ(resources, 11u);
}

}  // namespace
}  // namespace whirl::wasi::http::testing
