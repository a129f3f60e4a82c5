// Internal to the binary decoder: value types, instruction sequences and
// function bodies (code.cc), shared with the section decoder (decoder.cc).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "wasm/binary/reader.h"
#include "wasm/module.h"

namespace whirl::wasm::binary {

// Marker the spec runner looks for to skip SIMD content as unsupported.
inline constexpr const char* kSimdUnsupported = "SIMD is not supported";
// Exception references (throw_ref, catch_ref, catch_all_ref, exnref): rejected, never run.
inline constexpr const char* kExnRefUnsupported = "exception references (exnref, throw_ref, catch_ref) are not supported";

// Implementation limits on declared locals, checked before the locals are
// expanded: per function (the limit V8 and wasmparser use as well) and for
// the whole module, so that a small binary cannot make the decoder allocate
// gigabytes ("too many locals" in the spec's sense is > 2^32 - 1 per function
// and is reported with the spec's wording first).
inline constexpr uint64_t kMaxFunctionLocals = 50000;
inline constexpr uint64_t kMaxModuleLocals = uint64_t{1} << 26;

// valtype: i32 i64 f32 f64 funcref externref (v128 is rejected as SIMD).
bool read_value_type(Reader& r, ValType& out);
// reftype: funcref or externref ("malformed reference type").
bool read_ref_type(Reader& r, ValType& out);

// Decodes instruction sequences: function bodies and constant expressions.
// Reusable scratch state lives here so that decoding many functions does not
// reallocate it.
class InstrDecoder {
 public:
  // Decodes instructions up to and including the End that closes the
  // sequence (nested blocks are tracked; Else is accepted only directly inside
  // an `if`). br_table targets are appended to `br_tables`.
  bool decode(Reader& r, std::vector<Instr>& out, std::vector<uint32_t>& br_tables);

  // Decodes one code section entry: size, locals, body. Checks that the body
  // ends exactly at the declared size. `module_locals` accumulates the
  // expanded locals of all functions for the module-wide limit.
  // The body, locals and targets are stored in `arena`.
  bool decode_function(Reader& r, Function& f, uint64_t& module_locals, Arena& arena);

  // Set when memory.init or data.drop was decoded (they need a DataCount
  // section); the caller resets it.
  bool data_index_used = false;
  // Memory indices (multi_memory) or the 2.0 encoding (zero bytes, align < 32).
  Features features;

 private:
  bool mem_index(Reader& r, uint32_t& out);
  bool block_type(Reader& r, uint64_t& imm);

  std::vector<uint8_t> ctl_;  // control stack: kinds of the open blocks
  std::vector<std::pair<uint32_t, ValType>> local_runs_;
  std::vector<ValType> locals_;
  std::vector<Instr> body_;
  std::vector<uint32_t> br_tables_;
};

}  // namespace whirl::wasm::binary
