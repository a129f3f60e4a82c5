#include "shim/workload.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "common/env_list.h"
#include "platform/signal_waiter.h"
#include "platform/fs.h"
#include "platform/vm.h"
#include "shim/oci_spec.h"
#include "spin/app/app.h"
#include "spin/app/native_upgrade.h"
#include "spin/http/executors.h"
#include "spin/runtime/app_runtime.h"
#include "spin/http/server.h"
#include "spin/http/trigger.h"
#include "spin/manifest/manifest.h"
#include "spin/redis_trigger/redis_trigger.h"
#include "wasi/p1/wasi.h"

namespace whirl::shim {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Opens `path` (absolute within the image) beneath the rootfs: the kernel
// refuses anything that resolves outside it.
Expected<int> open_in_rootfs(const std::filesystem::path& root, const std::string& path) {
  int dir = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return make_error(root.string() + ": cannot open the rootfs");
  std::string rel = path;
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  int fd = platform::open_beneath(dir, rel, O_RDONLY | O_CLOEXEC, 0, true);
  ::close(dir);
  if (fd < 0) return make_error(path + ": not found in the image");
  return fd;
}

// Reads a file beneath `root` (symlinks may not leave it).
Expected<std::vector<uint8_t>> read_beneath(const std::filesystem::path& root, const std::string& path) {
  auto opened = open_in_rootfs(root, path);
  if (!opened) return unexpected(opened.error());
  int fd = *opened;
  std::vector<uint8_t> bytes;
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ::close(fd);
      return make_error(path + ": cannot read the module (is it a directory?)");
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  ::close(fd);
  return bytes;
}

// A WASI command: `_start` of a module compiled at Create.
class WasiCommand : public Workload {
 public:
  WasiCommand(std::shared_ptr<const wasm::CompiledModule> module, std::shared_ptr<wasi::WasiCtx> ctx, std::string name)
      : module_(std::move(module)), ctx_(std::move(ctx)), name_(std::move(name)) {}

  int run() override {
    auto store = wasm::Store::create(wasm::StoreConfig{});
    auto imports = wasi::wasi_link(ctx_, *store, module_->module());
    if (!imports) return fail(imports.error().message);
    auto inst = store->instantiate(module_, *imports);
    if (!inst) {
      if (inst.error().trap) return trapped(*inst.error().trap);
      return fail(inst.error().message);
    }
    auto ext = (*inst)->find_export("_start");
    if (!ext || ext->kind != wasm::ExternKind::Func) return module_->module().start ? 0 : fail("no `_start` export");
    auto r = store->invoke(ext->as_func(), {});
    std::fflush(stdout);
    if (!r) return trapped(r.error());
    return 0;
  }

 private:
  int fail(const std::string& what) {
    std::fprintf(stderr, "whirl: %s: %s\n", name_.c_str(), what.c_str());
    return 1;
  }
  int trapped(const wasm::Trap& t) {
    if (t.code == wasm::TrapCode::Exit) return t.exit_code;
    std::fprintf(stderr, "whirl: %s: wasm trap: %s\nwasm backtrace:\n%s", name_.c_str(), t.message.c_str(),
                 wasm::format_backtrace(t).c_str());
    return 134;
  }

