// `files` never bring host files from outside the app into a component's
// view: symlinks are staged as symlinks whether files are hard-linked or
// copied, patterns do not walk through a symlinked directory that leaves the
// app, and placement directories must be inside the app.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "platform/fs.h"
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

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// base/outside.txt and base/outdir/s.txt hold the secret; base/app is the
// app, with links out of it and one within it.
class FilesSymlinks : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("whirl-files-symlink-" + std::to_string(getpid()));
    fs::remove_all(base_);
    app_ = base_ / "app";
    fs::create_directories(app_ / "static");
    fs::create_directories(app_ / "assets");
    fs::create_directories(base_ / "outdir");
    secret_ = "OUTSIDE-SECRET-" + std::to_string(getpid());
    std::ofstream(base_ / "outside.txt") << secret_;
    std::ofstream(base_ / "outdir" / "s.txt") << secret_;
    std::ofstream(app_ / "static" / "index.html") << "INDEX";
    std::ofstream(app_ / "assets" / "a.txt") << "ASSET";
    std::ofstream(app_ / "a.wasm") << "A";
    fs::create_symlink(base_ / "outside.txt", app_ / "static" / "abs.txt");
    fs::create_symlink("../../outside.txt", app_ / "static" / "rel_out.txt");
    fs::create_symlink("index.html", app_ / "static" / "rel_in.txt");
    fs::create_symlink(base_ / "outdir", app_ / "static" / "outdir");
    fs::create_symlink(base_ / "outdir", app_ / "escape");
    fs::create_symlink("assets", app_ / "assets_link");
  }
  void TearDown() override { fs::remove_all(base_); }

  Expected<std::shared_ptr<const LoadedApp>> load(const std::string& files) {
    std::ofstream(app_ / "spin.toml") << R"(spin_manifest_version = 2
[application]
name = "symlinks"
[[trigger.http]]
route = "/..."
component = "web"
executor = { type = "wagi" }
[component.web]
source = "a.wasm"
files = )" + files + "\n";
    auto m = load_manifest(app_);
    EXPECT_TRUE(m) << m.error().message;
    if (!m) return unexpected(m.error());
    AppLoadOptions o;
    o.loader = [](const platform::FileBytes&, const platform::Digest*) -> Expected<std::shared_ptr<const wasm::CompiledModule>> {
      return std::shared_ptr<const wasm::CompiledModule>(std::make_shared<FakeModule>());
    };
    o.staging = base_ / "staging";
    o.copy_files = GetParam();
    return load_app(std::move(*m), o);
  }

  fs::path base_, app_;
  std::string secret_;
};

TEST_P(FilesSymlinks, StagedTreeHoldsLinksNotTheirTargets) {
  auto app = load(R"(["static/**/*", "escape/**/*", "escape/s.txt"])");
  ASSERT_TRUE(app) << app.error().message;
  const LoadedComponent* web = (*app)->find("web");
  ASSERT_NE(web, nullptr);
  ASSERT_EQ(web->mounts.size(), 1u);
  fs::path staged = web->mounts[0].host;

  // Exactly these entries; nothing through `escape`, nothing inside `outdir`.
  std::set<std::string> entries;
  for (auto it = fs::recursive_directory_iterator(staged); it != fs::recursive_directory_iterator(); ++it) {
    entries.insert(it->path().lexically_relative(staged).generic_string());
    // No regular file anywhere holds the outside bytes.
    if (it->is_regular_file() && !it->is_symlink()) {
      EXPECT_EQ(slurp(it->path()).find(secret_), std::string::npos) << it->path();
    }
  }
  EXPECT_EQ(entries, (std::set<std::string>{"static", "static/index.html", "static/abs.txt", "static/rel_out.txt",
                                            "static/rel_in.txt", "static/outdir"}));

  // The links are staged as the same links.
  for (const char* link : {"abs.txt", "rel_out.txt", "rel_in.txt", "outdir"}) {
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(staged / "static" / link))) << link;
    EXPECT_EQ(fs::read_symlink(staged / "static" / link), fs::read_symlink(app_ / "static" / link)) << link;
  }
  // The regular file: a hard link, or with copy_files a copy of its own.
  EXPECT_EQ(slurp(staged / "static" / "index.html"), "INDEX");
  EXPECT_EQ(fs::hard_link_count(staged / "static" / "index.html"), GetParam() ? 1u : 2u);
  // A link within the tree still leads to its staged target.
  EXPECT_EQ(slurp(staged / "static" / "rel_in.txt"), "INDEX");

  // What the guest's opens do: links out of the staged tree are refused.
  int root = ::open(staged.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(root, 0);
  for (const char* link : {"static/abs.txt", "static/rel_out.txt", "static/outdir/s.txt"}) {
    int fd = platform::open_beneath(root, link, O_RDONLY, 0, true);
    EXPECT_LT(fd, 0) << link;
    if (fd >= 0) ::close(fd);
  }
  ::close(root);
}

TEST_P(FilesSymlinks, LiteralPatternThroughOutsideSymlinkMatchesNothing) {
  auto app = load(R"(["escape/s.txt", "escape/*"])");
  ASSERT_TRUE(app) << app.error().message;
  const LoadedComponent* web = (*app)->find("web");
  ASSERT_NE(web, nullptr);
  EXPECT_TRUE(web->mounts.empty());
  EXPECT_FALSE(fs::exists(base_ / "staging" / "web" / "escape"));
}

TEST_P(FilesSymlinks, SymlinkedDirectoryInsideTheAppIsWalked) {
  auto app = load(R"(["assets_link/*"])");
  ASSERT_TRUE(app) << app.error().message;
  const LoadedComponent* web = (*app)->find("web");
  ASSERT_NE(web, nullptr);
  ASSERT_EQ(web->mounts.size(), 1u);
  EXPECT_EQ(slurp(web->mounts[0].host / "assets_link" / "a.txt"), "ASSET");
}

TEST_P(FilesSymlinks, PlacementOutsideTheAppIsAnError) {
  for (const char* source : {"escape", "../outdir", "/tmp"}) {
    auto app = load(std::string(R"([{ source = ")") + source + R"(", destination = "/x" }])");
    ASSERT_FALSE(app) << source;
    EXPECT_NE(app.error().message.find("outside the app directory"), std::string::npos) << app.error().message;
  }
  auto ok = load(R"([{ source = "assets_link", destination = "/x" }])");
  ASSERT_TRUE(ok) << ok.error().message;
}

INSTANTIATE_TEST_SUITE_P(LinkAndCopy, FilesSymlinks, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Copied" : "Linked"; });

TEST(GlobFiles, SymlinksMatchAsThemselves) {
  fs::path root = fs::temp_directory_path() / ("whirl-glob-symlink-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "d");
  std::ofstream(root / "d" / "f.txt") << "f";
  fs::create_symlink("/nonexistent/target", root / "d" / "dangling.txt");
  fs::create_symlink("/", root / "d" / "slash");
  EXPECT_EQ(glob_files(root, "d/*"), (std::vector<std::string>{"d/dangling.txt", "d/f.txt", "d/slash"}));
  EXPECT_EQ(glob_files(root, "**/*.txt"), (std::vector<std::string>{"d/dangling.txt", "d/f.txt"}));
  EXPECT_EQ(glob_files(root, "d/slash"), (std::vector<std::string>{"d/slash"}));
  EXPECT_TRUE(glob_files(root, "d/slash/etc/*").empty());
  fs::remove_all(root);
}

}  // namespace
}  // namespace whirl::spin
