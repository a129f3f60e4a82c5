// The decoded form of a module: what the binary decoder produces and what the
// validator, the runtime and every execution tier read. Immutable once decoded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wasm/opcodes.h"
#include "wasm/types.h"

namespace whirl::wasm {

// What the decoder and validator accept beyond WebAssembly 2.0: by default
// 3.0's multiple memories (memory indices in memargs and memory
// instructions) and the threads proposal's shared memory type (the flag
// only, no atomics). WHIRL_WASM_FEATURES=2.0 in the environment turns both
// off for the process: the 2.0 spec suite asserts what 3.0 reverses
// ("multiple memories", "zero byte expected", "malformed memop flags").
struct Features {
  bool multi_memory = true;
  bool shared_memory = true;
  bool exceptions = true;  // tags, throw, try_table (off in 2.0)
  static const Features& process_default();
  // WebAssembly 2.0 exactly: none of the above.
  static constexpr Features wasm2() { return {.multi_memory = false, .shared_memory = false, .exceptions = false}; }
};

// One decoded instruction. Immediates by ImmKind (see opcodes.h):
//   BlockType     imm = blocktype as signed s33 (int64): -64 (0x40) empty,
//                 negative = a value type byte sign-extended from 7 bits
//                 (e.g. -1 = i32), >= 0 = type index. Helper: BlockType below.
//   LabelIdx      a = label depth
//   BrTable       a = index of the first target in Function::br_tables,
//                 b = number of targets (without the default), imm = default
//   FuncIdx       a = function index
//   CallIndirect  a = type index, b = table index
//   LocalIdx/GlobalIdx/TableIdx/DataIdx/ElemIdx   a = index
//   MemArg        a = alignment exponent (log2), b = offset, imm = memory index
//   MemIdx        a = memory index
//   I32/I64       imm = value (I32 sign-extended to 64 bits is fine; the low
//                 32 bits are what count)
//   F32/F64       imm = raw IEEE bits (F32 in the low 32 bits)
//   SelectT       a = number of types (0 or 1 in 2.0), imm = the ValType byte
//   RefType       a = the ValType byte (FuncRef or ExternRef)
//   MemoryInit    a = data index, b = memory index
//   MemoryCopy    a = dst memory, b = src memory
//   TableInit     a = elem index, b = table index
//   TableCopy     a = dst table, b = src table
//   TagIdx        a = tag index (throw)
//   TryTable      imm = blocktype, a = index of the first catch in
//                 Function::br_tables, b = number of catches; each catch is
//                 three entries: kind (CatchKind), tag index, label depth
// Field order keeps it at 24 bytes: large modules hold millions of these.
struct Instr {
  uint64_t imm = 0;
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t offset = 0;  // byte offset in the module binary (for error messages)
  Op op = Op::Nop;
};
static_assert(sizeof(Instr) == 24);

// Interpretation of a BlockType immediate.
// try_table's catch clauses (their binary encoding).
enum class CatchKind : uint32_t { Catch = 0, CatchRef = 1, CatchAll = 2, CatchAllRef = 3 };

struct BlockType {
  enum Kind : uint8_t { Empty, Value, TypeIndex } kind = Empty;
  ValType value = ValType::I32;  // when kind == Value
  uint32_t type_index = 0;       // when kind == TypeIndex
  static BlockType from_imm(uint64_t imm);
  static uint64_t empty_imm() { return static_cast<uint64_t>(int64_t{-64}); }
  static uint64_t value_imm(ValType t) {
    return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(static_cast<uint8_t>(t) | 0x80)) );
  }
};

// A constant expression (global initialisers, segment offsets, element
// initialisers): a short instruction sequence ending with End.
struct ConstExpr {
  std::span<const Instr> instrs;  // in Module::expr_storage
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t func_type = 0;  // kind == Func: type index
  TableType table;         // kind == Table
  MemoryType memory;       // kind == Memory
  GlobalType global;       // kind == Global
  uint32_t tag_type = 0;   // kind == Tag: type index (exception handling, 3.0)
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
};