  std::shared_ptr<const wasm::CompiledModule> module_;
  std::shared_ptr<wasi::WasiCtx> ctx_;
  std::string name_;
};

std::string wasi_module_path(const WorkloadSpec& spec) {
  std::string path = spec.args[0];
  if (path.front() != '/') path = (std::filesystem::path(spec.cwd) / path).string();
  return path;
}

Expected<std::unique_ptr<Workload>> prepare_wasi(const WorkloadSpec& spec) {
  std::string path = wasi_module_path(spec);
  std::shared_ptr<const wasm::CompiledModule> module = spec.module;
  if (!module) {
    auto bytes = read_beneath(spec.rootfs, path);
    if (!bytes) return unexpected(bytes.error());
    auto loaded = wasm::load_module(*bytes);
    if (!loaded) return make_error(path + ": " + loaded.error().message);
    module = std::move(*loaded);
  }
  for (const auto& imp : module->module().imports)
    if (imp.module != "wasi_snapshot_preview1")
      return make_error(path + ": unsupported import \"" + imp.module + "\" \"" + imp.name + "\" (only WASI preview1)");
  wasi::WasiConfig wc;
  wc.args = spec.args;
  wc.env = spec.env;
  wc.preopens.push_back(wasi::Preopen{spec.rootfs.string(), "/"});
  auto ctx = wasi::create_wasi(std::move(wc));
  if (!ctx) return unexpected(ctx.error());
  return std::unique_ptr<Workload>(std::make_unique<WasiCommand>(std::move(module), std::move(*ctx), path));
}

// Component output goes to the task's stdio, the FIFOs containerd reads:
// "stdout" to fd 1, "stderr" and error lines to fd 2. The sink's writer
// thread buffers (bounded) for a reader that stalls, so requests never wait
// on those FIFOs. No log files: containerd keeps the task's logs.
std::shared_ptr<spin::http::FileLogSink> task_log_sink() {
  spin::http::FileLogOptions o;
  o.stdout_console = stdout;
  return std::make_shared<spin::http::FileLogSink>(std::filesystem::path(), stderr, std::move(o));
}

// A Spin app's HTTP trigger; SIGTERM drains in-flight requests, a second
// signal interrupts them. Stopped by a signal, it exits with 128+signal.
class SpinApp : public Workload {
 public:
  SpinApp(std::shared_ptr<const spin::LoadedApp> app, std::shared_ptr<const spin::AppRuntime> runtime,
          std::string host, uint16_t port)
      : app_(std::move(app)), runtime_(std::move(runtime)), host_(std::move(host)), port_(port) {}

  int run() override {
    platform::heap_return_large_blocks();  // a long-running server: bursts must not stay resident
    platform::raise_descriptor_limit();
    // Taken by the waiting thread below; blocked before any server thread starts.
    const sigset_t stop = platform::block_stop_signals();
    // After the mask above: the sink's writer thread inherits it, so SIGTERM reaches sigwait.
    auto logs = task_log_sink();
    // On the interpreter at once when the cache has no native code yet.
    auto upgrade = spin::NativeUpgrade::start(app_, {});
    // The image's runtime config may set max_instance_memory (else the default).
    spin::http::TriggerOptions topts;
    if (runtime_->max_instance_memory()) topts.max_memory = runtime_->max_instance_memory();
    spin::redis::RedisTriggerOptions redis_opts;
    redis_opts.max_memory = topts.max_memory;
    auto redis = spin::redis::RedisTrigger::create(app_, runtime_, logs, redis_opts);
    if (!redis) {
      std::fprintf(stderr, "whirl: %s\n", redis.error().message.c_str());
      return 1;
    }
    if (*redis) {
      if (auto ok = (*redis)->start(); !ok) {
        std::fprintf(stderr, "whirl: %s\n", ok.error().message.c_str());
        return 1;
      }
      for (const auto& line : (*redis)->channel_lines()) std::fprintf(stderr, "whirl: %s\n", line.c_str());
      std::fflush(stderr);
    }
    if (app_->manifest.http_triggers.empty())  // only Redis triggers: no listener, as in Spin
      return 128 + spin::redis::run_until_signal(**redis, stop, std::chrono::seconds(10));
    spin::http::HttpTrigger trigger(app_, topts, logs);
    spin::http::install_executors(trigger, runtime_);
    spin::http::ServerOptions so;
    so.host = host_;
    so.port = port_;
    so.classify = [&trigger](const spin::http::Request& r) { return trigger.fairness_key(r); };
    spin::http::HttpServer server(so, [&trigger](const spin::http::Request& r, spin::http::ResponseWriter& w) {
      trigger.handle(r, w);
    });
    if (auto ok = server.listen(); !ok) {
      std::fprintf(stderr, "whirl: %s\n", ok.error().message.c_str());
      return 1;
    }
    std::fprintf(stderr, "whirl: serving %s on %s:%u\n", app_->manifest.name.c_str(), host_.c_str(), unsigned(port_));
    std::fflush(stderr);

    int sig = spin::redis::serve_until_signal(server, trigger, redis->get(), stop);
    return sig ? 128 + sig : 0;
  }

