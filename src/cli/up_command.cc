// `whirl up`: run a Spin application's HTTP and Redis triggers.
// Thin: the manifest, app, trigger and server libraries do the work; this
// file wires them together with the OS (signals, temp dir, console).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "cli/tier_option.h"
#include "spin/app/native_upgrade.h"
#include "platform/signal_waiter.h"
#include "platform/vm.h"
#include "spin/app/app.h"
#include "spin/http/executors.h"
#include "spin/runtime/app_runtime.h"
#include "spin/sqlite/sqlite.h"
#include "spin/http/server.h"
#include "spin/http/trigger.h"
#include "spin/key_value/key_value.h"
#include "spin/manifest/manifest.h"
#include "spin/redis_trigger/redis_trigger.h"
#include "spin/variables/providers.h"

namespace whirl::cli {
namespace {

struct UpOptions {
  std::string from = "spin.toml";
  std::string listen = "127.0.0.1:3000";
  std::vector<std::string> env;
  std::vector<std::string> variables;  // --variable, as spin up's
  std::string runtime_config;
  std::vector<std::string> sqlite;  // --sqlite, as spin up's
  std::vector<std::string> key_values;  // --key-value, as spin up's
  std::string state_dir;  // --state-dir, as spin up's
  std::string log_dir;    // --log-dir, as spin up's
  double timeout = 30;
  uint64_t max_memory = 128ull << 20;
  bool max_memory_given = false;  // else the runtime config's max_instance_memory, if any
  unsigned workers = 0;
  unsigned max_concurrent = 0;
  uint64_t max_request_body = 64ull << 20;
  unsigned deprioritize_after_ms = 100;
  std::string tier = "auto";
};

int fail(const std::string& what) {
  std::fprintf(stderr, "whirl up: %s\n", what.c_str());
  return 1;
}

// Removes the staging directory on every exit path.
struct TempDir {
  std::filesystem::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

int up(const UpOptions& o) {
  platform::heap_return_large_blocks();
  platform::raise_descriptor_limit();
  // SIGINT/SIGTERM are taken by a waiting thread; blocked before any thread starts.
  const sigset_t stop_signals = platform::block_stop_signals();

  std::string host;
  uint16_t port = 0;
  if (!spin::http::parse_listen_address(o.listen, &host, &port)) return fail("--listen must be ADDRESS:PORT, got `" + o.listen + "`");
  if (!o.runtime_config.empty() && !std::filesystem::is_regular_file(o.runtime_config))
    return fail(o.runtime_config + ": runtime config file not found");

  auto manifest = spin::load_manifest(o.from);
  if (!manifest) return fail(manifest.error().message);
  for (const auto& t : manifest->other_triggers)
    return fail(t.pos.str() + ": trigger type `" + t.type + "` is not supported yet (only `http` and `redis`)");
  if (manifest->http_triggers.empty() && manifest->redis_triggers.empty())
    return fail(manifest->path.string() + ": the application has no triggers");

  auto variables = spin::variables::read_variable_args(o.variables);
  if (!variables) return fail(variables.error().message);
  std::vector<std::pair<std::string, std::string>> key_values;
  for (const auto& a : o.key_values) {
    auto kv = spin::key_value::parse_key_value_arg(a);
    if (!kv) return fail(kv.error().message);
    key_values.push_back(std::move(*kv));
  }

  spin::AppLoadOptions lo;
  spin::http::set_app_loaders(lo);
  for (const auto& kv : o.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return fail("--env must be KEY=VALUE, got `" + kv + "`");
    lo.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  TempDir staging{std::filesystem::temp_directory_path() / ("whirl-up-" + std::to_string(getpid()))};
  lo.staging = staging.path;
  auto app = spin::load_app(std::move(*manifest), lo);
  if (!app) return fail(app.error().message);

  spin::AppRuntimeOptions ro;
  ro.runtime_config = o.runtime_config;
  ro.variables = std::move(*variables);
  if (!o.state_dir.empty()) ro.state_dir = std::filesystem::absolute(o.state_dir);
  auto runtime = spin::AppRuntime::create(*app, ro);
  if (!runtime) return fail(runtime.error().message);
  // Flags win over the runtime config's keys, which win over the defaults (as spin up).
  std::filesystem::path log_dir = !o.log_dir.empty()                  ? std::filesystem::path(o.log_dir)
                                  : !(*runtime)->log_dir().empty()    ? (*runtime)->log_dir()
                                                                      : (*app)->manifest.dir / ".spin" / "logs";
  uint64_t max_memory = o.max_memory;
  if (!o.max_memory_given && (*runtime)->max_instance_memory()) max_memory = (*runtime)->max_instance_memory();

  auto logs = std::make_shared<spin::http::FileLogSink>(log_dir, stderr);
  spin::http::TriggerOptions topts;
  topts.timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout * 1000));
  topts.max_memory = max_memory;
  spin::http::HttpTrigger trigger(*app, topts, logs);
  spin::http::install_executors(trigger, *runtime);
  if (auto ok = trigger.check_executors(); !ok) return fail(ok.error().message);
  if (auto ok = spin::sqlite::run_startup_statements((*runtime)->config(), (*runtime)->state_dir(), o.sqlite); !ok)
    return fail(ok.error().message);
  auto kv_state = (*runtime)->app_state(spin::key_value_factor());
  if (auto ok = spin::key_value::set_default_values(kv_state, key_values); !ok) return fail(ok.error().message);
  if (auto line = spin::key_value::default_store_line(kv_state); !line.empty()) std::fprintf(stderr, "%s\n", line.c_str());
  spin::redis::RedisTriggerOptions redis_opts;
  redis_opts.max_memory = max_memory;
  auto redis = spin::redis::RedisTrigger::create(*app, *runtime, logs, redis_opts);
  if (!redis) return fail(redis.error().message);

