// Differential fuzzing of the aot tier against the interpreter: every
// module runs under both (wasm/script/differential.h, compare_tiers); any
// difference aborts with its description. An input that is a binary
// ("\0asm...", seeds from the spec suite: wast_seeds) is decoded and
// validated; any other input is the choices of a random module
// (random_module_text), which reaches code mutated binaries seldom do.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "wasm/binary/decoder.h"
#include "wasm/script/differential.h"
#include "wasm/text/wat.h"
#include "wasm/validate/validator.h"

using namespace whirl::wasm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> input(data, size);
  std::string text;
  std::vector<uint8_t> bytes;
  if (size < 4 || std::memcmp(data, "\0asm", 4) != 0) {
    text = script::random_module_text(input);
    auto b = text::wat_to_binary(text);
    if (!b) {
      std::fprintf(stderr, "random_module_text made a module that does not parse: %s\n%s", b.error().message.c_str(),
                   text.c_str());
      std::abort();
    }
    bytes = std::move(*b);
    input = bytes;
  }
  auto m = decode_module(input);
  if (!m) return 0;
  auto module = std::make_shared<const Module>(std::move(*m));
  if (auto v = validate_module(*module); !v) {
    if (text.empty()) return 0;
    std::fprintf(stderr, "random_module_text made an invalid module: %s\n%s", v.error().message.c_str(), text.c_str());
    std::abort();
  }
  if (auto diff = script::compare_tiers(module, 20000)) {
    std::fprintf(stderr, "the aot tier differs from the interpreter: %s\n%s", diff->c_str(), text.c_str());
    std::abort();
  }
  return 0;
}
