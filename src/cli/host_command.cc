// `whirl host`: the node host — every Spin app of a directory (and those
// the admin socket adds) served by one process, routed by Host header.
// Thin: src/host does the work.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "cli/tier_option.h"
#include "host/admin.h"
#include "host/host.h"
#include "platform/signal_waiter.h"
#include "platform/vm.h"
#include "wasm/aot/cache.h"

namespace whirl::cli {
namespace {

struct HostCommandOptions {
  std::string listen = "127.0.0.1:3000";
  std::string domain;
  std::string apps_dir;
  std::string admin_socket;
  std::string log_dir;
  std::string metrics_listen;
  unsigned rescan_ms = 500;
  unsigned unload_idle_ms = 0;
  size_t max_loaded_apps = 0;
  double timeout = 30;
  uint64_t max_memory = 128ull << 20;
  uint64_t max_app_memory = 0;
  unsigned workers = 0;
  unsigned max_concurrent = 0;
  double rate = 0, burst = 0;
  std::string tier = "auto";
  bool snapshot = false;
  std::string snapshot_dir;
};

int fail(const std::string& what) {
  std::fprintf(stderr, "whirl host: %s\n", what.c_str());
  return 1;
}

int run_host(const HostCommandOptions& o) {
  platform::heap_return_large_blocks();
  platform::raise_descriptor_limit();
  const sigset_t stop_signals = platform::block_stop_signals();

  host::HostOptions ho;
  if (!spin::http::parse_listen_address(o.listen, &ho.listen_host, &ho.port))
    return fail("--listen must be ADDRESS:PORT, got `" + o.listen + "`");
  ho.domain = o.domain;
  ho.apps_dir = o.apps_dir;
  ho.rescan = std::chrono::milliseconds(o.rescan_ms);
  ho.unload_idle = std::chrono::milliseconds(o.unload_idle_ms);
  ho.max_loaded_apps = o.max_loaded_apps;
  ho.log_dir = o.log_dir;
  ho.trigger.timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout * 1000));
  ho.trigger.max_memory = o.max_memory;
  ho.trigger.max_app_memory = o.max_app_memory;
  ho.worker_threads = o.workers;
  ho.max_concurrent_per_app = o.max_concurrent;
  ho.limits = {o.rate, o.burst};
  if (!o.snapshot_dir.empty()) {
    ho.snapshot_dir = o.snapshot_dir;
  } else if (o.snapshot) {
    std::string aot_dir = wasm::aot::cache_dir();  // .../whirl/aot: the snapshots go beside it
    if (aot_dir.empty()) return fail("--snapshot: no cache directory (set XDG_CACHE_HOME or HOME), or give --snapshot-dir");
    ho.snapshot_dir = std::filesystem::path(aot_dir).parent_path() / "snapshots";
  }
  ho.scratch = std::filesystem::temp_directory_path() / ("whirl-host-" + std::to_string(getpid()));
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } cleanup{ho.scratch};

  host::Host h(ho);
  if (auto ok = h.start(); !ok) return fail(ok.error().message);
  std::unique_ptr<host::AdminServer> admin;
  if (!o.admin_socket.empty()) {
    admin = std::make_unique<host::AdminServer>(h, o.admin_socket);
    if (auto ok = admin->start(); !ok) return fail(ok.error().message);
    std::printf("Admin socket %s\n", o.admin_socket.c_str());
  }
  // Prometheus metrics on a listener of their own (not an app's Host).
  std::unique_ptr<spin::http::HttpServer> metrics;
  std::thread metrics_thread;
  std::string metrics_host;
  if (!o.metrics_listen.empty()) {
    spin::http::ServerOptions mo;
    if (!spin::http::parse_listen_address(o.metrics_listen, &mo.host, &mo.port))
      return fail("--metrics-listen must be ADDRESS:PORT, got `" + o.metrics_listen + "`");
    mo.worker_threads = 1;
    metrics = std::make_unique<spin::http::HttpServer>(
        mo, spin::http::HttpServer::buffered([&h](const spin::http::Request& r) {
          if (r.path != "/metrics") return spin::http::Response::text(404, "Not Found: metrics are at /metrics\n");
          return spin::http::Response::text(200, h.metrics_text(), "text/plain; version=0.0.4");
        }));
    if (auto ok = metrics->listen(); !ok) return fail(ok.error().message);
    metrics_host = mo.host;
    metrics_thread = std::thread([&] { metrics->run(); });
  }
  std::printf("Serving http://%s:%u\n", ho.listen_host.c_str(), unsigned(h.port()));
  if (metrics) std::printf("Metrics http://%s:%u/metrics\n", metrics_host.c_str(), unsigned(metrics->port()));
  std::printf("%zu apps; requests for <app>.%s go to app <app>\n", h.list().size(),
              o.domain.empty() ? "<any domain>" : o.domain.c_str());
  std::fflush(stdout);
  {
    platform::SignalWaiter waiter(stop_signals, [&] { h.request_stop(); }, [&] {});
    h.run();
  }
  if (metrics) {
    metrics->request_stop();
    metrics_thread.join();
  }
  return 0;
}

}  // namespace

