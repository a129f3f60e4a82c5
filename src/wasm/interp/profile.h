// Developer aid: with -DWHIRL_INTERP_PROFILE the interpreter counts every
// executed slot-code instruction, each pair of consecutive ones and each
// instruction by place (function and index, as a slot-code dump numbers
// them), and
// prints the top entries to stderr at exit (to find superinstructions that
// pay). Off in every normal build.
#pragma once
#ifdef WHIRL_INTERP_PROFILE
#include <cstddef>
#include <cstdint>
#include <string>

namespace whirl::wasm::rt {
class FuncImpl;
}
namespace whirl::wasm::interp {
// op at index `at` of func's slot code.
void profile_hit(uint16_t op, const std::string* func, size_t at);
// f's name, interned: one string per function for the whole run.
const std::string* profile_name(rt::FuncImpl* f);
}
#endif
