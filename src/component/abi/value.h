// Component values: what the Canonical ABI lifts out of a component and
// lowers into one, independent of any memory. One plain struct whose `kind`
// (the value type's kind) says which members hold the value; see the table
// on `Value`. Printed as WAVE (the wasm-value text encoding wasmtime uses).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "component/types.h"

namespace whirl::component::abi {

// Where a string came from, as definitions.py's String triple keeps it: the
// `string-encoding` of the side that lifted it (latin1+utf16 split by its
// UTF-16 tag). Lowering takes a different path (and different realloc
// calls) per source encoding, so this travels with the text. Values made on
// the host are Utf8. Equality ignores it.
enum class StringSource : uint8_t { Utf8, Utf16, CompactLatin1, CompactUtf16 };

// | kind                     | members                                                   |
// |--------------------------|-----------------------------------------------------------|
// | Bool                     | b                                                         |
// | S8 S16 S32 S64           | s                                                         |
// | U8 U16 U32 U64           | u                                                         |
// | F32 / F64                | f32 / f64                                                 |
// | Char                     | u (the code point)                                        |
// | String                   | str (UTF-8), source                                       |
// | List, Tuple              | items; a list<u8> may be in bytes form instead (below)    |
// | Map                      | items, each a Tuple (key, value)                          |
// | Record                   | items (field values in type order), labels (field names) |
// | Variant, Enum            | label (the case), items (payload: 0 or 1 values)          |
// | Option                   | items: none = empty, some = 1 value                       |
// | Result                   | is_err, items (payload: 0 or 1 values)                    |
// | Flags                    | labels (the flags that are set)                           |
// | Own, Borrow              | u (handle index or representation, see lift_lower.h)     |
struct Value {
  TypeKind kind = TypeKind::Bool;
  bool b = false;
  bool is_err = false;
  int64_t s = 0;
  uint64_t u = 0;
  float f32 = 0;
  double f64 = 0;
  StringSource source = StringSource::Utf8;
  std::string str;
  std::string label;
  std::vector<std::string> labels;
  std::vector<Value> items;
  // A list<u8> whose elements are the bytes of `str` rather than `items`:
  // what lifting makes of a list<u8> (file contents, HTTP bodies), one
  // copy instead of a Value per byte. Lowering takes either form.
  bool bytes_form = false;

  static Value boolean(bool v);
  static Value sint(TypeKind k, int64_t v);   // S8..S64
  static Value uint(TypeKind k, uint64_t v);  // U8..U64
  static Value float32(float v);
  static Value float64(double v);
  static Value character(uint32_t code_point);
  static Value string(std::string utf8, StringSource source = StringSource::Utf8);
  static Value list(std::vector<Value> items);
  static Value byte_list(std::string bytes);  // a list<u8> in bytes form
  static Value tuple(std::vector<Value> items);
  static Value record(std::vector<std::pair<std::string, Value>> fields);
  static Value variant(std::string label);
  static Value variant(std::string label, Value payload);
  static Value enumeration(std::string label);
  static Value none();
  static Value some(Value v);
  static Value ok();
  static Value ok(Value v);
  static Value err();
  static Value err(Value v);
  static Value flags(std::vector<std::string> set);
  static Value own(uint32_t h);
  static Value borrow(uint32_t h);

  const Value* payload() const { return items.empty() ? nullptr : &items[0]; }
  size_t list_size() const { return bytes_form ? str.size() : items.size(); }
  // The elements of a list<u8>, in either form, as bytes.
  std::string list_bytes() const;
};

// Structural equality; floats compare by value, all NaNs equal; flags as
// sets; the string source is ignored.
bool operator==(const Value& a, const Value& b);
inline bool operator!=(const Value& a, const Value& b) { return !(a == b); }

// WAVE text: `true`, `-3`, `1.5`, `nan`, `'x'`, `"h\u{e9}llo"` (escapes for
// quotes, backslash and control characters only), `[1, 2]`, `(1, "a")`,
// `{a: 1, b: "x"}`, `none`, `some(3)`, `ok`, `err("x")`, `red`,
// `circle(2.0)`, `{read, write}`, `own(3)`, `borrow(1)`.
std::string to_string(const Value& v);

}  // namespace whirl::component::abi
