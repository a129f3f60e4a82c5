// The table of factors: one row per host capability, in linking order.
// Adding one: docs/factors.md.
#include "spin/runtime/app_runtime.h"
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

// wasi:http types and outgoing-handler; the HTTP trigger attaches the
// per-request state (wasi::http::attach_http).
class WasiHttpFactor final : public Factor {
 public:
  std::string_view name() const override { return "wasi:http 0.2.x"; }
  void link(component::runtime::Linker& l) const override { wasi::http::add_to_linker(l); }
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

}  // namespace whirl::spin
