// Runs a shell command for a test (a server's own client, e.g. redis-cli):
// its stdout, the trailing newlines removed.
#pragma once

#include <array>
#include <cstdio>
#include <string>

namespace whirl::test {

inline std::string run_output(const std::string& cmd) {
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
    pclose(f);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace whirl::test
