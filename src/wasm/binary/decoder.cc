// Module and section decoding. The order of checks and their wording follow
// the reference interpreter (the spec test suite's expected messages).
#include "wasm/binary/decoder.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "wasm/binary/code.h"
#include "wasm/binary/names.h"
#include "wasm/binary/reader.h"

namespace whirl::wasm {
namespace {

using binary::InstrDecoder;
using binary::Reader;

constexpr uint32_t kMagic = 0x6d736100;  // "\0asm"
constexpr uint32_t kVersion = 1;
constexpr uint8_t kMaxSectionId = 13;

const char* section_name(int id) {
  static const char* const names[] = {"custom", "type",    "import",  "function", "table",
                                      "memory", "global",  "export",  "start",    "element",
                                      "code",   "data",    "data count", "tag"};
  return id >= 0 && id <= kMaxSectionId ? names[id] : "?";
}

// Position of each non-custom section in the required order (DataCount sits
// between Element and Code, Tag between Memory and Global).
int section_rank(uint8_t id) {
  switch (id) {
    case 12: return 19;
    case 13: return 11;
    default: return id * 2;
  }
}

// A reservation for `n` entries of at least `min_bytes` bytes each, capped by
// what the rest of the module can hold (counts are attacker-controlled).
size_t bounded(uint32_t n, size_t remaining, size_t min_bytes) {
  return std::min<size_t>(n, remaining / min_bytes + 1);
}

class ModuleDecoder {
 public:
  ModuleDecoder(std::span<const uint8_t> bytes, const Features& features, bool bodies)
      : r_(bytes), features_(features), bodies_(bodies) {
    m_.expr_storage = std::make_shared<Arena>();
    instrs_.features = features;
  }

  Expected<Module> run() {
    if (r_.size() > std::numeric_limits<uint32_t>::max())
      return make_error("at offset 0x0: module too large (more than 4 GiB)");
    if (!header()) return error();
    int last_rank = 0;
    while (!r_.eof()) {
      size_t at = r_.pos();
      uint8_t id = *r_.ptr();
      section_ = -1;
      if (id > kMaxSectionId || (id == 13 && !features_.exceptions)) {
        r_.fail(at, "malformed section id");
        return error();
      }
      if (id != 0) {
        int rank = section_rank(id);
        if (rank <= last_rank) {
          r_.fail(at, "unexpected content after last section");
          return error();
        }
        last_rank = rank;
      }
      section_ = id;
      r_.skip(1);
      uint32_t size = 0;
      if (!r_.len32(size)) return error();
      size_t start = r_.pos();
      if (!section(id, size)) return error();
      if (r_.pos() != start + size) {
        r_.fail(start, "section size mismatch");
        return error();
      }
    }
    section_ = -1;
    return finish();
  }

 private:
  Unexpected<Error> error() const {
    char where[64];
    if (section_ >= 0)
      std::snprintf(where, sizeof where, "section %d (%s) at offset 0x%zx: ", section_,
                    section_name(section_), r_.error_offset());
    else
      std::snprintf(where, sizeof where, "at offset 0x%zx: ", r_.error_offset());
    return make_error(where + r_.error());
  }

  // An implementation limit on a count (decoder.h), reported at `at`.
  bool within(size_t at, uint64_t n, uint64_t limit, const char* what) {
    if (n <= limit) return true;
    return r_.fail(at, std::string("too many ") + what + ": " + std::to_string(n) +
                           " (implementation limit: " + std::to_string(limit) + ")");
  }
  // len32 then the limit.
  bool count(uint32_t& n, uint64_t already, uint64_t limit, const char* what) {
    size_t at = r_.pos();
    return r_.len32(n) && within(at, already + n, limit, what);
  }

