#include "cli/tier_option.h"

#include <cstdio>
#include <cstdlib>

#include "wasm/aot/tier.h"

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
  auto r = wasm::aot::select_tier(tier, cache);
  wasm::aot::show_compile_progress(stderr);
  if (!r) std::fprintf(stderr, "whirl: %s\n", r.error().message.c_str());
  return bool(r);
}

}  // namespace whirl::cli
