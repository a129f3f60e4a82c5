#include "wasm/interp/profile.h"
#ifdef WHIRL_INTERP_PROFILE
#include <algorithm>
#include <cstdio>
#include <string>
#include <map>
#include <vector>

#include "wasm/interp/code.h"
#include "wasm/runtime/objects.h"

namespace whirl::wasm::interp {

const std::string* profile_name(rt::FuncImpl* f) {
  static std::map<rt::FuncImpl*, std::string> names;
  auto [it, fresh] = names.try_emplace(f);
  if (fresh) it->second = f->instance->module().func_name(f->index);
  return &it->second;
}

namespace {
struct Counts {
  std::vector<uint64_t> single = std::vector<uint64_t>(kIOpCount);
  std::vector<uint64_t> pair = std::vector<uint64_t>(size_t(kIOpCount) * kIOpCount);
  uint16_t prev = 0;
  std::map<const std::string*, uint64_t> funcs;
  std::map<std::pair<const std::string*, size_t>, std::pair<uint64_t, uint16_t>> places;
  ~Counts() {
    uint64_t total = 0;
    for (auto n : single) total += n;
    auto top = [&](const std::vector<uint64_t>& v, size_t k, auto name) {
      std::vector<size_t> idx;
      for (size_t i = 0; i < v.size(); ++i)
        if (v[i]) idx.push_back(i);
      std::sort(idx.begin(), idx.end(), [&](size_t x, size_t y) { return v[x] > v[y]; });
      for (size_t i = 0; i < std::min(k, idx.size()); ++i)
        std::fprintf(stderr, "  %6.2f%%  %s\n", 100.0 * double(v[idx[i]]) / double(total), name(idx[i]).c_str());
    };
    std::fprintf(stderr, "profile: %llu instructions\n", static_cast<unsigned long long>(total));
    top(single, 30, [](size_t i) { return slot_op_name(uint16_t(i)); });
    std::vector<std::pair<uint64_t, const std::string*>> fs;
    for (auto& [f, n] : funcs) fs.push_back({n, f});
    std::sort(fs.rbegin(), fs.rend());
    std::fprintf(stderr, "functions:\n");
    for (size_t i = 0; i < std::min<size_t>(10, fs.size()); ++i)
      std::fprintf(stderr, "  %6.2f%%  %s\n", 100.0 * double(fs[i].first) / double(total), fs[i].second->c_str());
    std::vector<std::pair<uint64_t, decltype(places)::const_iterator>> ps;
    for (auto it = places.begin(); it != places.end(); ++it) ps.push_back({it->second.first, it});
    std::sort(ps.begin(), ps.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    std::fprintf(stderr, "places:\n");
    for (size_t i = 0; i < std::min<size_t>(40, ps.size()); ++i) {
      const auto& [place, hit] = *ps[i].second;
      std::fprintf(stderr, "  %6.2f%%  %s %zu %s\n", 100.0 * double(hit.first) / double(total), place.first->c_str(),
                   place.second, slot_op_name(hit.second).c_str());
    }
    std::fprintf(stderr, "pairs:\n");
    top(pair, 30, [](size_t i) { return slot_op_name(uint16_t(i / kIOpCount)) + " -> " + slot_op_name(uint16_t(i % kIOpCount)); });
  }
};
Counts counts;
}  // namespace

void profile_hit(uint16_t op, const std::string* func, size_t at) {
  ++counts.funcs[func];
  auto& p = counts.places[{func, at}];
  ++p.first;
  p.second = op;
  ++counts.single[op];
  ++counts.pair[size_t(counts.prev) * kIOpCount + op];
  counts.prev = op;
}
}  // namespace whirl::wasm::interp
#endif