  bool header() {
    uint32_t magic = 0, version = 0;
    if (r_.remaining() < 4) return r_.fail(r_.size(), "unexpected end");
    r_.fixed32(magic);
    if (magic != kMagic) return r_.fail(0, "magic header not detected");
    if (r_.remaining() < 4) return r_.fail(r_.size(), "unexpected end");
    r_.fixed32(version);
    if (version != kVersion) return r_.fail(4, "unknown binary version");
    return true;
  }

  bool section(uint8_t id, uint32_t size) {
    switch (id) {
      case 0: return custom_section(size);
      case 1: return type_section();
      case 2: return import_section();
      case 3: return function_section();
      case 4: return table_section();
      case 5: return memory_section();
      case 6: return global_section();
      case 7: return export_section();
      case 8: return start_section();
      case 9: return element_section();
      case 10: return code_section();
      case 11: return data_section();
      case 12: return data_count_section();
      case 13: return tag_section();
    }
    return false;
  }

  // Checks that run after the last section, in the reference order.
  Expected<Module> finish() {
    size_t end = r_.size();
    if (func_types_.size() != m_.functions.size()) {
      r_.fail(end, "function and code section have inconsistent lengths");
      return error();
    }
    if (m_.data_count && *m_.data_count != m_.datas.size()) {
      r_.fail(end, "data count and data section have inconsistent lengths");
      return error();
    }
    if (!m_.data_count && code_uses_data_index_) {
      r_.fail(end, "data count section required");
      return error();
    }
    for (size_t i = 0; i < func_types_.size(); ++i) m_.functions[i].type_index = func_types_[i];
    return std::move(m_);
  }

  bool custom_section(uint32_t size) {
    size_t start = r_.pos();
    CustomSection c;
    if (!r_.name(c.name)) return false;
    size_t used = r_.pos() - start;
    if (used > size) return r_.fail(start + size, binary::kUnexpectedEnd);
    const uint8_t* payload = nullptr;
    size_t n = size - used;
    if (!r_.bytes(n, payload)) return false;
    c.bytes = {payload, n};  // into the input, as data segments
    if (c.name == "name" && !name_section_seen_) {
      name_section_seen_ = true;
      binary::parse_name_section(std::span<const uint8_t>(payload, n), m_);
    }
    m_.customs.push_back(std::move(c));
    return true;
  }

  bool type_section() {
    uint32_t n = 0;
    if (!count(n, 0, kMaxTypes, "types")) return false;
    m_.types.reserve(bounded(n, r_.remaining(), 3));
    for (uint32_t i = 0; i < n; ++i) {
      uint8_t form = 0;
      if (!r_.u8(form)) return false;
      if (form != 0x60) {
        if (form & 0x80) return r_.fail_here(binary::kTooLong);
        return r_.fail(r_.pos() - 1, "malformed function type");
      }
      FuncType t;
      if (!result_type(t.params, kMaxFunctionParams, "parameters") ||
          !result_type(t.results, kMaxFunctionResults, "results"))
        return false;
      m_.types.push_back(std::move(t));
    }
    return true;
  }

  bool result_type(std::vector<ValType>& out, uint32_t limit, const char* what) {
    uint32_t n = 0;
    if (!count(n, 0, limit, what)) return false;
    out.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      ValType t;
      if (!binary::read_value_type(r_, t)) return false;
      out.push_back(t);
    }
    return true;
  }

  bool limits(Limits& l) {
    uint32_t flag = 0;
    if (!r_.u1(flag) || !r_.u32(l.min)) return false;
    if (flag == 1) {
      uint32_t max = 0;
      if (!r_.u32(max)) return false;
      l.max = max;
    }
    return true;
  }

  // Memory limits: flags 2 and 3 are the shared ones (threads), when enabled.
  bool memory_type(MemoryType& t) {
    if (!features_.shared_memory) return limits(t.limits);
    uint32_t flag = 0;
    if (!r_.u32(flag)) return false;
    if (flag > 3) return r_.fail(r_.pos() - 1, "malformed limits flags");
    t.shared = flag & 2;
    if (!r_.u32(t.limits.min)) return false;
    if (flag & 1) {
      uint32_t max = 0;
      if (!r_.u32(max)) return false;
      t.limits.max = max;
    }
    return true;
  }

