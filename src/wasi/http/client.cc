// Outbound HTTP's resources (outgoing-request, request-options,
// future-incoming-response, incoming-response) and
// wasi:http/outgoing-handler.handle: the instance's OutboundConfig decides
// where a request goes (denied: `HTTP-request-denied`, the error code Spin
// gives, and no connection); an allowed one runs on its own thread
// (transport.cc, or in-process for the app itself) while the guest writes
// its body and polls the future.
#include <cctype>

#include "wasi/http/state.h"

namespace whirl::wasi::http {
namespace {

OutgoingRequestRes* find_request(HttpState& h, const Value& v) { return h.outgoing_requests.get(rep(v)); }

// Pollable readiness of a future-incoming-response: the head arrived or the request failed.
class HeadReady final : public p2::HostReadiness {
 public:
  explicit HeadReady(std::shared_ptr<Exchange> e) : ex_(std::move(e)) {}
  bool ready() override { return ex_->head_ready(); }
  bool wait_for(std::chrono::nanoseconds t) override { return ex_->wait_head(t); }

 private:
  std::shared_ptr<Exchange> ex_;
};

// An incoming-response's body, read from the exchange as the transport
// receives it; dropped unread, the request is abandoned.
class ResponseBody final : public BodySource {
 public:
  explicit ResponseBody(std::shared_ptr<Exchange> e) : ex_(std::move(e)) {}
  ~ResponseBody() override { ex_->cancel(); }
  Chunk read(size_t max) override { return ex_->read_response(max); }
  bool ready() override { return ex_->response_ready(); }
  bool wait_for(std::chrono::nanoseconds t) override { return ex_->wait_response(t); }

 private:
  std::shared_ptr<Exchange> ex_;
};

// The guest's request body into the exchange, bounded by its window.
class RequestBodySink final : public ResponseSink {
 public:
  explicit RequestBodySink(std::shared_ptr<Exchange> e) : ex_(std::move(e)) {}
  bool start(uint16_t, const FieldList&) override { return true; }
  bool write(std::string_view bytes) override { return ex_->push_body(bytes); }
  void finish(const FieldList&) override { ex_->end_body(); }  // request trailers are not sent
  uint64_t room() override { return ex_->cancelled() ? 1 : ex_->body_room(); }  // cancelled: a write fails at once
  bool wait_room(std::chrono::nanoseconds t) override { return ex_->wait_body_room(t); }
  void abort(const std::string& why) override { ex_->fail_body(why); }

 private:
  std::shared_ptr<Exchange> ex_;
};

std::string method_string(const Value& m) {
  if (m.label == "other") return m.payload() ? m.payload()->str : std::string();
  std::string s = m.label;
  for (char& c : s) c = char(std::toupper((unsigned char)c));
  return s;
}

// Joins the threads of requests that are over (bounded work per handle).
void reap(HttpState& h) {
  std::erase_if(h.flights, [](Flight& f) {
    if (!f.done->load()) return false;
    if (f.thread.joinable()) f.thread.join();
    return true;
  });
}

HostResult handle(HttpState& h, OutgoingRequestRes req, const std::optional<RequestOptionsRes>& opts) {
  OutboundRequest out;
  out.method = method_string(req.method);
  if (req.scheme) {
    if (req.scheme->label == "HTTP") out.scheme = "http";
    else if (req.scheme->label == "HTTPS") out.scheme = "https";
    else return ret(Value::err(error_code("HTTP-protocol-error")));  // only http and https, as wasmtime
  }
  out.authority = req.authority;
  if (out.authority && out.authority->empty()) out.authority.reset();
  out.path_with_query = req.path_with_query.value_or("/");
  if (out.path_with_query.empty() || out.path_with_query[0] != '/') out.path_with_query.insert(0, "/");
  out.headers = std::move(req.headers);
  if (opts) {
    if (opts->connect) out.connect_timeout = std::chrono::nanoseconds(*opts->connect);
    if (opts->first_byte) out.first_byte_timeout = std::chrono::nanoseconds(*opts->first_byte);
    if (opts->between_bytes) out.between_bytes_timeout = std::chrono::nanoseconds(*opts->between_bytes);
  }

  // The policy first: a denied request never opens a connection.
  auto route = h.outbound.route ? h.outbound.route(out) : OutboundConfig::Route::Deny;
  if (route == OutboundConfig::Route::Deny ||
      (route == OutboundConfig::Route::Self && !h.outbound.send_to_self))
    return ret(Value::err(error_code("HTTP-request-denied")));
  if (route == OutboundConfig::Route::Network && !out.authority)
    return ret(Value::err(error_code("HTTP-request-URI-invalid")));
  reap(h);
  if (h.flights.size() >= h.outbound.max_in_flight) return ret(Value::err(error_code("connection-limit-reached")));

  auto ex = std::make_shared<Exchange>(std::move(out));
  // The body: as written so far (bound now), or empty if never asked for.
  if (req.body_taken) {
    req.body->bind(std::make_shared<RequestBodySink>(ex), 0, {});
  } else {
    ex->end_body();
  }
  Flight f;
  f.ex = ex;
  auto done = f.done;
  OutboundConfig cfg = h.outbound;  // the thread's own copy
  f.thread = std::thread([ex, done, cfg, route] {
    if (route == OutboundConfig::Route::Self) {
      cfg.send_to_self(*ex);
    } else if (!cfg.limit) {
      send_over_network(*ex, cfg.extra_ca_file);
    } else if (cfg.limit->acquire(*ex)) {
      send_over_network(*ex, cfg.extra_ca_file);
      cfg.limit->release();
    }
    if (!ex->head_ready()) ex->fail(error_code("internal-error"));
    done->store(true);
  });
  h.flights.push_back(std::move(f));
  return ret(Value::ok(Value::own(h.future_incoming_responses.add(FutureIncomingResponseRes(ex)))));
}

bool token(std::string_view s) { return valid_field_name(s); }  // the same tchar rule as header names

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c <= ' ' || c >= 127) return false;
  return true;
}

