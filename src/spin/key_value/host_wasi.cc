// wasi:keyvalue@0.2.0-draft2 as Spin links it (factor-key-value host.rs):
// store (open, bucket get/set/delete/exists/list-keys without cursors),
// atomics (increment, cas with current and swap) and batch (get-many,
// set-many, delete-many).
#include "spin/key_value/host_functions.h"

namespace whirl::spin::key_value {
namespace {

using component::TypeKind;
using namespace host;

constexpr const char* kFamily = "wasi:keyvalue";
constexpr const char* kStore = "wasi:keyvalue/store@0.2.0-draft2";
constexpr const char* kAtomics = "wasi:keyvalue/atomics@0.2.0-draft2";
constexpr const char* kBatch = "wasi:keyvalue/batch@0.2.0-draft2";

// wasi:keyvalue's `error` has no store-table-full: Spin reports it as other.
Value error_of(const StoreError& e) { return error_variant(e, /*has_table_full=*/false); }
HostResult fail(const StoreError& e) { return ret(Value::err(error_of(e))); }
HostResult fail_other(std::string m) { return fail(StoreError::other(std::move(m))); }

// A bucket handle's store; an unknown one is no-such-store, as Spin's
// get_store_wasi answers.
template <class F>
void def_bucket(Linker& l, const char* iface, const std::string& name, F fn) {
  host::def_store(l, kFamily, iface, name, [] { return fail(StoreError{StoreError::Kind::NoSuchStore, {}}); }, fn);
}

std::vector<std::string> strings(const Value& list) {
  std::vector<std::string> out;
  out.reserve(list.items.size());
  for (const auto& v : list.items) out.push_back(v.str);
  return out;
}

void add_store(Linker& l) {
  drop_from(l, kStore, "bucket", &KeyValueInstance::stores);
  def(l, kFamily, kStore, "open", [](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    return reply(kv.open(a[0].str), [](uint32_t h) { return Value::own(h); }, error_of);
  });
  def_bucket(l, kStore, "[method]bucket.get", [](KeyValueInstance&, const std::shared_ptr<Store>& s, std::span<Value> a) {
    return reply(s->get(a[1].str), maybe_bytes, error_of);
  });
  def_bucket(l, kStore, "[method]bucket.set", [](KeyValueInstance&, const std::shared_ptr<Store>& s, std::span<Value> a) {
    return reply(s->set(a[1].str, a[2].list_bytes()), error_of);
  });
  def_bucket(l, kStore, "[method]bucket.delete", [](KeyValueInstance&, const std::shared_ptr<Store>& s, std::span<Value> a) {
    return reply(s->del(a[1].str), error_of);
  });
  def_bucket(l, kStore, "[method]bucket.exists", [](KeyValueInstance&, const std::shared_ptr<Store>& s, std::span<Value> a) {
    return reply(s->exists(a[1].str), boolean, error_of);
  });
  // Spin returns every key at once and refuses a cursor.
  def(l, kFamily, kStore, "[method]bucket.list-keys", [](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    if (!a[1].items.empty()) return fail_other("list_keys: cursor not supported");
    auto* s = kv.stores.get(a[0].u);
    if (!s || !*s) return fail(StoreError{StoreError::Kind::NoSuchStore, {}});
    auto r = (*s)->keys();
    if (!r) return fail(r.error());
    return ret(Value::ok(Value::record({{"keys", string_list(std::move(*r))}, {"cursor", Value::none()}})));
  });
}

void add_batch(Linker& l) {
  def_bucket(l, kBatch, "get-many", [](KeyValueInstance&, const std::shared_ptr<Store>& s, std::span<Value> a) {
    auto keys = strings(a[1]);
    if (keys.empty()) return ret(Value::ok(Value::list({})));
    auto r = s->get_many(keys);
    if (!r) return fail(r.error());
    std::vector<Value> out;
    out.reserve(r->size());
    for (auto& [k, v] : *r) out.push_back(Value::tuple({Value::string(k), maybe_bytes(v)}));
    return ret(Value::ok(Value::list(std::move(out))));
  });
  def_bucket(l, kBatch, "set-many", [](KeyValueInstance&, const std::shared_ptr<Store>& s, std::span<Value> a) {
    std::vector<KeyValue> pairs;
    pairs.reserve(a[1].items.size());
    for (const auto& t : a[1].items) pairs.emplace_back(t.items[0].str, t.items[1].list_bytes());
    return reply(pairs.empty() ? StoreResult<void>() : s->set_many(pairs), error_of);
  });
  def_bucket(l, kBatch, "delete-many", [](KeyValueInstance&, const std::shared_ptr<Store>& s, std::span<Value> a) {
    auto keys = strings(a[1]);
    return reply(keys.empty() ? StoreResult<void>() : s->delete_many(keys), error_of);
  });
}

// A new cas on `store`, in the instance's table.
StoreResult<uint32_t> new_cas(KeyValueInstance& kv, const std::shared_ptr<Store>& store, const std::string& key) {
  auto c = store->new_cas(key);
  if (!c) return unexpected(c.error());
  return kv.cas.add(OpenCas{store, std::move(*c)});
}

void add_atomics(Linker& l) {
  drop_from(l, kAtomics, "cas", &KeyValueInstance::cas);
  def_bucket(l, kAtomics, "increment", [](KeyValueInstance&, const std::shared_ptr<Store>& s, std::span<Value> a) {
    return reply(s->increment(a[1].str, a[2].s), [](int64_t n) { return Value::sint(TypeKind::S64, n); }, error_of);
  });
  def_bucket(l, kAtomics, "[static]cas.new", [](KeyValueInstance& kv, const std::shared_ptr<Store>& s, std::span<Value> a) {
    return reply(new_cas(kv, s, a[1].str), [](uint32_t h) { return Value::own(h); }, error_of);
  });
  def(l, kFamily, kAtomics, "[method]cas.current", [](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    OpenCas* c = kv.cas.get(a[0].u);
    if (!c || !c->cas) return fail_other("compare and swap not found");
    return reply(c->cas->current(), maybe_bytes, error_of);
  });
  // The cas is the guest's no more (own): it ends here either way. On a
  // conflict the guest gets a fresh cas that has read the value now, as
  // the interface asks ("updated to the latest version").
  def(l, kFamily, kAtomics, "swap", [](KeyValueInstance& kv, std::span<Value> a) -> HostResult {
    auto store_error = [](const StoreError& e) { return ret(Value::err(Value::variant("store-error", error_of(e)))); };
    OpenCas* found = kv.cas.get(a[0].u);
    if (!found || !found->cas) return store_error(StoreError::other("compare and swap not found"));
    OpenCas c = std::move(*found);
    kv.cas.erase(a[0].u);
    auto r = c.cas->swap(a[1].list_bytes());
    if (!r) return store_error(r.error());
    if (*r) return ret(Value::ok());
    auto fresh = new_cas(kv, c.store, c.cas->key());
    if (!fresh) return store_error(fresh.error());
    if (auto cur = kv.cas.get(*fresh)->cas->current(); !cur) {
      kv.cas.erase(*fresh);
      return store_error(cur.error());
    }
    return ret(Value::err(Value::variant("cas-failed", Value::own(*fresh))));
  });
}

}  // namespace

void add_wasi_keyvalue(Linker& l) {
  add_store(l);
  add_atomics(l);
  add_batch(l);
}

}  // namespace whirl::spin::key_value
