// S-expression reader for the text format: tokens grouped into a tree.
// Comments and whitespace are dropped; every node keeps its position.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace whirl::wasm::text {

struct Node {
  enum class Kind : uint8_t { List, Atom, Id, String };
  Kind kind = Kind::Atom;
  std::string text;            // Atom/Id: the token ($ included for Id); String: decoded bytes
  std::vector<Node> children;  // List
  uint32_t line = 1, col = 1;
  size_t begin = 0, end = 0;   // byte range in the source (List: '(' .. ')')

  bool is_list() const { return kind == Kind::List; }
  bool is_atom(std::string_view s) const { return kind == Kind::Atom && text == s; }
  // A list whose first element is the keyword `head`.
  bool is_list(std::string_view head) const {
    return kind == Kind::List && !children.empty() && children[0].is_atom(head);
  }
  std::string where() const { return std::to_string(line) + ":" + std::to_string(col); }
};

// Reads all top-level nodes. Nesting deeper than a fixed bound is an error.
Expected<std::vector<Node>> read_sexprs(std::string_view source);

// True when the string's bytes are valid UTF-8.
bool valid_utf8(std::string_view s);

}  // namespace whirl::wasm::text
