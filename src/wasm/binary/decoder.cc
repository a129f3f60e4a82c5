#include "wasm/binary/decoder.h"
namespace whirl::wasm {
Expected<Module> decode_module(std::span<const uint8_t>) { return make_error("decoder not implemented"); }
}
