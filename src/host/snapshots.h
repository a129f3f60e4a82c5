// Pre-initialized copies of apps' modules, made at registration
// (`whirl host --snapshot`): a component file that is a core module
// exporting `wizer.initialize`, or a component exporting
// `wizer-initialize`, is snapshotted once per distinct bytes, in the
// background (wasm/snapshot, component/snapshot: as `whirl snapshot`
// does), and written to
// a directory keyed by the bytes' digest, so a restarted host finds it
// again. Loads of those bytes then load the snapshot: every instance starts
// initialized. Until it is ready, and when it cannot be made (the
// initialization traps, calls an import, runs too long), the app runs its
// own module; the reason is logged once per file.
//
// An app loaded before its snapshot was ready keeps its code until it is
// loaded again (code is shared by the original bytes' digest).
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "platform/digest.h"
#include "spin/app/app.h"
#include "spin/manifest/manifest.h"
#include "wasm/snapshot/snapshot.h"

namespace whirl::host {

class Snapshots {
 public:
  // `dir` is created when needed; `say` logs one line. An initialization
  // runs within `time_limit` and `max_memory` (the host's per request; 0:
  // 30 s, and the engine's limit).
  Snapshots(std::filesystem::path dir, std::function<void(const std::string&)> say,
            std::chrono::milliseconds time_limit, uint64_t max_memory);
  ~Snapshots();
  Snapshots(const Snapshots&) = delete;
  Snapshots& operator=(const Snapshots&) = delete;

  // Queues `manifest`'s local component files (of app `app`).
  void want(const std::string& app, const spin::AppManifest& manifest);
  // Makes `o`'s loaders load the snapshot of bytes that have one ready.
  void wrap(spin::AppLoadOptions& o);

  struct Counts {
    size_t ready = 0, failed = 0, queued = 0;
  };
  Counts counts() const;

 private:
  enum class State { Queued, Ready, Failed };
  struct Job {
    std::string who;  // "app `x`: component `y`"
    std::filesystem::path file;
  };
  void work();
  void run(const Job& job);
  std::filesystem::path path_of(const platform::Digest& d) const { return dir_ / (d.hex() + ".wasm"); }

  const std::filesystem::path dir_;
  const std::function<void(const std::string&)> say_;
  const std::chrono::milliseconds time_limit_;
  const uint64_t max_memory_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::unordered_map<platform::Digest, State, platform::DigestHash> states_;
  bool stop_ = false;
  std::thread worker_;  // last: started once the rest is built
};

}  // namespace whirl::host
