// A loaded Spin application: the manifest plus, per component, its module
// decoded, validated and compiled once (shared by every request's instance),
// its environment and its file mounts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/atomic_shared.h"
#include "common/expected.h"
#include "component/runtime/component.h"
#include "platform/file.h"
#include "spin/manifest/manifest.h"
#include "wasm/runtime/runtime.h"

namespace whirl::spin {

// A host directory the guest sees, read-only, at `guest` ("/" or "/assets").
struct DirMount {
  std::filesystem::path host;
  std::string guest;
};

struct LoadedComponent {
  std::string id;
  const Component* config = nullptr;  // into LoadedApp::manifest
  // Its code: a core module (WAGI) or a component (wasi:http). Each request
  // takes a reference (load()): the code may be replaced while the app
  // serves, by the same bytes compiled by a faster tier (native_upgrade.h).
  AtomicShared<const wasm::CompiledModule> module;
  AtomicShared<const component::runtime::LoadedComponent> component;
  std::filesystem::path source;  // the file its code came from
  size_t source_hash = 0;        // of the bytes loaded from it (hash_source): to tell a changed file
  StringPairs environment;  // the manifest's, then `--env` values (which win)
  std::vector<DirMount> mounts;
};

struct LoadedApp {
  AppManifest manifest;
  std::vector<LoadedComponent> components;

  const LoadedComponent* find(std::string_view id) const;
};

// Loaders get a file (its bytes, and what keeps them alive: lent to the
// loaded code, which then copies nothing of a large file) and, when a
// caller computed it, its digest (platform::digest; null: none, the loader
// computes what it needs). The node host's code sharing computes it and
// hands it on, so the aot cache's lookup does not hash the same bytes again.
using ModuleLoader = std::function<Expected<std::shared_ptr<const wasm::CompiledModule>>(
    const platform::FileBytes& file, const platform::Digest* digest)>;
using ComponentLoader = std::function<Expected<std::shared_ptr<const component::runtime::LoadedComponent>>(
    const platform::FileBytes& file, const platform::Digest* digest)>;

struct AppLoadOptions {
  ModuleLoader loader;              // normally wasm::load_module
  // For files that are components (told by the binary's header, not the
  // name); normally component::runtime::load_component.
  ComponentLoader component_loader;
  StringPairs env;                  // `--env KEY=VALUE`, for every component
  std::filesystem::path staging;    // where `files` patterns are gathered, one directory per component
  // Stage regular files by copying even where a hard link would do (tests
  // use it to exercise the copy path, taken when staging is on another
  // filesystem). Symlinks are staged as symlinks either way.
  bool copy_files = false;
};

// Loads the modules of the components the HTTP and Redis triggers use (each once) and
// resolves their `files`. Errors name the component and the file.
Expected<std::shared_ptr<const LoadedApp>> load_app(AppManifest manifest, const AppLoadOptions& options);

// The hash LoadedComponent::source_hash holds, of a component file's bytes
// (fast, not cryptographic: it tells a file that changed, nothing more).
size_t hash_source(std::span<const uint8_t> bytes);

// Glob matching as Spin's `files` patterns use it: `*` and `?` within one
// path segment, `**` as a whole segment for any number of directories,
// `[abc]` character classes. Paths use '/'.
bool glob_match(std::string_view pattern, std::string_view path);

// The files under `root` (relative paths, '/'-separated, sorted) matching
// `pattern`; `.spin` is skipped. Symlinks match as themselves (whatever they
// point at); directory symlinks are not walked into, and a pattern whose
// literal directories lead outside `root` through a symlink matches nothing.
std::vector<std::string> glob_files(const std::filesystem::path& root, std::string_view pattern);

// Whether `path`, every symlink resolved, is `root` or below it. False when
// either does not exist.
bool resolves_within(const std::filesystem::path& root, const std::filesystem::path& path);

}  // namespace whirl::spin
