// Writes every core module of .wast scripts as a .wasm file (text modules
// converted): seeds for fuzz_aot and fuzz_diff, which take binaries.
// seeds_from_wast.py does the same for components, which are binary in the
// scripts already. Usage: wast_seeds OUT_DIR FILE...
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wasm/text/wast.h"
#include "wasm/text/wat.h"

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
    auto commands = text::parse_wast(text.str());
    if (!commands) continue;
    for (const auto& c : *commands) {
      // Modules that are meant to instantiate (not assert_invalid's and
      // assert_malformed's): the fuzzer mutates from working code.
      if (c.kind != text::WastCommandKind::Module || !c.has_module || c.module.component) continue;
      std::vector<uint8_t> bytes;
      if (c.module.form == text::WastModule::Form::Binary) {
        bytes = c.module.binary;
      } else if (c.module.form == text::WastModule::Form::Text) {
        auto b = text::wat_to_binary(c.module.text);
        if (!b) continue;
        bytes = std::move(*b);
      } else {
        continue;
      }
      char name[32];
      std::snprintf(name, sizeof name, "seed-%05zu.wasm", n++);
      std::ofstream(out / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
  }
  std::printf("%zu seeds\n", n);
  return 0;
}
