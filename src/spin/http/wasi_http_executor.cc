#include "spin/http/wasi_http_executor.h"

#include <fcntl.h>
#include <cstdlib>
#include <unistd.h>

#include "component/runtime/component.h"
#include "spin/http/instance_wasi.h"
#include "spin/http/spin_headers.h"
#include "spin/runtime/outbound_http.h"
#include "spin/variables/variables.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/ctx.h"
#include "wasi/p2/wasi_p2.h"

namespace whirl::spin::http {
namespace {

namespace rt = component::runtime;
using component::abi::Value;

// The guest's response, into the server's writer as the guest produces it.
class WriterSink final : public wasi::http::ResponseSink {
 public:
  explicit WriterSink(ResponseWriter& w) : w_(w) {}
  bool start(uint16_t status, const wasi::http::FieldList& headers) override {
    std::vector<Header> hs;
    hs.reserve(headers.size());
    for (const auto& [n, v] : headers) hs.push_back({n, v});
    return w_.start(status, std::move(hs));
  }
  bool write(std::string_view bytes) override { return w_.write(bytes); }
  void finish(const wasi::http::FieldList& trailers) override {
    if (!trailers.empty()) {
      std::vector<Header> ts;
      for (const auto& [n, v] : trailers) ts.push_back({n, v});
      w_.set_trailers(std::move(ts));
    }
    w_.finish();
  }

 private:
  ResponseWriter& w_;
};

std::string describe_trap(const rt::CallError& e) {
  if (!e.trap || e.trap->backtrace.empty()) return e.message;
  return e.message + " (wasm backtrace: " + wasm::format_backtrace_inline(*e.trap) + ")";
}

// The server's streaming request body as the guest's incoming-body.
class StreamedBody final : public wasi::http::BodySource {
 public:
  explicit StreamedBody(std::shared_ptr<BodyStream> s) : s_(std::move(s)) {}
  Chunk read(size_t max) override {
    BodyStream::Chunk c = s_->read(max);
    return Chunk{std::move(c.bytes), c.end, std::move(c.error)};
  }
  bool ready() override { return s_->wait_for(std::chrono::nanoseconds(0)); }
  bool wait_for(std::chrono::nanoseconds timeout) override { return s_->wait_for(timeout); }
  wasi::http::FieldList trailers() override {
    wasi::http::FieldList out;
    for (auto& h : s_->trailers()) out.emplace_back(std::move(h.name), std::move(h.value));
    return out;
  }

 private:
  std::shared_ptr<BodyStream> s_;
};

wasi::http::IncomingRequest incoming_request(const ExecRequest& r) {
  const Request& req = r.request;
  wasi::http::IncomingRequest in;
  in.method = req.method;
  in.path_with_query = req.target.empty() ? "/" : req.target;
  if (auto host = req.header("host")) in.authority = std::string(*host);
  in.headers.reserve(req.headers.size() + 8);
  for (const auto& h : req.headers) in.headers.emplace_back(h.name, h.value);
  for (auto& s : compute_spin_headers(req, r.match, r.base_path)) in.headers.emplace_back(std::move(s.header), std::move(s.value));
  if (req.body_stream) in.body = std::make_shared<StreamedBody>(req.body_stream);
  else in.body = wasi::http::body_from_string(req.body);
  return in;
}

}  // namespace

namespace {
std::string extra_ca(const WasiHttpOptions& o) {
  if (!o.extra_ca_file.empty()) return o.extra_ca_file;
  const char* env = std::getenv("WHIRL_OUTBOUND_EXTRA_CA");
  return env ? env : "";
}
}  // namespace

WasiHttpExecutor::WasiHttpExecutor(std::shared_ptr<const AppRuntime> runtime, WasiHttpOptions options)
    : options_(options),
      runtime_(std::move(runtime)),
      outbound_(extra_ca(options_), variables::app_variables(runtime_->app_state(variables_factor()))),
      outbound_limit_(outbound_http_settings(*runtime_)->limit) {}

Expected<void> WasiHttpExecutor::check(const LoadedComponent& c) const { return runtime_->check_imports(c); }

Expected<void> WasiHttpExecutor::execute(const ExecRequest& r) {
  const std::string& id = r.component.id;
  if (!r.component.component)
    return make_error("component `" + id + "` is a core module; the HTTP executor runs components");

  OutputCapture out("stdout", options_.output_limit), err("stderr", options_.output_limit);
  wasi::WasiConfig wc = instance_wasi_config(r.component, out, err);
  auto ctx = wasi::p2::create_wasi_p2(std::move(wc));
  if (!ctx) return make_error("component `" + id + "`: " + ctx.error().message);
  wasi::http::OutboundConfig outbound = outbound_.config(r);
  outbound.limit = outbound_limit_;
  auto state = wasi::http::attach_http(**ctx, std::make_shared<WriterSink>(r.response), std::move(outbound));
  if (auto ok = runtime_->prepare_instance(r.component, **ctx); !ok) return unexpected(ok.error());

  wasm::StoreConfig sc;
  if (r.max_memory) sc.max_memory_bytes = r.max_memory;
  sc.shared_budget = r.app_memory;
  auto store = wasm::Store::create(sc);
  wasm::Store* store_ptr = store.get();

  std::optional<std::string> failure;
  std::unique_ptr<rt::ComponentInstance> inst;  // outlives `attached`: the store is detached first
  {
    InterruptSlot::Attached attached(r.interrupt, store_ptr);
    auto made = rt::instantiate(r.component.component.load(), std::move(store), runtime_->linker(), std::any(*ctx));
    if (!made) {
      failure = made.error().trap ? "trapped while starting: " + made.error().message
                                  : "cannot instantiate: " + made.error().message;
    } else {
      inst = std::move(*made);
      auto handle = inst->find_func(kHandle);
      if (!handle) {
        failure = "exports no `wasi:http/incoming-handler` 0.2.x `handle` (is it a wasi:http component?)";
      } else {
        auto [req, outparam] = wasi::http::new_incoming_call(*state, incoming_request(r));
        auto res = inst->call(handle, {Value::own(req), Value::own(outparam)});
        if (!res) {
          const rt::CallError& e = res.error();
          if (e.exit_code) {
            if (*e.exit_code != 0) failure = "exited with code " + std::to_string(*e.exit_code);
          } else if (r.interrupt.fired()) {
            failure = std::string(describe(r.interrupt.reason()));
          } else {
            failure = "trapped: " + describe_trap(e);
          }
        }
      }
    }
  }
  r.logs.component_output(id, "stdout", out.take());
  r.logs.component_output(id, "stderr", err.take());
  if (failure) return make_error("component `" + id + "` " + *failure);

  wasi::http::Outcome o = wasi::http::outcome(*state);
  switch (o.kind) {
    case wasi::http::Outcome::Kind::None:
      return make_error("component `" + id + "` returned without setting a response (response-outparam.set)");
    case wasi::http::Outcome::Kind::Error:
      return make_error("component `" + id + "` responded with error-code " + o.error);
    case wasi::http::Outcome::Kind::Response:
      if (!o.body_finished)
        return make_error("component `" + id + "`: the response body is incomplete: " +
                          (o.error.empty() ? "the handler returned before outgoing-body.finish" : o.error));
      return {};
  }
  return {};
}

}  // namespace whirl::spin::http
