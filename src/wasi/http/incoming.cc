// The request side of wasi:http/types: incoming-request, incoming-body
// (a wasi:io input-stream over the request's BodySource) and
// future-trailers; the state a server attaches to an instance.
#include <thread>

#include "wasi/http/state.h"

namespace whirl::wasi::http {
namespace {

// A body already in memory: every read returns at once.
class StringBody final : public BodySource {
 public:
  explicit StringBody(std::string b) : bytes_(std::move(b)) {}
  Chunk read(size_t max) override {
    Chunk c;
    size_t n = std::min(max, bytes_.size() - at_);
    c.bytes.assign(bytes_, at_, n);
    at_ += n;
    c.end = at_ == bytes_.size();
    return c;
  }
  bool ready() override { return true; }
  bool wait_for(std::chrono::nanoseconds) override { return true; }

 private:
  std::string bytes_;
  size_t at_ = 0;
};

// A pollable that is always ready (a future already resolved).
class Ready final : public p2::HostReadiness {
 public:
  bool ready() override { return true; }
  bool wait_for(std::chrono::nanoseconds) override { return true; }
};

// future-trailers are ready once the body's end was reached; asking
// reads (and drops) whatever the guest left unread, as wasmtime does.
class TrailersReady final : public p2::HostReadiness {
 public:
  explicit TrailersReady(std::shared_ptr<BodyReader> r) : reader_(std::move(r)) {}
  bool ready() override { return reader_->drain(); }
  bool wait_for(std::chrono::nanoseconds t) override { return reader_->drain() || (reader_->wait_for(t), reader_->drain()); }