void add_host_command(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<HostCommandOptions>();
  auto* cmd = app.add_subcommand("host", "Serve many Spin applications from one process, routed by Host header");
  cmd->add_option("--listen", o->listen, "Address to listen on: ADDRESS:PORT")->capture_default_str();
  cmd->add_option("--domain", o->domain,
                  "Requests for <app>.DOMAIN go to app <app> (default: the Host header's first label)");
  cmd->add_option("--apps", o->apps_dir,
                  "A directory whose subdirectories holding spin.toml are apps, named after them; watched");
  cmd->add_option("--admin-socket", o->admin_socket, "Unix socket for the admin API (add, remove, list, status)");
  cmd->add_option("--metrics-listen", o->metrics_listen, "Serve Prometheus metrics at http://ADDRESS:PORT/metrics");
  cmd->add_option("--unload-idle-ms", o->unload_idle_ms,
                  "Unload an app not used for this long; its next request loads it again (0: never)")
      ->capture_default_str();
  cmd->add_option("--max-loaded-apps", o->max_loaded_apps,
                  "Apps loaded at once; loading one more unloads the one used longest ago (0: no cap)")
      ->capture_default_str();
  cmd->add_option("--rescan-ms", o->rescan_ms, "How often the apps directory is looked at again")->capture_default_str();
  cmd->add_option("--log-dir", o->log_dir, "Where component output is logged, as APP.COMPONENT_stdout.txt and _stderr.txt (default: the console only)");
  cmd->add_option("--timeout", o->timeout, "Wall-clock limit per request, in seconds")->capture_default_str();
  cmd->add_option("--max-memory-per-app", o->max_app_memory,
                  "Memory limit of one app's requests running together (linear memories and tables), in bytes; "
                  "0: none beyond --max-memory each")
      ->check(CLI::Range(uint64_t(0), uint64_t(1) << 48));
  cmd->add_option("--max-memory", o->max_memory, "Memory limit per request (linear memories and tables), in bytes")
      ->capture_default_str();
  cmd->add_option("--workers", o->workers, "Request worker threads (0: automatic)");
  cmd->add_option("--max-concurrent-per-app", o->max_concurrent,
                  "Requests of one app running at once; more wait queued (0: 4 per core)");
  cmd->add_option("--rate-per-app", o->rate, "Requests per second each app admits, more get 429 (0: no cap)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--burst-per-app", o->burst, "Requests an app may take at once above its rate (0: a second's worth)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--snapshot", o->snapshot,
               "Pre-initialize apps' modules exporting wizer.initialize when they are registered, in the "
               "background (kept in the cache directory, beside compiled code)");
  cmd->add_option("--snapshot-dir", o->snapshot_dir, "Like --snapshot, keeping the pre-initialized modules in DIR");
  add_tier_option(cmd, &o->tier);
  cmd->callback([o, exit_code] { *exit_code = apply_tier(o->tier) ? run_host(*o) : 1; });
}

}  // namespace whirl::cli
