// Copy-on-write images of linear memories' initial contents, one per
// memory a module defines, built at its first instantiation and shared by
// every later one (of any store, on any thread): an instance maps the
// image privately instead of copying data segments, so a runtime whose
// memory starts with 10 MB of data (a JS engine and its script) costs a
// mapping per instance, and only the pages it writes are copied.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "wasm/module.h"

namespace whirl::wasm::rt {

class MemoryImages {
 public:
  struct Image {
    int fd = -1;         // the memfd; -1: this memory copies its segments
    uint64_t bytes = 0;  // mapped length: the last initialized page's end
    uint64_t id = 0;     // unique for the process's lifetime (fds are reused): MemoryPool's key
  };

  MemoryImages() = default;
  MemoryImages(const MemoryImages&) = delete;
  MemoryImages& operator=(const MemoryImages&) = delete;
  ~MemoryImages();

  // Builds the images on first use (thread-safe). A defined memory gets
  // one when every active data segment into it has a constant offset and
  // lies within its initial size: then no segment can trap and the image
  // is exactly what applying them in order writes. Otherwise (a global's
  // offset, a segment out of bounds, memfd unavailable) its segments are
  // copied at instantiation as before, and trap where the spec says.
  void prepare(const Module& m) const;
  // Defined memory `i`'s image (fd -1: none); after prepare().
  const Image& image(size_t defined_memory) const { return images_[defined_memory]; }
  // Whether data segment `i` is part of its memory's image; after prepare().
  bool in_image(size_t segment) const { return in_image_[segment]; }
  // in_image() of every segment (an instance whose memories all map their
  // images starts its dropped-segment bits from it), and the active
  // segments it does not cover, in order: what instantiation copies.
  const std::vector<bool>& in_image_bits() const { return in_image_; }
  const std::vector<uint32_t>& copied() const { return copied_; }

 private:
  mutable std::once_flag once_;
  mutable std::vector<Image> images_;
  mutable std::vector<bool> in_image_;
  mutable std::vector<uint32_t> copied_;
};

}  // namespace whirl::wasm::rt
