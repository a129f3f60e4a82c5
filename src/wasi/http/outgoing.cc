// The response side of wasi:http/types: outgoing-response, outgoing-body
// (a wasi:io output-stream into the server's ResponseSink) and
// response-outparam.set. The head goes out when the response is set; the
// body follows as the guest writes it, so a large body never sits whole
// in memory (bytes written before the set are held, up to 1 MiB).
#include <thread>

#include "component/abi/value.h"
#include "wasi/http/state.h"

namespace whirl::wasi::http {
namespace {

std::optional<uint64_t> content_length(const FieldList& headers) {
  for (const auto& [n, v] : headers) {
    if (n.size() != 14 || strncasecmp(n.c_str(), "content-length", 14) != 0) continue;
    if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoull(v);
  }
  return std::nullopt;
}

// Takes the entries out of an `own<fields>` the guest passed.
std::optional<FieldList> take_fields(HttpState& h, const Value& handle) {
  Fields* f = find_fields(h, handle);
  if (!f) return std::nullopt;
  FieldList e = std::move(f->entries);
  h.fields.erase(rep(handle));
  return e;
}

}  // namespace

std::optional<uint64_t> content_length_of(const FieldList& headers) { return content_length(headers); }

Expected<uint64_t, std::string> OutBody::check_write() {
  if (!failure_.empty()) return unexpected(failure_);
  if (finished_) return unexpected(std::string("the body is already finished"));
  if (!sink_) return std::min<uint64_t>(kPermit, kBeforeSet - before_.size());
  return std::min<uint64_t>(kPermit, sink_->room());
}

Expected<void, std::string> OutBody::write(std::string_view bytes) {
  if (!failure_.empty()) return unexpected(failure_);
  if (finished_) return unexpected(std::string("the body is already finished"));
  if (content_length && written_ + bytes.size() > *content_length) {
    fail("the body is longer than its content-length of " + std::to_string(*content_length) + " bytes");
    return unexpected(failure_);
  }
  written_ += bytes.size();
  if (!sink_) {
    if (before_.size() + bytes.size() > kBeforeSet) {
      fail("more than 1 MiB of body written before response-outparam.set");
      return unexpected(failure_);
    }
    before_.append(bytes);
    return {};
  }
  if (!sink_->write(bytes)) {
    fail("the client went away");
    return unexpected(failure_);
  }
  return {};
}

bool OutBody::ready() {
  if (sink_) return !failure_.empty() || finished_ || sink_->room() > 0;
  return !failure_.empty() || finished_ || before_.size() < kBeforeSet;
}

bool OutBody::wait_for(std::chrono::nanoseconds t) {
  if (sink_ && failure_.empty() && !finished_) return sink_->wait_room(t);
  // Only response-outparam.set makes a full pre-set buffer writable, and
  // that runs on the guest's own thread: waiting here just paces the loop
  // until the request's interrupt.
  if (!ready()) std::this_thread::sleep_for(t);
  return ready();
}

void OutBody::bind(const std::shared_ptr<ResponseSink>& sink, uint16_t status, const FieldList& headers) {
  sink_ = sink;
  if (!failure_.empty()) {
    sink_->abort(failure_);
    return;
  }
  if (!sink_->start(status, headers)) {
    fail("the client went away");
    return;
  }
  if (!before_.empty()) {
    if (!sink_->write(before_)) fail("the client went away");
    before_.clear();
    before_.shrink_to_fit();
  }
  if (finished_ && failure_.empty() && !sent_finish_) {
    sent_finish_ = true;
    sink_->finish(trailers_);
  }
}

std::optional<Value> OutBody::finish(FieldList trailers) {
  if (content_length && written_ != *content_length) {
    fail("the body has " + std::to_string(written_) + " bytes, its content-length says " +
         std::to_string(*content_length));
    return Value::variant(request ? "HTTP-request-body-size" : "HTTP-response-body-size", Value::some(p2::u64(written_)));
  }
  if (!failure_.empty()) return error_code("internal-error");
  finished_ = true;
  trailers_ = std::move(trailers);
  if (sink_ && !sent_finish_) {
    sent_finish_ = true;
    sink_->finish(trailers_);
  }
  return std::nullopt;
}

void OutBody::fail(std::string why) {
  if (!failure_.empty()) return;
  failure_ = std::move(why);
  if (sink_) sink_->abort(failure_);
}

void add_outgoing(Linker& l) {
  def_resource(l, "outgoing-response", &HttpState::outgoing_responses);
  def(l, kTypes, "[constructor]outgoing-response", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto headers = take_fields(h, a[0]);
    if (!headers) return trap("unknown fields");
    OutgoingResponseRes r;
    r.headers = std::move(*headers);
    return ret(Value::own(h.outgoing_responses.add(std::move(r))));
  });
  def(l, kTypes, "[method]outgoing-response.status-code",
      [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        auto* r = h.outgoing_responses.get(rep(a[0]));
        if (!r) return trap("unknown outgoing-response");
        return ret(p2::u16(r->status));
      });
  def(l, kTypes, "[method]outgoing-response.set-status-code",
      [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
        auto* r = h.outgoing_responses.get(rep(a[0]));
        if (!r) return trap("unknown outgoing-response");
        if (a[1].u < 100 || a[1].u > 999) return ret(Value::err());  // what an HTTP status line can carry
        r->status = uint16_t(a[1].u);
        return ret(Value::ok());
      });
  def(l, kTypes, "[method]outgoing-response.headers", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = h.outgoing_responses.get(rep(a[0]));
    if (!r) return trap("unknown outgoing-response");
    FieldList copy = r->headers;
    return ret(Value::own(new_fields(h, std::move(copy), true)));
  });
  def(l, kTypes, "[method]outgoing-response.body", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* r = h.outgoing_responses.get(rep(a[0]));
    if (!r) return trap("unknown outgoing-response");
    if (r->body_taken) return ret(Value::err());  // at most once
    r->body_taken = true;
    r->body->content_length = content_length(r->headers);
    return ret(Value::ok(Value::own(h.outgoing_bodies.add(OutgoingBodyRes{r->body, 0, false}))));
  });

  // Dropped without finish: the body is corrupt, the response cut off.
  l.resource(std::string(kTypes) + "@" + kVersion, "outgoing-body", [](HostCall& call, uint32_t r) {
    WasiP2* w = call.data<WasiP2>();
    if (!w || !w->http) return;
    if (auto* b = w->http->outgoing_bodies.get(r)) b->body->fail("the outgoing-body was dropped without finish");
    w->http->outgoing_bodies.erase(r);
  });
  def(l, kTypes, "[method]outgoing-body.write", [](WasiP2& w, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* b = h.outgoing_bodies.get(rep(a[0]));
    if (!b) return trap("unknown outgoing-body");
    if (b->stream_taken) return ret(Value::err());  // at most once
    b->stream_taken = true;
    p2::OutputStream s;
    s.kind = p2::OutputStream::Kind::Host;
    s.host = b->body;
    b->stream = w.outputs.add(std::move(s));
    return ret(Value::ok(Value::own(b->stream)));
  });
  def(l, kTypes, "[static]outgoing-body.finish", [](WasiP2& w, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    auto* b = h.outgoing_bodies.get(rep(a[0]));
    if (!b) return trap("unknown outgoing-body");
    if (b->stream_taken) {
      p2::OutputStream* s = w.outputs.get(b->stream);
      if (s && s->host == b->body)
        return trap("outgoing-body.finish: its output-stream (a child resource) must be dropped first");
    }
    FieldList trailers;
    if (const Value* t = a[1].payload()) {
      auto f = take_fields(h, *t);
      if (!f) return trap("unknown fields");
      trailers = std::move(*f);
    }
    auto body = std::move(b->body);
    h.outgoing_bodies.erase(rep(a[0]));
    if (auto e = body->finish(std::move(trailers))) return ret(Value::err(std::move(*e)));
    return ret(Value::ok());
  });

  def_resource(l, "response-outparam", &HttpState::response_outparams);
  def(l, kTypes, "[static]response-outparam.set", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    if (!h.response_outparams.get(rep(a[0]))) return trap("unknown response-outparam");
    h.response_outparams.erase(rep(a[0]));
    if (h.result.kind != Outcome::Kind::None) return trap("response-outparam.set: the response was already set");
    const Value& result = a[1];
    if (result.is_err) {
      h.result.kind = Outcome::Kind::Error;
      h.result.error = result.payload() ? component::abi::to_string(*result.payload()) : "error";
      return ret();
    }
    auto* r = result.payload() ? h.outgoing_responses.get(rep(*result.payload())) : nullptr;
    if (!r) return trap("unknown outgoing-response");
    OutgoingResponseRes resp = std::move(*r);
    h.outgoing_responses.erase(rep(*result.payload()));
    h.result.kind = Outcome::Kind::Response;
    h.response_body = resp.body;
    if (!resp.body_taken) {  // no body asked for: an empty one
      resp.body->content_length = content_length(resp.headers);
      resp.body->finish({});
    }
    if (h.sink) resp.body->bind(h.sink, resp.status, resp.headers);
    return ret();
  });
}

}  // namespace whirl::wasi::http
