// Runs the built `whirl` as a process for CLI tests: stdout and stderr
// captured together, bounded by timeout(1) so a hang fails the test
// (exit 124) instead of blocking it.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "../scratch_dir.h"

namespace whirl::testing {

struct CliOutput {
  std::string text;  // stdout and stderr
  int exit_code = -1;
};

// `args` go through the shell, so they may carry redirections.
inline CliOutput run_whirl(const std::string& args) {
  CliOutput out;
  std::string cmd = "timeout 20 " + std::string(WHIRL_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  int status = pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// Writes `content` to `name` in this process's scratch directory `dir`.
inline std::string write_scratch_file(const std::string& dir, const std::string& name, const std::string& content) {
  auto path = scratch_dir(dir) / name;
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

}  // namespace whirl::testing
