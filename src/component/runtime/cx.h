// One side of a call across the component boundary (runtime internals):
// its memory, realloc and handle table as the Canonical ABI sees them
// (definitions.py LiftLowerContext), and the words a trap of lifting or
// lowering is reported in.
//
// Trap messages carry wasmtime's wording (the reference tests expect it)
// followed by the Canonical ABI's own detail in parentheses. Wasmtime words
// a trap of a guest-to-guest call (its fused adapters) differently from one
// at the host boundary, so each side knows which kind of call it is in.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "component/runtime/frame.h"

namespace whirl::component::runtime {

// The handle rules of abi::CanonHandles, checked first here so that a
// misuse is reported in wasmtime's words (unknown handle index, wrong type,
// removal while borrowed); the rules themselves stay the abi's.
class CheckedHandles final : public abi::HandleTable {
 public:
  CheckedHandles(Frame& side, abi::HandleTable& inner) : side_(side), inner_(inner) {}
  Expected<uint32_t, abi::Trap> lift_own(uint32_t index, const ResourceType& rt) override;
  Expected<uint32_t, abi::Trap> lift_borrow(uint32_t index, const ResourceType& rt) override;
  Expected<uint32_t, abi::Trap> lower_own(uint32_t rep, const ResourceType& rt) override;
  Expected<uint32_t, abi::Trap> lower_borrow(uint32_t rep, const ResourceType& rt) override;

 private:
  Frame& side_;
  abi::HandleTable& inner_;
};

// The handle at `index` of `f`'s table, which must be a resource handle of
// type `want` (null: any type); else a trap in wasmtime's words.
Expected<abi::ResourceHandle*, abi::Trap> checked_handle(Frame& f, uint32_t index, const abi::RuntimeResourceType* want);

class GuestCx final : public abi::CallContext {
 public:
  // `types`: what is being lifted or lowered (for the wording of traps).
  GuestCx(Frame& side, const CanonOptions& o, abi::HandleTable* h, bool guest_to_guest,
          std::span<const ValTypePtr> types);
  std::span<uint8_t> memory() override;
  // definitions.py LiftLowerContext.reallocate, and the checks every caller
  // of it makes on the result (aligned, in bounds).
  Expected<uint64_t, abi::Trap> realloc(uint64_t old_ptr, uint64_t old_size, uint64_t align,
                                        uint64_t new_size) override;
  abi::HandleTable* handles() override { return checked_ ? &*checked_ : nullptr; }

  // `t` (a trap of lifting or lowering through this side) in wasmtime's words.
  abi::Trap reword(abi::Trap t) const;
  // Lifting `flat` failed on invalid UTF-8: the Rust wording wasmtime's host
  // reports ("invalid utf-8 sequence of 1 bytes from index 0", "incomplete
  // utf-8 byte sequence from index 0"), found by lifting again with every
  // string read as Latin-1. Empty if it cannot tell.
  std::string utf8_error(std::span<const abi::CoreValue> flat, uint32_t max_flat);

 private:
  Frame& side_;
  const CanonOptions& o_;
  std::optional<CheckedHandles> checked_;
  bool guest_to_guest_;
  std::span<const ValTypePtr> types_;
};

// Whether a value of one of `types` contains a value of kind `k`.
bool contains_kind(std::span<const ValTypePtr> types, TypeKind k);

}  // namespace whirl::component::runtime
