// NativeUpgrade: an app loaded on the interpreter (`auto` tier, empty
// cache) gets each component's code compiled by the aot tier and
// replaced; what is already native, or another tier, starts nothing; a
// source changed since loading is not compiled.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "../../wasi/http/guest.h"
#include "component/runtime/component.h"
#include "spin/app/native_upgrade.h"
#include "wasm/aot/cache.h"
#include "wasm/aot/tier.h"
#include "wasm/runtime/tier.h"
#include "wasm/text/component_text.h"
#include "wasm/text/wat.h"

namespace whirl::spin {
namespace {

namespace fs = std::filesystem;

void write_bytes(const fs::path& p, const std::vector<uint8_t>& b) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

class NativeUpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("whirl-native-upgrade-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // A private cache: the first load finds no native code.
    old_cache_ = std::getenv("XDG_CACHE_HOME") ? std::getenv("XDG_CACHE_HOME") : "";
    ::setenv("XDG_CACHE_HOME", (dir_ / "cache").c_str(), 1);
    ASSERT_TRUE(wasm::aot::select_tier("auto", true));
    auto wat = wasm::text::wat_to_binary(
        R"((module (func (export "_start")) (func (export "add") (param i32 i32) (result i32)
              (i32.add (local.get 0) (local.get 1)))))");
    ASSERT_TRUE(wat) << wat.error().message;
    write_bytes(dir_ / "wagi.wasm", *wat);
    auto comp = wasm::text::component_to_binary(wasi::http::testing::guest_component("0.2.3"));
    ASSERT_TRUE(comp) << comp.error().message;
    write_bytes(dir_ / "guest.wasm", *comp);
    std::ofstream(dir_ / "spin.toml") << R"(spin_manifest_version = 2
[application]
name = "upgrade"
[[trigger.http]]
route = "/wagi"
component = "wagi"
executor = { type = "wagi" }
[[trigger.http]]
route = "/..."
component = "guest"
[component.wagi]
source = "wagi.wasm"
[component.guest]
source = "guest.wasm"
)";
    log_ = std::tmpfile();
  }
  void TearDown() override {
    (void)wasm::aot::select_tier("interp", false);
    ::setenv("XDG_CACHE_HOME", old_cache_.c_str(), 1);
    if (log_) std::fclose(log_);
    fs::remove_all(dir_);
  }

  std::shared_ptr<const LoadedApp> load() {
    auto m = load_manifest(dir_.string());
    EXPECT_TRUE(m) << m.error().message;
    AppLoadOptions o;
    o.loader = [](const platform::FileBytes& f, const platform::Digest*) { return wasm::load_module(f.bytes, f.owner); };
    o.component_loader = [](const platform::FileBytes& f, const platform::Digest*) { return component::runtime::load_component(f.bytes, f.owner); };
    auto app = load_app(std::move(*m), o);
    EXPECT_TRUE(app) << app.error().message;
    return app ? *app : nullptr;
  }
  std::string logged() const {
    std::rewind(log_);
    std::string out;
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof buf, log_)) out.append(buf, n);
    return out;
  }
  static std::string_view tier_of(const LoadedComponent& c) {
    if (auto m = c.module.load()) return m->tier_name();
    return component::runtime::compiled_by(*c.component.load(), "aot") ? "aot" : "interp";
  }

  fs::path dir_;
  std::string old_cache_;
  std::FILE* log_ = nullptr;
};

