// Opcode identifiers and their static properties, generated from opcodes.def.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace whirl::wasm {

enum class Op : uint16_t {
#define WASM_OP(name, prefix, code, imm, text, p0, p1, r, mem) name,
#include "wasm/opcodes.def"
#undef WASM_OP
  Count_
};
constexpr size_t kOpCount = static_cast<size_t>(Op::Count_);

// How an instruction's immediates are encoded (binary) and written (text).
enum class ImmKind : uint8_t {
  None,
  BlockType,     // blocktype (s33): empty, a value type or a type index
  LabelIdx,      // br, br_if
  BrTable,       // vec(labelidx) labelidx
  FuncIdx,       // call, ref.func
  CallIndirect,  // typeidx tableidx
  LocalIdx,
  GlobalIdx,
  TableIdx,      // table.get/set/grow/size/fill
  MemArg,        // align (log2) offset
  MemIdx,        // memory.size/grow/fill: a memory index (must be 0 byte in 2.0)
  I32,
  I64,
  F32,
  F64,
  SelectT,       // vec(valtype)
  RefType,       // ref.null: heap type
  MemoryInit,    // dataidx memidx
  DataIdx,       // data.drop
  MemoryCopy,    // memidx memidx
  TableInit,     // elemidx tableidx
  ElemIdx,       // elem.drop
  TableCopy,     // tableidx(dst) tableidx(src)
  TagIdx,        // throw
  TryTable,      // blocktype vec(catch)
};

// Operand typing for the validator: Special ops are typed by hand.
enum class SigType : uint8_t { X, I32, I64, F32, F64, Special };

struct OpInfo {
  Op op;
  uint8_t prefix;   // 0 or 0xFC
  uint32_t code;    // byte after the prefix (or the opcode byte)
  ImmKind imm;
  std::string_view text;
  SigType p0, p1, result;
  uint8_t mem_bytes;  // loads/stores: access width in bytes
};

const OpInfo& op_info(Op op);
// Binary lookup: prefix 0 with the single byte, or 0xFC with the u32 sub-opcode.
std::optional<Op> op_from_code(uint8_t prefix, uint32_t code);
// Text lookup by mnemonic ("i32.add"). "select" maps to Op::Select.
std::optional<Op> op_from_text(std::string_view text);

}  // namespace whirl::wasm
