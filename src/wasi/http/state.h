// Internal state of wasi:http for one instance: its resource tables and
// the bodies between the guest and the server. Shared by the files of
// src/wasi/http.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "wasi/http/exchange.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/ctx.h"

namespace whirl::wasi::http {

using p2::HostResult;
using p2::HostCall;
using p2::Linker;
using p2::Table;
using p2::Value;
using p2::WasiP2;
using p2::rep;
using p2::ret;
using p2::trap;

struct Fields {
  FieldList entries;
  bool immutable = false;  // headers of a request or response, trailers received: set/append/delete fail
};

// A request body as the guest reads it: the source, and whether its end
// was reached (future-trailers are ready then).
class BodyReader final : public p2::HostInputStream {
 public:
  explicit BodyReader(std::shared_ptr<BodySource> s) : source_(std::move(s)) {}
  Chunk read(size_t max) override;
  bool ready() override { return ended_ || !source_ || source_->ready(); }
  bool wait_for(std::chrono::nanoseconds t) override { return ended_ || !source_ || source_->wait_for(t); }
  // Reads and drops what is available (the rest of a body nobody reads); true at the end.
  bool drain();
  bool ended() const { return ended_ || !source_; }
  const std::string& error() const { return error_; }
  FieldList trailers() { return source_ ? source_->trailers() : FieldList{}; }

 private:
  std::shared_ptr<BodySource> source_;
  bool ended_ = false;
  std::string error_;
};

struct IncomingRequestRes {
  IncomingRequest req;
  bool consumed = false;
};
struct IncomingBodyRes {
  std::shared_ptr<BodyReader> reader;
  uint32_t stream = 0;  // the input-stream handed out (a child: gone before finish)
};
struct FutureTrailersRes {
  std::shared_ptr<BodyReader> reader;
  bool taken = false;  // get returned the trailers once
};

// A response body: buffered until the response is set (bounded), then
// passed to the sink as the guest writes. Content-Length, if the guest set
// one, is held to.
class OutBody final : public p2::HostOutputStream {
 public:
  static constexpr size_t kBeforeSet = 1 << 20;  // bytes a guest may write before response-outparam.set
  static constexpr uint64_t kPermit = 64 * 1024;

  std::optional<uint64_t> content_length;
  bool request = false;  // an outbound request's body (its size error is HTTP-request-body-size)
  Expected<uint64_t, std::string> check_write() override;
  Expected<void, std::string> write(std::string_view bytes) override;
  bool ready() override;
  bool wait_for(std::chrono::nanoseconds t) override;

  // response-outparam.set: the head goes out, then what was written so far.
  void bind(const std::shared_ptr<ResponseSink>& sink, uint16_t status, const FieldList& headers);
  // outgoing-body.finish; an error-code case if the body is not what it promised.
  std::optional<Value> finish(FieldList trailers);
  void fail(std::string why);  // dropped unfinished, or the client left
  bool finished() const { return finished_; }
  const std::string& failure() const { return failure_; }
  uint64_t written() const { return written_; }

