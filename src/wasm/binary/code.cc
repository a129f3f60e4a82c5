// Instruction decoding: opcode lookup from the shared opcode table, immediates
// by ImmKind (see module.h for where each immediate goes), block structure,
// locals and function bodies.
#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "wasm/binary/code.h"
#include "wasm/binary/decoder.h"
#include "wasm/opcodes.h"

namespace whirl::wasm::binary {
namespace {

struct OpEntry {
  Op op = Op::Nop;
  ImmKind imm = ImmKind::None;
  bool valid = false;
};

// Byte -> opcode for single-byte opcodes, and sub-opcode -> opcode for the
// 0xFC prefix, both expanded from opcodes.def at compile time.
constexpr size_t kFcTableSize = 32;

constexpr std::array<OpEntry, 256> make_single_table() {
  std::array<OpEntry, 256> t{};
#define WASM_OP(name, prefix, code, imm, text, p0, p1, r, mem) \
  if ((prefix) == 0) t[(code)] = OpEntry{Op::name, ImmKind::imm, true};
#include "wasm/opcodes.def"
#undef WASM_OP
  return t;
}

constexpr std::array<OpEntry, kFcTableSize> make_fc_table() {
  std::array<OpEntry, kFcTableSize> t{};
#define WASM_OP(name, prefix, code, imm, text, p0, p1, r, mem) \
  if ((prefix) == 0xfc && (code) < kFcTableSize) t[(code)] = OpEntry{Op::name, ImmKind::imm, true};
#include "wasm/opcodes.def"
#undef WASM_OP
  return t;
}

constexpr auto kSingle = make_single_table();
constexpr auto kFc = make_fc_table();

// Control stack entries.
constexpr uint8_t kPlain = 0;  // function level, block, loop, or if after its else
constexpr uint8_t kIf = 1;     // if without else yet

std::string hex_byte(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02x", v);
  return buf;
}

bool is_value_type_byte(uint8_t b) {
  switch (b) {
    case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x70: case 0x6f: return true;
    default: return false;
  }
}

bool simd_unsupported(Reader& r, size_t offset, const char* what) {
  return r.fail(offset, std::string(kSimdUnsupported) + " (" + what + ")");
}

bool zero_byte(Reader& r) {
  uint8_t b = 0;
  if (!r.u8(b)) return false;
  if (b != 0) return r.fail(r.pos() - 1, "zero byte expected");
  return true;
}

}  // namespace

// The reference interpreter reads type bytes as s7 LEB128: a byte with the
// continuation bit is "integer representation too long" whatever follows.
bool read_value_type(Reader& r, ValType& out) {
  uint8_t b = 0;
  if (!r.u8(b)) return false;
  if (is_value_type_byte(b)) {
    out = static_cast<ValType>(b);
    return true;
  }
  if (b == 0x7b) return simd_unsupported(r, r.pos() - 1, "v128 value type");
  if (b & 0x80) return r.fail_here(kTooLong);
  return r.fail(r.pos() - 1, "malformed reference type");
}

bool read_ref_type(Reader& r, ValType& out) {
  uint8_t b = 0;
  if (!r.u8(b)) return false;
  if (b == 0x70 || b == 0x6f) {
    out = static_cast<ValType>(b);
    return true;
  }
  if (b & 0x80) return r.fail_here(kTooLong);
  return r.fail(r.pos() - 1, "malformed reference type");
}

// blocktype: 0x40 (empty), a value type, or a type index as a non-negative
// s33. Anything else fails the way the reference interpreter's last
// alternative (a value type) fails: "malformed reference type", or "integer
// representation too long" for a multi-byte encoding.
bool InstrDecoder::block_type(Reader& r, uint64_t& imm) {
  uint8_t c = 0;
  if (!r.peek(c)) return r.fail_eos();
  if (c == 0x40) {
    r.skip(1);
    imm = BlockType::empty_imm();
    return true;
  }
  if (is_value_type_byte(c)) {
    r.skip(1);
    imm = BlockType::value_imm(static_cast<ValType>(c));
    return true;
  }
  if (c == 0x7b) return simd_unsupported(r, r.pos(), "v128 block type");
  if (c < 0x40) {  // one-byte type index
    r.skip(1);
    imm = c;
    return true;
  }
  size_t start = r.pos();
  if (c & 0x80) {
    int64_t v = 0;
    if (r.s33(v) && v >= 0) {
      imm = static_cast<uint64_t>(v);
      return true;
    }
    r.rewind(start);
    return r.fail(start + 1, kTooLong);
  }
  return r.fail(start, "malformed reference type");
}

bool InstrDecoder::mem_index(Reader& r, uint32_t& out) {
  if (features.multi_memory) return r.u32(out);
  out = 0;
  return zero_byte(r);
}

bool InstrDecoder::decode(Reader& r, std::vector<Instr>& out, std::vector<uint32_t>& br_tables) {
  ctl_.clear();
  ctl_.push_back(kPlain);
  for (;;) {
    // Filled in place: building an Instr on the stack and copying it in
    // stalls on store forwarding (narrow field stores, wide loads).
    Instr& in = out.emplace_back();
    in.offset = static_cast<uint32_t>(r.pos());
    uint8_t b = 0;
    if (!r.u8(b)) return false;
    OpEntry e;
    if (b == 0xfc) {
      uint32_t sub = 0;
      if (!r.u32(sub)) return false;
      if (sub >= kFcTableSize || !kFc[sub].valid)
        return r.fail(in.offset, "illegal opcode fc " + hex_byte(sub));
      e = kFc[sub];
    } else if (b == 0xfd) {
      return simd_unsupported(r, in.offset, "prefix 0xfd");
    } else {
      e = kSingle[b];
      if (!e.valid || (!features.exceptions && (b == 0x08 || b == 0x0a || b == 0x1f)))
        return r.fail(in.offset, "illegal opcode " + hex_byte(b));
      if (b == 0x0a) return r.fail(in.offset, kExnRefUnsupported);
    }
    in.op = e.op;
    switch (e.imm) {
      case ImmKind::None:
        if (b == 0x0b) {  // end
          ctl_.pop_back();
          if (ctl_.empty()) return true;
          continue;
        }
        if (b == 0x05) {  // else: only directly inside an if
          if (ctl_.back() != kIf) return r.fail(in.offset, "END opcode expected");
          ctl_.back() = kPlain;
        }
        break;
      case ImmKind::BlockType:
        if (!block_type(r, in.imm)) return false;
        if (ctl_.size() > kMaxNestingDepth)
          return r.fail(in.offset, "blocks nested too deeply (implementation limit: " +
                                       std::to_string(kMaxNestingDepth) + " levels)");
        ctl_.push_back(b == 0x04 ? kIf : kPlain);
        break;
      case ImmKind::TryTable: {
        if (!block_type(r, in.imm)) return false;
        if (ctl_.size() > kMaxNestingDepth)
          return r.fail(in.offset, "blocks nested too deeply (implementation limit: " +
                                       std::to_string(kMaxNestingDepth) + " levels)");
        ctl_.push_back(kPlain);
        uint32_t n = 0;
        if (!r.len32(n)) return false;
        in.a = static_cast<uint32_t>(br_tables.size());
        in.b = n;
        for (uint32_t i = 0; i < n; ++i) {
          uint8_t kind = 0;
          uint32_t tag = 0, label = 0;
          if (!r.u8(kind)) return false;
          if (kind > 3) return r.fail(r.pos() - 1, "malformed catch clause");
          if (kind == 1 || kind == 3) return r.fail(r.pos() - 1, kExnRefUnsupported);
          if (kind == 0 && !r.u32(tag)) return false;
          if (!r.u32(label)) return false;
          br_tables.push_back(kind);
          br_tables.push_back(tag);
          br_tables.push_back(label);
        }
        break;
      }
      case ImmKind::TagIdx:
      case ImmKind::LabelIdx:
      case ImmKind::FuncIdx:
      case ImmKind::LocalIdx:
      case ImmKind::GlobalIdx:
      case ImmKind::TableIdx:
      case ImmKind::ElemIdx:
        if (!r.u32(in.a)) return false;
        break;
      case ImmKind::DataIdx:
        if (!r.u32(in.a)) return false;
        data_index_used = true;
        break;
      case ImmKind::BrTable: {
        uint32_t n = 0;
        if (!r.len32(n)) return false;
        in.a = static_cast<uint32_t>(br_tables.size());
        in.b = n;
        br_tables.reserve(br_tables.size() + n);
        for (uint32_t i = 0; i < n; ++i) {
          uint32_t target = 0;
          if (!r.u32(target)) return false;
          br_tables.push_back(target);
        }
        uint32_t def = 0;
        if (!r.u32(def)) return false;
        in.imm = def;
        break;
      }
      case ImmKind::CallIndirect:
      case ImmKind::TableInit:
      case ImmKind::TableCopy:
        if (!r.u32(in.a) || !r.u32(in.b)) return false;
        break;
      case ImmKind::MemArg: {
        // Flags: the alignment exponent, bit 6 set when a memory index
        // follows (3.0); 2.0 has exponents below 32 only.
        if (!r.u32(in.a)) return false;
        if (in.a >= (features.multi_memory ? 128u : 32u)) return r.fail(r.pos() - 1, "malformed memop flags");
        if (in.a & 64) {
          uint32_t mem = 0;
          if (!r.u32(mem)) return false;
          in.imm = mem;
          in.a &= 63;
        }
        if (!r.u32(in.b)) return false;
        break;
      }
      case ImmKind::MemIdx:
        if (!mem_index(r, in.a)) return false;
        break;
      case ImmKind::MemoryInit:
        if (!r.u32(in.a) || !mem_index(r, in.b)) return false;
        data_index_used = true;
        break;
      case ImmKind::MemoryCopy:
        if (!mem_index(r, in.a) || !mem_index(r, in.b)) return false;
        break;
      case ImmKind::I32: {
        int32_t v = 0;
        if (!r.s32(v)) return false;
        in.imm = static_cast<uint64_t>(static_cast<int64_t>(v));
        break;
      }
      case ImmKind::I64: {
        int64_t v = 0;
        if (!r.s64(v)) return false;
        in.imm = static_cast<uint64_t>(v);
        break;
      }
      case ImmKind::F32: {
        uint32_t bits = 0;
        if (!r.fixed32(bits)) return false;
        in.imm = bits;
        break;
      }
      case ImmKind::F64:
        if (!r.fixed64(in.imm)) return false;
        break;
      case ImmKind::SelectT: {
        uint32_t n = 0;
        if (!r.len32(n)) return false;
        in.a = n;
        for (uint32_t i = 0; i < n; ++i) {
          ValType t;
          if (!read_value_type(r, t)) return false;
          if (i == 0) in.imm = static_cast<uint8_t>(t);
        }
        break;
      }
      case ImmKind::RefType: {
        ValType t;
        if (!read_ref_type(r, t)) return false;
        in.a = static_cast<uint8_t>(t);
        break;
      }
    }
  }
}

bool InstrDecoder::decode_function(Reader& r, Function& f, uint64_t& module_locals, Arena& arena) {
  uint32_t size = 0;
  size_t at = r.pos();
  if (!r.len32(size)) return false;
  if (size > kMaxFunctionBodySize)
    return r.fail(at, "function body too large: " + std::to_string(size) + " bytes (implementation limit: " +
                          std::to_string(kMaxFunctionBodySize) + ")");
  size_t start = r.pos();
  f.code_offset = static_cast<uint32_t>(start);

  // Locals: vec((count, type)); the total must stay below 2^32.
  uint32_t runs = 0;
  if (!r.len32(runs)) return false;
  local_runs_.clear();
  local_runs_.reserve(std::min<size_t>(runs, size / 2 + 1));  // a run takes 2 bytes or more
  uint64_t total = 0;
  for (uint32_t i = 0; i < runs; ++i) {
    uint32_t count = 0;
    ValType t;
    if (!r.u32(count) || !read_value_type(r, t)) return false;
    total += count;
    local_runs_.emplace_back(count, t);
  }
  if (total > 0xffffffffull) return r.fail(start, "too many locals");
  if (total > kMaxFunctionLocals)
    return r.fail(start, "too many locals (implementation limit: " +
                             std::to_string(kMaxFunctionLocals) + " per function)");
  module_locals += total;
  if (module_locals > kMaxModuleLocals)
    return r.fail(start, "too many locals (implementation limit: " +
                             std::to_string(kMaxModuleLocals) + " per module)");
  locals_.clear();
  for (const auto& [count, t] : local_runs_) locals_.insert(locals_.end(), count, t);
  f.locals = arena.copy(locals_);

  // Decode into warm scratch buffers, then copy into the module's arena:
  // the instruction count is not known up front, and growing or over-
  // reserving final vectors costs far more (fresh pages) than the copy.
  body_.clear();
  br_tables_.clear();
  if (!decode(r, body_, br_tables_)) return false;
  if (r.pos() != start + size) return r.fail(start, "section size mismatch");
  f.body = arena.copy(body_);
  f.br_tables = arena.copy(br_tables_);
  return true;
}

}  // namespace whirl::wasm::binary
