// Loading an app: modules loaded once per component (fake loader), `files`
// patterns staged, placements mounted, --env values winning.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "spin/app/app.h"

namespace whirl::spin {
namespace {

namespace fs = std::filesystem;

class FakeModule : public wasm::CompiledModule {
 public:
  FakeModule() : m_(std::make_shared<wasm::Module>()) {}
  const wasm::Module& module() const override { return *m_; }
  std::shared_ptr<const wasm::Module> module_ptr() const override { return m_; }
  std::string_view tier_name() const override { return "fake"; }

 private:
  std::shared_ptr<wasm::Module> m_;
};

TEST(Glob, Match) {
  EXPECT_TRUE(glob_match("*.txt", "a.txt"));
  EXPECT_FALSE(glob_match("*.txt", "dir/a.txt"));
  EXPECT_TRUE(glob_match("static/**/*", "static/a.css"));
  EXPECT_TRUE(glob_match("static/**/*", "static/x/y/z.js"));
  EXPECT_FALSE(glob_match("static/**/*", "other/a.css"));
  EXPECT_TRUE(glob_match("**/*.md", "README.md"));
  EXPECT_TRUE(glob_match("f?le.[ch]", "file.c"));
  EXPECT_FALSE(glob_match("f?le.[!ch]", "file.c"));
  EXPECT_TRUE(glob_match("exact/path.txt", "exact/path.txt"));
  EXPECT_TRUE(glob_match("./a.txt", "a.txt"));
}

class AppLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("whirl-app-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "static" / "css");
    fs::create_directories(dir_ / "assets");
    std::ofstream(dir_ / "static" / "index.html") << "<html>";
    std::ofstream(dir_ / "static" / "css" / "site.css") << "body{}";
    std::ofstream(dir_ / "static" / "secret.key") << "k";
    std::ofstream(dir_ / "a.wasm") << "A";
    std::ofstream(dir_ / "spin.toml") << R"(spin_manifest_version = 2
[application]
name = "files"
[[trigger.http]]
route = "/..."
component = "web"
executor = { type = "wagi" }
[[trigger.http]]
route = "/other"
component = "web"
executor = { type = "wagi" }
[component.web]
source = "a.wasm"
files = ["static/**/*", { source = "assets", destination = "/assets" }]
exclude_files = ["**/*.key"]
environment = { A = "manifest", B = "manifest" }
[component.unused]
source = "a.wasm"
)";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(AppLoad, LoadsOncePerComponentAndStagesFiles) {
  auto m = load_manifest(dir_);
  ASSERT_TRUE(m) << m.error().message;
  int loads = 0;
  AppLoadOptions o;
  o.loader = [&](const platform::FileBytes& file, const platform::Digest*) -> Expected<std::shared_ptr<const wasm::CompiledModule>> {
    ++loads;
    EXPECT_EQ(file.bytes.size(), 1u);
    return std::shared_ptr<const wasm::CompiledModule>(std::make_shared<FakeModule>());
  };
  o.env = {{"B", "cli"}, {"C", "cli"}};
  o.staging = dir_ / "staging";
  auto app = load_app(std::move(*m), o);
  ASSERT_TRUE(app) << app.error().message;
  EXPECT_EQ(loads, 1);
  ASSERT_EQ((*app)->components.size(), 1u);
  const LoadedComponent* web = (*app)->find("web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->config, (*app)->manifest.find_component("web"));
  EXPECT_EQ(web->environment, (StringPairs{{"A", "manifest"}, {"B", "cli"}, {"C", "cli"}}));
  ASSERT_EQ(web->mounts.size(), 2u);
  EXPECT_EQ(web->mounts[0].guest, "/");
  EXPECT_TRUE(fs::exists(web->mounts[0].host / "static" / "index.html"));
  EXPECT_TRUE(fs::exists(web->mounts[0].host / "static" / "css" / "site.css"));
  EXPECT_FALSE(fs::exists(web->mounts[0].host / "static" / "secret.key"));
  EXPECT_EQ(web->mounts[1].guest, "/assets");
  EXPECT_EQ(web->mounts[1].host, dir_ / "assets");
}

TEST_F(AppLoad, LoaderErrorNamesComponentAndFile) {
  auto m = load_manifest(dir_);
  ASSERT_TRUE(m);
  AppLoadOptions o;
  o.loader = [](const platform::FileBytes&, const platform::Digest*) -> Expected<std::shared_ptr<const wasm::CompiledModule>> {
    return make_error("magic header not detected");
  };
  auto app = load_app(std::move(*m), o);
  ASSERT_FALSE(app);
  EXPECT_NE(app.error().message.find("component `web`: cannot load"), std::string::npos);
  EXPECT_NE(app.error().message.find("a.wasm: magic header not detected"), std::string::npos);
}

// A component source gone (or turned into a directory) after the manifest
// was checked: the error names the manifest line, the component and the
// file, and the loader is not called.
TEST_F(AppLoad, UnreadableSourceNamesComponentAndFile) {
  AppLoadOptions o;
  o.loader = [](const platform::FileBytes&, const platform::Digest*) -> Expected<std::shared_ptr<const wasm::CompiledModule>> {
    ADD_FAILURE() << "loader called";
    return make_error("unexpected");
  };
  auto m = load_manifest(dir_);
  ASSERT_TRUE(m) << m.error().message;
  fs::remove(dir_ / "a.wasm");
  auto missing = load_app(*m, o);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("spin.toml:"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("component `web`: " + (dir_ / "a.wasm").string() + ": cannot read file"),
            std::string::npos)
      << missing.error().message;
  fs::create_directories(dir_ / "a.wasm");
  auto directory = load_app(std::move(*m), o);
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("a.wasm: cannot read file (it is a directory)"), std::string::npos)
      << directory.error().message;
}

}  // namespace
}  // namespace whirl::spin
