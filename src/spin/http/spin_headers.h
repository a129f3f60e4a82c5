// The routing information Spin hands every component: as request headers
// (`spin-full-url`, ...) for HTTP components, and as environment variables
// (`X_FULL_URL`, `PATH_INFO`, ...) for WAGI components. Same values both ways.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spin/http/message.h"
#include "spin/http/router.h"

namespace whirl::spin::http {

struct SpinHeader {
  std::string header;  // e.g. "spin-full-url"
  std::string env;     // e.g. "X_FULL_URL"
  std::string value;
};

// full-url, path-info, matched-route, base-path, raw-component-route,
// component-route, client-addr, then one path-match-<name> per parameter.
// `base_path` is the application's HTTP base ("/" normally).
std::vector<SpinHeader> compute_spin_headers(const Request& req, const RouteMatch& match,
                                             std::string_view base_path, std::string_view scheme = "http");

}  // namespace whirl::spin::http
