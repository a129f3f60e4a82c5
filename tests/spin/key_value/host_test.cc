// The key-value host functions called as the component runtime calls them
// (through the factor's Linker, on an instance whose WASI context carries
// the factor's state): Spin 1's unversioned fermyon:spin/key-value (u32
// handles, no-such-key, io), handles shared across versions, and the
// cases a JS guest cannot reach (a stale handle, a cas used after swap),
// with the answers of Spin's factor-key-value host.rs.
#include <gtest/gtest.h>

#include "../support/host_calls.h"
#include "spin/key_value/app_state.h"
#include "spin/key_value/key_value.h"

namespace whirl::test {
namespace {

namespace rt = component::runtime;
using component::TypeKind;
using component::abi::Value;

constexpr const char* kV1 = "fermyon:spin/key-value";
constexpr const char* kV2 = "fermyon:spin/key-value@2.0.0";
constexpr const char* kStore = "wasi:keyvalue/store@0.2.0-draft2";
constexpr const char* kAtomics = "wasi:keyvalue/atomics@0.2.0-draft2";

class KeyValueHost : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& f = spin::key_value_factor();
    f.link(linker_);
    app_ = std::make_shared<spin::LoadedApp>();
    spin::Component c;
    c.id = "web";
    c.key_value_stores = {"default"};
    app_->manifest.components.push_back(c);
    spin::LoadedComponent lc;
    lc.id = "web";
    app_->components.push_back(lc);
    spin::FactorContext ctx{*app_, config_, whirl::testing::scratch_dir("whirl-kv-host")};
    auto state = f.prepare_app(ctx);
    ASSERT_TRUE(state) << state.error().message;
    state_ = *state;
    auto w = wasi::p2::create_wasi_p2(wasi::WasiConfig{});
    ASSERT_TRUE(w);
    ctx_ = *w;
    ASSERT_TRUE(f.prepare_instance(state_, app_->components[0], *ctx_));
    inst_.host_data = ctx_;
  }

  HostResults call(const std::string& iface, const std::string& func, std::vector<Value> args) {
    return call_host(linker_, inst_, iface, func, std::move(args));
  }
  Value call1(const std::string& iface, const std::string& func, std::vector<Value> args) {
    return call_host1(linker_, inst_, iface, func, std::move(args));
  }
  static std::string to_s(const Value& v) { return component::abi::to_string(v); }

  rt::Linker linker_;
  std::shared_ptr<spin::LoadedApp> app_;
  spin::RuntimeConfig config_;
  std::shared_ptr<void> state_;
  std::shared_ptr<wasi::p2::WasiP2> ctx_;
  wasi::p2::testing::FakeInstance inst_;
};

TEST_F(KeyValueHost, SpinOneInterface) {
  Value denied = call1(kV1, "open", {Value::string("other")});
  EXPECT_EQ(to_s(denied), "err(access-denied)");
  Value opened = call1(kV1, "open", {Value::string("default")});
  ASSERT_FALSE(opened.is_err) << to_s(opened);
  Value h = Value::uint(TypeKind::U32, opened.payload()->u);
  EXPECT_EQ(to_s(call1(kV1, "get", {h, Value::string("k")})), "err(no-such-key)");
  EXPECT_EQ(to_s(call1(kV1, "set", {h, Value::string("k"), Value::byte_list("v")})), "ok");
  Value got = call1(kV1, "get", {h, Value::string("k")});
  ASSERT_FALSE(got.is_err) << to_s(got);
  EXPECT_EQ(got.payload()->list_bytes(), "v");
  EXPECT_EQ(to_s(call1(kV1, "exists", {h, Value::string("k")})), "ok(true)");
  EXPECT_EQ(to_s(call1(kV1, "get-keys", {h})), "ok([\"k\"])");
  EXPECT_EQ(to_s(call1(kV1, "delete", {h, Value::string("k")})), "ok");
  EXPECT_EQ(to_s(call1(kV1, "exists", {h, Value::string("k")})), "ok(false)");
  EXPECT_TRUE(call1(kV1, "close", {h}).items.empty());
  // A closed (or never opened) handle traps, as Spin's "invalid store".
  auto stale = call(kV1, "get", {h, Value::string("k")});
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("invalid store"), std::string::npos) << stale.error().message;
  EXPECT_TRUE(call(kV1, "close", {Value::uint(TypeKind::U32, 999)})) << "closing an unknown handle is a no-op";
}

// A store dropped by the guest: 2.0.0 calls trap, wasi:keyvalue's answer
// no-such-store (Spin's get_store_wasi).
TEST_F(KeyValueHost, DroppedHandles) {
  Value s = call1(kV2, "[static]store.open", {Value::string("default")});
  ASSERT_FALSE(s.is_err) << to_s(s);
  uint32_t rep = uint32_t(s.payload()->u);
  auto* kv = ctx_->extension<spin::key_value::KeyValueInstance>();
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->stores.size(), 1u);
  drop_host_resource(linker_, inst_, kV2, "store", rep);
  EXPECT_EQ(kv->stores.size(), 0u);
  EXPECT_FALSE(call(kV2, "[method]store.get", {Value::borrow(rep), Value::string("k")}));
  EXPECT_EQ(to_s(call1(kStore, "[method]bucket.get", {Value::borrow(rep), Value::string("k")})), "err(no-such-store)");
}

// swap takes the cas: it is gone from the table afterwards, success or not.
TEST_F(KeyValueHost, SwapConsumesTheCas) {
  Value b = call1(kStore, "open", {Value::string("default")});
  ASSERT_FALSE(b.is_err) << to_s(b);
  Value bucket = Value::borrow(uint32_t(b.payload()->u));
  Value c = call1(kAtomics, "[static]cas.new", {bucket, Value::string("k")});
  ASSERT_FALSE(c.is_err) << to_s(c);
  auto* kv = ctx_->extension<spin::key_value::KeyValueInstance>();
  EXPECT_EQ(kv->cas.size(), 1u);
  EXPECT_EQ(to_s(call1(kAtomics, "swap", {Value::own(uint32_t(c.payload()->u)), Value::byte_list("v")})), "ok");
  EXPECT_EQ(kv->cas.size(), 0u);
  EXPECT_EQ(to_s(call1(kAtomics, "[method]cas.current", {Value::borrow(uint32_t(c.payload()->u))})),
            "err(other(\"compare and swap not found\"))");
}

}  // namespace
}  // namespace whirl::test
