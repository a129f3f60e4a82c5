// The per-app setup of factors: the runtime config's sections belong to
// factors (unknown ones are errors with file:line:column), each factor is
// prepared once per app and attaches its per-instance state.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "spin/runtime/app_runtime.h"
#include "wasi/p2/ctx.h"

namespace whirl::spin {
namespace {

namespace fs = std::filesystem;

struct Counter {
  int instances = 0;
};
struct PerInstance {
  std::string component;
};

// A factor owning the `test_store` section; counts instances.
class TestFactor final : public Factor {
 public:
  std::string_view name() const override { return "test"; }
  std::vector<std::string_view> config_sections() const override { return {"test_store"}; }
  void link(component::runtime::Linker& l) const override { l.instance("test:pkg/iface@1.0.0"); }
  Expected<std::shared_ptr<void>> prepare_app(const FactorContext& ctx) const override {
    if (const auto* s = ctx.config.section("test_store")) {
      const auto* t = s->as_table();
      if (!t || !t->get("path"))
        return unexpected(ctx.config.error_at(*s, "[test_store] needs `path`"));
    }
    return std::shared_ptr<void>(std::make_shared<Counter>());
  }
  Expected<void> prepare_instance(const std::shared_ptr<void>& app, const LoadedComponent& c,
                                  wasi::p2::WasiP2& w) const override {
    static_cast<Counter*>(app.get())->instances++;
    w.set_extension(std::make_shared<PerInstance>(PerInstance{c.id}));
    return {};
  }
};

class AppRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("whirl-app-runtime-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    auto app = std::make_shared<LoadedApp>();
    app->manifest.dir = dir_;
    app_ = app;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write_config(const std::string& text) {
    fs::path p = dir_ / "runtime-config.toml";
    std::ofstream(p) << text;
    return p;
  }
  Expected<std::shared_ptr<const AppRuntime>> create(const fs::path& config) {
    AppRuntimeOptions o;
    o.runtime_config = config;
    const Factor* const fs[] = {&factor_};
    return AppRuntime::create(app_, o, fs);
  }
  fs::path dir_;
  std::shared_ptr<const LoadedApp> app_;
  TestFactor factor_;
};

TEST_F(AppRuntimeTest, DefaultsWithoutAFile) {
  auto rt = create({});
  ASSERT_TRUE(rt) << rt.error().message;
  EXPECT_EQ((*rt)->state_dir(), dir_ / ".spin");
  EXPECT_TRUE((*rt)->linker().find("test:pkg/iface@1.0.0").def);
}

TEST_F(AppRuntimeTest, UnknownSectionNamesFileLineAndColumn) {
  auto p = write_config("[test_store]\npath = \"x\"\n\n[nonsense]\nx = 1\n");
  auto rt = create(p);
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find(p.string() + ":4:1"), std::string::npos) << rt.error().message;
  EXPECT_NE(rt.error().message.find("`nonsense`"), std::string::npos) << rt.error().message;
  EXPECT_NE(rt.error().message.find("test_store"), std::string::npos) << rt.error().message;
}

TEST_F(AppRuntimeTest, FactorErrorsAndBadTomlStopStartup) {
  auto rt = create(write_config("test_store = 3\n"));
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find(":1:"), std::string::npos) << rt.error().message;
  EXPECT_NE(rt.error().message.find("needs `path`"), std::string::npos) << rt.error().message;
  rt = create(write_config("[test_store\n"));
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("invalid TOML"), std::string::npos) << rt.error().message;
  rt = create(dir_ / "missing.toml");
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("missing.toml"), std::string::npos) << rt.error().message;
}

TEST_F(AppRuntimeTest, RelativePathsResolveAgainstTheFile) {
  auto rt = create(write_config("[test_store]\npath = \"data/x.db\"\n"));
  ASSERT_TRUE(rt) << rt.error().message;
  EXPECT_EQ((*rt)->config().resolve("data/x.db"), dir_ / "data/x.db");
  EXPECT_EQ((*rt)->config().resolve("/abs/x.db"), fs::path("/abs/x.db"));
}

TEST_F(AppRuntimeTest, TheFilesOwnKeys) {
  auto rt = create(write_config("state_dir = \"state\"\nlog_dir = \"/tmp/logs\"\nmax_instance_memory = 1048576\n"));
  ASSERT_TRUE(rt) << rt.error().message;
  EXPECT_EQ((*rt)->state_dir(), dir_ / "state");
  EXPECT_EQ((*rt)->log_dir(), fs::path("/tmp/logs"));
  EXPECT_EQ((*rt)->max_instance_memory(), 1048576u);
  // "" is unset, as in Spin.
  rt = create(write_config("state_dir = \"\"\n"));
  ASSERT_TRUE(rt) << rt.error().message;
  EXPECT_EQ((*rt)->state_dir(), dir_ / ".spin");
  EXPECT_TRUE((*rt)->log_dir().empty());
  // Bad values name the file, line and column.
  rt = create(write_config("\nmax_instance_memory = \"lots\"\n"));
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find(":2:"), std::string::npos) << rt.error().message;
  rt = create(write_config("state_dir = 3\n"));
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("must be a string"), std::string::npos) << rt.error().message;
}

TEST_F(AppRuntimeTest, StateDirOptionWinsAndTheKeyIsThenUnused) {
  AppRuntimeOptions o;
  o.runtime_config = write_config("state_dir = \"state\"\n");
  o.state_dir = dir_ / "cli";
  const Factor* const fs[] = {&factor_};
  auto rt = AppRuntime::create(app_, o, fs);
  ASSERT_FALSE(rt);  // as Spin: the key is not read, so it is unknown
  EXPECT_NE(rt.error().message.find("`state_dir`"), std::string::npos) << rt.error().message;
  o.runtime_config.clear();
  rt = AppRuntime::create(app_, o, fs);
  ASSERT_TRUE(rt) << rt.error().message;
  EXPECT_EQ((*rt)->state_dir(), dir_ / "cli");
}

TEST_F(AppRuntimeTest, EachInstanceGetsItsOwnState) {
  auto rt = create({});
  ASSERT_TRUE(rt) << rt.error().message;
  LoadedComponent c;
  c.id = "hello";
  for (int i = 0; i < 3; ++i) {
    auto w = wasi::p2::create_wasi_p2({});
    ASSERT_TRUE(w) << w.error().message;
    EXPECT_EQ((*w)->extension<PerInstance>(), nullptr);
    ASSERT_TRUE((*rt)->prepare_instance(c, **w));
    ASSERT_NE((*w)->extension<PerInstance>(), nullptr);
    EXPECT_EQ((*w)->extension<PerInstance>()->component, "hello");
  }
}

// Linking depends on the factors only: apps with the same factors share one
// Linker (a node host's app loads do not build it again); other factors,
// another.
TEST_F(AppRuntimeTest, AppsWithTheSameFactorsShareOneLinker) {
  auto a = create({});
  auto other_app = std::make_shared<LoadedApp>();
  other_app->manifest.dir = dir_ / "other";
  const Factor* const fs[] = {&factor_};
  auto b = AppRuntime::create(other_app, {}, fs);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(&(*a)->linker(), &(*b)->linker());
  EXPECT_NE((*a)->linker().find("test:pkg/iface@1.0.0").def, nullptr);
  auto all = AppRuntime::create(app_, {});
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_NE(&(*all)->linker(), &(*a)->linker());
  EXPECT_EQ((*all)->linker().find("test:pkg/iface@1.0.0").def, nullptr);
}

}  // namespace
}  // namespace whirl::spin