 private:
  std::shared_ptr<ResponseSink> sink_;
  std::string before_;  // written before bind
  uint64_t written_ = 0;
  bool finished_ = false, sent_finish_ = false;
  FieldList trailers_;
  std::string failure_;
};

struct OutgoingResponseRes {
  uint16_t status = 200;
  FieldList headers;
  std::shared_ptr<OutBody> body = std::make_shared<OutBody>();
  bool body_taken = false;
};
struct OutgoingBodyRes {
  std::shared_ptr<OutBody> body;
  uint32_t stream = 0;  // the output-stream handed out (a child: gone before finish)
  bool stream_taken = false;
};
struct ResponseOutparamRes {};

// Outbound requests: built and checked, then sent by handle.
struct OutgoingRequestRes {
  Value method = Value::variant("get");
  std::optional<std::string> path_with_query, authority;
  std::optional<Value> scheme;
  FieldList headers;
  std::shared_ptr<OutBody> body = [] {
    auto b = std::make_shared<OutBody>();
    b->request = true;
    return b;
  }();
  bool body_taken = false;
};
struct RequestOptionsRes {
  std::optional<uint64_t> connect, first_byte, between_bytes;  // nanoseconds
};
// Dropping the future before its response was taken, or a response
// before its body, abandons the request (its connection closes).
struct FutureIncomingResponseRes {
  std::shared_ptr<Exchange> ex;
  bool taken = false;  // get returned the result once
  FutureIncomingResponseRes(std::shared_ptr<Exchange> e) : ex(std::move(e)) {}
  FutureIncomingResponseRes(FutureIncomingResponseRes&&) = default;
  ~FutureIncomingResponseRes() {
    if (ex && !taken) ex->cancel();
  }
};
struct IncomingResponseRes {
  std::shared_ptr<Exchange> ex;
  uint16_t status = 0;
  FieldList headers;
  bool consumed = false;
  IncomingResponseRes(std::shared_ptr<Exchange> e, uint16_t s, FieldList h)
      : ex(std::move(e)), status(s), headers(std::move(h)) {}
  IncomingResponseRes(IncomingResponseRes&&) = default;
  ~IncomingResponseRes() {
    if (ex && !consumed) ex->cancel();
  }
};

// An outbound request's thread (joined when the instance's state goes).
struct Flight {
  std::shared_ptr<Exchange> ex;
  std::thread thread;
  std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
};

class HttpState {
 public:
  HttpState() = default;
  HttpState(const HttpState&) = delete;
  HttpState& operator=(const HttpState&) = delete;
  ~HttpState();  // abandons outbound requests still in flight and joins their threads

  std::shared_ptr<ResponseSink> sink;
  OutboundConfig outbound;
  std::vector<Flight> flights;
  Outcome result;
  std::shared_ptr<OutBody> response_body;  // the body of the response set, once set

  Table<Fields> fields;
  Table<IncomingRequestRes> incoming_requests;
  Table<IncomingBodyRes> incoming_bodies;
  Table<FutureTrailersRes> future_trailers;
  Table<OutgoingResponseRes> outgoing_responses;
  Table<OutgoingBodyRes> outgoing_bodies;
  Table<ResponseOutparamRes> response_outparams;
  Table<OutgoingRequestRes> outgoing_requests;
  Table<RequestOptionsRes> request_options;
  Table<IncomingResponseRes> incoming_responses;
  Table<FutureIncomingResponseRes> future_incoming_responses;
};

inline constexpr const char* kTypes = "wasi:http/types";
inline constexpr const char* kOutgoingHandler = "wasi:http/outgoing-handler";

// `fn(WasiP2&, HttpState&, HostCall&, args)` as a HostFunc of `iface`.
template <class F>
void def(Linker& l, std::string_view iface, const std::string& name, F fn) {
  l.func(std::string(iface) + "@" + kVersion, name, [fn](HostCall& call, std::span<Value> args) -> HostResult {
    WasiP2* w = call.data<WasiP2>();
    if (!w || !w->http) return trap("the instance has no wasi:http context");
    return fn(*w, *w->http, call, args);
  });
}
template <class T>
void def_resource(Linker& l, const std::string& name, Table<T> HttpState::*table) {
  l.resource(std::string(kTypes) + "@" + kVersion, name, [table](HostCall& call, uint32_t r) {
    if (WasiP2* w = call.data<WasiP2>(); w && w->http) (w->http.get()->*table).erase(r);
  });
}

// The content-length header's value, if there is a valid one.
std::optional<uint64_t> content_length_of(const FieldList& headers);
// A new fields resource (immutable: a view of a request's or response's).
uint32_t new_fields(HttpState& h, FieldList entries, bool immutable);
// The entries of a fields handle the guest passed (null: unknown).
Fields* find_fields(HttpState& h, const Value& handle);
// A header-error / header check of a name and value, as wasmtime's `http` crate.
bool valid_field_name(std::string_view name);
bool valid_field_value(std::string_view value);

Value method_value(std::string_view method);
Value scheme_value(std::string_view scheme);
// error-code values.
inline Value error_code(std::string label) { return Value::variant(std::move(label)); }
// A new pollable of the WASI tables that asks `r`.
Value new_host_pollable(WasiP2& w, std::shared_ptr<p2::HostReadiness> r);
Value always_ready_pollable(WasiP2& w);

void add_fields(Linker& l);
void add_incoming(Linker& l);
void add_outgoing(Linker& l);
void add_client(Linker& l);

}  // namespace whirl::wasi::http
