// The table of factors: one row per host capability, in linking order.
// Adding one: docs/factors.md.
#include "spin/runtime/app_runtime.h"
#include "spin/runtime/outbound_http.h"
#include "spin/manifest/toml_reader.h"
#include "spin/key_value/key_value.h"
#include "spin/mqtt/mqtt.h"
#include "spin/mysql/mysql.h"
#include "spin/postgres/postgres.h"
#include "spin/redis/outbound_redis.h"
#include "spin/sqlite/sqlite.h"
#include "spin/variables/variables.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/wasi_p2.h"

namespace whirl::spin {
namespace {

// WASI 0.2 (wasi:cli, io, clocks, random, filesystem, sockets): the
// per-instance context is made by each trigger (stdio, env, preopens).
class WasiFactor final : public Factor {
 public:
  std::string_view name() const override { return "WASI 0.2"; }
  void link(component::runtime::Linker& l) const override { wasi::p2::add_to_linker(l); }
};

// wasi:http types and outgoing-handler, and the `[outbound_http]`
// section; the HTTP trigger attaches the per-request state
// (wasi::http::attach_http).
class WasiHttpFactor final : public Factor {
 public:
  std::string_view name() const override { return "wasi:http 0.2.x"; }
  std::vector<std::string_view> config_sections() const override { return {"outbound_http"}; }
  void link(component::runtime::Linker& l) const override { wasi::http::add_to_linker(l); }
  Expected<std::shared_ptr<void>> prepare_app(const FactorContext& ctx) const override {
    auto s = std::make_shared<OutboundHttpSettings>();
    const toml::node* node = ctx.config.section("outbound_http");
    if (!node) return std::shared_ptr<void>(s);
    const toml::table* table = node->as_table();
    if (!table) return unexpected(ctx.config.error_at(*node, "`outbound_http` must be a table"));
    detail::Diag diag(ctx.config.path().string());
    detail::Fields f(*table, "[outbound_http]", diag);
    // As Spin (a serde default of false): with the section, pooling is on only when asked for.
    s->connection_pooling = f.boolean("connection_pooling").value_or(false);
    if (const toml::node* max = f.get("max_concurrent_requests")) {
      auto n = max->value<int64_t>();
      if (!max->is_integer() || !n || *n <= 0)
        return unexpected(ctx.config.error_at(*max, "[outbound_http] max_concurrent_requests must be a positive integer"));
      s->limit = std::make_shared<wasi::http::RequestLimit>(size_t(*n));
    }
    f.check_unknown();
    if (diag.failed()) return unexpected(diag.error());
    return std::shared_ptr<void>(s);
  }
};

const WasiFactor wasi_factor;
const WasiHttpFactor wasi_http_factor;

const Factor* const factors[] = {
    &wasi_factor,
    &wasi_http_factor,
    &key_value_factor(),
    &variables_factor(),  // before the factors that resolve `{{ variable }}` templates
    &sqlite::sqlite_factor(),
    &outbound_redis_factor(),
    &postgres_factor(),
    &mysql_factor(),
    &mqtt_factor(),
};

}  // namespace

std::span<const Factor* const> all_factors() { return factors; }

std::shared_ptr<const OutboundHttpSettings> outbound_http_settings(const AppRuntime& runtime) {
  if (auto s = runtime.app_state(wasi_http_factor)) return std::static_pointer_cast<const OutboundHttpSettings>(s);
  return std::make_shared<OutboundHttpSettings>();
}

}  // namespace whirl::spin
