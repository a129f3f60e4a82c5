// `whirl host --snapshot-dir`: apps' modules exporting wizer.initialize,
// and components exporting wizer-initialize, are pre-initialized when they
// are registered. The C program of tests/wasm/snapshot (built as a WAGI
// app) then starts initialized, and prints what the same program prints
// natively; so does the wasi:http test guest whose initialization changes
// its greeting (kept in another module's memory); an initialization that
// calls an import or runs past the request time limit is not snapshotted,
// the log says why, and its app serves as it is. A restarted host finds
// the snapshots it made.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../spin/http/http_client.h"
#include "../spin/up/process.h"
#include "../wasi/http/guest.h"
#include "wasm/text/component_text.h"
#include "wasm/text/wat.h"

namespace whirl::test {
namespace {

namespace fs = std::filesystem;
constexpr const char* kDomain = "apps.test";

// A WAGI module printing "ok", whose initialization does `init`.
std::string wagi_wat(const std::string& init) {
  return R"((module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "Content-Type: text/plain\0a\0aok\0a")
  (func $print (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 29))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "wizer.initialize") )" + init + R"()
  (func (export "_start") (call $print)))
)";
}

// The wasi:http test guest (its /k answers "Hello, whirl\n" from a data
// segment of its main module into the libc module's memory), exporting a
// `wizer-initialize` that makes it "Hello, wizer\n". The export comes
// before `handle` is lifted: leaving it out renumbers `handle`.
std::string initialized_guest() {
  std::string text = wasi::http::testing::guest_component("0.2.3");
  auto put_before = [&text](const std::string& anchor, const std::string& what) {
    auto at = text.find(anchor);
    EXPECT_NE(at, std::string::npos) << anchor;
    if (at != std::string::npos) text.insert(at, what);
  };
  put_before("    (func (export \"handle\")",
             "    (func (export \"wizer-initialize\") (i32.store (i32.const 823) (i32.const 0x657a6977))\n"
             "      (i32.store8 (i32.const 827) (i32.const 0x72)))\n");
  put_before("  (func $handle (param \"request\"",
             "  (func $init (canon lift (core func $main \"wizer-initialize\")))\n"
             "  (export \"wizer-initialize\" (func $init))\n");
  return text;
}

std::string native_output() {
  std::string out;
  FILE* p = popen(WHIRL_PREINIT_NATIVE, "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

class HostSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("whirl-host-snapshot-" + std::to_string(getpid()));
    fs::remove_all(root_);
    add_app("pre", fs::path(WHIRL_PREINIT_WAGI));
    add_wat_app("noisy", wagi_wat("(call $print)"));  // an import called: Wizer's rule refuses it
    add_wat_app("loop", wagi_wat("(loop (br 0))"));   // past --timeout
    auto guest = wasm::text::component_to_binary(initialized_guest());
    ASSERT_TRUE(guest) << guest.error().message;
    write(root_ / "guest.wasm", *guest);
    add_app("hello", root_ / "guest.wasm", /*wagi=*/false);
  }
  void TearDown() override {
    host_.reset();
    fs::remove_all(root_);
  }
  void add_app(const std::string& name, const fs::path& wasm, bool wagi = true) {
    fs::create_directories(root_ / "apps" / name);
    fs::copy_file(wasm, root_ / "apps" / name / "app.wasm", fs::copy_options::overwrite_existing);
    std::ofstream(root_ / "apps" / name / "spin.toml")
        << "spin_manifest_version = 2\n[application]\nname = \"" << name
        << "\"\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"c\"\n"
        << (wagi ? "executor = { type = \"wagi\" }\n" : "") << "[component.c]\nsource = \"app.wasm\"\n";
  }
  static void write(const fs::path& file, const std::vector<uint8_t>& bytes) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  void add_wat_app(const std::string& name, const std::string& wat) {
    auto bytes = wasm::text::wat_to_binary(wat);
    ASSERT_TRUE(bytes) << bytes.error().message;
    write(root_ / (name + ".wasm"), *bytes);
    add_app(name, root_ / (name + ".wasm"));
  }
  void start(bool snapshot, const std::string& log) {
    std::vector<std::string> args{WHIRL_BINARY, "host", "--apps", (root_ / "apps").string(), "--domain", kDomain,
                                  "--listen", "127.0.0.1:0", "--timeout", "2"};
    if (snapshot) args.insert(args.end(), {"--snapshot-dir", (root_ / "snapshots").string()});
    host_ = std::make_unique<UpProcess>(args, (root_ / log).string());
    port_ = host_->wait_serving();
    ASSERT_NE(port_, 0) << host_->stderr_text();
  }
  Reply get(const std::string& app, const std::string& path = "/") {
    Client c(port_);
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, path, 11};
    req.set(bhttp::field::host, app + "." + kDomain);
    return c.send(std::move(req));
  }
  size_t snapshot_files() const {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root_ / "snapshots", ec)) n += e.path().extension() == ".wasm";
    return n;
  }

  fs::path root_;
  std::unique_ptr<UpProcess> host_;
  uint16_t port_ = 0;
};

