#include "component/snapshot/rewrite.h"

#include <string>

#include "component/binary/parts.h"
#include "component/binary/reader.h"
#include "wasm/text/writer.h"

namespace whirl::component::snapshot {
namespace {

using binary::Reader;
using wasm::text::Writer;

constexpr uint8_t kModule = 1, kInstance = 5, kCanon = 8, kStart = 9, kExport = 11;
constexpr uint32_t kNone = UINT32_MAX;

// The function index the export at `position` defines.
uint32_t func_index_of_export(const Component& c, uint32_t position) {
  uint32_t funcs = 0;
  for (const Item& it : c.order) {
    switch (it.kind) {
      case Item::Kind::Import: funcs += c.imports[it.index].type.kind == ExternType::Kind::Func; break;
      case Item::Kind::Alias: funcs += c.aliases[it.index].sort == Sort::Func; break;
      case Item::Kind::Canon: funcs += c.canons[it.index].kind == CanonKind::Lift; break;
      case Item::Kind::Export:
        if (it.index == position) return funcs;
        funcs += c.exports[it.index].item.sort == Sort::Func;
        break;
      default: break;
    }
  }
  return kNone;
}

// Copies one section's entries, renumbering the function indices they use.
class SectionCopy {
 public:
  SectionCopy(const uint8_t* data, size_t begin, size_t end, uint32_t removed)
      : r_(data, begin, end), data_(data), copied_(begin), removed_(removed) {}

  Reader& reader() { return r_; }
  // Copies up to here, then the index here (renumbered when of `sort`).
  void index(Sort sort) {
    flush();
    uint32_t i = r_.u32();
    copied_ = r_.pos();
    if (sort == Sort::Func && removed_ != kNone) {
      if (i == removed_) used_removed_ = true;
      if (i > removed_) --i;
    }
    out_.u32(i);
  }
  void sortidx() { index(binary::read_sort(r_, "sort")); }
  void flush() {
    out_.b.insert(out_.b.end(), data_ + copied_, data_ + r_.pos());
    copied_ = r_.pos();
  }
  bool used_removed() const { return used_removed_; }
  std::vector<uint8_t>& bytes() {
    flush();
    return out_.b;
  }

 private:
  Reader r_;
  const uint8_t* data_;
  size_t copied_;
  uint32_t removed_;
  bool used_removed_ = false;
  Writer out_;
};

// Copies a section of kind `id` (instance, canon, start), renumbering the
// function indices its entries use.
void copy_entries(SectionCopy& s, uint8_t id) {
  Reader& r = s.reader();
  if (id == kStart) {
    s.index(Sort::Func);
    return;
  }
  const uint32_t n = r.count();
  for (uint32_t i = 0; i < n; ++i) {
    if (id == kInstance) {
      const uint8_t kind = r.u8();
      if (kind == 0x00) r.u32();  // the component instantiated
      const uint32_t args = r.count();
      for (uint32_t a = 0; a < args; ++a) {
        if (kind == 0x00) r.name();
        else binary::read_extern_name(r);
        s.sortidx();
      }
      continue;
    }
    // canon: only lower (0x01 0x00 funcidx opts) names a function.
    Reader whole(r.data(), r.pos(), r.end());
    binary::read_canon(whole);
    if (r.peek() == 0x01) {
      r.u8(), r.u8();
      s.index(Sort::Func);
    }
    r.bytes(whole.pos() - r.pos());
  }
}

}  // namespace

Expected<std::vector<uint8_t>> rewrite_component(std::span<const uint8_t> bytes, const Component& ast,
                                                 const ComponentEdits& edits) {
  uint32_t removed = kNone;
  if (edits.drop_export) {
    if (*edits.drop_export >= ast.exports.size() || ast.exports[*edits.drop_export].item.sort != Sort::Func)
      return make_error("the export to leave out is not a function export");
    removed = func_index_of_export(ast, *edits.drop_export);
  }
  Writer out;
  out.b.assign(bytes.begin(), bytes.begin() + 8);
  uint32_t module_position = 0, export_position = 0;  // among the module sections, the exports
  bool used_removed = false;
  try {
    Reader r(bytes.data(), 8, bytes.size());
    while (!r.eof()) {
      const size_t at = r.pos();
      const uint8_t id = r.u8();
      const uint32_t size = r.u32();
      const size_t begin = r.pos(), end = begin + size;
      r.bytes(size);
      if (id == kModule) {
        auto it = edits.modules.find(module_position++);
        if (it != edits.modules.end()) {
          out.u8(kModule), out.u32(it->second.size());
          out.b.insert(out.b.end(), it->second.begin(), it->second.end());
          continue;
        }
      }
      const bool renumber = removed != kNone && (id == kInstance || id == kCanon || id == kStart);
      if (!renumber && id != kExport) {
        out.b.insert(out.b.end(), bytes.begin() + at, bytes.begin() + end);
        continue;
      }
      std::vector<uint8_t> content;
      if (id == kExport) {
        // Entry by entry: the dropped one is left out.
        Reader e(bytes.data(), begin, end);
        const uint32_t n = e.count();
        std::vector<uint8_t> entries;
        uint32_t kept = 0;
        for (uint32_t i = 0; i < n; ++i, ++export_position) {
          SectionCopy one(bytes.data(), e.pos(), end, removed);
          Reader& er = one.reader();
          binary::read_extern_name(er);
          one.sortidx();
          if (er.u8() == 1) binary::read_extern_type(er);
          const std::vector<uint8_t>& entry = one.bytes();
          e.bytes(er.pos() - e.pos());
          if (edits.drop_export && *edits.drop_export == export_position) continue;
          used_removed |= one.used_removed();
          entries.insert(entries.end(), entry.begin(), entry.end());
          ++kept;
        }
        Writer count;
        count.u32(kept);
        content = std::move(count.b);
        content.insert(content.end(), entries.begin(), entries.end());
      } else {
        SectionCopy s(bytes.data(), begin, end, removed);
        copy_entries(s, id);
        used_removed |= s.used_removed();
        content = std::move(s.bytes());
      }
      out.u8(id), out.u32(content.size());
      out.b.insert(out.b.end(), content.begin(), content.end());
    }
  } catch (const binary::DecodeFail& f) {
    return make_error("rewriting the component at offset " + std::to_string(f.offset) + ": " + f.message);
  }
  if (used_removed)
    return make_error("the component uses the function its export `" + ast.exports[*edits.drop_export].name.name +
                      "` defines, so the export cannot be left out (keep it with --keep-init-func)");
  return std::move(out.b);
}

}  // namespace whirl::component::snapshot
