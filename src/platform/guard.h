// Guard-page traps: linear memories reserve 8 GiB + a guard (every 32-bit
// address plus a 32-bit offset lands inside), so the interpreter does no
// bounds checks; an access past the accessible size faults, and the SIGSEGV
// handler turns a fault inside the active region into a longjmp back into
// the interpreter, which reports an out-of-bounds trap.
#pragma once

#include <csetjmp>
#include <cstddef>
#include <cstdint>

namespace whirl::platform {

// Address space reserved per linear memory.
constexpr uint64_t kGuardedReservation = (uint64_t(8) << 30) + (uint64_t(64) << 10);

// One activation's recovery point (they nest: host functions may call back
// into wasm). The interpreter claims faults at addresses in [lo, hi);
// compiled code claims the faults of its own instructions (claims_pc, which
// must be async-signal-safe), whose pc and frame pointer the handler
// records for the backtrace.
struct GuardRegion {
  sigjmp_buf jmp;
  const uint8_t* lo = nullptr;
  const uint8_t* hi = nullptr;
  bool (*claims_pc)(uintptr_t pc) = nullptr;
  uintptr_t fault_pc = 0, fault_fp = 0;
  GuardRegion* prev = nullptr;
};

// Installs the SIGSEGV handler once per process (chains to the previous
// handler for faults that are not ours). False if it could not.
bool guard_install();
// The innermost region of this thread.
GuardRegion*& guard_current();

}  // namespace whirl::platform