  // Serves on the interpreter at once when there is no cached native code
  // (`--tier auto`), while the components compile in the background.
  auto upgrade = spin::NativeUpgrade::start(*app, {});

  std::printf("Logging component stdio to \"%s\"\n", log_dir.lexically_normal().string().c_str());
  if (*redis) {
    if (auto ok = (*redis)->start(); !ok) return fail(ok.error().message);
    for (const auto& line : (*redis)->channel_lines()) std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
  // Only Redis triggers: no HTTP listener, as in Spin.
  if ((*app)->manifest.http_triggers.empty()) {
    spin::redis::run_until_signal(**redis, stop_signals, std::chrono::seconds(10));
    return 0;
  }

  spin::http::ServerOptions sopts;
  sopts.host = host;
  sopts.port = port;
  sopts.worker_threads = o.workers;
  sopts.max_concurrent_per_key = o.max_concurrent;
  sopts.body_limit = o.max_request_body;
  sopts.demote_after = std::chrono::milliseconds(o.deprioritize_after_ms);
  sopts.classify = [&trigger](const spin::http::Request& r) { return trigger.fairness_key(r); };
  spin::http::HttpServer server(sopts, [&trigger](const spin::http::Request& r, spin::http::ResponseWriter& w) {
    trigger.handle(r, w);
  });
  if (auto ok = server.listen(); !ok) return fail(ok.error().message);

  std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string base_url = "http://" + shown_host + ":" + std::to_string(server.port());
  std::printf("\nServing %s\nAvailable Routes:\n", base_url.c_str());
  for (const auto& line : trigger.route_lines(base_url)) std::printf("%s\n", line.c_str());
  std::fflush(stdout);

  spin::redis::serve_until_signal(server, trigger, redis->get(), stop_signals);
  return 0;
}

}  // namespace

void add_up_command(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<UpOptions>();
  auto* cmd = app.add_subcommand("up", "Serve a Spin application (spin.toml) over HTTP");
  cmd->add_option("-f,--from", o->from, "The manifest, or a directory holding spin.toml")->capture_default_str();
  cmd->add_option("--listen", o->listen, "Address to listen on: ADDRESS:PORT")->capture_default_str();
  cmd->add_option("-e,--env", o->env, "Environment variable for every component: KEY=VALUE")
      ->allow_extra_args(false);
  cmd->add_option("--variable", o->variables,
                  "Application variable: KEY=VALUE, KEY=@FILE (its text), or @FILE.json / @FILE.toml (many); "
                  "later ones win")
      ->allow_extra_args(false);
  cmd->add_option("--runtime-config-file", o->runtime_config, "Runtime configuration file");
  cmd->add_option("--sqlite", o->sqlite,
                  "SQL to run against the default database before serving; @FILE[:DATABASE] runs a file's "
                  "statements (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--key-value", o->key_values,
                  "KEY=VALUE to set in the default key-value store before serving, overwriting (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--timeout", o->timeout, "Wall-clock limit per request, in seconds")->capture_default_str();
  cmd->add_option("--state-dir", o->state_dir,
                  "Where default stores live (default: the runtime config's state_dir, else .spin beside spin.toml)");
  cmd->add_option("--log-dir", o->log_dir,
                  "Where component output is logged (default: the runtime config's log_dir, else .spin/logs)");
  auto* max_memory = cmd->add_option("--max-memory", o->max_memory,
                                     "Memory limit per request (linear memories and tables), in bytes; default: "
                                     "the runtime config's max_instance_memory, else 128 MiB")
                         ->capture_default_str();
  cmd->add_option("--workers", o->workers, "Request worker threads (0: automatic)");
  cmd->add_option("--max-concurrent-per-component", o->max_concurrent,
                  "Requests of one component running at once; more wait queued (0: 4 per core)");
  cmd->add_option("--max-request-body", o->max_request_body, "Largest request body in bytes (larger: 413)")
      ->capture_default_str();
  cmd->add_option("--deprioritize-after", o->deprioritize_after_ms,
                  "Milliseconds after which a running request continues at a lower CPU priority (0: never)")
      ->capture_default_str();
  add_tier_option(cmd, &o->tier);
  cmd->callback([o, exit_code, max_memory] {
    o->max_memory_given = max_memory->count() > 0;
    *exit_code = apply_tier(o->tier) ? up(*o) : 1;
  });
}

}  // namespace whirl::cli
