// Linear-memory reservations kept for reuse: a fresh instance per request
// would otherwise reserve, map and commit a memory's address space and
// unmap it again every time (four system calls, a new VMA and its page
// tables). A memory returned here has its pages dropped with
// madvise(MADV_DONTNEED) — anonymous pages read zero again, pages of a
// copy-on-write image read the image again — except the present pages
// just past its image, zeroed in place (kKeepResident), and its
// accessible range kept, so the next memory of the same shape (same
// image, same initial size) takes it with no system call at all.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace whirl::wasm::rt {

class MemoryPool {
 public:
  // What a reservation holds once reset: [0, image_bytes) mapped from image
  // `image_id` (0: none), [image_bytes, committed) anonymous and zero, all
  // of it readable and writable; the rest inaccessible.
  struct Slot {
    uint8_t* base = nullptr;
    uint64_t image_id = 0;
    uint64_t image_bytes = 0;
    uint64_t committed = 0;
  };

  static MemoryPool& global();

  // A slot prepared exactly as asked, or null.
  uint8_t* take(uint64_t image_id, uint64_t image_bytes, uint64_t committed);
  // Else the slot kept last, as it is (base null: none), for the caller to
  // prepare again (prepare_again); with thousands of apps taking turns, a
  // slot of the same image is rare, and preparing one again costs a call
  // or three where a new reservation costs as many plus unmapping one.
  Slot take_any();
  // Makes `s` what take() would give for (image, committed): `fd` mapped
  // over [0, image_bytes) (fd < 0: no image), zero pages up to
  // `committed`, the rest inaccessible. False: it could not (the caller
  // releases the slot).
  static bool prepare_again(const Slot& s, int fd, uint64_t image_bytes, uint64_t committed);
  // Takes back a memory of `reserved` bytes whose first `size` bytes are
  // accessible, as prepared for (image_id, image_bytes, initial): resets it
  // and keeps it, or unmaps it when the pool is full or the reset fails.
  void give(uint8_t* base, uint64_t reserved, uint64_t size, uint64_t image_id, uint64_t image_bytes,
            uint64_t initial);

  size_t size() const;
  static constexpr size_t kMaxSlots = 64;
  // How much of a memory past its image give() zeroes in place, page by
  // present page, instead of dropping (wasmtime's keep_resident, for the
  // part a request most likely touched).
  static constexpr uint64_t kKeepResident = 1024 * 1024;

 private:
  mutable std::mutex mu_;
  std::vector<Slot> slots_;  // oldest first
};

}  // namespace whirl::wasm::rt
