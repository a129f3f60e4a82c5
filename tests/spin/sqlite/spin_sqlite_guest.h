// The JS guest of up_sqlite_test.cc, built at test time with componentize-js
// (js/build.mjs) into the build directory and reused while its sources are
// unchanged: one build for every test process (gtest runs each test in its
// own), serialized by a lock file.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/expected.h"

namespace whirl::test {

// The guest's path; an error starting "skip: " when npm cannot install the
// tools (the only reason to skip), any other error is a failure.
inline Expected<std::filesystem::path> sqlite_guest() {
  namespace fs = std::filesystem;
  const fs::path src = fs::path(WHIRL_SQLITE_TEST_SOURCE) / "js";
  const fs::path repo = fs::path(WHIRL_SQLITE_TEST_SOURCE) / ".." / ".." / "..";
  const fs::path work = WHIRL_SQLITE_GUEST_DIR;
  const fs::path out = work / "guest.wasm";
  fs::create_directories(work);
  int lock = open((work / ".lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) return make_error("cannot lock " + (work / ".lock").string());
  struct Unlock {
    int fd;
    ~Unlock() { close(fd); }
  } unlock{lock};

  std::error_code ec;
  auto built = fs::last_write_time(out, ec);
  bool fresh = !ec;
  for (const fs::path& p : {src / "guest.js", src / "build.mjs", repo / "wit" / "spin-fermyon-2.0.0" / "sqlite.wit",
                            repo / "wit" / "spin-fermyon-v1" / "sqlite.wit",
                            repo / "wit" / "spin-sqlite-3.1.0" / "sqlite.wit"})
    if (fresh && fs::last_write_time(p, ec) > built) fresh = false;
  if (fresh) return out;

  const std::string tools = WHIRL_NPM_TOOLS;
  std::string log = (work / "build.log").string();
  std::string npm = "'" + (repo / "scripts" / "npm-tools.sh").string() + "' '" + tools + "' > '" + log + "' 2>&1";
  if (std::system(npm.c_str()) != 0)
    return make_error("skip: npm tools unavailable (npm unreachable?), see " + log);
  // Run from the work directory: componentize-js cannot find its own
  // temporary source when the current directory is the system temp dir.
  std::string node = "cd '" + work.string() + "' && timeout 900 node '" + (src / "build.mjs").string() + "' '" +
                     tools + "' . '" + out.string() + "' >> '" + log + "' 2>&1";
  if (std::system(node.c_str()) != 0) return make_error("building the JS guest failed, see " + log);
  return out;
}

}  // namespace whirl::test
