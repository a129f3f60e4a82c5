// The variables factor: Spin's variables interfaces over one resolver per
// app (resolver.h) fed by the providers of providers.h.
//
//   fermyon:spin/variables@2.0.0   get(name) -> result<string, error>
//   spin:variables/variables@3.0.0 get (an `async func`, lowered
//                                  synchronously by the guest)
//   fermyon:spin/config            get-config (Spin 1's name, still linked)
//   wasi:config/store@0.2.0-draft-2024-09-27  get -> option, get-all
//
// Runtime config: `[[variables_provider]]` (or `[[config_provider]]`).
// Other factors and triggers resolve `{{ variable }}` templates (allowed
// outbound hosts, a Redis address) through app_variables().
#pragma once

#include <memory>

#include "spin/factor/factor.h"
#include "spin/manifest/allowed_hosts.h"
#include "spin/variables/resolver.h"

namespace whirl::spin {

const Factor& variables_factor();

namespace variables {

// The app's resolver: from a factor prepared after this one
// (ctx.app_state), or from the state AppRuntime keeps for this factor.
// Null if the variables factor was not prepared for the app.
std::shared_ptr<const Resolver> app_variables(const FactorContext& ctx);
std::shared_ptr<const Resolver> app_variables(const std::shared_ptr<void>& variables_factor_state);

// An application variable's value through `r` (every provider, then the
// default), as AllowedHosts::parse and other template users take it; a
// provider error reads as no value. Keeps `r` alive.
VariableLookup lookup(std::shared_ptr<const Resolver> r);

// What one instance's host calls see.
struct InstanceVariables {
  std::shared_ptr<const Resolver> resolver;
  std::string component;
};

}  // namespace variables
}  // namespace whirl::spin
