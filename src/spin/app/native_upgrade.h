// Native code for an app that started on the interpreter: with the `auto`
// tier and no cached native code, `whirl up` and the shim serve at once on
// the interpreter while this compiles each component with the aot tier on
// a thread of its own, then replaces the component's code (LoadedComponent
// ::module/component), so new instances run native code; requests already
// running finish on the code they started with. The compiled code goes
// into the cache, so the next start is native at once. The thread runs at
// a lower CPU priority, and the process compiles for at most half its
// cores at once (the node host upgrades many apps).
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "spin/app/app.h"

namespace whirl::spin {

class NativeUpgrade {
 public:
  struct Options {
    // Where the start and end of each compile are told (a line each), and
    // progress shown when it is a terminal; null: nowhere.
    std::FILE* log = stderr;
  };
  // Null when there is nothing to do: the default tier is not `auto`, no
  // aot tier is registered, or every component already runs native code.
  static std::unique_ptr<NativeUpgrade> start(std::shared_ptr<const LoadedApp> app, Options options);
  // Stops a compile in progress (at its next part) and waits for the thread.
  ~NativeUpgrade();

  // Waits until every component is compiled (or failed); for tests and
  // benchmarks.
  void wait();
  // Components whose code was replaced so far.
  size_t upgraded() const { return upgraded_.load(); }
  // Compiles of every upgrade in the process running now, and the most
  // that may (the rest wait their turn).
  static unsigned compiles_running();
  static unsigned max_compiles();

 private:
  NativeUpgrade(std::shared_ptr<const LoadedApp> app, Options options) : app_(std::move(app)), options_(options) {}
  void run(std::vector<const LoadedComponent*> todo);
  void say(const std::string& line) const;

  std::shared_ptr<const LoadedApp> app_;
  Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> upgraded_{0};
  std::thread thread_;
};

}  // namespace whirl::spin
