// Outbound HTTP for wasi:http components as Spin allows it: each
// component's `allowed_outbound_hosts` (parsed once per component, its
// `{{ variable }}` templates resolved by the app's variables resolver, with
// every provider) decides
// per request; a request without an authority (`self`) runs in-process
// through the trigger, no socket involved.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "spin/http/executor.h"
#include "spin/manifest/allowed_hosts.h"
#include "spin/variables/resolver.h"
#include "wasi/http/wasi_http.h"

namespace whirl::spin::http {

class OutboundPolicies {
 public:
  // `extra_ca_file`: PEM CAs trusted besides the system store (tests).
  // `vars`: the app's variables (null: templates have no values).
  OutboundPolicies(std::string extra_ca_file, std::shared_ptr<const variables::Resolver> vars)
      : extra_ca_(std::move(extra_ca_file)), vars_(std::move(vars)) {}
  // The config for one request's instance of `r.component`.
  wasi::http::OutboundConfig config(const ExecRequest& r);

 private:
  std::shared_ptr<const Expected<AllowedHosts>> hosts_of(const ExecRequest& r);

  std::string extra_ca_;
  std::shared_ptr<const variables::Resolver> vars_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Expected<AllowedHosts>>> hosts_;  // by component id
};

}  // namespace whirl::spin::http
