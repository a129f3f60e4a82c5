// The JS key-value guest (js/kv.js), built with componentize-js from the
// pinned npm tools into the build tree once and reused by every test
// process (rebuilt when kv.js or build.mjs is newer; a file lock keeps
// tests running side by side from building it twice).
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace whirl::test {

struct JsGuest {
  std::string path;     // the component, when built
  std::string skipped;  // why not (npm unreachable): the test is skipped
  std::string failed;   // the build failed: the test fails
};

inline JsGuest kv_js_guest() {
  namespace fs = std::filesystem;
  static JsGuest cached = [] {
    JsGuest g;
    fs::path src = fs::path(WHIRL_TEST_DATA).parent_path() / "spin" / "key_value" / "js";
    fs::path work = WHIRL_KV_JS_DIR, out = work / "kv.wasm";
    std::string node = WHIRL_NODE;
    if (node.empty() || node.find("NOTFOUND") != std::string::npos) {
      g.skipped = "node is not installed: the JS key-value guest cannot be built";
      return g;
    }
    fs::create_directories(work);
    int lock = open((work / ".lock").c_str(), O_CREAT | O_RDWR, 0644);
    if (lock >= 0) flock(lock, LOCK_EX);
    std::error_code ec;
    auto newest_source = std::max(fs::last_write_time(src / "kv.js", ec), fs::last_write_time(src / "build.mjs", ec));
    bool fresh = fs::exists(out) && fs::last_write_time(out, ec) >= newest_source;
    if (!fresh) {
      std::string tools = WHIRL_NPM_TOOLS;
      std::string npm = fs::path(WHIRL_TEST_DATA).parent_path().parent_path().string() + "/scripts/npm-tools.sh";
      if (std::system((npm + " " + tools + " > " + (work / "npm.txt").string() + " 2>&1").c_str()) != 0) {
        g.skipped = "the npm tools could not be installed (npm unreachable?): see " + (work / "npm.txt").string();
      } else {
        std::string cmd = "timeout 900 nice -n 10 " + node + " " + (src / "build.mjs").string() + " " + tools + " " +
                          work.string() + " " + out.string() + " > " + (work / "build.txt").string() + " 2>&1";
        if (std::system(cmd.c_str()) != 0) g.failed = "building the JS guest failed: see " + (work / "build.txt").string();
      }
    }
    if (lock >= 0) close(lock);
    if (g.skipped.empty() && g.failed.empty()) g.path = out.string();
    return g;
  }();
  return cached;
}

}  // namespace whirl::test
