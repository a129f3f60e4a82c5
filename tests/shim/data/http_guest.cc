// Writes the wasi:http test guest (tests/wasi/http/guest.h, component text)
// as a binary component, so the shim's end-to-end test can put a component
// into an OCI image: whirl's app loader reads binaries only.
// Usage: shim_http_guest OUT.wasm
#include <cstdio>
#include <fstream>

#include "../../wasi/http/guest.h"
#include "wasm/text/component_text.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.wasm\n", argv[0]);
    return 2;
  }
  auto bytes = whirl::wasm::text::component_to_binary(whirl::wasi::http::testing::guest_component("0.2.3"));
  if (!bytes) {
    std::fprintf(stderr, "guest component: %s\n", bytes.error().message.c_str());
    return 1;
  }
  std::ofstream out(argv[1], std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  return out ? 0 : 1;
}
