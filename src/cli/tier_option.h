// --tier on the commands that run code (run, wast, up).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace whirl::cli {

void add_tier_option(CLI::App* cmd, std::string* tier);
// Makes `tier` the one modules compile for, with the compiled-code cache
// on or off; false (after a message) when it is not available here.
bool apply_tier(const std::string& tier, bool cache = true);

}  // namespace whirl::cli
