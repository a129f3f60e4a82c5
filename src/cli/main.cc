// The whirl command line: a thin front end over the libraries.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <new>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"whirl: a WebAssembly serverless platform"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("whirl ") + WHIRL_VERSION);
  int exit_code = 0;
  std::vector<std::string> program_args;
  int cli_argc = whirl::cli::split_run_args(argc, argv, &program_args);
  whirl::cli::add_wast_command(app, &exit_code);
  whirl::cli::add_run_command(app, &exit_code, program_args);
  whirl::cli::add_up_command(app, &exit_code);
  whirl::cli::add_host_command(app, &exit_code);
  whirl::cli::add_inspect_command(app, &exit_code);
  whirl::cli::add_compile_command(app, &exit_code);
  whirl::cli::add_snapshot_command(app, &exit_code);
  try {
    app.parse(cli_argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors: one clear line and exit code 1 (--help/--version exit 0).
    return app.exit(e) == 0 ? 0 : 1;
  } catch (const std::bad_alloc&) {
    // Last resort: limits are checked before allocating, so this is a bug
    // (or the host itself out of memory), still one line and not an abort.
    std::fprintf(stderr, "whirl: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "whirl: internal error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
