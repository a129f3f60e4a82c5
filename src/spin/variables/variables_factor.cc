// The variables factor and its host functions: Spin's error cases per
// interface version (crates/factor-variables/src/host.rs).
#include "spin/variables/variables.h"

#include "spin/variables/providers.h"
#include "wasi/p2/ctx.h"

namespace whirl::spin {
namespace variables {
namespace {

using component::abi::Value;
using component::runtime::HostCall;
using component::runtime::Linker;
using HostResult = Expected<std::vector<Value>, component::abi::Trap>;

const char* label(VarError::Kind k) {
  switch (k) {
    case VarError::Kind::InvalidName: return "invalid-name";
    case VarError::Kind::Undefined: return "undefined";
    case VarError::Kind::Provider: return "provider";
    case VarError::Kind::Other: return "other";
  }
  return "other";
}

// Rust's Debug of the v2 error (what Spin's v1 `other` case carries).
std::string debug_of(const VarError& e) {
  static const char* names[] = {"InvalidName", "Undefined", "Provider", "Other"};
  return std::string("Error::") + names[static_cast<int>(e.kind)] + "(" + debug_quote(e.message) + ")";
}

HostResult one(Value v) {
  std::vector<Value> r;
  r.push_back(std::move(v));
  return r;
}

HostResult no_state() {
  return unexpected(component::abi::Trap{"the instance has no variables state (not prepared by the app runtime)",
                                         std::nullopt});
}

// `fn(InstanceVariables&, args)` as a host function of `iface`.
template <class F>
void def(Linker& l, const std::string& iface, const std::string& name, F fn) {
  l.func(iface, name, [fn](HostCall& call, std::span<Value> args) -> HostResult {
    auto* w = call.data<wasi::p2::WasiP2>();
    auto* s = w ? w->extension<InstanceVariables>() : nullptr;
    if (!s || !s->resolver) return no_state();
    return fn(*s, args);
  });
}

Value get_result(const InstanceVariables& s, const Value& name) {
  auto v = s.resolver->get(s.component, name.str);
  if (v) return Value::ok(Value::string(std::move(*v)));
  return Value::err(Value::variant(label(v.error().kind), Value::string(v.error().message)));
}

class VariablesFactor final : public Factor {
 public:
  std::string_view name() const override { return "variables"; }
  std::vector<std::string_view> config_sections() const override { return {"variables_provider", "config_provider"}; }

  void link(Linker& l) const override {
    auto get = [](InstanceVariables& s, std::span<Value> args) { return one(get_result(s, args[0])); };
    def(l, "fermyon:spin/variables@2.0.0", "get", get);
    def(l, "spin:variables/variables@3.0.0", "get", get);

    def(l, "fermyon:spin/config", "get-config", [](InstanceVariables& s, std::span<Value> args) {
      auto v = s.resolver->get(s.component, args[0].str);
      if (v) return one(Value::ok(Value::string(std::move(*v))));
      const VarError& e = v.error();
      switch (e.kind) {
        case VarError::Kind::InvalidName: return one(Value::err(Value::variant("invalid-key", Value::string(e.message))));
        case VarError::Kind::Undefined: return one(Value::err(Value::variant("provider", Value::string(e.message))));
        default: return one(Value::err(Value::variant("other", Value::string(debug_of(e)))));
      }
    });

    const std::string config = "wasi:config/store@0.2.0-draft-2024-09-27";
    def(l, config, "get", [](InstanceVariables& s, std::span<Value> args) {
      auto v = s.resolver->get(s.component, args[0].str);
      if (v) return one(Value::ok(Value::some(Value::string(std::move(*v)))));
      const VarError& e = v.error();
      switch (e.kind) {
        // Absent, as wasi-runtime-config advises for a bad name too.
        case VarError::Kind::InvalidName:
        case VarError::Kind::Undefined: return one(Value::ok(Value::none()));
        case VarError::Kind::Provider: return one(Value::err(Value::variant("upstream", Value::string(e.message))));
        default: return one(Value::err(Value::variant("io", Value::string(e.message))));
      }
    });
    def(l, config, "get-all", [](InstanceVariables& s, std::span<Value>) {
      auto all = s.resolver->get_all(s.component);
      if (!all) {
        const VarError& e = all.error();
        const char* c = e.kind == VarError::Kind::Provider ? "upstream" : "io";
        return one(Value::err(Value::variant(c, Value::string(e.message))));
      }
      std::vector<Value> items;
      for (auto& [k, v] : *all) items.push_back(Value::tuple({Value::string(k), Value::string(std::move(v))}));
      return one(Value::ok(Value::list(std::move(items))));
    });
  }

  Expected<std::shared_ptr<void>> prepare_app(const FactorContext& ctx) const override {
    ProviderOptions po;
    po.env = ctx.getenv;
    po.cli_values = ctx.variables;
    auto providers = make_providers(ctx.config, po);
    if (!providers) return unexpected(providers.error());
    auto r = Resolver::create(ctx.app.manifest, std::move(*providers));
    if (!r) return unexpected(r.error());
    if (auto ok = (*r)->check_required(); !ok) return unexpected(ok.error());
    return std::shared_ptr<void>(std::move(*r));
  }

  Expected<void> prepare_instance(const std::shared_ptr<void>& app_state, const LoadedComponent& c,
                                  wasi::p2::WasiP2& instance) const override {
    instance.set_extension(std::make_shared<InstanceVariables>(InstanceVariables{app_variables(app_state), c.id}));
    return {};
  }
};

const VariablesFactor factor;

}  // namespace

std::shared_ptr<const Resolver> app_variables(const std::shared_ptr<void>& state) {
  return std::static_pointer_cast<const Resolver>(state);
}

VariableLookup lookup(std::shared_ptr<const Resolver> r) {
  return [r = std::move(r)](std::string_view name) -> std::optional<std::string> {
    if (!r) return std::nullopt;
    auto v = r->variable(name);
    if (!v) return std::nullopt;
    return std::move(*v);
  };
}

std::shared_ptr<const Resolver> app_variables(const FactorContext& ctx) {
  if (!ctx.app_state) return nullptr;
  return app_variables(ctx.app_state(factor));
}

}  // namespace variables

const Factor& variables_factor() { return variables::factor; }

}  // namespace whirl::spin
