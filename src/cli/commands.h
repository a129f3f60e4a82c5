// Subcommands of the whirl CLI; each registers itself on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

namespace whirl::cli {

// Adds `whirl wast FILE...`; the exit code is stored in *exit_code when it runs.
void add_wast_command(CLI::App& app, int* exit_code);
// Adds `whirl run [OPTIONS] FILE [ARGS...]`.
void add_run_command(CLI::App& app, int* exit_code);

}  // namespace whirl::cli
