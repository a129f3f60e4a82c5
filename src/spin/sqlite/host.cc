// The SQLite interfaces' host functions, every version Spin links
// (crates/factor-sqlite/src/host.rs): one connection table per instance,
// `open` checks the grant first (access-denied), then that the database
// exists (no-such-database), and every call's error is the interface's
// `error` variant; a failed statement is `io` with SQLite's message.
#include <cmath>

#include "spin/sqlite/state.h"

namespace whirl::spin::sqlite {
namespace {

namespace abi = component::abi;
using abi::Value;
using component::TypeKind;
using component::runtime::HostCall;
using component::runtime::Linker;
using HostResult = Expected<std::vector<Value>, abi::Trap>;

constexpr const char* kV1 = "fermyon:spin/sqlite";
constexpr const char* kV2 = "fermyon:spin/sqlite@2.0.0";
constexpr const char* kV3 = "spin:sqlite/sqlite@3.1.0";

HostResult ret(Value v) {
  std::vector<Value> r;
  r.push_back(std::move(v));
  return r;
}
HostResult trap(std::string message) { return unexpected(abi::Trap{std::move(message), std::nullopt}); }

Value error_value(const DbError& e) {
  if (e.kind == DbError::Kind::Io) return Value::variant("io", Value::string(e.message));
  return Value::variant(e.label());
}
Value failed(const DbError& e) { return Value::err(error_value(e)); }

Value to_value(const SqlValue& v) {
  switch (v.kind) {
    case SqlValue::Kind::Integer: return Value::variant("integer", Value::sint(TypeKind::S64, v.integer));
    case SqlValue::Kind::Real: return Value::variant("real", Value::float64(v.real));
    case SqlValue::Kind::Text: return Value::variant("text", Value::string(v.bytes));
    case SqlValue::Kind::Blob: return Value::variant("blob", Value::byte_list(v.bytes));
    case SqlValue::Kind::Null: break;
  }
  return Value::variant("null");
}

SqlValue from_value(const Value& v) {
  const Value* p = v.payload();
  if (v.label == "integer" && p) return SqlValue::of_integer(p->s);
  if (v.label == "real" && p) return SqlValue::of_real(p->f64);
  if (v.label == "text" && p) return SqlValue::of_text(p->str);
  if (v.label == "blob" && p) return SqlValue::of_blob(p->list_bytes());
  return SqlValue::null();
}

Value query_result(const QueryResult& r) {
  std::vector<Value> columns, rows;
  columns.reserve(r.columns.size());
  for (const auto& c : r.columns) columns.push_back(Value::string(c));
  rows.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    std::vector<Value> values;
    values.reserve(row.size());
    for (const auto& v : row) values.push_back(to_value(v));
    rows.push_back(Value::record({{"values", Value::list(std::move(values))}}));
  }
  return Value::record({{"columns", Value::list(std::move(columns))}, {"rows", Value::list(std::move(rows))}});
}

InstanceState* state_of(HostCall& call) {
  auto* w = call.data<wasi::p2::WasiP2>();
  return w ? w->extension<InstanceState>() : nullptr;
}

// `fn(InstanceState&, HostCall&, args)` as a host function of `iface`.
template <class F>
void def(Linker& l, const char* iface, const std::string& name, F fn) {
  l.func(iface, name, [fn, iface](HostCall& call, std::span<Value> args) -> HostResult {
    InstanceState* st = state_of(call);
    if (!st) return trap(std::string(iface) + ": the instance has no SQLite state");
    return fn(*st, call, args);
  });
}

// Shared by every version: a new connection's representation, or the error.
Expected<uint32_t, DbError> open(InstanceState& st, const std::string& label) {
  if (!st.allowed->count(label)) return unexpected(DbError{DbError::Kind::AccessDenied, {}});
  auto it = st.app->databases.find(label);
  if (it == st.app->databases.end()) return unexpected(DbError{DbError::Kind::NoSuchDatabase, {}});
  auto conn = connect(it->second);
  if (!conn) return unexpected(conn.error());
  if (st.connections.size() >= kMaxConnections) return unexpected(DbError::io("too many connections opened"));
  return st.connections.add(std::move(*conn));
}

HostResult open_result(InstanceState& st, const Value& name) {
  auto rep = open(st, name.str);
  if (!rep) return ret(failed(rep.error()));
  return ret(Value::ok(Value::own(*rep)));
}

Connection* find(InstanceState& st, uint64_t rep) {
  auto* c = st.connections.get(rep);
  return c ? c->get() : nullptr;
}

HostResult execute(InstanceState& st, HostCall& call, uint64_t rep, const Value& sql, const Value& params) {
  Connection* c = find(st, rep);
  if (!c) return ret(failed(DbError{DbError::Kind::InvalidConnection, {}}));
  std::vector<SqlValue> values;
  values.reserve(params.items.size());
  for (const Value& v : params.items) values.push_back(from_value(v));
  auto& store = call.store();
  auto r = c->query(sql.str, values, kMaxResultBytes, [&store] { return store.interrupted(); });
  // A request past its time stops its statement, and the guest with it.
  if (store.interrupted()) return trap("interrupted");
  if (!r) return ret(failed(r.error()));
  return ret(Value::ok(query_result(*r)));
}

void erase(HostCall& call, uint32_t rep) {
  if (InstanceState* st = state_of(call)) st->connections.erase(rep);
}

// The resource versions (2.0.0 and 3.x) share open/execute.
void add_resource_interface(Linker& l, const char* iface) {
  l.resource(iface, "connection", erase);
  def(l, iface, "[static]connection.open",
      [](InstanceState& st, HostCall&, std::span<Value> a) { return open_result(st, a[0]); });
  def(l, iface, "[method]connection.execute", [](InstanceState& st, HostCall& call, std::span<Value> a) {
    return execute(st, call, a[0].u, a[1], a[2]);
  });
}

// changes / last-insert-rowid of a connection Spin cannot find trap there
// (an anyhow error, not the variant); so here.
template <class T, class Get>
HostResult connection_number(InstanceState& st, uint64_t rep, TypeKind kind, Get get) {
  Connection* c = find(st, rep);
  if (!c) return trap("invalid-connection");
  auto n = get(*c);
  if (!n) return trap(n.error().message);
  return ret(kind == TypeKind::S64 ? Value::sint(kind, int64_t(*n)) : Value::uint(kind, uint64_t(*n)));
}

void add_v3(Linker& l) {
  add_resource_interface(l, kV3);
  auto rowid = [](InstanceState& st, HostCall&, std::span<Value> a) {
    return connection_number<int64_t>(st, a[0].u, TypeKind::S64, [](Connection& c) { return c.last_insert_rowid(); });
  };
  auto changes = [](InstanceState& st, HostCall&, std::span<Value> a) {
    return connection_number<uint64_t>(st, a[0].u, TypeKind::U64, [](Connection& c) { return c.changes(); });
  };
  def(l, kV3, "[method]connection.last-insert-rowid", rowid);
  def(l, kV3, "[method]connection.changes", changes);
  // 3.1.0's async functions: a guest lowering them synchronously gets the
  // same answers; an async lower traps in the runtime before reaching here.
  def(l, kV3, "[static]connection.open-async",
      [](InstanceState& st, HostCall&, std::span<Value> a) { return open_result(st, a[0]); });
  def(l, kV3, "[method]connection.last-insert-rowid-async", rowid);
  def(l, kV3, "[method]connection.changes-async", changes);
  def(l, kV3, "[method]connection.execute-async", [](InstanceState&, HostCall&, std::span<Value>) {
    return trap(std::string(kV3) +
                " execute-async returns a stream and a future (component-model async), which whirl does not "
                "support; execute gives the same rows");
  });
}

// Spin 1.x's interface: connections are plain u32 ids in the same table.
void add_v1(Linker& l) {
  def(l, kV1, "open", [](InstanceState& st, HostCall&, std::span<Value> a) -> HostResult {
    auto rep = open(st, a[0].str);
    if (!rep) return ret(failed(rep.error()));
    return ret(Value::ok(Value::uint(TypeKind::U32, *rep)));
  });
  def(l, kV1, "execute", [](InstanceState& st, HostCall& call, std::span<Value> a) {
    return execute(st, call, a[0].u, a[1], a[2]);
  });
  def(l, kV1, "close", [](InstanceState& st, HostCall&, std::span<Value> a) -> HostResult {
    st.connections.erase(a[0].u);
    return std::vector<Value>{};
  });
}

}  // namespace

void add_to_linker(Linker& l) {
  add_v1(l);
  add_resource_interface(l, kV2);
  add_v3(l);
}

}  // namespace whirl::spin::sqlite
