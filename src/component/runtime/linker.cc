#include "component/runtime/linker.h"

#include <atomic>

#include "component/names.h"
#include "component/runtime/frame.h"

namespace whirl::component::runtime {

namespace {
std::atomic<uint64_t> next_linker_version{1};
}

Linker::Linker() : version_(next_linker_version++) {}

HostInstanceDef& Linker::instance(const std::string& name) {
  auto [it, added] = instances_.try_emplace(name);
  if (added) {
    version_ = next_linker_version++;
    std::lock_guard lock(memo_mu_);
    memo_.clear();
    auto n = parse_extern_name(name);
    if (n && n->kind == ExternName::Kind::Interface)
      by_base_[n->unversioned()].push_back({&it->first, &it->second, n->version});
  }
  return it->second;
}

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
  std::lock_guard lock(memo_mu_);
  auto [memo, added] = memo_.try_emplace(import_name);
  if (added) memo->second = find_compatible(import_name);
  return memo->second;
}

const abi::RuntimeResourceType& Linker::resource_type(const std::string& found_name, const std::string& resource_name,
                                                      const HostDestructor* dtor) const {
  std::lock_guard lock(types_mu_);
  auto [it, added] = resource_types_.try_emplace(dtor);
  abi::RuntimeResourceType& t = it->second;
  if (!added) return t;
  // Host resources get ids outside the static ones: they are only ever
  // reached through aliases.
  t.id = 0x80000000u + uint32_t(resource_types_.size() - 1);
  t.name = found_name + "#" + resource_name;
  if (*dtor) {
    const std::string* name = &t.name;
    t.dtor = [dtor, name](uint32_t rep, abi::InstanceState& dropper) -> Expected<void, abi::Trap> {
      auto* instance = static_cast<ComponentInstance*>(dropper.embedder);
      if (!instance) return unexpected(abi::Trap{"internal error: host resource dropped outside an instance"});
      HostCall call(*instance, *name);
      (*dtor)(call, rep);
      return {};
    };
  }
  return t;
}

Linker::Found Linker::find_compatible(const std::string& import_name) const {
  // As import_name_matches and prefer_version over every instance, but
  // only over those of the same interface, their names parsed already.
  auto want = split(import_name);
  if (!want || !want->version) return {};
  auto same = by_base_.find(want->base);
  if (same == by_base_.end()) return {};
  const Versioned* best = nullptr;
  for (const Versioned& v : same->second) {
    if (!v.version || !versions_compatible(*want->version, *v.version)) continue;
    if (!best || less(*best->version, *v.version)) best = &v;
  }
  if (!best) return {};
  return {best->name, best->def};
}

}  // namespace whirl::component::runtime
