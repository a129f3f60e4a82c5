// A JS test guest built at test time: tests/spin/NAME/js/build.mjs makes
// it a component with componentize-js (scripts/componentize.mjs, the npm
// tools pinned in tests/npm) into the build directory, where every test
// process reuses it while its inputs are unchanged. A lock file keeps test
// processes running side by side from building it twice.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/expected.h"

namespace whirl::test {

struct JsGuestBuild {
  std::string source;               // the directory of build.mjs, relative to the repository
  std::vector<std::string> inputs;  // what else it is built from (its JS, its WIT files), relative to the repository
  std::filesystem::path work;       // its build directory (lock, log)
  std::filesystem::path out;        // the component
};

// The component's path; an error starting "skip: " when node or the npm
// tools are missing (npm unreachable: the only reasons to skip), any other
// error is a failure.
inline Expected<std::filesystem::path> build_js_guest(const JsGuestBuild& b) {
  namespace fs = std::filesystem;
  const fs::path repo = fs::path(WHIRL_TEST_DATA).parent_path().parent_path();  // WHIRL_TEST_DATA is tests/data
#ifdef WHIRL_NODE
  const std::string node = WHIRL_NODE;
#else
  const std::string node = "node";
#endif
  if (node.empty() || node.find("NOTFOUND") != std::string::npos)
    return make_error("skip: node is not installed: the JS guest cannot be built");
  const fs::path build = repo / b.source / "build.mjs";
  fs::create_directories(b.work);
  int lock = open((b.work / ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) {
    if (lock >= 0) close(lock);
    return make_error("cannot lock " + (b.work / ".lock").string());
  }
  struct Unlock {
    int fd;
    ~Unlock() { close(fd); }
  } unlock{lock};

  // Fresh: built after every input changed (the builders and the WIT files
  // scripts/componentize.mjs always adds, too).
  std::vector<std::string> inputs{b.source + "/build.mjs",     "scripts/componentize.mjs",
                                  "wit/wasi-0.2/io.wit",         "wit/wasi-0.2/clocks.wit",
                                  "wit/wasi-0.2/random.wit",     "wit/wasi-http-0.2/types.wit",
                                  "wit/wasi-http-0.2/handler.wit"};
  inputs.insert(inputs.end(), b.inputs.begin(), b.inputs.end());
  std::error_code ec;
  auto built = fs::last_write_time(b.out, ec);
  bool fresh = !ec;
  for (const auto& p : inputs)
    if (fresh && (fs::last_write_time(repo / p, ec) > built || ec)) fresh = false;
  if (fresh) return b.out;

  auto q = [](const std::string& s) { return "'" + s + "'"; };  // our paths hold no quote
  const std::string tools = WHIRL_NPM_TOOLS, log = (b.work / "build.log").string();
  std::string npm = q((repo / "scripts" / "npm-tools.sh").string()) + " " + q(tools) + " > " + q(log) + " 2>&1";
  if (std::system(npm.c_str()) != 0) return make_error("skip: npm tools unavailable (npm unreachable?), see " + log);
  // From the work directory: componentize-js cannot find its own
  // temporary source when the current directory is the system temp dir.
  std::string cmd = "cd " + q(b.work.string()) + " && timeout 900 nice -n 10 " + q(node) + " " + q(build.string()) +
                    " " + q(tools) + " " + q(b.work.string()) + " " + q(b.out.string()) + " >> " + q(log) + " 2>&1";
  if (std::system(cmd.c_str()) != 0) return make_error("building the JS guest failed, see " + log);
  return b.out;
}

// In a test or its SetUp: skips the test when `built` (an
// Expected<path> of build_js_guest) is a "skip: " error, fails it on any
// other error.
#define WHIRL_REQUIRE_JS_GUEST(built)                                                     \
  do {                                                                                    \
    const auto& whirl_built_ = (built);                                                   \
    if (!whirl_built_ && whirl_built_.error().message.rfind("skip: ", 0) == 0)            \
      GTEST_SKIP() << whirl_built_.error().message;                                       \
    ASSERT_TRUE(whirl_built_) << whirl_built_.error().message;                            \
  } while (0)

}  // namespace whirl::test
