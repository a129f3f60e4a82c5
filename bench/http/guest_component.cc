// Writes the test guest of tests/wasi/http/guest.h (a wasi:http component
// in component text; route /k is a minimal hello) as a binary component,
// for bench/http/run.sh.
// Usage: whirl-guest-component OUT.wasm
#include <cstdio>
#include <fstream>

#include "../../tests/wasi/http/guest.h"
#include "wasm/text/component_text.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.wasm\n", argv[0]);
    return 2;
  }
  auto bytes = whirl::wasm::text::component_to_binary(whirl::wasi::http::testing::guest_component());
  if (!bytes) {
    std::fprintf(stderr, "guest component: %s\n", bytes.error().message.c_str());
    return 1;
  }
  std::ofstream out(argv[1], std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes->data()), std::streamsize(bytes->size()));
  return out ? 0 : 1;
}
