// Linked into every test binary: WHIRL_TIER=aot in the environment runs the
// binary's tests with modules compiled to native code (ctest's aot/ copies
// of the suites), with the compiled-code cache in the build tree (for the
// `whirl` processes the tests start too: XDG_CACHE_HOME), never the user's.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "wasm/aot/cache.h"
#include "wasm/aot/tier.h"
#include "wasm/runtime/tier.h"

namespace {

const bool kTierFromEnv = [] {
  const char* tier = std::getenv("WHIRL_TIER");
  if (!tier || std::string_view(tier) != "aot") return false;
  if (!whirl::wasm::aot::register_aot_tier()) {
    std::fprintf(stderr, "WHIRL_TIER=aot: the aot tier is not available here\n");
    std::exit(1);
  }
  whirl::wasm::rt::set_default_tier(whirl::wasm::aot::aot_tier());
  setenv("XDG_CACHE_HOME", WHIRL_AOT_TEST_CACHE, 1);
  whirl::wasm::aot::enable_cache(true);
  return true;
}();

}  // namespace
