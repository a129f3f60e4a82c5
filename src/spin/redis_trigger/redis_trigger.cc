#include "spin/redis_trigger/redis_trigger.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "component/runtime/component.h"
#include "platform/signal_waiter.h"
#include "spin/http/instance_wasi.h"
#include "spin/manifest/allowed_hosts.h"
#include "spin/redis/client.h"
#include "spin/variables/variables.h"
#include "wasi/http/wasi_http.h"
#include "wasi/p2/ctx.h"
#include "wasi/p2/wasi_p2.h"

namespace whirl::spin::redis {
namespace {

namespace rt = component::runtime;
using component::abi::Value;
using Clock = std::chrono::steady_clock;
constexpr auto kReadSlice = std::chrono::milliseconds(200);

// Spin 4's spin:redis/inbound-redis@3.0.0 is an `async func`.
constexpr std::string_view kAsyncHandler = "spin:redis/inbound-redis@3";

std::string export_names(const rt::LoadedComponent& c) {
  std::string out;
  for (const auto& e : rt::component_type(c).exports) out += (out.empty() ? "" : ", ") + e.name;
  return out.empty() ? "none" : out;
}

bool exports(const rt::LoadedComponent& c, std::string_view prefix) {
  for (const auto& e : rt::component_type(c).exports)
    if (std::string_view(e.name).substr(0, prefix.size()) == prefix) return true;
  return false;
}

// `{{ name }}` replaced by the variable's value.
Expected<std::string> render(std::string_view text, const RedisTriggerOptions& o) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    size_t end = text.find("}}", open + 2);
    if (end == std::string_view::npos) return make_error("unclosed `{{`");
    std::string_view name = text.substr(open + 2, end - open - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    auto value = o.variable(name);
    if (!value) return make_error("variable `" + std::string(name) + "` has no value");
    out.append(text.substr(pos, open - pos));
    out += *value;
    pos = end + 2;
  }
  out.append(text.substr(pos));
  return out;
}

std::string describe_trap(const rt::CallError& e) {
  if (!e.trap || e.trap->backtrace.empty()) return e.message;
  return e.message + " (wasm backtrace: " + wasm::format_backtrace_inline(*e.trap) + ")";
}

struct Channel {
  std::string name;
  std::vector<std::string> components;
};

// A handler has no HTTP response to give; it may still send requests.
class NoResponse final : public wasi::http::ResponseSink {
 public:
  bool start(uint16_t, const wasi::http::FieldList&) override { return false; }
  bool write(std::string_view) override { return false; }
  void finish(const wasi::http::FieldList&) override {}
};

using HostsRef = std::shared_ptr<const Expected<AllowedHosts>>;

// Outbound HTTP of a handler: its component's allowed_outbound_hosts
// decide, as for HTTP-triggered components (no app-relative requests:
// there is no incoming request to be relative to).
wasi::http::OutboundConfig outbound_http(HostsRef hosts, std::shared_ptr<http::LogSink> logs, std::string id) {
  wasi::http::OutboundConfig c;
  if (const char* ca = std::getenv("WHIRL_OUTBOUND_EXTRA_CA")) c.extra_ca_file = ca;
  c.route = [hosts, logs, id](const wasi::http::OutboundRequest& req) {
    using Route = wasi::http::OutboundConfig::Route;
    if (!*hosts) {
      logs->error("component `" + id + "`: outbound request denied: " + hosts->error().message);
      return Route::Deny;
    }
    std::string target = req.scheme + "://" + req.authority.value_or("self");
    auto url = parse_outbound_url(target, "https");
    if (req.authority && url && (*hosts)->allows(*url)) return Route::Network;
    logs->error("component `" + id + "`: outbound request to " + target +
                " is denied; to allow it add \"" + target + "\" to allowed_outbound_hosts");
    return Route::Deny;
  };
  return c;
}

}  // namespace

struct RedisTrigger::Impl {
  struct Subscriber {
    std::string key;    // the address as resolved: one subscriber per address, as Spin keys them
    std::string shown;  // the server as Spin prints it
    RedisAddress address;
    std::vector<Channel> channels;  // in manifest order
    std::unique_ptr<RedisConnection> conn;
    std::thread thread;

