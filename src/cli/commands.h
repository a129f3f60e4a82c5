// Subcommands of the whirl CLI; each registers itself on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace whirl::cli {

// Adds `whirl wast FILE...`; the exit code is stored in *exit_code when it runs.
void add_wast_command(CLI::App& app, int* exit_code);
// Adds `whirl run [OPTIONS] FILE [ARGS...]`; ARGS come from split_run_args.
void add_run_command(CLI::App& app, int* exit_code, std::vector<std::string> program_args);
// Adds `whirl up [-f spin.toml|DIR] [--listen ADDR:PORT] [--env K=V]...`: serves a Spin app.
void add_up_command(CLI::App& app, int* exit_code);
// `whirl host`: many Spin apps in one process (src/host).
void add_host_command(CLI::App& app, int* exit_code);
// Adds `whirl compile FILE [-o OUT]`: native code ahead of time (the aot tier).
void add_compile_command(CLI::App& app, int* exit_code);
// Adds `whirl snapshot FILE -o OUT`: a module pre-initialized (wasm/snapshot).
void add_snapshot_command(CLI::App& app, int* exit_code);
// Adds `whirl inspect FILE`: a core module's imports/exports, or a component's world as WIT.
void add_inspect_command(CLI::App& app, int* exit_code);
// For `whirl run`: moves the arguments after FILE into *program_args and
// returns the argc that CLI11 should parse.
int split_run_args(int argc, char** argv, std::vector<std::string>* program_args);

}  // namespace whirl::cli
