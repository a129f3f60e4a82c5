// wasi:cli (environment, exit, stdio, terminals), wasi:clocks and
// wasi:random.
#include <poll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/p2/ctx.h"

namespace whirl::wasi::p2 {
namespace {

constexpr uint64_t kMaxRandom = 1024 * 1024;  // bytes per get-*random-bytes call; more traps

HostResult get_stdin(WasiP2& w, HostCall&, std::span<Value>) {
  const Fd& f = w.base->fds[0];
  InputStream s;
  s.kind = InputStream::Kind::Fd;
  s.fd = std::make_shared<HostFd>(f.host, false);
  s.may_block = f.may_block;
  return ret(Value::own(w.inputs.add(std::move(s))));
}

HostResult get_output(WasiP2& w, uint32_t fd) {
  const Fd& f = w.base->fds[fd];
  OutputStream s;
  if (f.sink) {
    s.kind = OutputStream::Kind::Sink;
    s.sink = f.sink;
  } else {
    s.kind = OutputStream::Kind::Fd;
    s.fd = std::make_shared<HostFd>(f.host, false);
    s.may_block = f.may_block;
  }
  return ret(Value::own(w.outputs.add(std::move(s))));
}

// A terminal only when the stdio descriptor is one (a sink never is).
HostResult terminal(WasiP2& w, uint32_t fd, Table<Terminal>& table) {
  const Fd& f = w.base->fds[fd];
  if (f.sink || !isatty(f.host)) return ret(Value::none());
  return ret(Value::some(Value::own(table.add(Terminal{}))));
}

uint64_t clock_ns(clockid_t c, bool resolution) {
  struct timespec ts;
  if (resolution) clock_getres(c, &ts);
  else clock_gettime(c, &ts);
  return uint64_t(ts.tv_sec) * 1000000000 + uint64_t(ts.tv_nsec);
}

Value wall(bool resolution) {
  struct timespec ts;
  if (resolution) clock_getres(CLOCK_REALTIME, &ts);
  else clock_gettime(CLOCK_REALTIME, &ts);
  return datetime(ts.tv_sec, uint32_t(ts.tv_nsec));
}

HostResult subscribe_at(WasiP2& w, uint64_t deadline) {
  Pollable p;
  p.kind = Pollable::Kind::Deadline;
  p.deadline = deadline;
  return ret(Value::own(new_pollable(w, std::move(p))));
}

bool secure_random(void* buf, size_t n) {
  for (size_t done = 0; done < n;) {
    ssize_t r = getrandom(static_cast<char*>(buf) + done, n - done, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    done += size_t(r);
  }
  return true;
}

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

HostResult random_bytes(WasiP2& w, std::span<Value> a, bool secure) {
  uint64_t n = a[0].u;
  if (n > kMaxRandom) return trap("random bytes: " + std::to_string(n) + " requested, at most 1 MiB at once");
  std::string buf(size_t(n), '\0');
  if (secure) {
    if (!secure_random(buf.data(), buf.size())) return trap("the host's random source failed");
  } else {
    for (size_t i = 0; i < buf.size(); i += 8) {
      uint64_t r = splitmix(w.insecure_state);
      std::memcpy(buf.data() + i, &r, std::min<size_t>(8, buf.size() - i));
    }
  }
  return ret(bytes(buf.data(), buf.size()));
}

}  // namespace

void add_cli(Linker& l) {
  const std::string env = "wasi:cli/environment";
  def(l, env, "get-environment", [](WasiP2& w, HostCall&, std::span<Value>) -> HostResult {
    std::vector<Value> out;
    for (const auto& kv : w.config().env) {
      size_t eq = kv.find('=');
      std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      out.push_back(Value::tuple({Value::string(std::move(k)), Value::string(std::move(v))}));
    }
    return ret(Value::list(std::move(out)));
  });
  def(l, env, "get-arguments", [](WasiP2& w, HostCall&, std::span<Value>) -> HostResult {
    std::vector<Value> out;
    for (const auto& s : w.config().args) out.push_back(Value::string(s));
    return ret(Value::list(std::move(out)));
  });
  // The guest sees only its preopens: there is no working directory to name.
  def(l, env, "initial-cwd", [](WasiP2&, HostCall&, std::span<Value>) -> HostResult { return ret(Value::none()); });

  const std::string exit = "wasi:cli/exit";
  def(l, exit, "exit", [](WasiP2&, HostCall&, std::span<Value> a) -> HostResult {
    return unexpected(abi::Trap{"exit", a[0].is_err ? 1 : 0});
  });
  def(l, exit, "exit-with-code", [](WasiP2&, HostCall&, std::span<Value> a) -> HostResult {
    return unexpected(abi::Trap{"exit", int32_t(a[0].u)});
  });

  def(l, "wasi:cli/stdin", "get-stdin", get_stdin);
  def(l, "wasi:cli/stdout", "get-stdout", [](WasiP2& w, HostCall&, std::span<Value>) { return get_output(w, 1); });
  def(l, "wasi:cli/stderr", "get-stderr", [](WasiP2& w, HostCall&, std::span<Value>) { return get_output(w, 2); });

  def_resource(l, "wasi:cli/terminal-input", "terminal-input", &WasiP2::terminal_inputs);
  def_resource(l, "wasi:cli/terminal-output", "terminal-output", &WasiP2::terminal_outputs);
  def(l, "wasi:cli/terminal-stdin", "get-terminal-stdin",
      [](WasiP2& w, HostCall&, std::span<Value>) { return terminal(w, 0, w.terminal_inputs); });
  def(l, "wasi:cli/terminal-stdout", "get-terminal-stdout",
      [](WasiP2& w, HostCall&, std::span<Value>) { return terminal(w, 1, w.terminal_outputs); });
  def(l, "wasi:cli/terminal-stderr", "get-terminal-stderr",
      [](WasiP2& w, HostCall&, std::span<Value>) { return terminal(w, 2, w.terminal_outputs); });

  const std::string mono = "wasi:clocks/monotonic-clock";
  def(l, mono, "now", [](WasiP2&, HostCall&, std::span<Value>) { return ret(u64(monotonic_now())); });
  def(l, mono, "resolution",
      [](WasiP2&, HostCall&, std::span<Value>) { return ret(u64(clock_ns(CLOCK_MONOTONIC, true))); });
  def(l, mono, "subscribe-instant",
      [](WasiP2& w, HostCall&, std::span<Value> a) { return subscribe_at(w, a[0].u); });
  def(l, mono, "subscribe-duration", [](WasiP2& w, HostCall&, std::span<Value> a) {
    uint64_t now = monotonic_now();
    return subscribe_at(w, a[0].u > UINT64_MAX - now ? UINT64_MAX : now + a[0].u);
  });
  const std::string wall_clock = "wasi:clocks/wall-clock";
  def(l, wall_clock, "now", [](WasiP2&, HostCall&, std::span<Value>) { return ret(wall(false)); });
  def(l, wall_clock, "resolution", [](WasiP2&, HostCall&, std::span<Value>) { return ret(wall(true)); });

  def(l, "wasi:random/random", "get-random-bytes",
      [](WasiP2& w, HostCall&, std::span<Value> a) { return random_bytes(w, a, true); });
  def(l, "wasi:random/random", "get-random-u64", [](WasiP2&, HostCall&, std::span<Value>) -> HostResult {
    uint64_t r;
    if (!secure_random(&r, sizeof r)) return trap("the host's random source failed");
    return ret(u64(r));
  });
  def(l, "wasi:random/insecure", "get-insecure-random-bytes",
      [](WasiP2& w, HostCall&, std::span<Value> a) { return random_bytes(w, a, false); });
  def(l, "wasi:random/insecure", "get-insecure-random-u64",
      [](WasiP2& w, HostCall&, std::span<Value>) { return ret(u64(splitmix(w.insecure_state))); });
  // The same pair for the whole instance, as the interface asks.
  def(l, "wasi:random/insecure-seed", "insecure-seed", [](WasiP2& w, HostCall&, std::span<Value>) {
    return ret(Value::tuple({u64(w.insecure_seed[0]), u64(w.insecure_seed[1])}));
  });
}

}  // namespace whirl::wasi::p2
