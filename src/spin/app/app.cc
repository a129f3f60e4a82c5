#include "spin/app/app.h"

#include <algorithm>
#include <set>

#include "component/binary/decoder.h"
#include "platform/file.h"

namespace whirl::spin {
namespace fs = std::filesystem;

size_t hash_source(std::span<const uint8_t> b) {
  return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

const LoadedComponent* LoadedApp::find(std::string_view id) const {
  for (const auto& c : components)
    if (c.id == id) return &c;
  return nullptr;
}

namespace {

// Gathers the component's pattern files under `dir`: regular files as hard
// links (copies when linking fails or `copy` is set), symlinks as symlinks.
// Nothing is followed, so whether a file is linked or copied, the staged
// tree holds the same entries and no bytes from outside the app; the guest's
// opens beneath `dir` then refuse links that leave it.
Expected<bool> stage_files(const AppManifest& app, const Component& c, const fs::path& dir, bool copy) {
  std::set<std::string> files;
  for (const auto& m : c.files) {
    if (m.kind != FilesMount::Kind::Pattern) continue;
    for (auto& f : glob_files(app.dir, m.pattern)) files.insert(std::move(f));
  }
  for (auto it = files.begin(); it != files.end();) {
    bool excluded = false;
    for (const auto& x : c.exclude_files) excluded = excluded || glob_match(x, *it);
    it = excluded ? files.erase(it) : std::next(it);
  }
  if (files.empty()) return false;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return make_error("cannot create " + dir.string() + ": " + ec.message());
  for (const auto& rel : files) {
    fs::path from = app.dir / rel;
    fs::path to = dir / rel;
    fs::create_directories(to.parent_path(), ec);
    if (ec) return make_error("cannot create " + to.parent_path().string() + ": " + ec.message());
    // A symlink staged earlier must not carry later files out of `dir`.
    if (!resolves_within(dir, to.parent_path()))
      return make_error("cannot stage " + rel + ": its directory leads outside " + dir.string());
    auto st = fs::symlink_status(from, ec);
    if (ec) return make_error("cannot stat " + from.string() + ": " + ec.message());
    if (fs::is_symlink(st)) {
      fs::copy_symlink(from, to, ec);
      if (ec) return make_error("cannot copy symlink " + from.string() + ": " + ec.message());
      continue;
    }
    if (!fs::is_regular_file(st)) continue;  // changed since it was matched
    if (!copy) {
      fs::create_hard_link(from, to, ec);
      if (!ec) continue;
      ec.clear();
    }
    // copy_file follows a symlink; `from` was a regular file just above.
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) return make_error("cannot copy " + from.string() + ": " + ec.message());
  }
  return true;
}

}  // namespace

Expected<std::shared_ptr<const LoadedApp>> load_app(AppManifest manifest, const AppLoadOptions& options) {
  auto app = std::make_shared<LoadedApp>();
  app->manifest = std::move(manifest);
  const AppManifest& m = app->manifest;

  std::vector<std::string> used;
  for (const auto& t : m.http_triggers)
    if (std::find(used.begin(), used.end(), t.component) == used.end()) used.push_back(t.component);
  for (const auto& t : m.redis_triggers)
    if (std::find(used.begin(), used.end(), t.component) == used.end()) used.push_back(t.component);

  for (const auto& id : used) {
    const Component* c = m.find_component(id);
    if (!c) return make_error("component `" + id + "` is not defined");
    LoadedComponent lc;
    lc.id = id;
    lc.config = c;

    if (c->source.kind != ComponentSource::Kind::Local)
      return make_error(c->source.pos.str() + ": component `" + id + "`: only local sources are supported yet");
    fs::path src = m.dir / c->source.path;
    auto file = platform::read_file(src.string());
    if (!file) return make_error(c->source.pos.str() + ": component `" + id + "`: " + file.error().message);
    lc.source = src;
    lc.source_hash = hash_source(file->bytes);
    if (component::is_component_binary(file->bytes)) {
      if (!options.component_loader)
        return make_error("component `" + id + "`: " + src.string() + " is a component, which this host cannot run");
      auto loaded = options.component_loader(*file, nullptr);
      if (!loaded)
        return make_error("component `" + id + "`: cannot load " + src.string() + ": " + loaded.error().message);
      lc.component = std::move(*loaded);
    } else {
      if (!options.loader) return make_error("no module loader configured");
      auto module = options.loader(*file, nullptr);
      if (!module)
        return make_error("component `" + id + "`: cannot load " + src.string() + ": " + module.error().message);
      lc.module = std::move(*module);
    }

    lc.environment = c->environment;
    for (const auto& [k, v] : options.env) {
      bool replaced = false;
      for (auto& e : lc.environment)
        if (e.first == k) {
          e.second = v;
          replaced = true;
        }
      if (!replaced) lc.environment.emplace_back(k, v);
    }

    if (!options.staging.empty()) {
      auto staged = stage_files(m, *c, options.staging / id, options.copy_files);
      if (!staged) return make_error("component `" + id + "`: files: " + staged.error().message);
      if (*staged) lc.mounts.push_back(DirMount{options.staging / id, "/"});
    }
    for (const auto& f : c->files) {
      if (f.kind != FilesMount::Kind::Placement) continue;
      fs::path host = m.dir / f.source;
      std::error_code ec;
      if (!fs::is_directory(host, ec))
        return make_error(f.pos.str() + ": component `" + id + "`: files source `" + f.source +
                          "` is not a directory (looked for " + host.lexically_normal().string() + ")");
      // Mounted as is: through `..`, an absolute path or a symlink it could
      // be any host directory.
      if (!resolves_within(m.dir, host))
        return make_error(f.pos.str() + ": component `" + id + "`: files source `" + f.source +
                          "` is outside the app directory " + m.dir.string());
      lc.mounts.push_back(DirMount{host, f.destination});
    }
    app->components.push_back(std::move(lc));
  }
  // Point configs at the app's own manifest copy (the vector is final now).
  for (auto& lc : app->components) lc.config = app->manifest.find_component(lc.id);
  return std::shared_ptr<const LoadedApp>(std::move(app));
}

}  // namespace whirl::spin