 private:
  std::shared_ptr<BodyReader> reader_;
};

IncomingRequestRes* find_request(HttpState& h, const Value& v) { return h.incoming_requests.get(rep(v)); }

}  // namespace

std::shared_ptr<BodySource> body_from_string(std::string bytes) { return std::make_shared<StringBody>(std::move(bytes)); }

p2::HostInputStream::Chunk BodyReader::read(size_t max) {
  if (!source_ || ended_) return Chunk{{}, true, error_};
  Chunk c = source_->read(max);
  if (!c.error.empty()) {
    ended_ = true;
    error_ = c.error;
  } else if (c.end) {
    ended_ = true;
  }
  // Bytes and the end together: the bytes now, the end on the next read.
  if (!c.bytes.empty()) {
    c.end = false;
    c.error.clear();
  }
  return c;
}

bool BodyReader::drain() {
  for (int i = 0; i < 64 && !ended(); ++i) {  // bounded per call: a fast endless source cannot hold the guest here
    Chunk c = read(64 * 1024);
    if (c.bytes.empty() && !c.end && c.error.empty()) break;
  }
  return ended();
}

Value method_value(std::string_view m) {
  for (const char* known : {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}) {
    if (m == known) {
      std::string label(m);
      for (char& c : label) c = char(c - 'A' + 'a');
      return Value::variant(label);
    }
  }
  return Value::variant("other", Value::string(std::string(m)));
}

Value scheme_value(std::string_view s) {
  if (s == "http") return Value::variant("HTTP");
  if (s == "https") return Value::variant("HTTPS");
  return Value::variant("other", Value::string(std::string(s)));
}

Value new_host_pollable(WasiP2& w, std::shared_ptr<p2::HostReadiness> r) {
  p2::Pollable p;
  p.kind = p2::Pollable::Kind::Host;
  p.host = std::move(r);
  return Value::own(p2::new_pollable(w, std::move(p)));
}

Value always_ready_pollable(WasiP2& w) { return new_host_pollable(w, std::make_shared<Ready>()); }

std::shared_ptr<HttpState> attach_http(WasiP2& wasi, std::shared_ptr<ResponseSink> sink, OutboundConfig outbound) {
  auto h = std::make_shared<HttpState>();
  h->sink = std::move(sink);
  h->outbound = std::move(outbound);
  wasi.http = h;
  return h;
}

std::pair<uint32_t, uint32_t> new_incoming_call(HttpState& h, IncomingRequest request) {
  std::erase_if(request.headers, [](const auto& e) { return is_forbidden_header(e.first); });
  uint32_t req = h.incoming_requests.add(IncomingRequestRes{std::move(request), false});
  uint32_t out = h.response_outparams.add(ResponseOutparamRes{});
  return {req, out};
}

Outcome outcome(const HttpState& h) {
  Outcome o = h.result;
  if (o.kind == Outcome::Kind::Response && h.response_body) {
    o.body_finished = h.response_body->finished() && h.response_body->failure().empty();
    if (o.error.empty()) o.error = h.response_body->failure();
  }
  return o;
}

void add_incoming(Linker& l) {
  def_resource(l, "incoming-request", &HttpState::incoming_requests);
  def(l, kTypes, "[method]incoming-request.method", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown incoming-request");
    return ret(method_value(r->req.method));
  });
  def(l, kTypes, "[method]incoming-request.path-with-query",
      [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        auto* r = find_request(h, a[0]);
        if (!r) return trap("unknown incoming-request");
        return ret(Value::some(Value::string(r->req.path_with_query)));
      });
  def(l, kTypes, "[method]incoming-request.scheme", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown incoming-request");
    return ret(Value::some(scheme_value(r->req.scheme)));
  });
  def(l, kTypes, "[method]incoming-request.authority",
      [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        auto* r = find_request(h, a[0]);
        if (!r) return trap("unknown incoming-request");
        return ret(r->req.authority ? Value::some(Value::string(*r->req.authority)) : Value::none());
      });
  def(l, kTypes, "[method]incoming-request.headers", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown incoming-request");
    FieldList copy = r->req.headers;
    return ret(Value::own(new_fields(h, std::move(copy), true)));
  });
  def(l, kTypes, "[method]incoming-request.consume", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = find_request(h, a[0]);
    if (!r) return trap("unknown incoming-request");
    if (r->consumed) return ret(Value::err());
    r->consumed = true;
    auto reader = std::make_shared<BodyReader>(std::move(r->req.body));
    return ret(Value::ok(Value::own(h.incoming_bodies.add(IncomingBodyRes{std::move(reader), 0}))));
  });

  def_resource(l, "incoming-body", &HttpState::incoming_bodies);
  def(l, kTypes, "[method]incoming-body.stream", [](WasiP2& w, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* b = h.incoming_bodies.get(rep(a[0]));
    if (!b) return trap("unknown incoming-body");
    if (b->stream) return ret(Value::err());  // at most once
    p2::InputStream s;
    s.kind = p2::InputStream::Kind::Host;
    s.host = b->reader;
    b->stream = w.inputs.add(std::move(s));
    return ret(Value::ok(Value::own(b->stream)));
  });
  def(l, kTypes, "[static]incoming-body.finish", [](WasiP2& w, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* b = h.incoming_bodies.get(rep(a[0]));
    if (!b) return trap("unknown incoming-body");
    if (b->stream) {
      p2::InputStream* s = w.inputs.get(b->stream);
      if (s && s->host == b->reader)
        return trap("incoming-body.finish: its input-stream (a child resource) must be dropped first");
    }
    auto reader = std::move(b->reader);
    h.incoming_bodies.erase(rep(a[0]));
    return ret(Value::own(h.future_trailers.add(FutureTrailersRes{std::move(reader), false})));
  });

  def_resource(l, "future-trailers", &HttpState::future_trailers);
  def(l, kTypes, "[method]future-trailers.subscribe", [](WasiP2& w, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* f = h.future_trailers.get(rep(a[0]));
    if (!f) return trap("unknown future-trailers");
    return ret(new_host_pollable(w, std::make_shared<TrailersReady>(f->reader)));
  });
  def(l, kTypes, "[method]future-trailers.get", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* f = h.future_trailers.get(rep(a[0]));
    if (!f) return trap("unknown future-trailers");
    if (!f->reader->drain()) return ret(Value::none());
    if (f->taken) return ret(Value::some(Value::err()));
    f->taken = true;
    if (!f->reader->error().empty())
      return ret(Value::some(Value::ok(Value::err(error_code("HTTP-protocol-error")))));
    FieldList t = f->reader->trailers();
    if (t.empty()) return ret(Value::some(Value::ok(Value::ok(Value::none()))));
    return ret(Value::some(Value::ok(Value::ok(Value::some(Value::own(new_fields(h, std::move(t), true)))))));
  });
}

void add_to_linker(Linker& l) {
  add_fields(l);
  add_incoming(l);
  add_outgoing(l);
  add_client(l);
}

}  // namespace whirl::wasi::http
