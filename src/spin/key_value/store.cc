#include "spin/key_value/store.h"

namespace whirl::spin::key_value {

std::string result_too_large_message() {
  return "query result exceeds limit of " + std::to_string(kMaxResultBytes) + " bytes";
}

bool value_too_large(const std::optional<Bytes>& v) { return kRustVecHeader + (v ? v->size() : 0) > kMaxResultBytes; }

bool keys_too_large(const std::vector<std::string>& keys) {
  size_t total = kRustVecHeader;
  for (const auto& k : keys) total += kRustVecHeader + k.size();
  return total > kMaxResultBytes;
}

bool pairs_too_large(const std::vector<MaybeKeyValue>& pairs) {
  size_t total = kRustVecHeader;
  for (const auto& p : pairs) total += pair_bytes(p);
  return total > kMaxResultBytes;
}

}  // namespace whirl::spin::key_value
