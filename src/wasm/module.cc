#include "wasm/module.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace whirl::wasm {

const Features& Features::process_default() {
  static const Features f = [] {
    const char* env = std::getenv("WHIRL_WASM_FEATURES");
    return env && std::string_view(env) == "2.0" ? Features::wasm2() : Features{};
  }();
  return f;
}

std::byte* Arena::allocate(size_t bytes) {
  bytes = (bytes + 7) & ~size_t(7);
  if (bytes > left_) {
    // A value larger than a quarter chunk gets a chunk of its own; the
    // current chunk's rest stays usable for smaller ones.
    if (bytes > kChunkBytes / 4) return chunks_.emplace_back(new std::byte[bytes]).get();
    while (chunk_bytes_ < bytes) chunk_bytes_ *= 2;
    chunks_.emplace_back(new std::byte[chunk_bytes_]);
    next_ = chunks_.back().get();
    left_ = chunk_bytes_;
    chunk_bytes_ = std::min(kChunkBytes, chunk_bytes_ * 2);
  }
  std::byte* p = next_;
  next_ += bytes;
  left_ -= bytes;
  return p;
}

BlockType BlockType::from_imm(uint64_t imm) {
  auto s = static_cast<int64_t>(imm);
  BlockType bt;
  if (s == -64) {
    bt.kind = Empty;
  } else if (s < 0) {
    bt.kind = Value;
    bt.value = static_cast<ValType>(static_cast<uint8_t>(s & 0x7f));
  } else {
    bt.kind = TypeIndex;
    bt.type_index = static_cast<uint32_t>(s);
  }
  return bt;
}

namespace {
// The i-th import of `kind`.
const Import* nth_import(const Module& m, ExternKind kind, uint32_t index) {
  for (const auto& imp : m.imports) {
    if (imp.kind != kind) continue;
    if (index == 0) return &imp;
    --index;
  }
  return nullptr;
}
}  // namespace

uint32_t Module::func_type_index(uint32_t index) const {
  if (index < num_imported_funcs) return nth_import(*this, ExternKind::Func, index)->func_type;
  return functions[index - num_imported_funcs].type_index;
}

TableType Module::table_type(uint32_t index) const {
  if (index < num_imported_tables) return nth_import(*this, ExternKind::Table, index)->table;
  return tables[index - num_imported_tables];
}

MemoryType Module::memory_type(uint32_t index) const {
  if (index < num_imported_memories) return nth_import(*this, ExternKind::Memory, index)->memory;
  return memories[index - num_imported_memories];
}

GlobalType Module::global_type(uint32_t index) const {
  if (index < num_imported_globals) return nth_import(*this, ExternKind::Global, index)->global;
  return globals[index - num_imported_globals].type;
}

uint32_t Module::tag_type_index(uint32_t index) const {
  if (index < num_imported_tags) return nth_import(*this, ExternKind::Tag, index)->tag_type;
  return tags[index - num_imported_tags];
}

std::string Module::func_name(uint32_t index) const {
  auto it = std::lower_bound(func_names.begin(), func_names.end(), index,
                             [](const auto& entry, uint32_t i) { return entry.first < i; });
  return it == func_names.end() || it->first != index ? std::string() : it->second;
}

}  // namespace whirl::wasm
