// What the host functions of both interface families (host_spin.cc:
// fermyon:spin/key-value, host_wasi.cc: wasi:keyvalue) share: reaching the
// calling instance's key-value state, a handle's store, dropping a
// resource, and StoreResults as result<T, error> values.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spin/key_value/app_state.h"

namespace whirl::spin::key_value::host {

using component::runtime::HostCall;
using component::runtime::Linker;
using wasi::p2::HostResult;
using wasi::p2::ret;
using wasi::p2::trap;
using wasi::p2::Value;

// The calling instance's key-value state; none when AppRuntime did not
// prepare it with the factor.
inline KeyValueInstance* instance_of(HostCall& call) {
  auto* w = call.data<wasi::p2::WasiP2>();
  return w ? w->extension<KeyValueInstance>() : nullptr;
}

// `fn(KeyValueInstance&, args)` as the host function `iface#name`; an
// instance without the factor's state traps, naming `family`.
template <class F>
void def(Linker& l, const char* family, const char* iface, const std::string& name, F fn) {
  l.func(iface, name, [family, fn](HostCall& call, std::span<Value> args) -> HostResult {
    auto* kv = instance_of(call);
    if (!kv) return trap(std::string(family) + ": the instance has no key-value state");
    return fn(*kv, args);
  });
}

// `fn(KeyValueInstance&, store, args)` for the store of the handle in
// args[0]; an unknown or dropped handle gets `missing()`, which each
// family answers its own way.
template <class Missing, class F>
void def_store(Linker& l, const char* family, const char* iface, const std::string& name, Missing missing, F fn) {
  def(l, family, iface, name, [missing, fn](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    auto* s = kv.stores.get(a[0].u);
    if (!s || !*s) return missing();
    return fn(kv, *s, a);
  });
}

// The resource `iface#resource`: the guest's drop frees the entry of
// the instance's `table`.
template <class T>
void drop_from(Linker& l, const char* iface, const char* resource, wasi::p2::Table<T> KeyValueInstance::*table) {
  l.resource(iface, resource, [table](HostCall& call, uint32_t rep) {
    if (auto* kv = instance_of(call)) (kv->*table).erase(rep);
  });
}

// The `error` variant both families have; `store-table-full` where the
// interface has that case, else Spin's other("store table full").
inline Value error_variant(const StoreError& e, bool has_table_full) {
  switch (e.kind) {
    case StoreError::Kind::StoreTableFull:
      return has_table_full ? Value::variant("store-table-full")
                            : Value::variant("other", Value::string("store table full"));
    case StoreError::Kind::NoSuchStore: return Value::variant("no-such-store");
    case StoreError::Kind::AccessDenied: return Value::variant("access-denied");
    case StoreError::Kind::Other: break;
  }
  return Value::variant("other", Value::string(e.message));
}

// A StoreResult as result<T, error>: T made by `ok`, the error by `err`.
template <class T, class Ok, class Err>
HostResult reply(const StoreResult<T>& r, Ok ok, Err err) {
  if (!r) return ret(Value::err(err(r.error())));
  return ret(Value::ok(ok(*r)));
}
template <class Err>
HostResult reply(const StoreResult<void>& r, Err err) {
  if (!r) return ret(Value::err(err(r.error())));
  return ret(Value::ok());
}

inline Value maybe_bytes(const std::optional<Bytes>& v) {
  return v ? Value::some(Value::byte_list(*v)) : Value::none();
}
inline Value boolean(bool b) { return Value::boolean(b); }

inline Value string_list(std::vector<std::string> strings) {
  std::vector<Value> items;
  items.reserve(strings.size());
  for (auto& s : strings) items.push_back(Value::string(std::move(s)));
  return Value::list(std::move(items));
}

}  // namespace whirl::spin::key_value::host
