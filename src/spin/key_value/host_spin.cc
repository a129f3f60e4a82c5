// fermyon:spin/key-value: @2.0.0 (a `store` resource) and the unversioned
// Spin 1 interface (u32 store handles, `no-such-key`, `io`), with the
// results and errors Spin's factor-key-value gives (host.rs).
#include "spin/key_value/host_functions.h"

namespace whirl::spin::key_value {
namespace {

using component::TypeKind;
using namespace host;

constexpr const char* kFamily = "key-value";
constexpr const char* kV2 = "fermyon:spin/key-value@2.0.0";
constexpr const char* kV1 = "fermyon:spin/key-value";

// The `error` variant of @2.0.0.
Value error_v2(const StoreError& e) { return error_variant(e, /*has_table_full=*/true); }

// Spin 1's: `other` is `io`.
Value error_v1(const StoreError& e) {
  if (e.kind == StoreError::Kind::Other) return Value::variant("io", Value::string(e.message));
  return error_v2(e);
}

// `fn(store, args)` for the handle in args[0]; a closed or unknown handle
// traps: Spin's "invalid store" (an error of the host call, not of the
// interface).
template <class F>
void def_store(Linker& l, const char* iface, const std::string& name, F fn) {
  host::def_store(l, kFamily, iface, name, [] { return trap("key-value: invalid store"); },
                  [fn](KeyValueInstance&, const std::shared_ptr<Store>& s, std::span<Value> a) { return fn(*s, a); });
}

// set, delete, exists and get-keys: the same in both versions but for
// their names (`prefix` + name) and errors.
template <class Err>
void add_common(Linker& l, const char* iface, const std::string& prefix, Err err) {
  def_store(l, iface, prefix + "set", [err](Store& s, std::span<Value> a) -> HostResult {
    return reply(s.set(a[1].str, a[2].list_bytes()), err);
  });
  def_store(l, iface, prefix + "delete", [err](Store& s, std::span<Value> a) -> HostResult {
    return reply(s.del(a[1].str), err);
  });
  def_store(l, iface, prefix + "exists", [err](Store& s, std::span<Value> a) -> HostResult {
    return reply(s.exists(a[1].str), boolean, err);
  });
  def_store(l, iface, prefix + "get-keys", [err](Store& s, std::span<Value>) -> HostResult {
    return reply(s.keys(), string_list, err);
  });
}

void add_v2(Linker& l) {
  drop_from(l, kV2, "store", &KeyValueInstance::stores);
  def(l, kFamily, kV2, "[static]store.open", [](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    return reply(kv.open(a[0].str), [](uint32_t h) { return Value::own(h); }, error_v2);
  });
  def_store(l, kV2, "[method]store.get", [](Store& s, std::span<Value> a) -> HostResult {
    return reply(s.get(a[1].str), maybe_bytes, error_v2);
  });
  add_common(l, kV2, "[method]store.", error_v2);
}

void add_v1(Linker& l) {
  def(l, kFamily, kV1, "open", [](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    return reply(kv.open(a[0].str), [](uint32_t h) { return Value::uint(TypeKind::U32, h); }, error_v1);
  });
  def_store(l, kV1, "get", [](Store& s, std::span<Value> a) -> HostResult {
    auto r = s.get(a[1].str);
    if (!r) return ret(Value::err(error_v1(r.error())));
    if (!*r) return ret(Value::err(Value::variant("no-such-key")));  // Spin 1 has no option: absent is an error
    return ret(Value::ok(Value::byte_list(**r)));
  });
  add_common(l, kV1, "", error_v1);
  def(l, kFamily, kV1, "close", [](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
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
