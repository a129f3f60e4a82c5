// Developer aid: with -DWHIRL_INTERP_PROFILE the interpreter counts every
// executed slot-code instruction and each pair of consecutive ones, and
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
void profile_hit(uint16_t op, const std::string* func);
// f's name, interned: one string per function for the whole run.
const std::string* profile_name(rt::FuncImpl* f);
}
#endif
