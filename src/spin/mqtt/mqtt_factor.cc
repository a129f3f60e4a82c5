#include "component/runtime/linker.h"
#include "spin/mqtt/mqtt.h"
#include "spin/mqtt/mqtt_client.h"
#include "spin/outbound/outbound.h"
#include "wasi/p2/ctx.h"

namespace whirl::spin {
namespace mqtt {
namespace {

using component::abi::Value;
using component::runtime::HostCall;
using wasi::p2::HostResult;
using wasi::p2::ret;

constexpr const char* kV2 = "fermyon:spin/mqtt@2.0.0";

struct MqttApp {
  MqttApp(const FactorContext& ctx, std::optional<size_t> max, std::optional<size_t> max_payload)
      : hosts(ctx), limit(std::make_shared<outbound::ConnectionLimit>(max)), max_payload(max_payload) {}
  outbound::ComponentHosts hosts;
  std::shared_ptr<outbound::ConnectionLimit> limit;
  std::optional<size_t> max_payload;
};

struct MqttInstance {
  std::shared_ptr<const MqttApp> app;
  std::shared_ptr<const Expected<AllowedHosts>> hosts;
  struct Conn {
    std::unique_ptr<MqttClient> client;
    outbound::ConnectionLimit::Permit permit;
  };
  wasi::p2::Table<Conn> connections;
};

HostResult trap(std::string m) { return unexpected(component::abi::Trap{std::move(m), std::nullopt}); }
HostResult fail(const char* label, std::optional<std::string> text = std::nullopt) {
  return ret(Value::err(text ? Value::variant(label, Value::string(*text)) : Value::variant(label)));
}

MqttInstance* state_of(HostCall& call) {
  auto* w = call.data<wasi::p2::WasiP2>();
  return w ? w->extension<MqttInstance>() : nullptr;
}

// Spin's open: the allowed-hosts check, a connection permit, then the
// client (not yet connected).
HostResult open_conn(MqttInstance& st, HostCall& call, std::span<Value> a) {
  const std::string& address = a[0].str;
  if (!*st.hosts) return fail("other", st.hosts->error().message);
  if (!outbound::allows(**st.hosts, address, "mqtt"))
    return fail("connection-failed", "address " + address + " is not permitted");
  auto permit = outbound::ConnectionLimit::acquire(st.app->limit, call.store());
  if (!permit) return trap("interrupted");
  auto opts = parse_mqtt_address(address);
  if (opts && st.connections.size() >= 1024) return fail("too-many-connections");  // Spin's table size
  if (!opts) return fail("invalid-address");
  opts->username = a[1].str;
  opts->password = a[2].str;
  // rumqttc keeps the keep-alive as u16 seconds.
  opts->keep_alive = uint16_t(a[3].u);
  uint32_t h = st.connections.add(MqttInstance::Conn{std::make_unique<MqttClient>(std::move(*opts)), std::move(*permit)});
  return ret(Value::ok(Value::own(h)));
}

HostResult publish(MqttInstance& st, HostCall& call, std::span<Value> a) {
  std::string payload = a[2].list_bytes();
  if (st.app->max_payload && payload.size() > *st.app->max_payload)
    return fail("other", "payload size " + std::to_string(payload.size()) + " exceeds the maximum allowed size of " +
                             std::to_string(*st.app->max_payload) + " bytes");
  MqttInstance::Conn* c = st.connections.get(a[0].u);
  if (!c) return fail("other", std::string("could not find connection for resource"));
  const std::string& q = a[3].label;
  int qos = q == "at-most-once" ? 0 : q == "at-least-once" ? 1 : 2;
  auto ok = c->client->publish(a[1].str, payload, qos, call.store());
  if (!ok) {
    if (ok.error().kind == MqttError::Kind::Interrupted) return trap("interrupted");
    return fail(ok.error().kind == MqttError::Kind::Other ? "other" : "connection-failed", ok.error().text);
  }
  return ret(Value::ok());
}

class MqttFactor final : public Factor {
 public:
  std::string_view name() const override { return "MQTT"; }
  std::vector<std::string_view> config_sections() const override { return {"outbound_mqtt"}; }

  void link(component::runtime::Linker& l) const override {
    l.resource(kV2, "connection", [](HostCall& call, uint32_t rep) {
      if (MqttInstance* st = state_of(call)) st->connections.erase(rep);
    });
    auto def = [&l](const char* name, HostResult (*fn)(MqttInstance&, HostCall&, std::span<Value>)) {
      l.func(kV2, name, [fn](HostCall& call, std::span<Value> args) -> HostResult {
        MqttInstance* st = state_of(call);
        if (!st) return trap("the instance has no MQTT state");
        return fn(*st, call, args);
      });
    };
    def("[static]connection.open", open_conn);
    def("[method]connection.publish", publish);
  }

  Expected<std::shared_ptr<void>> prepare_app(const FactorContext& ctx) const override {
    auto limits = outbound::read_limits(ctx.config, "outbound_mqtt", {"max_payload_size_bytes", "max_connections"});
    if (!limits) return unexpected(limits.error());
    std::optional<size_t> max, max_payload;
    if (auto it = limits->find("max_connections"); it != limits->end()) max = size_t(it->second);
    if (auto it = limits->find("max_payload_size_bytes"); it != limits->end()) max_payload = size_t(it->second);
    return std::shared_ptr<void>(std::make_shared<MqttApp>(ctx, max, max_payload));
  }

  Expected<void> prepare_instance(const std::shared_ptr<void>& app_state, const LoadedComponent& c,
                                  wasi::p2::WasiP2& instance) const override {
    auto st = std::make_shared<MqttInstance>();
    st->app = std::static_pointer_cast<const MqttApp>(app_state);
    st->hosts = st->app->hosts.of(c.id);
    instance.set_extension(std::move(st));
    return {};
  }
};

const MqttFactor factor;

}  // namespace
}  // namespace mqtt

const Factor& mqtt_factor() { return mqtt::factor; }

}  // namespace whirl::spin