TEST_F(HostSnapshotTest, ModulesStartInitializedAndRefusalsSayWhy) {
  const std::string native = native_output();
  ASSERT_NE(native.find("init_runs=1"), std::string::npos) << native;

  // Without the option the program initializes itself, as natively.
  start(false, "plain.txt");
  Reply plain = get("pre");
  EXPECT_EQ(plain.status, 200u) << plain.body << host_->stderr_text();
  EXPECT_EQ(plain.body, native + "preinitialized=0\n");
  EXPECT_EQ(get("hello", "/k").body, "Hello, whirl\n");
  host_.reset();

  start(true, "first.txt");
  const auto wait = std::chrono::seconds(30);
  std::string log = host_->stderr_with("app `pre`: component `c`: pre-initialized", wait);
  ASSERT_NE(log.find("app `pre`: component `c`: pre-initialized"), std::string::npos) << log;
  log = host_->stderr_with("app `noisy`: component `c`: not pre-initialized", wait);
  EXPECT_NE(log.find("called the import \"wasi_snapshot_preview1\" \"fd_write\""), std::string::npos) << log;
  EXPECT_NE(log.find("the node host runs initializations without imports"), std::string::npos) << log;
  log = host_->stderr_with("app `loop`: component `c`: not pre-initialized", wait);
  EXPECT_NE(log.find("ran longer than 2000 ms"), std::string::npos) << log;
  log = host_->stderr_with("app `hello`: component `c`: pre-initialized", wait);
  ASSERT_NE(log.find("app `hello`: component `c`: pre-initialized"), std::string::npos) << log;

  Reply pre = get("pre");
  EXPECT_EQ(pre.status, 200u) << pre.body;
  EXPECT_EQ(pre.body, native + "preinitialized=1\n");  // its state came through, and init did not run again
  for (const char* app : {"noisy", "loop"}) {
    Reply r = get(app);
    EXPECT_EQ(r.status, 200u) << app << ": " << r.body;
    EXPECT_EQ(r.body, "ok\n") << app;
  }
  // The component: its main module's data segment is not applied again
  // over the libc module's snapshot.
  Reply hello = get("hello", "/k");
  EXPECT_EQ(hello.status, 200u) << hello.body;
  EXPECT_EQ(hello.body, "Hello, wizer\n");
  EXPECT_EQ(snapshot_files(), 2u);
  host_.reset();

  // A restarted host uses the snapshot it made, without making it again.
  start(true, "second.txt");
  log = host_->stderr_with("app `pre`: component `c`: pre-initialized before (", wait);
  EXPECT_NE(log.find((root_ / "snapshots").string()), std::string::npos) << log;
  EXPECT_EQ(log.find("app `pre`: component `c`: pre-initialized ("), std::string::npos) << log;
  log = host_->stderr_with("app `hello`: component `c`: pre-initialized before (", wait);
  EXPECT_NE(log.find("app `hello`: component `c`: pre-initialized before ("), std::string::npos) << log;
  Reply again = get("pre");
  EXPECT_EQ(again.body, native + "preinitialized=1\n");
  EXPECT_EQ(get("hello", "/k").body, "Hello, wizer\n");
  EXPECT_EQ(snapshot_files(), 2u);
}

}  // namespace
}  // namespace whirl::test
