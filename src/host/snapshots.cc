#include "host/snapshots.h"

#include "component/binary/decoder.h"
#include "component/snapshot/snapshot.h"
#include "platform/file.h"
#include "wasm/aot/cache.h"
#include "wasm/binary/decoder.h"

namespace whirl::host {

namespace {

// Wizer's names for the initialization function of a module and of a
// component (wasmtime's wizer).
constexpr const char* kInitFunc = "wizer.initialize";
constexpr const char* kComponentInitFunc = "wizer-initialize";
constexpr const char* kImportHint =
    "the node host runs initializations without imports; `whirl snapshot --allow-wasi` makes one with WASI, to "
    "deploy instead";

// A module or component exporting its initialization function: a module
// read without its function bodies, cheaply.
bool wants_snapshot(const platform::FileBytes& file) {
  if (component::is_component_binary(file.bytes)) {
    auto c = component::decode_component(file.bytes, file.owner);
    if (!c) return false;
    for (const auto& e : c->exports)
      if (e.item.sort == component::Sort::Func && e.name.name == kComponentInitFunc) return true;
    return false;
  }
  auto m = wasm::decode_module(file.bytes, nullptr, wasm::Features::process_default(), /*bodies=*/false);
  if (!m) return false;
  for (const auto& e : m->exports)
    if (e.kind == wasm::ExternKind::Func && e.name == kInitFunc) return true;
  return false;
}

// Loads the snapshot of a file that has one ready (`ready` says), else the
// file itself; a damaged snapshot file is passed over.
template <class Loader>
Loader load_snapshot_first(Loader inner, std::function<std::optional<std::filesystem::path>(const platform::Digest&)> ready) {
  return [inner = std::move(inner), ready = std::move(ready)](const platform::FileBytes& file,
                                                               const platform::Digest* digest) {
    const platform::Digest d = digest ? *digest : platform::digest(file.bytes);
    if (auto path = ready(d))
      if (auto snap = platform::read_file(path->string()))
        if (auto loaded = inner(*snap, nullptr)) return loaded;
    return inner(file, digest);
  };
}

}  // namespace

Snapshots::Snapshots(std::filesystem::path dir, std::function<void(const std::string&)> say,
                     std::chrono::milliseconds time_limit, uint64_t max_memory)
    : dir_(std::move(dir)),
      say_(std::move(say)),
      time_limit_(time_limit),
      max_memory_(max_memory),
      worker_([this] { work(); }) {}

Snapshots::~Snapshots() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void Snapshots::want(const std::string& app, const spin::AppManifest& manifest) {
  {
    std::lock_guard lock(mu_);
    for (const auto& c : manifest.components)
      if (c.source.kind == spin::ComponentSource::Kind::Local)
        queue_.push_back({"app `" + app + "`: component `" + c.id + "`", manifest.dir / c.source.path});
  }
  cv_.notify_all();
}

void Snapshots::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    run(job);
    lock.lock();
  }
}

void Snapshots::run(const Job& job) {
  auto file = platform::read_file(job.file.string());
  if (!file) return;  // registration said what is missing; the load will again
  // Components and modules without the export are told from their
  // sections, before hashing the whole file.
  if (!wants_snapshot(*file)) return;
  const platform::Digest d = platform::digest(file->bytes);
  {
    std::lock_guard lock(mu_);
    if (!states_.emplace(d, State::Queued).second) return;  // these bytes were seen before
  }
  auto settle = [&](State s) {
    std::lock_guard lock(mu_);
    states_[d] = s;
  };
  std::error_code ec;
  if (std::filesystem::is_regular_file(path_of(d), ec)) {  // made by an earlier run
    settle(State::Ready);
    return say_(job.who + ": pre-initialized before (" + path_of(d).string() + ")");
  }
  // Unbounded requests do not make an unbounded initialization: one that
  // never ends would hold up every snapshot queued behind it.
  const auto time_limit = time_limit_.count() > 0 ? time_limit_ : std::chrono::milliseconds(30'000);
  // The same bounds and hint for a module's options and a component's.
  auto bounded = [&](auto o, const char* init_func) {
    o.init_func = init_func;
    o.time_limit = time_limit;
    if (max_memory_) o.max_memory_bytes = max_memory_;
    o.import_hint = kImportHint;
    return o;
  };
  auto snap = component::is_component_binary(file->bytes)
                  ? component::snapshot::snapshot_component(
                        file->bytes, bounded(component::snapshot::SnapshotOptions{}, kComponentInitFunc))
                  : wasm::snapshot_module(file->bytes, bounded(wasm::SnapshotOptions{}, kInitFunc));
  // Settled before it is said: a request after the line finds it.
  if (!snap) {
    settle(State::Failed);
    return say_(job.who + ": not pre-initialized: " + job.file.string() + ": " + snap.error().message);
  }
  std::filesystem::create_directories(dir_, ec);
  if (auto w = wasm::aot::write_file_atomic(path_of(d).string(), snap->wasm); !w) {
    settle(State::Failed);
    return say_(job.who + ": not pre-initialized: " + w.error().message);
  }
  settle(State::Ready);
  say_(job.who + ": pre-initialized (" + std::to_string(snap->data_segments) + " data segment(s), " +
       std::to_string(snap->data_bytes) + " bytes of memory)");
}

void Snapshots::wrap(spin::AppLoadOptions& o) {
  auto ready = [this](const platform::Digest& d) -> std::optional<std::filesystem::path> {
    std::lock_guard lock(mu_);
    auto it = states_.find(d);
    if (it == states_.end() || it->second != State::Ready) return std::nullopt;
    return path_of(d);
  };
  if (o.loader) o.loader = load_snapshot_first(std::move(o.loader), ready);
  if (o.component_loader) o.component_loader = load_snapshot_first(std::move(o.component_loader), ready);
}

Snapshots::Counts Snapshots::counts() const {
  std::lock_guard lock(mu_);
  Counts c;
  c.queued = queue_.size();
  for (const auto& [d, s] : states_) {
    if (s == State::Ready) ++c.ready;
    else if (s == State::Failed) ++c.failed;
    else if (s == State::Queued) ++c.queued;
  }
  return c;
}

}  // namespace whirl::host