 private:
  std::shared_ptr<const spin::LoadedApp> app_;
  std::shared_ptr<const spin::AppRuntime> runtime_;
  std::string host_;
  uint16_t port_;
};

Expected<std::unique_ptr<Workload>> prepare_spin(const WorkloadSpec& spec) {
  auto manifest_path = spec.rootfs / "spin.toml";
  if (!std::filesystem::is_regular_file(manifest_path)) {
    std::string what = spec.args.empty() ? "no entrypoint" : "the entrypoint `" + spec.args[0] + "` is not a .wasm module";
    if (std::filesystem::exists(spec.rootfs / "spin.json"))
      return make_error("spin.json (a locked application) is not supported yet; the image needs spin.toml at its root");
    return make_error("not a whirl image: no spin.toml at the image root and " + what);
  }
  auto manifest = spin::load_manifest(manifest_path);
  if (!manifest) return unexpected(manifest.error());
  for (const auto& t : manifest->other_triggers)
    return make_error(t.pos.str() + ": trigger type `" + t.type + "` is not supported yet (only `http` and `redis`)");
  if (manifest->http_triggers.empty() && manifest->redis_triggers.empty())
    return make_error("spin.toml: the application has no triggers");
  std::string listen = "0.0.0.0:80", storage;
  if (auto v = find_env(spec.env, "SPIN_HTTP_LISTEN_ADDR", &storage)) listen = *v;
  std::string host;
  uint16_t port = 0;
  if (!spin::http::parse_listen_address(listen, &host, &port))
    return make_error("SPIN_HTTP_LISTEN_ADDR must be ADDRESS:PORT, got `" + listen + "`");
  spin::AppLoadOptions lo;
  spin::http::set_app_loaders(lo);
  lo.staging = spec.scratch;
  auto app = spin::load_app(std::move(*manifest), lo);
  if (!app) return unexpected(app.error());
  spin::AppRuntimeOptions ro;
  // Variables providers read the container's environment, as
  // containerd-shim-spin's process has it.
  ro.getenv = getenv_from(spec.env);
  // As containerd-shim-spin: the image's /runtime-config.toml, if any.
  if (std::filesystem::is_regular_file(spec.rootfs / "runtime-config.toml"))
    ro.runtime_config = spec.rootfs / "runtime-config.toml";
  auto runtime = spin::AppRuntime::create(*app, ro);
  if (!runtime) return unexpected(runtime.error());
  spin::http::HttpTrigger probe(*app, spin::http::TriggerOptions{}, task_log_sink());
  spin::http::install_executors(probe, *runtime);
  if (auto ok = probe.check_executors(); !ok) return unexpected(ok.error());
  if (auto ok = spin::redis::RedisTrigger::create(*app, *runtime, task_log_sink()); !ok) return unexpected(ok.error());
  return std::unique_ptr<Workload>(std::make_unique<SpinApp>(std::move(*app), std::move(*runtime), host, port));
}

}  // namespace

bool is_wasi_command(const WorkloadSpec& spec) { return !spec.args.empty() && ends_with(spec.args[0], ".wasm"); }

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

Expected<MappedFile> map_wasi_module(const WorkloadSpec& spec) {
  if (!is_wasi_command(spec)) return make_error("not a WASI command");
  std::string path = wasi_module_path(spec);
  auto opened = open_in_rootfs(spec.rootfs, path);
  if (!opened) return unexpected(opened.error());
  int fd = *opened;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
    ::close(fd);
    return make_error(path + ": not a regular file");
  }
  void* p = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return make_error(path + ": cannot map the module");
  return MappedFile(static_cast<const uint8_t*>(p), size_t(st.st_size));
}

Expected<std::unique_ptr<Workload>> prepare_workload(const WorkloadSpec& spec) {
  if (is_wasi_command(spec)) return prepare_wasi(spec);
  return prepare_spin(spec);
}

}  // namespace whirl::shim
