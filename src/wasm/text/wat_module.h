// Translation of a text module (s-expression tree) into the binary format.
// Internal to the text library.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/expected.h"
#include "wasm/text/sexpr.h"
#include "wasm/text/writer.h"
#include "wasm/types.h"

namespace whirl::wasm::text {

// One index space with its $names.
struct Space {
  const char* kind;  // "func", "table", ... for messages
  std::map<std::string, uint32_t> ids;
  uint32_t count = 0;
};

struct Fail {
  std::string message;
};

class WatModule {
 public:
  // `fields`: the module fields (children of "(module $id?" after the id).
  Expected<std::vector<uint8_t>> translate(const std::vector<const Node*>& fields);

 private:
  friend class FuncBody;
  struct Import {
    std::string module, name;
    ExternKind kind;
    uint32_t type = 0;
    TableType table;
    MemoryType memory;
    GlobalType global;
  };
  struct Func {
    const Node* node;
    size_t body_start;  // index of the first local/instruction child
    uint32_t type;
    std::vector<std::string> param_ids;  // "" when unnamed
  };
  struct Global {
    const Node* node;
    size_t init_start;
    GlobalType type;
  };
  struct Export {
    std::string name;
    ExternKind kind;
    const Node* ref;     // index node, or null when `index` is set
    uint32_t index = 0;
  };
  struct Elem {
    const Node* node;
    enum { Active, Passive, Declare } mode = Active;
    const Node* table = nullptr;  // null = table 0 (or `table_index`)
    uint32_t table_index = 0;
    const Node* offset = nullptr;  // (offset ...) list or a folded expr
    ValType type = ValType::FuncRef;
    std::vector<const Node*> funcs;  // function references
    std::vector<const Node*> exprs;  // element expressions
  };
  struct Data {
    const Node* node;
    bool active = true;
    uint32_t memory = 0;
    const Node* memory_ref = nullptr;
    const Node* offset = nullptr;
    std::string bytes;
  };

  // Pass 1: declarations.
  void declare_types(const std::vector<const Node*>& fields);
  void declare(const Node& field);
  void declare_func(const Node& f);
  void declare_table(const Node& f);
  void declare_memory(const Node& f);
  void declare_global(const Node& f);
  void declare_tag(const Node& f);
  void declare_import(const Node& f);
  void declare_elem(const Node& f);
  void declare_data(const Node& f);
  size_t inline_exports(const Node& f, size_t i, ExternKind kind, uint32_t index);
  bool inline_import(const Node& f, size_t& i, std::string& module, std::string& name);
  void bind(Space& s, const Node& f, size_t& i);
  void note_import(ExternKind kind, const Node& at);
  void note_definition(ExternKind kind);

  // Shared parsing helpers.
 public:
  [[noreturn]] void fail(const Node& at, const std::string& what);
  uint32_t resolve(Space& s, const Node& ref);
  ValType val_type(const Node& n);
  ValType ref_type(const Node& n);
  Limits limits(const Node& parent, size_t& i, uint64_t max);
  MemoryType memory_type(const Node& parent, size_t& i);  // limits, then shared/unshared
  GlobalType global_type(const Node& n);
  // Parses a typeuse at children[i..]: (type x)? (param ...)* (result ...)*.
  // Returns the type index (found or appended); fills parameter ids.
  uint32_t type_use(const Node& parent, size_t& i, std::vector<std::string>* param_ids, bool allow_param_ids);
  uint32_t find_or_add_type(const FuncType& t);
  std::vector<FuncType> types_;
  Space type_space{"type", {}, 0}, func_space{"func", {}, 0}, table_space{"table", {}, 0},
      memory_space{"memory", {}, 0}, global_space{"global", {}, 0}, elem_space{"elem", {}, 0},
      data_space{"data", {}, 0}, tag_space{"tag", {}, 0};
  bool uses_data_count_ = false;

 private:
  // Pass 2: encoding.
  void encode_const_expr(const Node& parent, size_t start, Writer& w, size_t end = SIZE_MAX);
  void encode_func(const Func& f, Writer& w);

  std::vector<Import> imports_;
  std::vector<Func> funcs_;
  std::vector<TableType> tables_;
  std::vector<MemoryType> memories_;
  std::vector<Global> globals_;
  std::vector<uint32_t> tags_;  // defined tags' type indices
  std::vector<Export> exports_;
  const Node* start_ = nullptr;
  std::vector<Elem> elems_;
  std::vector<Data> datas_;
  std::map<uint32_t, std::string> func_names_;
  bool seen_definition_ = false;
  const char* first_definition_ = "";
};

// Encodes instructions children[start..end) of `parent` (plain or folded).
// `locals` maps local ids to indices. Implemented in wat_instrs.cc.
void encode_instrs(WatModule& m, const Node& parent, size_t start, size_t end,
                   const std::map<std::string, uint32_t>& locals, Writer& w);

}  // namespace whirl::wasm::text
