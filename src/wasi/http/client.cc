// Outbound HTTP's resources (outgoing-request, request-options,
// future-incoming-response, incoming-response) and
// wasi:http/outgoing-handler. Requests are built and checked so guests
// that import them link and run, but none is sent yet: handle answers
// `HTTP-request-denied`, the error code Spin gives a request it does not
// allow. Real outbound HTTP is a later step (issue 25).
#include "wasi/http/state.h"

namespace whirl::wasi::http {
namespace {

OutgoingRequestRes* find_request(HttpState& h, const Value& v) { return h.outgoing_requests.get(rep(v)); }

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

  // Never made while outbound HTTP is denied; defined so guests link.
  def_resource(l, "future-incoming-response", &HttpState::future_incoming_responses);
  def(l, kTypes, "[method]future-incoming-response.subscribe",
      [](WasiP2& w, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        if (!h.future_incoming_responses.get(rep(a[0]))) return trap("unknown future-incoming-response");
        return ret(always_ready_pollable(w));
      });
  def(l, kTypes, "[method]future-incoming-response.get",
      [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        if (!h.future_incoming_responses.get(rep(a[0]))) return trap("unknown future-incoming-response");
        return ret(Value::some(Value::ok(Value::err(error_code("HTTP-request-denied")))));
      });
  def_resource(l, "incoming-response", &HttpState::incoming_responses);
  for (const char* m : {"status", "headers", "consume"}) {
    def(l, kTypes, std::string("[method]incoming-response.") + m,
        [](WasiP2&, HttpState&, HostCall&, std::span<Value>) -> HostResult { return trap("unknown incoming-response"); });
  }

  def(l, kTypes, "http-error-code", [](WasiP2& w, HttpState&, HostCall&, std::span<Value> a) -> HostResult {
    p2::IoError* e = w.errors.get(rep(a[0]));
    if (!e) return trap("unknown error");
    if (e->http_code.empty()) return ret(Value::none());
    return ret(Value::some(error_code(e->http_code)));
  });

  def(l, kOutgoingHandler, "handle", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    if (!find_request(h, a[0])) return trap("unknown outgoing-request");
    h.outgoing_requests.erase(rep(a[0]));
    if (const Value* o = a[1].payload()) h.request_options.erase(rep(*o));
    return ret(Value::err(error_code("HTTP-request-denied")));
  });
}

}  // namespace whirl::wasi::http
