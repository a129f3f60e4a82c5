#include "component/runtime/linker.h"
#include "spin/mysql/my_client.h"
#include "spin/mysql/mysql.h"
#include "spin/outbound/outbound.h"
#include "wasi/p2/ctx.h"

namespace whirl::spin {
namespace mysql {
namespace {

using component::runtime::HostCall;
using wasi::p2::HostResult;
using wasi::p2::ret;

constexpr const char* kV1 = "fermyon:spin/mysql";
constexpr const char* kV1Types = "fermyon:spin/rdbms-types";
constexpr const char* kV2 = "fermyon:spin/mysql@2.0.0";
constexpr const char* kV2Types = "fermyon:spin/rdbms-types@2.0.0";

struct MyApp {
  MyApp(const FactorContext& ctx, std::optional<size_t> max)
      : hosts(ctx), limit(std::make_shared<outbound::ConnectionLimit>(max)) {}
  outbound::ComponentHosts hosts;
  std::shared_ptr<outbound::ConnectionLimit> limit;
};

struct MyInstance {
  std::shared_ptr<const Expected<AllowedHosts>> hosts;
  std::shared_ptr<outbound::ConnectionLimit> limit;
  struct Conn {
    std::unique_ptr<MyConnection> conn;
    outbound::ConnectionLimit::Permit permit;
  };
  wasi::p2::Table<Conn> connections;
};

HostResult trap(std::string m) { return unexpected(component::abi::Trap{std::move(m), std::nullopt}); }

Value error_value(bool v1, const MyError& e) {
  static const char* kLabels[] = {"connection-failed", "bad-parameter", "query-failed", "value-conversion-failed"};
  size_t k = size_t(e.kind);
  const char* label = k < 4 ? kLabels[k] : v1 ? "other-error" : "other";
  return Value::variant(label, Value::string(e.text));
}
HostResult fail(bool v1, const MyError& e) {
  if (e.kind == MyError::Kind::Interrupted) return trap("interrupted");
  return ret(Value::err(error_value(v1, e)));
}

// Spin's open: a connection permit, the allowed-hosts check of the whole
// address (mysql://), then the connection; its handle.
Expected<uint32_t, MyError> open_connection(MyInstance& st, const std::string& address, wasm::Store& store) {
  auto permit = outbound::ConnectionLimit::acquire(st.limit, store);
  if (!permit) return unexpected(MyError{MyError::Kind::Interrupted, "interrupted"});
  if (!*st.hosts) return unexpected(MyError{MyError::Kind::Other, st.hosts->error().message});
  if (!outbound::allows(**st.hosts, address, "mysql"))
    return unexpected(MyError{MyError::Kind::ConnectionFailed, "address " + address + " is not permitted"});
  // Spin's resource table holds 1024 connections per instance.
  if (st.connections.size() >= 1024) return unexpected(MyError{MyError::Kind::ConnectionFailed, "too many connections"});
  auto a = parse_mysql_address(address);
  if (!a) return unexpected(MyError{MyError::Kind::ConnectionFailed, a.error().message});
  auto conn = MyConnection::connect(*a, store);
  if (!conn) return unexpected(conn.error());
  return st.connections.add(MyInstance::Conn{std::move(*conn), std::move(*permit)});
}

Value row_set(MyRowSet rs) {
  std::vector<Value> columns, rows;
  for (auto& [name, type] : rs.columns)
    columns.push_back(Value::record({{"name", Value::string(name)}, {"data-type", Value::enumeration(type)}}));
  for (auto& row : rs.rows) rows.push_back(Value::list(std::move(row)));
  return Value::record({{"columns", Value::list(std::move(columns))}, {"rows", Value::list(std::move(rows))}});
}

HostResult call(bool v1, bool query, MyConnection& c, const std::string& statement, const std::vector<Value>& params,
                wasm::Store& store) {
  if (query) {
    auto rs = c.query(statement, params, store);
    if (!rs) return fail(v1, rs.error());
    return ret(Value::ok(row_set(std::move(*rs))));
  }
  auto ok = c.execute(statement, params, store);
  if (!ok) return fail(v1, ok.error());
  return ret(Value::ok());
}

template <class F>
void def(component::runtime::Linker& l, const char* iface, const std::string& name, F fn) {
  l.func(iface, name, [fn](HostCall& c, std::span<Value> args) -> HostResult {
    auto* w = c.data<wasi::p2::WasiP2>();
    MyInstance* st = w ? w->extension<MyInstance>() : nullptr;
    if (!st) return trap("the instance has no MySQL state");
    return fn(*st, c, args);
  });
}

class MyFactor final : public Factor {
 public:
  std::string_view name() const override { return "MySQL"; }
  std::vector<std::string_view> config_sections() const override { return {"outbound_mysql"}; }

  void link(component::runtime::Linker& l) const override {
    l.instance(kV2Types);
    l.resource(kV2, "connection", [](HostCall& c, uint32_t rep) {
      auto* w = c.data<wasi::p2::WasiP2>();
      if (MyInstance* st = w ? w->extension<MyInstance>() : nullptr) st->connections.erase(rep);
    });
    def(l, kV2, "[static]connection.open", [](MyInstance& st, HostCall& c, std::span<Value> a) -> HostResult {
      auto h = open_connection(st, a[0].str, c.store());
      if (!h) return fail(false, h.error());
      return ret(Value::ok(Value::own(*h)));
    });
    for (bool query : {true, false})
      def(l, kV2, query ? "[method]connection.query" : "[method]connection.execute",
          [query](MyInstance& st, HostCall& hc, std::span<Value> a) -> HostResult {
            MyInstance::Conn* c = st.connections.get(a[0].u);
            if (!c) return fail(false, {MyError::Kind::ConnectionFailed, "no connection found"});
            return call(false, query, *c->conn, a[1].str, a[2].items, hc.store());
          });
    // fermyon:spin/mysql (Spin 1): a connection per call.
    l.instance(kV1Types);
    for (bool query : {true, false})
      def(l, kV1, query ? "query" : "execute", [query](MyInstance& st, HostCall& c, std::span<Value> a) -> HostResult {
        auto h = open_connection(st, a[0].str, c.store());
        if (!h) return fail(true, h.error());
        HostResult out = call(true, query, *st.connections.get(*h)->conn, a[1].str, a[2].items, c.store());
        st.connections.erase(*h);
        return out;
      });
  }

  Expected<std::shared_ptr<void>> prepare_app(const FactorContext& ctx) const override {
    auto limits = outbound::read_limits(ctx.config, "outbound_mysql", {"max_connections"});
    if (!limits) return unexpected(limits.error());
    std::optional<size_t> max;
    if (auto it = limits->find("max_connections"); it != limits->end()) max = size_t(it->second);
    return std::shared_ptr<void>(std::make_shared<MyApp>(ctx, max));
  }

  Expected<void> prepare_instance(const std::shared_ptr<void>& app_state, const LoadedComponent& c,
                                  wasi::p2::WasiP2& instance) const override {
    auto app = std::static_pointer_cast<MyApp>(app_state);
    auto st = std::make_shared<MyInstance>();
    st->hosts = app->hosts.of(c.id);
    st->limit = app->limit;
    instance.set_extension(std::move(st));
    return {};
  }
};

const MyFactor factor;

}  // namespace
}  // namespace mysql

const Factor& mysql_factor() { return mysql::factor; }

}  // namespace whirl::spin
