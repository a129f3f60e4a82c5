// A call into compiled code from the host, as the tier's call sets it up:
// the recovery point traps jump back to (a guard region claiming faults of
// compiled instructions) and what the trap leaves for its report. Traps are
// raised by whirl_aot_trap (runtime_calls.cc) or by a fault in the guard
// pages; either way the wasm frames' return addresses are collected before
// the jump (the frames are gone after it), following the frame pointers
// every compiled function keeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "platform/guard.h"
#include "wasm/runtime/runtime.h"

namespace whirl::wasm::aot {

struct Activation {
  platform::GuardRegion guard;
  uintptr_t entry_fp = 0;  // the frame of the tier's call: the walk stops there
  TrapCode code = TrapCode::Unreachable;
  bool raised = false;     // by whirl_aot_trap (else a fault)
  int64_t element = -1;    // uninitialized element: its index, for the message
  std::optional<Trap> host_trap;  // a trap a host function (or another tier) returned
  // Return addresses, innermost first: the first kWalk, and the last kWalk
  // in a ring; `total` counts all. (More than the backtrace keeps: the
  // runtime's and the entry's frames among them are left out after.)
  static constexpr size_t kWalk = 64;
  uintptr_t inner[kWalk];
  uintptr_t outer[kWalk];
  size_t total = 0;
  Activation* prev = nullptr;

  // Inlined into both raisers: no calls, only reads of the frames.
  __attribute__((always_inline)) void collect(uintptr_t pc, uintptr_t fp) {
    total = 0;
    for (;;) {
      if (total < kWalk) inner[total] = pc;
      outer[total % kWalk] = pc;
      ++total;
      if (fp == 0 || fp >= entry_fp || (fp & 7)) break;
      const auto* frame = reinterpret_cast<const uintptr_t*>(fp);
      uintptr_t next = frame[0];
      pc = frame[1];
      if (next <= fp) break;  // frames lie at increasing addresses
      fp = next;
    }
  }
};

Activation*& current_activation();

// Whether pc is in any loaded compiled code (async-signal-safe).
bool code_claims_pc(uintptr_t pc);

}  // namespace whirl::wasm::aot