// Storage that never moves: chunks, each value one slice of one chunk. It
// holds a module's decoded bodies (Function's spans) and the interpreter's
// code, so a million small functions are not a million allocations (and
// their malloc overhead) of each kind.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  // T must be trivially copyable.
  template <class T>
  std::span<T> copy(const T* data, size_t n) {
    if (n == 0) return {};
    T* p = reinterpret_cast<T*>(allocate(n * sizeof(T)));
    std::memcpy(static_cast<void*>(p), data, n * sizeof(T));
    return {p, n};
  }
  template <class T>
  std::span<T> copy(const std::vector<T>& v) { return copy(v.data(), v.size()); }
  // Takes over `other`'s chunks (what was allocated there stays where it is).
  void absorb(Arena&& other) {
    for (auto& c : other.chunks_) chunks_.push_back(std::move(c));
    other.chunks_.clear();
    other.next_ = nullptr;
    other.left_ = 0;
  }

 private:
  // Chunks double from the first to the last size: a module's few
  // constant expressions take a small chunk, not a megabyte.
  static constexpr size_t kFirstChunkBytes = size_t(4) << 10;
  static constexpr size_t kChunkBytes = size_t(1) << 20;
  std::byte* allocate(size_t bytes);  // 8-byte aligned
  std::vector<std::unique_ptr<std::byte[]>> chunks_;
  std::byte* next_ = nullptr;
  size_t left_ = 0;
  size_t chunk_bytes_ = kFirstChunkBytes;  // the next chunk's
};

// A function defined in the module (not imported). Its spans point into
// Module::body_storage.
struct Function {
  uint32_t type_index = 0;
  uint32_t code_offset = 0;             // offset of the body in the binary
  std::span<const ValType> locals;      // declared locals, expanded (params not included)
  std::span<const Instr> body;          // ends with the function's final End
  std::span<const uint32_t> br_tables;  // br_table targets, see Instr
};

struct Global {
  GlobalType type;
  ConstExpr init;
};

enum class SegmentMode : uint8_t { Active, Passive, Declarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::Active;
  ValType type = ValType::FuncRef;
  uint32_t table = 0;               // active only
  ConstExpr offset;                 // active only
  std::vector<ConstExpr> inits;     // each yields one reference
};

struct DataSegment {
  SegmentMode mode = SegmentMode::Active;  // Active or Passive
  uint32_t memory = 0;
  ConstExpr offset;
  std::span<const uint8_t> bytes;  // kept alive by Module::byte_storage
};

struct CustomSection {
  std::string name;
  std::span<const uint8_t> bytes;  // kept alive by Module::byte_storage
};

struct Module {
  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<Function> functions;  // defined functions, after imported ones in the index space
  std::vector<TableType> tables;    // defined tables
  std::vector<MemoryType> memories; // defined memories
  std::vector<Global> globals;      // defined globals
  std::vector<uint32_t> tags;       // defined tags: their type indices (exception handling)
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::vector<DataSegment> datas;
  std::optional<uint32_t> data_count;  // from the DataCount section
  std::vector<CustomSection> customs;
  // Owns what data segments and custom sections point into: the loader's
  // input when the caller lends it (a large module's data and debug sections
  // are not copied), else one buffer.
  std::shared_ptr<const void> byte_storage;
  // Owns the functions' bodies, locals and br_table targets (shared by copies).
  std::shared_ptr<Arena> body_storage;
  // Owns the constant expressions (kept after load_module drops the bodies).
  std::shared_ptr<Arena> expr_storage;

  // From the "name" custom section, when present and well formed.
  std::optional<std::string> module_name;
  std::vector<std::pair<uint32_t, std::string>> func_names;  // by increasing index

  // Counts of imports by kind, filled by the decoder.
  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;
  uint32_t num_imported_tags = 0;

  // Index-space helpers (imports first, then definitions).
  uint32_t total_funcs() const { return num_imported_funcs + uint32_t(functions.size()); }
  uint32_t total_tables() const { return num_imported_tables + uint32_t(tables.size()); }
  uint32_t total_memories() const { return num_imported_memories + uint32_t(memories.size()); }
  uint32_t total_globals() const { return num_imported_globals + uint32_t(globals.size()); }
  uint32_t total_tags() const { return num_imported_tags + uint32_t(tags.size()); }
  // Type index of tag `index`; requires a valid index.
  uint32_t tag_type_index(uint32_t index) const;
  // Type index of function `index` in the function index space; requires a valid index.
  uint32_t func_type_index(uint32_t index) const;
  TableType table_type(uint32_t index) const;
  MemoryType memory_type(uint32_t index) const;
  GlobalType global_type(uint32_t index) const;
  // Name from the name section, or empty.
  std::string func_name(uint32_t index) const;
};

}  // namespace whirl::wasm
