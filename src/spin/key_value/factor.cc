#include "spin/key_value/app_state.h"
#include "spin/key_value/key_value.h"

namespace whirl::spin {
namespace {

using key_value::KeyValueApp;
using key_value::KeyValueInstance;

class KeyValueFactor final : public Factor {
 public:
  std::string_view name() const override { return "key-value"; }
  std::vector<std::string_view> config_sections() const override { return {"key_value_store"}; }
  void link(component::runtime::Linker& l) const override {
    key_value::add_spin_key_value(l);
    key_value::add_wasi_keyvalue(l);
  }
  Expected<std::shared_ptr<void>> prepare_app(const FactorContext& ctx) const override {
    auto app = key_value::configure(ctx);
    if (!app) return unexpected(app.error());
    return std::shared_ptr<void>(std::move(*app));
  }
  Expected<void> prepare_instance(const std::shared_ptr<void>& state, const LoadedComponent& c,
                                  wasi::p2::WasiP2& instance) const override {
    auto app = std::static_pointer_cast<const KeyValueApp>(state);
    auto it = app->granted.find(c.id);
    const std::set<std::string>* granted = it == app->granted.end() ? nullptr : &it->second;
    instance.set_extension(std::make_shared<KeyValueInstance>(std::move(app), granted));
    return {};
  }
};

const KeyValueFactor factor;

}  // namespace

const Factor& key_value_factor() { return factor; }

namespace key_value {

Expected<std::pair<std::string, std::string>> parse_key_value_arg(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos) return make_error("--key-value " + arg + ": Key/Values must be of the form `key=value`");
  return std::make_pair(arg.substr(0, eq), arg.substr(eq + 1));
}

Expected<void> set_default_values(const std::shared_ptr<void>& state,
                                  std::span<const std::pair<std::string, std::string>> pairs) {
  if (pairs.empty()) return {};
  auto app = std::static_pointer_cast<const KeyValueApp>(state);
  if (!app) return make_error("--key-value: the key-value factor is not set up");
  auto store = app->stores.at("default")->open("default");
  if (!store) return make_error("--key-value: cannot open the default key-value store: " + store.error().message);
  for (const auto& [k, v] : pairs)
    if (auto ok = (*store)->set(k, v); !ok)
      return make_error("--key-value " + k + ": failed to set key-value pair: " + ok.error().message);
  return {};
}

std::string default_store_line(const std::shared_ptr<void>& state) {
  auto app = std::static_pointer_cast<const KeyValueApp>(state);
  if (!app) return "";
  for (const auto& [component, labels] : app->granted)
    if (labels.count("default"))
      return "Storing default key-value data to " + app->stores.at("default")->summary() + ".";
  return "";
}

}  // namespace key_value

}  // namespace whirl::spin