    std::mutex store_mu;  // the stores of the running handlers
    std::vector<wasm::Store*> running;
    bool interrupt_requested = false;
  };

  std::shared_ptr<const LoadedApp> app;
  std::shared_ptr<const AppRuntime> runtime;
  std::shared_ptr<http::LogSink> logs;
  RedisTriggerOptions options;
  std::map<std::string, HostsRef, std::less<>> hosts;  // allowed_outbound_hosts by component
  std::vector<std::unique_ptr<Subscriber>> subscribers;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::atomic<bool> stop_flag{false};

  bool stop_requested() const { return stop_flag.load(); }

  // Sleeps up to `d` unless a stop is requested first (then false).
  bool sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    return !cv.wait_for(lock, d, [this] { return stopping; });
  }

  ClientResult<void> subscribe(Subscriber& s) {
    redis::Cancel cancel = [this] { return stop_requested(); };
    auto c = RedisConnection::open(s.address, cancel);
    if (!c) return unexpected(c.error());
    std::vector<std::string> argv{"SUBSCRIBE"};
    for (const auto& ch : s.channels) argv.push_back(ch.name);
    if (auto ok = (*c)->send(argv, cancel); !ok) return unexpected(ok.error());
    // One confirmation per channel: ["subscribe", channel, count].
    for (size_t i = 0; i < s.channels.size(); ++i) {
      auto r = (*c)->read(std::chrono::milliseconds(10000), cancel);
      if (!r) return unexpected(r.error());
      if (!*r) return unexpected(ClientError{"no answer to SUBSCRIBE"});
      if ((*r)->kind == RedisReply::Kind::Error) return unexpected(ClientError{describe_error_reply((*r)->str)});
    }
    s.conn = std::move(*c);
    return {};
  }

  void listen(Subscriber& s) {
    auto backoff = options.backoff_min;
    while (!stop_requested()) {
      if (!s.conn) {
        if (!sleep_for(backoff)) break;
        auto ok = subscribe(s);
        if (!ok) {
          if (ok.error().cancelled) break;
          backoff = std::min(backoff * 2, options.backoff_max);
          continue;
        }
        logs->error("Redis trigger: reconnected to " + s.shown + " and subscribed again");
        backoff = options.backoff_min;
      }
      auto r = s.conn->read(kReadSlice, [this] { return stop_requested(); });
      if (!r) {
        if (r.error().cancelled) break;
        logs->error("Redis trigger: lost the connection to " + s.shown + " (" + r.error().message +
                    "); reconnecting");
        s.conn.reset();
        continue;
      }
      if (!*r) continue;
      const RedisReply& m = **r;
      // ["message", channel, payload]; other pushes (subscribe confirmations) are not messages.
      if (m.kind != RedisReply::Kind::Array || m.elements.size() != 3 || m.elements[0].str != "message") continue;
      dispatch(s, m.elements[1].str, m.elements[2].str);
    }
    s.conn.reset();
  }

  // Every component on the channel, at once (as Spin joins them); the
  // next message waits for all of them.
  void dispatch(Subscriber& s, const std::string& channel, const std::string& payload) {
    auto handle = [&](const std::string& id) {
      if (auto ok = run_handler(s, id, payload); !ok)
        logs->error("Component " + id + " handler failed: " + ok.error().message);
    };
    for (const auto& ch : s.channels) {
      if (ch.name != channel) continue;
      std::vector<std::thread> others;
      for (size_t i = 1; i < ch.components.size(); ++i) others.emplace_back(handle, std::cref(ch.components[i]));
      handle(ch.components[0]);
      for (auto& t : others) t.join();
      return;
    }
    logs->error("Redis trigger: message from unexpected channel \"" + channel + "\" on " + s.shown);
  }

  // A fresh instance of component `id` handling one message.
  Expected<void> run_handler(Subscriber& s, const std::string& id, const std::string& payload) {
    const LoadedComponent* c = app->find(id);
    if (!c || !c->component) return make_error("component `" + id + "` is not loaded");
    http::OutputCapture out("stdout"), err("stderr");
    wasi::WasiConfig wc = http::instance_wasi_config(*c, out, err);
    auto ctx = wasi::p2::create_wasi_p2(std::move(wc));
    if (!ctx) return make_error(ctx.error().message);
    wasi::http::attach_http(**ctx, std::make_shared<NoResponse>(), outbound_http(hosts.at(id), logs, id));
    if (auto ok = runtime->prepare_instance(*c, **ctx); !ok) return ok;

    wasm::StoreConfig sc;
    sc.max_memory_bytes = options.max_memory;
    auto store = wasm::Store::create(sc);
    wasm::Store* store_ptr = store.get();
    {
      std::lock_guard lock(s.store_mu);
      if (s.interrupt_requested) store->interrupt();
      s.running.push_back(store_ptr);
    }
    std::optional<std::string> failure;
    std::unique_ptr<rt::ComponentInstance> inst;
    {
      auto made = rt::instantiate(c->component.load(), std::move(store), runtime->linker(), std::any(*ctx));
      if (!made) {
        failure = made.error().trap ? "trapped while starting: " + made.error().message
                                    : "cannot instantiate: " + made.error().message;
      } else {
        inst = std::move(*made);
        auto handle = inst->find_func(kHandleMessage);
        if (!handle) {
          failure = "exports no `" + std::string(kHandleMessage) + "`";
        } else {
          auto res = inst->call(handle, {Value::byte_list(payload)});
          if (!res) {
            const rt::CallError& e = res.error();
            if (e.exit_code) {
              if (*e.exit_code != 0) failure = "exited with code " + std::to_string(*e.exit_code);
            } else if (inst->store().interrupted()) {
              failure = "stopped: the app is shutting down";
            } else {
              failure = "trapped: " + describe_trap(e);
            }
          } else if (!res->empty() && (*res)[0].is_err) {
            failure = "Redis handler returned an error";
          }
        }
      }
    }
    inst.reset();
    {
      std::lock_guard lock(s.store_mu);
      std::erase(s.running, store_ptr);
    }
    logs->component_output(id, "stdout", out.take());
    logs->component_output(id, "stderr", err.take());
    if (failure) return make_error(*failure);
    return {};
  }
};