TEST_F(NativeUpgradeTest, InterpretedComponentsBecomeNative) {
  auto app = load();
  ASSERT_TRUE(app);
  ASSERT_EQ(tier_of(*app->find("wagi")), "interp");
  ASSERT_EQ(tier_of(*app->find("guest")), "interp");
  auto before = app->find("wagi")->module.load();  // a request's reference
  auto up = NativeUpgrade::start(app, {log_});
  ASSERT_TRUE(up);
  up->wait();
  EXPECT_EQ(up->upgraded(), 2u) << logged();
  EXPECT_EQ(tier_of(*app->find("wagi")), "aot");
  EXPECT_EQ(tier_of(*app->find("guest")), "aot");
  // What a running request held is still whole.
  EXPECT_EQ(before->tier_name(), "interp");
  EXPECT_NE(before.get(), app->find("wagi")->module.load().get());
  std::string log = logged();
  EXPECT_NE(log.find("component `wagi` now runs native code"), std::string::npos) << log;
  EXPECT_NE(log.find("component `guest` now runs native code"), std::string::npos) << log;
  // Cached: the next load is native at once, and starts nothing.
  auto again = load();
  ASSERT_TRUE(again);
  EXPECT_EQ(tier_of(*again->find("wagi")), "aot");
  EXPECT_EQ(tier_of(*again->find("guest")), "aot");
  EXPECT_EQ(NativeUpgrade::start(again, {log_}), nullptr);
}

TEST_F(NativeUpgradeTest, OtherTiersStartNothing) {
  ASSERT_TRUE(wasm::aot::select_tier("interp", true));
  auto app = load();
  ASSERT_TRUE(app);
  EXPECT_EQ(NativeUpgrade::start(app, {log_}), nullptr);
  EXPECT_EQ(tier_of(*app->find("wagi")), "interp");
}

TEST_F(NativeUpgradeTest, ChangedSourceIsNotCompiled) {
  auto app = load();
  ASSERT_TRUE(app);
  std::ofstream(dir_ / "wagi.wasm", std::ios::app) << "x";  // no longer the bytes it runs
  auto up = NativeUpgrade::start(app, {log_});
  ASSERT_TRUE(up);
  up->wait();
  EXPECT_EQ(tier_of(*app->find("wagi")), "interp");
  EXPECT_EQ(tier_of(*app->find("guest")), "aot");
  EXPECT_EQ(up->upgraded(), 1u);
  EXPECT_NE(logged().find("wagi.wasm changed since it was loaded"), std::string::npos) << logged();
}

TEST_F(NativeUpgradeTest, StoppingCancelsTheCompile) {
  auto app = load();
  ASSERT_TRUE(app);
  auto up = NativeUpgrade::start(app, {log_});
  ASSERT_TRUE(up);
  up.reset();  // stops at the next part and joins
  // Whatever finished before the stop is native; nothing is half-replaced.
  for (const auto& c : app->components) {
    auto t = tier_of(c);
    EXPECT_TRUE(t == "aot" || t == "interp") << t;
  }
}

// Many apps upgrading at once (the node host) compile a few at a time:
// never more than max_compiles() together, and every one gets its turn.
TEST_F(NativeUpgradeTest, ManyAppsCompileAFewAtATime) {
  const unsigned n = NativeUpgrade::max_compiles() + 2;
  std::vector<std::shared_ptr<const LoadedApp>> apps;
  std::vector<std::unique_ptr<NativeUpgrade>> ups;
  for (unsigned i = 0; i < n; ++i) {
    apps.push_back(load());
    ASSERT_TRUE(apps.back());
  }
  for (auto& a : apps) {
    ups.push_back(NativeUpgrade::start(a, {log_}));
    ASSERT_TRUE(ups.back());
  }
  unsigned most = 0;
  auto done = [&] {
    for (auto& u : ups)
      if (u->upgraded() < 2) return false;
    return true;
  };
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!done() && std::chrono::steady_clock::now() < end) {
    most = std::max(most, NativeUpgrade::compiles_running());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_TRUE(done()) << logged();
  EXPECT_LE(most, NativeUpgrade::max_compiles());
  EXPECT_GE(most, 1u);
  for (auto& u : ups) u->wait();
  EXPECT_EQ(NativeUpgrade::compiles_running(), 0u);
}

}  // namespace
}  // namespace whirl::spin