std::optional<std::string> opt_string(const Value& v) {
  if (const Value* p = v.payload()) return p->str;
  return std::nullopt;
}
Value from_opt(const std::optional<std::string>& s) { return s ? Value::some(Value::string(*s)) : Value::none(); }

// request-options: one getter and one setter per timeout.
void timeout(Linker& l, const std::string& name, std::optional<uint64_t> RequestOptionsRes::*field) {
  def(l, kTypes, "[method]request-options." + name, [field](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* o = h.request_options.get(rep(a[0]));
    if (!o) return trap("unknown request-options");
    auto v = o->*field;
    return ret(v ? Value::some(p2::u64(*v)) : Value::none());
  });
  def(l, kTypes, "[method]request-options.set-" + name,
      [field](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        auto* o = h.request_options.get(rep(a[0]));
        if (!o) return trap("unknown request-options");
        o->*field = a[1].payload() ? std::optional<uint64_t>(a[1].payload()->u) : std::nullopt;
        return ret(Value::ok());
      });
}

}  // namespace

void add_client(Linker& l) {
  def_resource(l, "outgoing-request", &HttpState::outgoing_requests);
  def(l, kTypes, "[constructor]outgoing-request", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    Fields* f = find_fields(h, a[0]);
    if (!f) return trap("unknown fields");
    OutgoingRequestRes r;
    r.headers = std::move(f->entries);
    h.fields.erase(rep(a[0]));
    return ret(Value::own(h.outgoing_requests.add(std::move(r))));
  });
  def(l, kTypes, "[method]outgoing-request.body", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown outgoing-request");
    if (r->body_taken) return ret(Value::err());
    r->body_taken = true;
    r->body->content_length = content_length_of(r->headers);
    return ret(Value::ok(Value::own(h.outgoing_bodies.add(OutgoingBodyRes{r->body, 0, false}))));
  });
  def(l, kTypes, "[method]outgoing-request.method", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown outgoing-request");
    return ret(r->method);
  });
  def(l, kTypes, "[method]outgoing-request.set-method", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown outgoing-request");
    if (a[1].label == "other" && (!a[1].payload() || !token(a[1].payload()->str))) return ret(Value::err());
    r->method = a[1];
    return ret(Value::ok());
  });
  def(l, kTypes, "[method]outgoing-request.path-with-query",
      [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        auto* r = find_request(h, a[0]);
        if (!r) return trap("unknown outgoing-request");
        return ret(from_opt(r->path_with_query));
      });
  def(l, kTypes, "[method]outgoing-request.set-path-with-query",
      [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        auto* r = find_request(h, a[0]);
        if (!r) return trap("unknown outgoing-request");
        auto p = opt_string(a[1]);
        if (p && !printable(*p)) return ret(Value::err());
        r->path_with_query = std::move(p);
        return ret(Value::ok());
      });
  def(l, kTypes, "[method]outgoing-request.scheme", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown outgoing-request");
    return ret(r->scheme ? Value::some(*r->scheme) : Value::none());
  });
  def(l, kTypes, "[method]outgoing-request.set-scheme", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown outgoing-request");
    const Value* s = a[1].payload();
    if (s && s->label == "other" && (!s->payload() || s->payload()->str.empty() || !printable(s->payload()->str)))
      return ret(Value::err());
    r->scheme = s ? std::optional<Value>(*s) : std::nullopt;
    return ret(Value::ok());
  });
  def(l, kTypes, "[method]outgoing-request.authority", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown outgoing-request");
    return ret(from_opt(r->authority));
  });
  def(l, kTypes, "[method]outgoing-request.set-authority",
      [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        auto* r = find_request(h, a[0]);
        if (!r) return trap("unknown outgoing-request");
        auto s = opt_string(a[1]);
        if (s && (!printable(*s) || s->find('/') != std::string::npos)) return ret(Value::err());
        r->authority = std::move(s);
        return ret(Value::ok());
      });
  def(l, kTypes, "[method]outgoing-request.headers", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown outgoing-request");
    FieldList copy = r->headers;
    return ret(Value::own(new_fields(h, std::move(copy), true)));
  });

  def_resource(l, "request-options", &HttpState::request_options);
  def(l, kTypes, "[constructor]request-options", [](WasiP2&, HttpState& h, HostCall&, std::span<Value>) -> HostResult {
    return ret(Value::own(h.request_options.add(RequestOptionsRes{})));
  });
  timeout(l, "connect-timeout", &RequestOptionsRes::connect);
  timeout(l, "first-byte-timeout", &RequestOptionsRes::first_byte);
  timeout(l, "between-bytes-timeout", &RequestOptionsRes::between_bytes);

  def_resource(l, "future-incoming-response", &HttpState::future_incoming_responses);
  def(l, kTypes, "[method]future-incoming-response.subscribe",
      [](WasiP2& w, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        auto* f = h.future_incoming_responses.get(rep(a[0]));
        if (!f) return trap("unknown future-incoming-response");
        return ret(new_host_pollable(w, std::make_shared<HeadReady>(f->ex)));
      });
  def(l, kTypes, "[method]future-incoming-response.get",
      [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        auto* f = h.future_incoming_responses.get(rep(a[0]));
        if (!f) return trap("unknown future-incoming-response");
        if (!f->ex->head_ready()) return ret(Value::none());
        if (f->taken) return ret(Value::some(Value::err()));
        f->taken = true;
        Exchange::Head head = f->ex->head();
        if (head.error) return ret(Value::some(Value::ok(Value::err(std::move(*head.error)))));
        uint32_t resp = h.incoming_responses.add(IncomingResponseRes(f->ex, head.status, std::move(head.headers)));
        return ret(Value::some(Value::ok(Value::ok(Value::own(resp)))));
      });
  def_resource(l, "incoming-response", &HttpState::incoming_responses);
  def(l, kTypes, "[method]incoming-response.status", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = h.incoming_responses.get(rep(a[0]));
    if (!r) return trap("unknown incoming-response");
    return ret(p2::u16(r->status));
  });
  def(l, kTypes, "[method]incoming-response.headers", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = h.incoming_responses.get(rep(a[0]));
    if (!r) return trap("unknown incoming-response");
    FieldList copy = r->headers;
    return ret(Value::own(new_fields(h, std::move(copy), true)));
  });
  def(l, kTypes, "[method]incoming-response.consume", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = h.incoming_responses.get(rep(a[0]));
    if (!r) return trap("unknown incoming-response");
    if (r->consumed) return ret(Value::err());
    r->consumed = true;
    auto reader = std::make_shared<BodyReader>(std::make_shared<ResponseBody>(r->ex));
    return ret(Value::ok(Value::own(h.incoming_bodies.add(IncomingBodyRes{std::move(reader), 0}))));
  });

  def(l, kTypes, "http-error-code", [](WasiP2& w, HttpState&, HostCall&, std::span<Value> a) -> HostResult {
    p2::IoError* e = w.errors.get(rep(a[0]));
    if (!e) return trap("unknown error");
    if (e->http_code.empty()) return ret(Value::none());
    return ret(Value::some(error_code(e->http_code)));
  });

  def(l, kOutgoingHandler, "handle", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown outgoing-request");
    OutgoingRequestRes req = std::move(*r);
    h.outgoing_requests.erase(rep(a[0]));
    std::optional<RequestOptionsRes> opts;
    if (const Value* o = a[1].payload()) {
      if (auto* ro = h.request_options.get(rep(*o))) opts = *ro;
      h.request_options.erase(rep(*o));
    }
    return handle(h, std::move(req), opts);
  });
}

}  // namespace whirl::wasi::http

namespace whirl::wasi::http {
HttpState::~HttpState() {
  for (auto& f : flights) f.ex->cancel();
  for (auto& f : flights)
    if (f.thread.joinable()) f.thread.join();
}
}  // namespace whirl::wasi::http
