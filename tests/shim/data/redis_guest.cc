// Writes the Redis trigger test guest (tests/spin/redis/trigger_guest.h,
// component text) as a binary component recording each message it handles
// at ADDRESS, for the shim's end-to-end test (the address is known only
// once the test has started its redis-server).
// Usage: shim_redis_guest OUT.wasm ADDRESS
#include <cstdio>
#include <fstream>

#include "../../spin/redis/trigger_guest.h"
#include "wasm/text/component_text.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s OUT.wasm ADDRESS\n", argv[0]);
    return 2;
  }
  auto bytes = whirl::wasm::text::component_to_binary(whirl::spin::redis::testing::trigger_guest(argv[2]));
  if (!bytes) {
    std::fprintf(stderr, "guest component: %s\n", bytes.error().message.c_str());
    return 1;
  }
  std::ofstream out(argv[1], std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  return out ? 0 : 1;
}
