#include "component/runtime/linker.h"

#include "component/names.h"
#include "component/runtime/frame.h"

namespace whirl::component::runtime {

HostInstanceDef& Linker::instance(const std::string& name) { return instances_[name]; }

std::vector<std::string> Linker::names() const {
  std::vector<std::string> out;
  for (const auto& [name, def] : instances_) out.push_back(name);
  return out;
}

namespace {

struct Split {
  std::string base;                // "wasi:io/streams"
  std::optional<Version> version;  // absent: no '@'
};

std::optional<Split> split(std::string_view name) {
  auto n = parse_extern_name(name);
  if (!n || n->kind != ExternName::Kind::Interface) return std::nullopt;
  return Split{n->unversioned(), n->version};
}

// Orders versions for "the highest compatible one".
bool less(const Version& a, const Version& b) {
  if (a.major != b.major) return a.major < b.major;
  if (a.minor != b.minor) return a.minor < b.minor;
  if (a.patch != b.patch) return a.patch < b.patch;
  return !a.pre.empty() && b.pre.empty();
}

}  // namespace

bool import_name_matches(std::string_view want, std::string_view have) {
  if (want == have) return true;
  auto w = split(want);
  auto h = split(have);
  if (!w || !h || !w->version || !h->version || w->base != h->base) return false;
  return versions_compatible(*w->version, *h->version);
}

bool prefer_version(std::string_view a, std::string_view b) {
  auto x = split(a), y = split(b);
  if (!x || !y || !x->version || !y->version) return false;
  return less(*y->version, *x->version);
}

Linker::Found Linker::find(const std::string& import_name) const {
  if (auto it = instances_.find(import_name); it != instances_.end()) return {&it->first, &it->second};
  Found best;
  for (const auto& [name, def] : instances_) {
    if (!import_name_matches(import_name, name)) continue;
    if (!best.name || prefer_version(name, *best.name)) best = {&name, &def};
  }
  return best;
}

}  // namespace whirl::component::runtime