  bool table_type(TableType& t) { return binary::read_ref_type(r_, t.elem) && limits(t.limits); }

  bool global_type(GlobalType& t) {
    if (!binary::read_value_type(r_, t.type)) return false;
    uint8_t mut = 0;
    if (!r_.u8(mut)) return false;
    if (mut > 1) return r_.fail(r_.pos() - 1, "malformed mutability");
    t.mut = mut == 1;
    return true;
  }

  bool const_expr(ConstExpr& e) {
    scratch_br_tables_.clear();
    scratch_instrs_.clear();
    if (!instrs_.decode(r_, scratch_instrs_, scratch_br_tables_)) return false;
    e.instrs = m_.expr_storage->copy(scratch_instrs_);
    return true;
  }

  bool import_section() {
    uint32_t n = 0;
    if (!count(n, 0, kMaxImports, "imports")) return false;
    m_.imports.reserve(bounded(n, r_.remaining(), 4));
    for (uint32_t i = 0; i < n; ++i) {
      Import imp;
      if (!r_.name(imp.module) || !r_.name(imp.name)) return false;
      uint8_t kind = 0;
      if (!r_.u8(kind)) return false;
      switch (kind) {
        case 0x00:
          if (!r_.u32(imp.func_type)) return false;
          ++m_.num_imported_funcs;
          break;
        case 0x01:
          if (!table_type(imp.table)) return false;
          ++m_.num_imported_tables;
          break;
        case 0x02:
          if (!memory_type(imp.memory)) return false;
          ++m_.num_imported_memories;
          break;
        case 0x03:
          if (!global_type(imp.global)) return false;
          ++m_.num_imported_globals;
          break;
        case 0x04:
          if (!features_.exceptions) return r_.fail(r_.pos() - 1, "malformed import kind");
          if (!tag_type(imp.tag_type)) return false;
          ++m_.num_imported_tags;
          break;
        default:
          return r_.fail(r_.pos() - 1, "malformed import kind");
      }
      imp.kind = static_cast<ExternKind>(kind);
      m_.imports.push_back(std::move(imp));
    }
    return true;
  }

  bool function_section() {
    uint32_t n = 0;
    if (!count(n, m_.num_imported_funcs, kMaxFunctions, "functions")) return false;
    func_types_.resize(n);
    for (uint32_t i = 0; i < n; ++i)
      if (!r_.u32(func_types_[i])) return false;
    return true;
  }

  bool table_section() {
    uint32_t n = 0;
    if (!count(n, m_.num_imported_tables, kMaxTables, "tables")) return false;
    m_.tables.resize(n);
    for (uint32_t i = 0; i < n; ++i)
      if (!table_type(m_.tables[i])) return false;
    return true;
  }

  bool memory_section() {
    uint32_t n = 0;
    if (!count(n, m_.num_imported_memories, kMaxMemories, "memories")) return false;
    m_.memories.resize(n);
    for (uint32_t i = 0; i < n; ++i)
      if (!memory_type(m_.memories[i])) return false;
    return true;
  }

  bool global_section() {
    uint32_t n = 0;
    if (!count(n, m_.num_imported_globals, kMaxGlobals, "globals")) return false;
    m_.globals.reserve(bounded(n, r_.remaining(), 3));
    for (uint32_t i = 0; i < n; ++i) {
      Global g;
      if (!global_type(g.type) || !const_expr(g.init)) return false;
      m_.globals.push_back(std::move(g));
    }
    return true;
  }

