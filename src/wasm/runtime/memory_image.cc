#include "wasm/runtime/memory_image.h"

#include <atomic>
#include <optional>

#include "platform/vm.h"

namespace whirl::wasm::rt {

namespace {

// The offset of a segment whose offset expression is a lone i32.const
// (what toolchains emit); nullopt for anything else (a global.get).
std::optional<uint64_t> constant_offset(const ConstExpr& e) {
  std::optional<uint64_t> off;
  for (const Instr& in : e.instrs) {
    if (in.op == Op::End) continue;
    if (in.op != Op::I32Const || off) return std::nullopt;
    off = uint32_t(in.imm);
  }
  return off;
}

}  // namespace

MemoryImages::~MemoryImages() {
  for (const Image& i : images_) platform::image_close(i.fd);
}

void MemoryImages::prepare(const Module& m) const {
  std::call_once(once_, [&] {
    const uint64_t page = platform::page_size();
    const size_t imported = m.num_imported_memories;
    images_.assign(m.memories.size(), Image{});
    in_image_.assign(m.datas.size(), false);
    std::vector<std::vector<platform::ImageChunk>> chunks(m.memories.size());
    std::vector<bool> usable(m.memories.size(), true);
    for (const DataSegment& d : m.datas) {
      if (d.mode != SegmentMode::Active || d.memory < imported) continue;
      const size_t k = d.memory - imported;
      auto off = constant_offset(d.offset);
      if (!off || *off + d.bytes.size() > uint64_t(m.memories[k].limits.min) * kPageSize) {
        usable[k] = false;
        continue;
      }
      if (!d.bytes.empty()) chunks[k].push_back({*off, d.bytes});
    }
    for (size_t k = 0; k < m.memories.size(); ++k) {
      if (!usable[k] || chunks[k].empty()) continue;
      uint64_t end = 0;
      for (const auto& c : chunks[k]) end = std::max(end, c.offset + c.bytes.size());
      end = (end + page - 1) / page * page;  // within the initial size: it is a multiple of 64 KiB
      static std::atomic<uint64_t> next_id{1};
      images_[k] = {platform::image_create(end, chunks[k]), end, next_id++};
    }
    for (size_t i = 0; i < m.datas.size(); ++i) {
      const DataSegment& d = m.datas[i];
      in_image_[i] = d.mode == SegmentMode::Active && d.memory >= imported && images_[d.memory - imported].fd >= 0;
      if (d.mode == SegmentMode::Active && !in_image_[i]) copied_.push_back(uint32_t(i));
    }
  });
}

}  // namespace whirl::wasm::rt
