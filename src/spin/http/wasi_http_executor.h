// Runs a component exporting `wasi:http/incoming-handler` 0.2.x (what every
// current Spin SDK builds) for one request: a fresh instance of the
// component loaded once at startup, linked against the app's Linker (every
// factor: WASI 0.2, wasi:http, Spin's APIs) built once per app; the routed request with Spin's
// `spin-*` headers as the incoming-request; the response streamed to the
// client as the guest writes it; stdout/stderr logged (bounded).
#pragma once

#include <cstddef>

#include "component/runtime/linker.h"
#include "spin/http/executor.h"
#include "spin/http/log_sink.h"
#include "spin/http/outbound.h"
#include "spin/runtime/app_runtime.h"

namespace whirl::spin::http {

struct WasiHttpOptions {
  size_t output_limit = OutputCapture::kDefaultCap;  // guest stdout/stderr kept per request, each
  // PEM CAs trusted for outbound HTTPS besides the system store; empty:
  // $WHIRL_OUTBOUND_EXTRA_CA if set (meant for tests with their own CA).
  std::string extra_ca_file;
};

class WasiHttpExecutor : public Executor {
 public:
  WasiHttpExecutor(std::shared_ptr<const AppRuntime> runtime, WasiHttpOptions options = {});
  Expected<void> execute(const ExecRequest& req) override;
  bool wants_whole_body() const override { return false; }  // the guest reads it as it arrives
  // Every interface the component imports is one this executor's Linker
  // provides (at a compatible version), so a missing one is a startup error.
  Expected<void> check(const LoadedComponent& c) const override;

  // The export called: any compatible 0.2.x version matches it.
  static constexpr const char* kHandle = "wasi:http/incoming-handler@0.2.6#handle";

 private:
  WasiHttpOptions options_;
  std::shared_ptr<const AppRuntime> runtime_;  // the app's factors and Linker
  OutboundPolicies outbound_;  // per component: allowed_outbound_hosts
  std::shared_ptr<wasi::http::RequestLimit> outbound_limit_;  // [outbound_http] max_concurrent_requests
};

}  // namespace whirl::spin::http
