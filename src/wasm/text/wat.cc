#include "wasm/text/wat.h"
#include "wasm/text/wast.h"
namespace whirl::wasm::text {
Expected<std::vector<uint8_t>> wat_to_binary(std::string_view) { return make_error("text parser not implemented"); }
Expected<std::vector<WastCommand>> parse_wast(std::string_view) { return make_error("wast parser not implemented"); }
}
