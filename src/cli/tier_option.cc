#include "cli/tier_option.h"

#include <cstdio>
#include <cstdlib>

#include "wasm/aot/artifact.h"
#include "wasm/aot/tier.h"
#include "wasm/runtime/tier.h"

namespace whirl::cli {

void add_tier_option(CLI::App* cmd, std::string* tier) {
  if (const char* env = std::getenv("WHIRL_TIER"); env && *env) *tier = env;
  cmd->add_option("--tier", *tier,
                  "Execution tier: interp (the interpreter), aot (native code compiled by LLVM, cached in "
                  "$XDG_CACHE_HOME/whirl) or auto (cached native code when there is some, else the interpreter); "
                  "WHIRL_TIER in the environment sets the default")
      ->check(CLI::IsMember({"interp", "aot", "auto"}))
      ->capture_default_str();
}

bool apply_tier(const std::string& tier, bool cache) {
  using namespace wasm;
  aot::enable_cache(cache);
  if (tier == "auto") {
    if (aot::register_aot_tier()) rt::set_default_tier(aot::auto_tier());
    return true;
  }
  if (tier == "aot") {
    if (!aot::register_aot_tier()) {
      std::fprintf(stderr, "whirl: the aot tier is not available on this machine (x86-64 Linux only)\n");
      return false;
    }
    rt::set_default_tier(aot::aot_tier());
    return true;
  }
  aot::register_aot_tier();
  rt::set_default_tier(rt::interp_tier());
  return true;
}

}  // namespace whirl::cli
