// Loads an x86-64 ELF relocatable object (a `.o` as LLVM emits it in memory,
// stored by the AOT tier as a cache artifact) into executable memory and
// links it, without LLVM.
//
// The object is laid out in one anonymous mapping: executable sections (and
// the stubs for calls to host functions) in the first page-aligned range,
// read-only data (.rodata*, .data.rel.ro*, and the GOT) in the next, writable
// data (.data*, .bss) in the last; after relocation they are mapped r-x, r--
// and rw-. .eh_frame and non-SHF_ALLOC sections are not loaded and their
// relocations are skipped. RELA relocations R_X86_64_{64,PC64,PC32,PLT32,32,
// 32S,GOTPCREL,GOTPCRELX,REX_GOTPCRELX} are applied; 32-bit fields are
// overflow-checked. A PC32/PLT32 reference to an undefined (host) symbol that
// is out of ±2 GiB goes through an 8-byte stub `jmp *slot(%rip)` (so host
// *data* must be referenced through the GOT, i.e. -fPIC / GOTPCREL, or be
// in range). An object whose absolute 32-bit relocations (non-PIC code:
// jump tables, `movl $sym`) overflow is mapped again in the low 2 GiB.
//
// Not supported, each a named error: other relocation types (e.g. the large
// code model's), REL sections, TLS, static constructors, common symbols.
//
// The input may be a damaged file: every offset, size and index read from it
// is checked, and a bad object is an Error, never a crash. (Damage that still
// parses loads, and its code may be wrong: the caller's hash check is what
// rejects that.)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace whirl::wasm::aot {

// Resolves an undefined symbol the object references ("memcpy", "fmod", a
// runtime helper) to its address, or 0 if it is not allowed. Called once per
// referenced undefined symbol; a weak undefined symbol may resolve to 0.
using SymbolResolver = std::function<uintptr_t(std::string_view name)>;

// A loaded and linked object. Owns the mapping (unmapped on destruction).
class LoadedObject {
 public:
  ~LoadedObject();
  LoadedObject(const LoadedObject&) = delete;
  LoadedObject& operator=(const LoadedObject&) = delete;

  // Address of a named symbol defined in a loaded section (function, object
  // or untyped; a global wins over a local of the same name), or 0.
  uintptr_t symbol(std::string_view name) const;

  // Whether pc lies in the loaded code (stubs included). Async-signal-safe:
  // for the SIGSEGV handler.
  bool contains_code(uintptr_t pc) const { return pc - code_begin_ < code_size_; }

  // The function symbol (STT_FUNC, by address and st_size) containing pc, or
  // "". For backtraces; not async-signal-safe (the first call sorts the
  // functions by address, which most loads never need).
  std::string_view function_at(uintptr_t pc) const;

  // The named symbols symbol() finds, in symbol table order (locals first;
  // a name may repeat): for building an index without a lookup per name.
  struct Symbol {
    std::string_view name;  // valid as long as this object
    uintptr_t addr;
    uint64_t size;
    bool local;
    bool function;  // STT_FUNC
  };
  std::span<const Symbol> symbols() const { return symbols_; }

  // The loaded code range and the whole mapping.
  std::span<const uint8_t> code() const { return {reinterpret_cast<const uint8_t*>(code_begin_), code_size_}; }
  size_t mapped_size() const { return size_; }

 private:
  friend struct ElfLoader;
  LoadedObject() = default;
  void* base_ = nullptr;
  size_t size_ = 0;
  uintptr_t code_begin_ = 0;
  size_t code_size_ = 0;
  std::unique_ptr<char[]> strtab_;   // copy of the object's .strtab
  std::vector<Symbol> symbols_;      // names point into strtab_
  struct Slot {
    uint32_t hash;
    uint32_t index;  // into symbols_, + 1; 0: empty
  };
  std::vector<Slot> table_;          // open-addressing hash table of symbols_ by name
  struct Function {
    uintptr_t addr;
    uint32_t symbol;  // index into symbols_
  };
  mutable std::vector<Function> functions_;  // STT_FUNC symbols, sorted by address on first use
  mutable std::once_flag functions_sorted_;
};

// Loads and links `object`, resolving its undefined symbols through
// `resolve`. Errors read like "not an ELF x86-64 relocatable object
// (e_machine 183)", "section 7 (.rela.text) out of bounds", "unsupported
// relocation type 42 in section 4 (.rela.text)", "undefined symbol 'foo'".
Expected<std::unique_ptr<LoadedObject>> load_elf_object(std::span<const uint8_t> object,
                                                        const SymbolResolver& resolve);

}  // namespace whirl::wasm::aot
