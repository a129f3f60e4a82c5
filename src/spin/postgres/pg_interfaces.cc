// The postgres interfaces, each version a narrowing of spin:postgres@4's
// values and errors as Spin's spin-world conversions narrow them: cases an
// older interface lacks become `unsupported` (values) and `other` (column
// types), a server error becomes its text, unsigned parameters of the
// rdbms-types interfaces are `value-conversion-failed`.
#include "spin/postgres/pg_interfaces.h"

#include <algorithm>
#include <array>

namespace whirl::spin::postgres {
namespace {

using component::TypeKind;
using component::runtime::HostCall;
using wasi::p2::HostResult;
using wasi::p2::ret;

enum class Ver { V1, V2, V3, V4 };

constexpr const char* kV1 = "fermyon:spin/postgres";
constexpr const char* kV1Types = "fermyon:spin/rdbms-types";
constexpr const char* kV2 = "fermyon:spin/postgres@2.0.0";
constexpr const char* kV2Types = "fermyon:spin/rdbms-types@2.0.0";
constexpr const char* kV3 = "spin:postgres/postgres@3.0.0";
constexpr const char* kV4 = "spin:postgres/postgres@4.2.0";

HostResult trap(std::string m) { return unexpected(component::abi::Trap{std::move(m), std::nullopt}); }

Value error_value(Ver v, const PgError& e) {
  switch (e.kind) {
    case PgError::Kind::ConnectionFailed: return Value::variant("connection-failed", Value::string(e.text));
    case PgError::Kind::BadParameter: return Value::variant("bad-parameter", Value::string(e.text));
    case PgError::Kind::ValueConversionFailed: return Value::variant("value-conversion-failed", Value::string(e.text));
    case PgError::Kind::QueryFailed: {
      if (v != Ver::V4) return Value::variant("query-failed", Value::string(e.text));
      if (!e.db) return Value::variant("query-failed", Value::variant("text", Value::string(e.text)));
      std::vector<Value> extras;
      for (const auto& [k, x] : e.db->extras) extras.push_back(Value::tuple({Value::string(k), Value::string(x)}));
      Value db = Value::record({{"as-text", Value::string(e.text)},
                                {"severity", Value::string(e.db->severity)},
                                {"code", Value::string(e.db->code)},
                                {"message", Value::string(e.db->message)},
                                {"detail", e.db->detail ? Value::some(Value::string(*e.db->detail)) : Value::none()},
                                {"extras", Value::list(std::move(extras))}});
      return Value::variant("query-failed", Value::variant("db-error", std::move(db)));
    }
    default: return Value::variant(v == Ver::V1 ? "other-error" : "other", Value::string(e.text));
  }
}

HostResult fail(Ver v, const PgError& e) {
  if (e.kind == PgError::Kind::Interrupted) return trap("interrupted");
  return ret(Value::err(error_value(v, e)));
}
HostResult fail(Ver v, PgError::Kind k, std::string text) { return fail(v, PgError{k, std::move(text), std::nullopt}); }

bool in(const std::string& label, std::initializer_list<const char*> set) {
  return std::any_of(set.begin(), set.end(), [&](const char* s) { return label == s; });
}
#define WHIRL_V2_CASES "boolean", "int8", "int16", "int32", "int64", "floating32", "floating64", "str", "binary"
#define WHIRL_V3_CASES WHIRL_V2_CASES, "date", "time", "datetime", "timestamp"

bool known(Ver v, const std::string& label) {
  return v == Ver::V4 || (v == Ver::V3 ? in(label, {WHIRL_V3_CASES}) : in(label, {WHIRL_V2_CASES}));
}

Value narrow_type(Ver v, const Value& t) {
  if (v == Ver::V4) return t;
  return Value::enumeration(known(v, t.label) ? t.label : "other");
}

Value narrow_value(Ver v, Value x) {
  if (v == Ver::V4 || x.label == "db-null" || (x.label != "unsupported" && known(v, x.label))) return x;
  return Value::variant("unsupported");
}

Value row_set(Ver v, PgRowSet rs) {
  std::vector<Value> columns, rows;
  for (auto& [name, type] : rs.columns)
    columns.push_back(Value::record({{"name", Value::string(name)}, {"data-type", narrow_type(v, type)}}));
  for (auto& row : rs.rows) {
    std::vector<Value> cells;
    cells.reserve(row.size());
    for (auto& x : row) cells.push_back(narrow_value(v, std::move(x)));
    rows.push_back(Value::list(std::move(cells)));
  }
  return Value::record({{"columns", Value::list(std::move(columns))}, {"rows", Value::list(std::move(rows))}});
}

// rdbms-types parameters: Postgres has no unsigned integers.
Expected<void, PgError> check_signed(Ver v, const std::vector<Value>& params) {
  if (v != Ver::V1 && v != Ver::V2) return {};
  for (const Value& p : params)
    if (in(p.label, {"uint8", "uint16", "uint32", "uint64"}))
      return unexpected(PgError{PgError::Kind::ValueConversionFailed, "Postgres does not support unsigned integers",
                                std::nullopt});
  return {};
}

// Spin converts every parameter before the statement goes out; the error
// is `value-conversion-failed` from execute, `bad-parameter` from query.
Expected<void, PgError> convert(const std::vector<Value>& params, PgError::Kind kind) {
  for (const Value& p : params)
    if (auto ok = check_param(p); !ok) return unexpected(PgError{kind, ok.error().message, std::nullopt});
  return {};
}

template <class F>
void def(component::runtime::Linker& l, const char* iface, const std::string& name, F fn) {
  l.func(iface, name, [fn](HostCall& call, std::span<Value> args) -> HostResult {
    auto* w = call.data<wasi::p2::WasiP2>();
    PgInstance* st = w ? w->extension<PgInstance>() : nullptr;
    if (!st) return trap("the instance has no PostgreSQL state");
    return fn(*st, call, args);
  });
}

PgInstance* state_of(HostCall& call) {
  auto* w = call.data<wasi::p2::WasiP2>();
  return w ? w->extension<PgInstance>() : nullptr;
}

HostResult do_query(Ver v, HostCall& call, PgConnection& c, const std::string& stmt, const std::vector<Value>& params) {
  if (auto ok = convert(params, PgError::Kind::BadParameter); !ok) return fail(v, ok.error());
  auto rs = c.query(stmt, params, call.store());
  if (!rs) return fail(v, rs.error());
  return ret(Value::ok(row_set(v, std::move(*rs))));
}

HostResult do_execute(Ver v, HostCall& call, PgConnection& c, const std::string& stmt,
                      const std::vector<Value>& params) {
  if (auto ok = convert(params, PgError::Kind::ValueConversionFailed); !ok) return fail(v, ok.error());
  auto n = c.execute(stmt, params, call.store());
  if (!n) return fail(v, n.error());
  return ret(Value::ok(Value::uint(TypeKind::U64, *n)));
}

// The resource-based interfaces (@2.0.0, @3.0.0, @4.x).
void add_connection(component::runtime::Linker& l, const char* iface, Ver v) {
  l.resource(iface, "connection", [](HostCall& call, uint32_t rep) {
    if (PgInstance* st = state_of(call)) st->connections.erase(rep);
  });
  def(l, iface, "[static]connection.open", [v](PgInstance& st, HostCall& call, std::span<Value> a) -> HostResult {
    auto h = open_connection(st, a[0].str, "", call.store());
    if (!h) return fail(v, h.error());
    return ret(Value::ok(Value::own(*h)));
  });
  for (bool query : {true, false}) {
    def(l, iface, query ? "[method]connection.query" : "[method]connection.execute",
        [v, query](PgInstance& st, HostCall& call, std::span<Value> a) -> HostResult {
          const std::vector<Value>& params = a[2].items;
          if (auto ok = check_signed(v, params); !ok) return fail(v, ok.error());
          PgInstance::Conn* c = st.connections.get(a[0].u);
          if (!c) return fail(v, PgError::Kind::ConnectionFailed, "no connection found");
          return query ? do_query(v, call, *c->conn, a[1].str, params)
                       : do_execute(v, call, *c->conn, a[1].str, params);
        });
  }
}

void add_builder(component::runtime::Linker& l) {
  l.resource(kV4, "connection-builder", [](HostCall& call, uint32_t rep) {
    if (PgInstance* st = state_of(call)) st->builders.erase(rep);
  });
  def(l, kV4, "[constructor]connection-builder", [](PgInstance& st, HostCall&, std::span<Value> a) -> HostResult {
    if (st.builders.size() >= kMaxConnectionsPerInstance) return trap("out of builder table space");
    return ret(Value::own(st.builders.add(PgInstance::Builder{a[0].str, ""})));
  });
  def(l, kV4, "[method]connection-builder.set-ca-root",
      [](PgInstance& st, HostCall&, std::span<Value> a) -> HostResult {
        auto pem = check_root_ca(a[1].str);
        if (!pem) return fail(Ver::V4, pem.error());
        PgInstance::Builder* b = st.builders.get(a[0].u);
        if (!b) return fail(Ver::V4, PgError::Kind::ConnectionFailed, "no builder found");
        b->root_ca = *pem;
        return ret(Value::ok());
      });
  // Spin's synchronous build skips the allowed-hosts check its open and
  // build-async make; whirl checks here too.
  def(l, kV4, "[method]connection-builder.build", [](PgInstance& st, HostCall& call, std::span<Value> a) -> HostResult {
    PgInstance::Builder* b = st.builders.get(a[0].u);
    if (!b) return fail(Ver::V4, PgError::Kind::ConnectionFailed, "no builder found");
    PgInstance::Builder copy = *b;
    auto h = open_connection(st, copy.address, copy.root_ca, call.store());
    if (!h) return fail(Ver::V4, h.error());
    return ret(Value::ok(Value::own(*h)));
  });
}

// fermyon:spin/postgres (Spin 1): a connection per call, closed after it;
// parameters are converted once the connection is made, as Spin does.
void add_v1(component::runtime::Linker& l) {
  l.instance(kV1Types);
  for (bool query : {true, false}) {
    def(l, kV1, query ? "query" : "execute", [query](PgInstance& st, HostCall& call, std::span<Value> a) -> HostResult {
      auto h = open_connection(st, a[0].str, "", call.store());
      if (!h) return fail(Ver::V1, h.error());
      struct Close {
        PgInstance& st;
        uint32_t h;
        ~Close() { st.connections.erase(h); }
      } close{st, *h};
      const std::vector<Value>& params = a[2].items;
      if (auto ok = check_signed(Ver::V1, params); !ok) return fail(Ver::V1, ok.error());
      PgConnection& c = *st.connections.get(*h)->conn;
      return query ? do_query(Ver::V1, call, c, a[1].str, params) : do_execute(Ver::V1, call, c, a[1].str, params);
    });
  }
}

}  // namespace

void add_interfaces(component::runtime::Linker& l) {
  add_v1(l);
  l.instance(kV2Types);
  add_connection(l, kV2, Ver::V2);
  add_connection(l, kV3, Ver::V3);
  add_connection(l, kV4, Ver::V4);
  add_builder(l);
}

}  // namespace whirl::spin::postgres