  bool export_section() {
    uint32_t n = 0;
    if (!count(n, 0, kMaxExports, "exports")) return false;
    m_.exports.reserve(bounded(n, r_.remaining(), 3));
    for (uint32_t i = 0; i < n; ++i) {
      Export e;
      if (!r_.name(e.name)) return false;
      uint8_t kind = 0;
      if (!r_.u8(kind)) return false;
      if (kind > (features_.exceptions ? 4 : 3)) return r_.fail(r_.pos() - 1, "malformed export kind");
      e.kind = static_cast<ExternKind>(kind);
      if (!r_.u32(e.index)) return false;
      m_.exports.push_back(std::move(e));
    }
    return true;
  }

  // tagtype: attribute 0x00 (exception), then a type index.
  bool tag_type(uint32_t& type) {
    uint8_t attr = 0;
    if (!r_.u8(attr)) return false;
    if (attr != 0) return r_.fail(r_.pos() - 1, "malformed tag attribute");
    return r_.u32(type);
  }

  bool tag_section() {
    uint32_t n = 0;
    if (!count(n, m_.num_imported_tags, kMaxTags, "tags")) return false;
    m_.tags.resize(n);
    for (uint32_t i = 0; i < n; ++i)
      if (!tag_type(m_.tags[i])) return false;
    return true;
  }

  bool start_section() {
    uint32_t f = 0;
    if (!r_.u32(f)) return false;
    m_.start = f;
    return true;
  }

  // vec(funcidx) as element expressions: each becomes (ref.func x) end.
  bool func_index_inits(ElemSegment& seg) {
    uint32_t n = 0;
    if (!count(n, 0, kMaxElemSegmentItems, "element segment items")) return false;
    seg.inits.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      Instr ref;
      ref.op = Op::RefFunc;
      ref.offset = static_cast<uint32_t>(r_.pos());
      if (!r_.u32(ref.a)) return false;
      Instr end;
      end.op = Op::End;
      end.offset = ref.offset;
      const Instr pair[] = {ref, end};
      seg.inits.emplace_back().instrs = m_.expr_storage->copy(pair, 2);
    }
    return true;
  }

  bool expr_inits(ElemSegment& seg) {
    uint32_t n = 0;
    if (!count(n, 0, kMaxElemSegmentItems, "element segment items")) return false;
    seg.inits.reserve(bounded(n, r_.remaining(), 2));
    for (uint32_t i = 0; i < n; ++i)
      if (!const_expr(seg.inits.emplace_back())) return false;
    return true;
  }

  bool elem_kind(ElemSegment& seg) {
    uint8_t k = 0;
    if (!r_.u8(k)) return false;
    if (k != 0x00) return r_.fail(r_.pos() - 1, "malformed element kind");
    seg.type = ValType::FuncRef;
    return true;
  }

  // Element segment flags: bit 0 passive/declarative, bit 1 explicit table
  // index (active) or declarative (non-active), bit 2 expressions instead of
  // function indices.
  bool element_section() {
    uint32_t n = 0;
    if (!count(n, 0, kMaxElemSegments, "element segments")) return false;
    m_.elems.reserve(bounded(n, r_.remaining(), 3));
    for (uint32_t i = 0; i < n; ++i) {
      ElemSegment seg;
      uint32_t flags = 0;
      if (!r_.u32(flags)) return false;
      if (flags > 7) return r_.fail(r_.pos() - 1, "malformed elements segment kind");
      bool passive_or_declarative = flags & 1;
      bool explicit_table_or_declarative = flags & 2;
      bool exprs = flags & 4;
      if (passive_or_declarative) {
        seg.mode = explicit_table_or_declarative ? SegmentMode::Declarative : SegmentMode::Passive;
      } else {
        seg.mode = SegmentMode::Active;
        if (explicit_table_or_declarative && !r_.u32(seg.table)) return false;
        if (!const_expr(seg.offset)) return false;
      }
      // Forms 0 and 4 have neither elemkind nor reftype (funcref implied).
      bool has_type = flags != 0 && flags != 4;
      if (has_type) {
        if (exprs ? !binary::read_ref_type(r_, seg.type) : !elem_kind(seg)) return false;
      }
      if (exprs ? !expr_inits(seg) : !func_index_inits(seg)) return false;
      m_.elems.push_back(std::move(seg));
    }
    return true;
  }

