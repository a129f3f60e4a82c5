#include "spin/app/native_upgrade.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "platform/file.h"
#include "platform/progress.h"
#include "wasm/runtime/tier.h"

namespace whirl::spin {
namespace {

constexpr std::string_view kNative = "aot";

bool runs_native(const LoadedComponent& c) {
  if (auto m = c.module.load()) return m->tier_name() == kNative;
  if (auto k = c.component.load()) return component::runtime::compiled_by(*k, kNative);
  return true;
}

// Background compiles of every app in the process, at most half the cores'
// worth at once: the node host loads many apps, and their compiles all
// together would take every core and far more memory than the apps.
class CompileSlots {
 public:
  explicit CompileSlots(unsigned n) : total_(n), free_(n) {}
  unsigned total() const { return total_; }
  unsigned running() {
    std::lock_guard lock(mu_);
    return total_ - free_;
  }
  // Waits for a slot; false if `stop` was set meanwhile.
  bool take(const std::atomic<bool>& stop) {
    std::unique_lock lock(mu_);
    while (free_ == 0) {
      if (stop) return false;
      cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
    --free_;
    return true;
  }
  void give() {
    {
      std::lock_guard lock(mu_);
      ++free_;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const unsigned total_;
  unsigned free_;
};

CompileSlots& compile_slots() {
  static CompileSlots slots(std::max(1u, std::thread::hardware_concurrency() / 2));
  return slots;
}

}  // namespace

std::unique_ptr<NativeUpgrade> NativeUpgrade::start(std::shared_ptr<const LoadedApp> app, Options options) {
  if (wasm::rt::default_tier().name() != "auto" || !wasm::rt::find_tier(kNative)) return nullptr;
  std::vector<const LoadedComponent*> todo;
  for (const auto& c : app->components)
    if (!runs_native(c)) todo.push_back(&c);
  if (todo.empty()) return nullptr;
  std::unique_ptr<NativeUpgrade> u(new NativeUpgrade(std::move(app), options));
  u->thread_ = std::thread([p = u.get(), todo = std::move(todo)] { p->run(todo); });
  return u;
}

unsigned NativeUpgrade::compiles_running() { return compile_slots().running(); }
unsigned NativeUpgrade::max_compiles() { return compile_slots().total(); }

NativeUpgrade::~NativeUpgrade() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void NativeUpgrade::wait() {
  if (thread_.joinable()) thread_.join();
}

void NativeUpgrade::say(const std::string& line) const {
  if (!options_.log) return;
  std::fprintf(options_.log, "%s\n", line.c_str());
  std::fflush(options_.log);
}

void NativeUpgrade::run(std::vector<const LoadedComponent*> todo) {
  // Requests first: this thread (and the compile's helpers, which inherit
  // it) runs at a lower CPU priority.
  (void)::setpriority(PRIO_PROCESS, ::gettid(), 10);
  for (const LoadedComponent* c : todo) {
    if (stop_ || !compile_slots().take(stop_)) return;
    struct Slot {
      ~Slot() { compile_slots().give(); }
    } held;
    const std::string who = "component `" + c->id + "`";
    // The bytes it was loaded from, read again: compiled only if unchanged.
    auto file = platform::read_file(c->source.string());
    if (!file) {
      say(who + ": not compiled to native code: " + file.error().message);
      continue;
    }
    if (hash_source(file->bytes) != c->source_hash) {
      say(who + ": not compiled to native code: " + c->source.string() + " changed since it was loaded");
      continue;
    }
    say("Compiling " + who + " to native code in the background (requests run on the interpreter until then)");
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<platform::TerminalProgress> shown;
    if (options_.log) shown.emplace(options_.log, "Compiling " + who + " to native code");
    wasm::CompileOptions o;
    o.tier = kNative;
    o.progress = [this, &shown](size_t done, size_t total) {
      if (shown) shown->update(done, total);
      return !stop_.load();
    };
    std::string failure;
    if (c->component) {
      auto k = component::runtime::load_component(file->bytes, file->owner, o);
      if (k) c->component.replace(std::move(*k));
      else failure = k.error().message;
    } else {
      auto m = wasm::load_module(file->bytes, file->owner, o);
      if (m) c->module.replace(std::move(*m));
      else failure = m.error().message;
    }
    shown.reset();
    if (stop_) return;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!failure.empty()) {
      say(who + ": not compiled to native code: " + failure);
      continue;
    }
    if (!runs_native(*c)) {
      say(who + " stays on the interpreter: it uses what the native tier does not compile yet");
      continue;
    }
    ++upgraded_;
    char took[32];
    std::snprintf(took, sizeof took, "%.1f", secs);
    say(who + " now runs native code (compiled in " + took + " s)");
  }
}

}  // namespace whirl::spin
