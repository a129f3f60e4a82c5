// Entry points: parse the TOML (toml++ exceptions stop here), pick the
// manifest version, and for files on disk check local component sources.
#include <fstream>
#include <sstream>

#include "spin/manifest/toml_reader.h"

namespace whirl::spin {

std::string SourcePos::str() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const Component* AppManifest::find_component(std::string_view id) const {
  for (const auto& c : components)
    if (c.id == id) return &c;
  return nullptr;
}

Expected<AppManifest> parse_manifest(std::string_view text, const std::filesystem::path& path) {
  std::string file = path.string();
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return make_error(file + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                      ": invalid TOML: " + std::string(e.description()));
  } catch (const std::exception& e) {
    return make_error(file + ": invalid TOML: " + e.what());
  }

  detail::Diag diag(file);
  AppManifest app;
  app.path = path;
  app.dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");

  const toml::node* ver = root.get("spin_manifest_version");
  if (!ver) ver = root.get("spin_version");
  if (!ver) {
    return make_error(file + ": missing `spin_manifest_version` (write `spin_manifest_version = 2` at the top)");
  }
  bool v2 = ver->is_integer() && ver->as_integer()->get() == 2;
  bool v1 = ver->is_string() && ver->as_string()->get() == "1";
  if (v2) return detail::read_v2(root, std::move(app), diag);
  if (v1) return detail::read_v1(root, std::move(app), diag);
  diag.fail(ver->source(), "unsupported manifest version: `spin_manifest_version` must be 2 (or \"1\" for the "
                           "old format)");
  return unexpected(diag.error());
}

Expected<AppManifest> load_manifest(const std::filesystem::path& given) {
  std::filesystem::path path = given;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) path /= "spin.toml";
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path.string() + ": cannot read the manifest (no such file or not readable)");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();

  auto app = parse_manifest(text, path);
  if (!app) return app;

  for (const auto& c : app->components) {
    const auto& s = c.source;
    switch (s.kind) {
      case ComponentSource::Kind::Url:
        return make_error(s.pos.str() + ": component `" + c.id + "`: URL sources (" + s.url +
                          ") are not supported yet; download the file and use a local path");
      case ComponentSource::Kind::Registry:
        return make_error(s.pos.str() + ": component `" + c.id + "`: registry sources (" + s.package + "@" +
                          s.version + ") are not supported yet; use a local path");
      case ComponentSource::Kind::Local: {
        std::filesystem::path p = app->dir / s.path;
        if (!std::filesystem::is_regular_file(p, ec))
          return make_error(s.pos.str() + ": component `" + c.id + "`: source file `" + s.path +
                            "` not found (looked for " + p.lexically_normal().string() + ")");
        break;
      }
    }
  }
  return app;
}

}  // namespace whirl::spin
