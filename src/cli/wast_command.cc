// `whirl wast FILE...`: run spec scripts, one summary line per file.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/tier_option.h"
#include "wasm/script/runner.h"

namespace whirl::cli {
namespace {

struct WastOptions {
  std::vector<std::string> files;
  bool quiet = false;
  std::string tier = "auto";
};

int run_wast(const WastOptions& opts) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  uint64_t passed = 0, failed = 0, skipped = 0;
  for (const auto& file : opts.files) {
    auto t0 = Clock::now();
    auto r = wasm::script::run_script_file(file);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
    if (r.failed) {
      std::printf("FAIL %s: %u passed, %u failed (%.0f ms)\n", file.c_str(), r.passed, r.failed, ms);
    } else if (!r.unsupported.empty()) {
      std::printf("unsupported %s: %s; %u passed, %u not run (%.0f ms)\n", file.c_str(), r.unsupported.c_str(),
                  r.passed, r.skipped, ms);
    } else {
      std::printf("ok   %s: %u passed (%.0f ms)\n", file.c_str(), r.passed, ms);
    }
    if (!opts.quiet)
      for (const auto& f : r.failures) std::printf("  %s\n", f.c_str());
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr, "whirl wast: %zu file(s) in %.2f s\n", opts.files.size(), secs);
  if (skipped) std::printf("%llu passed, %llu failed, %llu skipped\n", (unsigned long long)passed,
                           (unsigned long long)failed, (unsigned long long)skipped);
  else std::printf("%llu passed, %llu failed\n", (unsigned long long)passed, (unsigned long long)failed);
  return failed ? 1 : 0;
}

}  // namespace

void add_wast_command(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<WastOptions>();
  auto* cmd = app.add_subcommand("wast", "Run WebAssembly spec test scripts (.wast)");
  cmd->add_option("files", opts->files, "Script files")->required()->check(CLI::ExistingFile);
  cmd->add_flag("-q,--quiet", opts->quiet, "Only the summary lines, no failure details");
  add_tier_option(cmd, &opts->tier);
  cmd->callback([opts, exit_code] { *exit_code = apply_tier(opts->tier, false) ? run_wast(*opts) : 1; });
}

}  // namespace whirl::cli
