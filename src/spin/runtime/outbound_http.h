// Spin's `[outbound_http]` runtime-config section, which the wasi:http
// factor owns (as Spin's factor-outbound-http): `max_concurrent_requests`
// bounds the app's outbound HTTP requests in flight at once (more wait),
// `connection_pooling` is read and checked. whirl opens a connection per
// outbound request whatever it says (docs/spin.md).
#pragma once

#include <memory>

#include "spin/runtime/app_runtime.h"
#include "wasi/http/wasi_http.h"

namespace whirl::spin {

struct OutboundHttpSettings {
  bool connection_pooling = true;                   // Spin's default without the section
  std::shared_ptr<wasi::http::RequestLimit> limit;  // max_concurrent_requests; null: none
};

// The app's settings: the section as read at startup, or the defaults.
std::shared_ptr<const OutboundHttpSettings> outbound_http_settings(const AppRuntime& runtime);

}  // namespace whirl::spin