  bool code_section() {
    uint32_t n = 0;
    if (!count(n, m_.num_imported_funcs, kMaxFunctions, "functions")) return false;
    m_.functions.reserve(bounded(n, r_.remaining(), 3));
    instrs_.data_index_used = false;
    uint64_t module_locals = 0;
    if (!bodies_) {  // each body's place only (what was validated before: runtime.h, load_module)
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t size = 0;
        if (!r_.len32(size)) return false;
        m_.functions.emplace_back().code_offset = uint32_t(r_.pos());
        if (!r_.skip(size)) return false;
      }
      return true;
    }
    m_.body_storage = std::make_shared<Arena>();
    for (uint32_t i = 0; i < n; ++i)
      if (!instrs_.decode_function(r_, m_.functions.emplace_back(), module_locals, *m_.body_storage)) return false;
    code_uses_data_index_ = instrs_.data_index_used;
    return true;
  }

  bool data_section() {
    uint32_t n = 0;
    if (!count(n, 0, kMaxDataSegments, "data segments")) return false;
    m_.datas.reserve(bounded(n, r_.remaining(), 2));
    for (uint32_t i = 0; i < n; ++i) {
      DataSegment d;
      uint32_t flags = 0;
      if (!r_.u32(flags)) return false;
      switch (flags) {
        case 0:
          if (!const_expr(d.offset)) return false;
          break;
        case 1:
          d.mode = SegmentMode::Passive;
          break;
        case 2:
          if (!r_.u32(d.memory) || !const_expr(d.offset)) return false;
          break;
        default:
          return r_.fail(r_.pos() - 1, "malformed data segment kind");
      }
      uint32_t len = 0;
      const uint8_t* bytes = nullptr;
      if (!r_.len32(len) || !r_.bytes(len, bytes)) return false;
      d.bytes = {bytes, len};  // into the input; decode_module() settles the owner
      m_.datas.push_back(std::move(d));
    }
    return true;
  }

  bool data_count_section() {
    uint32_t n = 0;
    if (!r_.u32(n)) return false;
    m_.data_count = n;
    return true;
  }

  Reader r_;
  Features features_;
  bool bodies_ = true;  // false: function bodies are skipped, not decoded
  Module m_;
  int section_ = -1;  // id of the section being decoded, -1 outside sections
  std::vector<uint32_t> func_types_;
  InstrDecoder instrs_;
  std::vector<uint32_t> scratch_br_tables_;
  std::vector<Instr> scratch_instrs_;
  bool code_uses_data_index_ = false;
  bool name_section_seen_ = false;
};

}  // namespace

Expected<Module> decode_module(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner,
                               const Features& features, bool bodies, bool customs) {
  auto m = ModuleDecoder(bytes, features, bodies).run();
  if (!m) return m;
  if (!customs) m->customs.clear();
  if (owner) {
    m->byte_storage = std::move(owner);
    return m;
  }
  keep_own_copy(*m);
  return m;
}

size_t kept_bytes(const Module& m) {
  size_t total = 0;
  for (const auto& d : m.datas) total += d.bytes.size();
  for (const auto& c : m.customs) total += c.bytes.size();
  return total;
}

void keep_own_copy(Module& m) {
  const size_t total = kept_bytes(m);
  std::shared_ptr<uint8_t[]> copy(new uint8_t[total]);
  size_t at = 0;
  auto keep = [&](std::span<const uint8_t>& b) {
    if (!b.empty()) std::memcpy(copy.get() + at, b.data(), b.size());
    b = {copy.get() + at, b.size()};
    at += b.size();
  };
  for (auto& d : m.datas) keep(d.bytes);
  for (auto& c : m.customs) keep(c.bytes);
  m.byte_storage = std::move(copy);
}

}  // namespace whirl::wasm
