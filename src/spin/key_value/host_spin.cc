// fermyon:spin/key-value: @2.0.0 (a `store` resource) and the unversioned
// Spin 1 interface (u32 store handles, `no-such-key`, `io`), with the
// results and errors Spin's factor-key-value gives (host.rs).
#include "spin/key_value/app_state.h"

namespace whirl::spin::key_value {
namespace {

using component::TypeKind;
using component::runtime::HostCall;
using component::runtime::Linker;
using wasi::p2::HostResult;
using wasi::p2::ret;
using wasi::p2::trap;
using wasi::p2::Value;

constexpr const char* kV2 = "fermyon:spin/key-value@2.0.0";
constexpr const char* kV1 = "fermyon:spin/key-value";

// The `error` variant of @2.0.0.
Value error_v2(const StoreError& e) {
  switch (e.kind) {
    case StoreError::Kind::StoreTableFull: return Value::variant("store-table-full");
    case StoreError::Kind::NoSuchStore: return Value::variant("no-such-store");
    case StoreError::Kind::AccessDenied: return Value::variant("access-denied");
    case StoreError::Kind::Other: break;
  }
  return Value::variant("other", Value::string(e.message));
}

// Spin 1's: `other` is `io`.
Value error_v1(const StoreError& e) {
  if (e.kind == StoreError::Kind::Other) return Value::variant("io", Value::string(e.message));
  return error_v2(e);
}

Value string_list(const std::vector<std::string>& keys) {
  std::vector<Value> items;
  items.reserve(keys.size());
  for (const auto& k : keys) items.push_back(Value::string(k));
  return Value::list(std::move(items));
}

// `fn(KeyValueInstance&, args)` as a host function; an instance without
// the factor's state traps (it was not prepared by AppRuntime).
template <class F>
void def(Linker& l, const char* iface, const std::string& name, F fn) {
  l.func(iface, name, [fn](HostCall& call, std::span<Value> args) -> HostResult {
    auto* w = call.data<wasi::p2::WasiP2>();
    auto* kv = w ? w->extension<KeyValueInstance>() : nullptr;
    if (!kv) return trap("key-value: the instance has no key-value state");
    return fn(*kv, args);
  });
}

// The store of a handle, or a trap: Spin's "invalid store" (an error of
// the host call, not of the interface).
template <class F>
void def_store(Linker& l, const char* iface, const std::string& name, F fn) {
  def(l, iface, name, [fn](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    auto* s = kv.stores.get(a[0].u);
    if (!s || !*s) return trap("key-value: invalid store");
    return fn(**s, a);
  });
}

// A StoreResult as result<T, error>, T made by `ok`.
template <class T, class Ok, class Err>
HostResult reply(const StoreResult<T>& r, Ok ok, Err err) {
  if (!r) return ret(Value::err(err(r.error())));
  return ret(Value::ok(ok(*r)));
}
template <class Err>
HostResult reply_void(const StoreResult<void>& r, Err err) {
  if (!r) return ret(Value::err(err(r.error())));
  return ret(Value::ok());
}

void add_v2(Linker& l) {
  l.resource(kV2, "store", [](HostCall& call, uint32_t rep) {
    auto* w = call.data<wasi::p2::WasiP2>();
    if (auto* kv = w ? w->extension<KeyValueInstance>() : nullptr) kv->stores.erase(rep);
  });
  def(l, kV2, "[static]store.open", [](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    auto r = kv.open(a[0].str);
    return reply(r, [](uint32_t h) { return Value::own(h); }, error_v2);
  });
  def_store(l, kV2, "[method]store.get", [](Store& s, std::span<Value> a) -> HostResult {
    return reply(s.get(a[1].str), [](const std::optional<Bytes>& v) {
      return v ? Value::some(Value::byte_list(*v)) : Value::none();
    }, error_v2);
  });
  def_store(l, kV2, "[method]store.set", [](Store& s, std::span<Value> a) -> HostResult {
    return reply_void(s.set(a[1].str, a[2].list_bytes()), error_v2);
  });
  def_store(l, kV2, "[method]store.delete", [](Store& s, std::span<Value> a) -> HostResult {
    return reply_void(s.del(a[1].str), error_v2);
  });
  def_store(l, kV2, "[method]store.exists", [](Store& s, std::span<Value> a) -> HostResult {
    return reply(s.exists(a[1].str), [](bool b) { return Value::boolean(b); }, error_v2);
  });
  def_store(l, kV2, "[method]store.get-keys", [](Store& s, std::span<Value>) -> HostResult {
    return reply(s.keys(), string_list, error_v2);
  });
}

void add_v1(Linker& l) {
  def(l, kV1, "open", [](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    auto r = kv.open(a[0].str);
    return reply(r, [](uint32_t h) { return Value::uint(TypeKind::U32, h); }, error_v1);
  });
  def_store(l, kV1, "get", [](Store& s, std::span<Value> a) -> HostResult {
    auto r = s.get(a[1].str);
    if (!r) return ret(Value::err(error_v1(r.error())));
    if (!*r) return ret(Value::err(Value::variant("no-such-key")));  // Spin 1 has no option: absent is an error
    return ret(Value::ok(Value::byte_list(**r)));
  });
  def_store(l, kV1, "set", [](Store& s, std::span<Value> a) -> HostResult {
    return reply_void(s.set(a[1].str, a[2].list_bytes()), error_v1);
  });
  def_store(l, kV1, "delete", [](Store& s, std::span<Value> a) -> HostResult {
    return reply_void(s.del(a[1].str), error_v1);
  });
  def_store(l, kV1, "exists", [](Store& s, std::span<Value> a) -> HostResult {
    return reply(s.exists(a[1].str), [](bool b) { return Value::boolean(b); }, error_v1);
  });
  def_store(l, kV1, "get-keys", [](Store& s, std::span<Value>) -> HostResult {
    return reply(s.keys(), string_list, error_v1);
  });
  def(l, kV1, "close", [](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    kv.stores.erase(a[0].u);  // an unknown handle: nothing to close
    return ret();
  });
}

}  // namespace

void add_spin_key_value(Linker& l) {
  add_v2(l);
  add_v1(l);
}

}  // namespace whirl::spin::key_value
