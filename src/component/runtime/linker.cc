#include "component/runtime/linker.h"

#include "component/names.h"

namespace whirl::component::runtime {

HostInstanceDef& Linker::instance(const std::string& name) { return instances_[name]; }

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

Linker::Found Linker::find(const std::string& import_name) const {
  if (auto it = instances_.find(import_name); it != instances_.end()) return {&it->first, &it->second};
  auto want = split(import_name);
  if (!want || !want->version) return {};
  Found best;
  std::optional<Version> best_version;
  for (const auto& [name, def] : instances_) {
    auto have = split(name);
    if (!have || have->base != want->base || !have->version) continue;
    if (!versions_compatible(*want->version, *have->version)) continue;
    if (!best_version || less(*best_version, *have->version)) {
      best = {&name, &def};
      best_version = have->version;
    }
  }
  return best;
}

}  // namespace whirl::component::runtime
