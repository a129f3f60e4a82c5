// Linked into every test binary: WHIRL_TIER=aot in the environment runs the
// binary's tests with modules compiled to native code (ctest's aot/ copies
// of the suites); without WHIRL_TIER, they and the `whirl` processes they
// start run on the interpreter (not `auto`, which would compile in the
// background; tests of `auto` ask for it). Either way the compiled-code
// cache is in the build tree (XDG_CACHE_HOME, for those processes too),
// never the user's.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "wasm/aot/cache.h"
#include "wasm/aot/tier.h"
#include "wasm/runtime/tier.h"

namespace {

const bool kTierFromEnv = [] {
  setenv("XDG_CACHE_HOME", WHIRL_AOT_TEST_CACHE, 1);
  const char* tier = std::getenv("WHIRL_TIER");
  if (!tier) setenv("WHIRL_TIER", "interp", 1);
  if (!tier || std::string_view(tier) != "aot") return false;
  if (!whirl::wasm::aot::register_aot_tier()) {
    std::fprintf(stderr, "WHIRL_TIER=aot: the aot tier is not available here\n");
    std::exit(1);
  }
  whirl::wasm::rt::set_default_tier(whirl::wasm::aot::aot_tier());
  whirl::wasm::aot::enable_cache(true);
  return true;
}();

}  // namespace
