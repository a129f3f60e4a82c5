// Random modules (script::random_module_text, what fuzz_aot generates from
// inputs that are not binaries) under the aot tier and the interpreter side
// by side (compare_tiers): a fixed set of seeds, so that a failure here is
// reproducible. Every generated module must validate.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "wasm/aot/tier.h"
#include "wasm/binary/decoder.h"
#include "wasm/script/differential.h"
#include "wasm/text/wat.h"
#include "wasm/validate/validator.h"

namespace whirl::wasm {
namespace {

// splitmix64: the bytes of seed `s`.
std::vector<uint8_t> entropy(uint64_t s, size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t z = (s += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    z ^= z >> 31;
    for (size_t k = 0; k < 8 && i + k < n; ++k) out[i + k] = uint8_t(z >> (8 * k));
  }
  return out;
}

std::shared_ptr<const Module> module_of(const std::string& text) {
  auto bytes = text::wat_to_binary(text);
  EXPECT_TRUE(bytes) << bytes.error().message << "\n" << text;
  if (!bytes) return nullptr;
  auto m = decode_module(*bytes);
  EXPECT_TRUE(m) << m.error().message << "\n" << text;
  if (!m) return nullptr;
  auto module = std::make_shared<const Module>(std::move(*m));
  auto v = validate_module(*module);
  EXPECT_TRUE(v) << v.error().message << "\n" << text;
  return v ? module : nullptr;
}

TEST(AotRandomDiff, GeneratedModulesValidate) {
  // Short inputs too: the choices run out and the module stays whole.
  for (size_t n : {0, 1, 7, 64, 300, 3000})
    for (uint64_t seed = 0; seed < 40; ++seed) ASSERT_TRUE(module_of(script::random_module_text(entropy(seed, n))));
}

TEST(AotRandomDiff, GeneratedModulesAgreeUnderBothTiers) {
  ASSERT_TRUE(aot::register_aot_tier());
  for (uint64_t seed = 0; seed < 300; ++seed) {
    std::string text = script::random_module_text(entropy(seed, 2000));
    auto module = module_of(text);
    ASSERT_TRUE(module);
    auto diff = script::compare_tiers(module, 20000);
    EXPECT_FALSE(diff) << "seed " << seed << ": " << *diff << "\n" << text;
  }
}

}  // namespace
}  // namespace whirl::wasm