RedisTrigger::RedisTrigger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RedisTrigger::~RedisTrigger() { shutdown(std::chrono::milliseconds(0)); }

Expected<std::unique_ptr<RedisTrigger>> RedisTrigger::create(std::shared_ptr<const LoadedApp> app,
                                                             std::shared_ptr<const AppRuntime> runtime,
                                                             std::shared_ptr<http::LogSink> logs,
                                                             RedisTriggerOptions options) {
  const AppManifest& m = app->manifest;
  if (m.redis_triggers.empty()) return std::unique_ptr<RedisTrigger>();
  if (!options.variable) {
    // The app's variables (every provider, then defaults), as Spin resolves trigger settings.
    auto vars = variables::app_variables(runtime->app_state(variables_factor()));
    options.variable = [vars](std::string_view name) -> std::optional<std::string> {
      if (!vars) return std::nullopt;
      auto v = vars->variable(name);
      if (!v) return std::nullopt;
      return std::move(*v);
    };
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;

  // The components: each a component exporting the handler, its imports all provided.
  std::set<std::string> checked;
  for (const auto& t : m.redis_triggers) {
    if (!checked.insert(t.component).second) continue;
    const LoadedComponent* c = app->find(t.component);
    std::string where = t.pos.str() + ": component `" + t.component + "`";
    if (!c) return make_error(where + " is not loaded");
    if (!c->component)
      return make_error(where + " is a core module; the Redis trigger runs components exporting `" +
                        std::string(kHandleMessage) + "`");
    auto code = c->component.load();
    if (exports(*code, kAsyncHandler) && !exports(*code, "fermyon:spin/inbound-redis"))
      return make_error(where + " exports spin:redis/inbound-redis@3.0.0, an async (WASI 0.3) handler, which whirl "
                                "cannot run yet; build it against fermyon:spin/inbound-redis");
    if (!exports(*code, "fermyon:spin/inbound-redis"))
      return make_error(where + " exports no `fermyon:spin/inbound-redis` (`handle-message`), which the Redis trigger "
                                "calls (exports: " + export_names(*code) + ")");
    if (auto ok = runtime->check_imports(*c); !ok) return make_error(t.pos.str() + ": " + ok.error().message);
    std::vector<std::string> entries;
    if (c->config) entries = c->config->allowed_outbound_hosts;
    impl->hosts[t.component] = std::make_shared<const Expected<AllowedHosts>>(
        AllowedHosts::parse(entries, [&options](std::string_view n) { return options.variable(n); }));
  }

  // Servers and channels, templates resolved (Spin resolves them before subscribing).
  for (const auto& t : m.redis_triggers) {
    std::string expr = t.address ? *t.address : m.redis_address.value_or("");
    if (expr.empty())
      return make_error(t.pos.str() + ": the Redis trigger for channel `" + t.channel +
                        "` has no address: set `address` in [application.trigger.redis] or in the trigger");
    auto address = render(expr, options);
    if (!address)
      return make_error(t.pos.str() + ": failed to resolve redis trigger address \"" + expr + "\" for component " +
                        t.component + ": " + address.error().message);
    auto channel = render(t.channel, options);
    if (!channel)
      return make_error(t.channel_pos.str() + ": failed to resolve redis trigger channel \"" + t.channel +
                        "\" for component " + t.component + ": " + channel.error().message);
    auto parsed = parse_redis_address(*address);
    if (!parsed)
      return make_error((t.address ? t.address_pos : m.redis_address_pos).str() + ": Redis trigger address: " +
                        parsed.error().message);
    Impl::Subscriber* sub = nullptr;
    for (auto& s : impl->subscribers)
      if (s->key == *address) sub = s.get();
    if (!sub) {
      impl->subscribers.push_back(std::make_unique<Impl::Subscriber>());
      sub = impl->subscribers.back().get();
      sub->key = *address;
      sub->shown = parsed->display();
      sub->address = *parsed;
    }
    Channel* ch = nullptr;
    for (auto& c : sub->channels)
      if (c.name == *channel) ch = &c;
    if (!ch) ch = &sub->channels.emplace_back(Channel{*channel, {}});
    ch->components.push_back(t.component);
  }
  impl->app = std::move(app);
  impl->runtime = std::move(runtime);
  impl->logs = std::move(logs);
  return std::unique_ptr<RedisTrigger>(new RedisTrigger(std::move(impl)));
}

Expected<void> RedisTrigger::start() {
  for (auto& s : impl_->subscribers) {
    if (auto ok = impl_->subscribe(*s); !ok)
      return make_error("Redis trigger failed to connect to " + s->shown + ": " + ok.error().message);
  }
  for (auto& s : impl_->subscribers) {
    Impl::Subscriber* sp = s.get();
    s->thread = std::thread([this, sp] { impl_->listen(*sp); });
  }
  return {};
}

std::vector<std::string> RedisTrigger::channel_lines() const {
  std::vector<std::string> out;
  for (const auto& s : impl_->subscribers) {
    out.push_back("Active Channels on " + s->shown + ":");
    for (const auto& ch : s->channels) {
      std::string comps;
      for (const auto& c : ch.components) comps += (comps.empty() ? "" : ",") + c;
      out.push_back("\t" + s->shown + "/" + ch.name + ": [" + comps + "]");
    }
  }
  return out;
}

void RedisTrigger::request_stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    impl_->stop_flag = true;
  }
  impl_->cv.notify_all();
}

void RedisTrigger::wait_stop_requested() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [this] { return impl_->stopping; });
}

void RedisTrigger::interrupt_all() {
  for (auto& s : impl_->subscribers) {
    std::lock_guard lock(s->store_mu);
    s->interrupt_requested = true;
    for (wasm::Store* st : s->running) st->interrupt();
  }
}

void RedisTrigger::shutdown(std::chrono::milliseconds grace) {
  request_stop();
  auto deadline = Clock::now() + grace;
  for (auto& s : impl_->subscribers) {
    while (Clock::now() < deadline) {
      {
        std::lock_guard lock(s->store_mu);
        if (s->running.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  interrupt_all();
  for (auto& s : impl_->subscribers)
    if (s->thread.joinable()) s->thread.join();
}

int run_until_signal(RedisTrigger& trigger, const sigset_t& signals, std::chrono::milliseconds grace) {
  platform::SignalWaiter waiter(signals, [&] { trigger.request_stop(); }, [&] { trigger.interrupt_all(); });
  trigger.wait_stop_requested();
  trigger.shutdown(grace);
  return waiter.first_signal();
}

}  // namespace whirl::spin::redis
