// Writes every core module of .wast scripts as a .wasm file (text modules
// converted): seeds for fuzz_aot and fuzz_diff, which take binaries.
// seeds_from_wast.py does the same for components, which are binary in the
// scripts already. Usage: wast_seeds OUT_DIR FILE...
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wasm/script/wast_modules.h"

using namespace whirl::wasm;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: wast_seeds OUT_DIR FILE...\n");
    return 2;
  }
  std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  size_t n = 0;
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i]);
    std::stringstream text;
    text << in.rdbuf();
    auto mods = whirl::wasm::script::wast_core_modules(text.str());
    if (!mods) continue;
    // Modules that are meant to instantiate (not assert_invalid's and
    // assert_malformed's): the fuzzer mutates from working code.
    for (const auto& c : *mods) {
      const auto& bytes = c.bytes;
      char name[32];
      std::snprintf(name, sizeof name, "seed-%05zu.wasm", n++);
      std::ofstream(out / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
  }
  std::printf("%zu seeds\n", n);
  return 0;
}
