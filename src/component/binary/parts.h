// Decoder internals shared by decoder.cc, type_decoder.cc and
// canon_decoder.cc: one function per grammar production of Binary.md.
#pragma once

#include "component/ast.h"
#include "component/binary/reader.h"

namespace whirl::component::binary {

// Raises the reader's nesting depth for a scope (kMaxNesting).
class Nest {
 public:
  explicit Nest(Reader& r);
  ~Nest() { --r_.depth; }
  Nest(const Nest&) = delete;
  Nest& operator=(const Nest&) = delete;

 private:
  Reader& r_;
};

ValTypeRef read_valtype(Reader& r);
std::optional<ValTypeRef> read_resultlist(Reader& r);
wasm::ValType read_core_valtype(Reader& r);
// sort (0x00 core:sort | 0x01..0x05); `what` names it in errors.
Sort read_sort(Reader& r, const char* what);
Sort read_core_sort(Reader& r, const char* what);
AttributedName read_extern_name(Reader& r);
ExternType read_extern_type(Reader& r);
Alias read_alias(Reader& r);
std::shared_ptr<const CoreType> read_core_type(Reader& r);
std::shared_ptr<const TypeDef> read_type(Reader& r);
Canon read_canon(Reader& r);

}  // namespace whirl::component::binary
