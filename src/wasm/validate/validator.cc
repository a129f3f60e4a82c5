// Module-level validation: types, imports, definitions, segments, exports,
// start, constant expressions; function bodies in func_validator.cc.
#include "wasm/validate/validator.h"

#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>

#include "platform/parallel.h"
#include "wasm/validate/context.h"

namespace whirl::wasm {
namespace {

Unexpected<Error> fail(const std::string& where, const std::string& what) { return make_error(where + ": " + what); }

Expected<void> check_limits(const Limits& l, uint64_t bound, const char* too_big, const std::string& where) {
  if (l.min > bound || (l.max && *l.max > bound)) return fail(where, too_big);
  if (l.max && l.min > *l.max) return fail(where, "size minimum must not be greater than maximum");
  return {};
}

bool known_value_type(ValType t) {
  switch (t) {
    case ValType::I32: case ValType::I64: case ValType::F32: case ValType::F64:
    case ValType::FuncRef: case ValType::ExternRef: return true;
    default: return false;
  }
}
Expected<void> check_value_type(ValType t, const std::string& where) {
  if (known_value_type(t)) return {};
  return fail(where, "SIMD is not supported (v128)");
}
// For the many types of a function's locals or a type's parameters: the
// message is only built on failure (one string per local cost seconds for a
// module of 2^26 locals).
Expected<void> check_value_types(std::span<const ValType> ts, const char* what, size_t index) {
  for (ValType t : ts)
    if (!known_value_type(t)) return check_value_type(t, what + std::to_string(index));
  return {};
}

// A constant expression: t.const, ref.null, ref.func, global.get of an
// imported immutable global; exactly one value of `expected` type.
Expected<void> check_const(const ValidationContext& c, const ConstExpr& e, ValType expected, const std::string& where) {
  const Module& m = c.module;
  std::vector<ValType> stack;
  for (const Instr& in : e.instrs) {
    switch (in.op) {
      case Op::I32Const: stack.push_back(ValType::I32); break;
      case Op::I64Const: stack.push_back(ValType::I64); break;
      case Op::F32Const: stack.push_back(ValType::F32); break;
      case Op::F64Const: stack.push_back(ValType::F64); break;
      case Op::RefNull: stack.push_back(static_cast<ValType>(in.a)); break;
      case Op::RefFunc:
        if (in.a >= m.total_funcs()) return fail(where, "unknown function " + std::to_string(in.a));
        stack.push_back(ValType::FuncRef);
        break;
      case Op::GlobalGet: {
        if (in.a >= m.num_imported_globals) return fail(where, "unknown global " + std::to_string(in.a));
        GlobalType g = m.global_type(in.a);
        if (g.mut) return fail(where, "constant expression required");
        stack.push_back(g.type);
        break;
      }
      case Op::End:
        if (stack.size() != 1 || stack[0] != expected)
          return fail(where, std::string("type mismatch: constant expression must produce one ") + to_string(expected));
        return {};
      default: return fail(where, "constant expression required");
    }
  }
  return fail(where, "constant expression required");
}

void collect_refs(const ConstExpr& e, std::unordered_set<uint32_t>& refs) {
  for (const Instr& in : e.instrs)
    if (in.op == Op::RefFunc) refs.insert(in.a);
}

Expected<void> check_memory_type(const MemoryType& t, const std::string& where) {
  WHIRL_TRY(check_limits(t.limits, kMaxPages, "memory size must be at most 65536 pages (4GiB)", where));
  if (t.shared && !t.limits.max) return fail(where, "shared memory must have maximum");
  return {};
}

// A tag's type: a function type without results.
Expected<void> check_tag_type(const Module& m, uint32_t type, const std::string& where) {
  if (type >= m.types.size()) return fail(where, "unknown type " + std::to_string(type));
  if (!m.types[type].results.empty()) return fail(where, "non-empty tag result type");
  return {};
}

}  // namespace

Expected<void> validate_module(const Module& m, const Features& features, bool bodies) {
  ValidationContext c{m, {}};
  for (size_t i = 0; i < m.types.size(); ++i) {
    WHIRL_TRY(check_value_types(m.types[i].params, "type ", i));
    WHIRL_TRY(check_value_types(m.types[i].results, "type ", i));
  }
  for (size_t i = 0; i < m.imports.size(); ++i) {
    const Import& imp = m.imports[i];
    std::string where = "import " + std::to_string(i) + " \"" + imp.module + "\" \"" + imp.name + "\"";
    switch (imp.kind) {
      case ExternKind::Func:
        if (imp.func_type >= m.types.size()) return fail(where, "unknown type " + std::to_string(imp.func_type));
        break;
      case ExternKind::Table:
        WHIRL_TRY(check_limits(imp.table.limits, 0xffffffffu, "table size must be at most 2^32-1", where));
        break;
      case ExternKind::Memory: WHIRL_TRY(check_memory_type(imp.memory, where)); break;
      case ExternKind::Global: WHIRL_TRY(check_value_type(imp.global.type, where)); break;
      case ExternKind::Tag: WHIRL_TRY(check_tag_type(m, imp.tag_type, where)); break;
    }
  }
  for (size_t i = 0; i < m.functions.size(); ++i)
    if (m.functions[i].type_index >= m.types.size())
      return fail("func " + std::to_string(m.num_imported_funcs + i), "unknown type " + std::to_string(m.functions[i].type_index));
  for (size_t i = 0; i < m.tables.size(); ++i)
    WHIRL_TRY(check_limits(m.tables[i].limits, 0xffffffffu, "table size must be at most 2^32-1", "table " + std::to_string(i)));
  for (size_t i = 0; i < m.memories.size(); ++i)
    WHIRL_TRY(check_memory_type(m.memories[i], "memory " + std::to_string(m.num_imported_memories + i)));
  if (!features.multi_memory && m.total_memories() > 1) return fail("module", "multiple memories");
  for (size_t i = 0; i < m.tags.size(); ++i)
    WHIRL_TRY(check_tag_type(m, m.tags[i], "tag " + std::to_string(m.num_imported_tags + i)));

  // C.refs: every ref.func outside function bodies.
  for (const auto& g : m.globals) collect_refs(g.init, c.declared_refs);
  for (const auto& e : m.elems)
    for (const auto& init : e.inits) collect_refs(init, c.declared_refs);
  for (const auto& ex : m.exports)
    if (ex.kind == ExternKind::Func) c.declared_refs.insert(ex.index);

  for (size_t i = 0; i < m.globals.size(); ++i) {
    std::string where = "global " + std::to_string(m.num_imported_globals + i);
    WHIRL_TRY(check_value_type(m.globals[i].type.type, where));
    WHIRL_TRY(check_const(c, m.globals[i].init, m.globals[i].type.type, where));
  }
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const ElemSegment& e = m.elems[i];
    std::string where = "elem " + std::to_string(i);
    if (e.mode == SegmentMode::Active) {
      if (e.table >= m.total_tables()) return fail(where, "unknown table " + std::to_string(e.table));
      if (m.table_type(e.table).elem != e.type) return fail(where, "type mismatch: segment and table element types differ");
      WHIRL_TRY(check_const(c, e.offset, ValType::I32, where));
    }
    for (const auto& init : e.inits) WHIRL_TRY(check_const(c, init, e.type, where));
  }
  for (size_t i = 0; i < m.datas.size(); ++i) {
    const DataSegment& d = m.datas[i];
    std::string where = "data " + std::to_string(i);
    if (d.mode == SegmentMode::Active) {
      if (d.memory >= m.total_memories()) return fail(where, "unknown memory " + std::to_string(d.memory));
      WHIRL_TRY(check_const(c, d.offset, ValType::I32, where));
    }
  }
  std::unordered_set<std::string> names;
  for (const auto& ex : m.exports) {
    std::string where = "export \"" + ex.name + "\"";
    if (!names.insert(ex.name).second) return fail(where, "duplicate export name");
    uint32_t count = ex.kind == ExternKind::Func     ? m.total_funcs()
                     : ex.kind == ExternKind::Table  ? m.total_tables()
                     : ex.kind == ExternKind::Memory ? m.total_memories()
                     : ex.kind == ExternKind::Tag    ? m.total_tags()
                                                     : m.total_globals();
    if (ex.index >= count) return fail(where, std::string("unknown ") + to_string(ex.kind) + " " + std::to_string(ex.index));
  }
  if (m.start) {
    if (*m.start >= m.total_funcs()) return fail("start", "unknown function " + std::to_string(*m.start));
    const FuncType& t = m.types[m.func_type_index(*m.start)];
    if (!t.params.empty() || !t.results.empty()) return fail("start", "start function must have type [] -> []");
  }
  if (!bodies) return {};
  // Bodies validate independently: a large module's split across cores.
  // The error reported is the first function's that fails, as in order.
  auto check = [&](size_t i) -> Expected<void> {
    WHIRL_TRY(check_value_types(m.functions[i].locals, "func ", m.num_imported_funcs + i));
    return validate_function(c, uint32_t(m.num_imported_funcs + i), m.functions[i]);
  };
  std::mutex mu;
  size_t first_bad = m.functions.size();
  std::optional<Error> first_error;
  platform::parallel_for(m.functions.size(), 64, platform::loader_threads(m.functions.size()),
                         [&](size_t b, size_t e, unsigned) {
                           for (size_t i = b; i < e; ++i) {
                             auto r = check(i);
                             if (r) continue;
                             std::lock_guard lock(mu);
                             if (i < first_bad) first_bad = i, first_error = r.error();
                             return;
                           }
                         });
  if (first_error) return unexpected(std::move(*first_error));
  return {};
}

}  // namespace whirl::wasm
