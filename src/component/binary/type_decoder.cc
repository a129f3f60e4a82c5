// The type productions of Binary.md: core types (function and module
// types), value types, function, component, instance and resource types,
// extern types and names.
#include <string>

#include "component/binary/decoder.h"
#include "component/binary/parts.h"

namespace whirl::component::binary {
namespace {

// primvaltype codes (0x7f bool .. 0x73 string, 0x64 error-context).
std::optional<TypeKind> primitive_code(uint8_t b) {
  static const TypeKind kByCode[] = {TypeKind::String, TypeKind::Char, TypeKind::F64, TypeKind::F32,
                                     TypeKind::U64,    TypeKind::S64,  TypeKind::U32, TypeKind::S32,
                                     TypeKind::U16,    TypeKind::S16,  TypeKind::U8,  TypeKind::S8,
                                     TypeKind::Bool};
  if (b >= 0x73 && b <= 0x7f) return kByCode[b - 0x73];
  if (b == 0x64) return TypeKind::ErrorContext;
  return std::nullopt;
}

// An s33 that must be a non-negative type index (negative ones are type
// codes, handled by the caller).
uint32_t type_index_s33(Reader& r, const char* what) {
  size_t at = r.pos();
  int64_t v = 0;
  int shift = 0;
  uint8_t b = 0;
  do {
    if (shift >= 35) Reader::fail(r.pos(), "invalid var_s33: integer representation too long");
    b = r.u8();
    v |= int64_t(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 64 && (b & 0x40)) v |= -(int64_t(1) << shift);
  if (v < 0) Reader::bad_byte(at, r.data()[at], what);
  if (v > 0xffffffffLL) Reader::fail(at, "invalid var_s33: integer too large");
  return static_cast<uint32_t>(v);
}

std::optional<ValTypeRef> optional_valtype(Reader& r, const char* what) {
  size_t at = r.pos();
  uint8_t b = r.u8();
  if (b == 0) return std::nullopt;
  if (b != 1) Reader::bad_byte(at, b, what);
  return read_valtype(r);
}

std::vector<LabeledRef> labeled_list(Reader& r) {
  std::vector<LabeledRef> out;
  uint32_t n = r.count();
  out.reserve(r.reserve_hint(n));
  for (uint32_t i = 0; i < n; ++i) {
    LabeledRef f;
    f.label = r.name();
    f.type = read_valtype(r);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::string> label_list(Reader& r) {
  std::vector<std::string> out;
  uint32_t n = r.count();
  out.reserve(r.reserve_hint(n));
  for (uint32_t i = 0; i < n; ++i) out.push_back(r.name());
  return out;
}

DefValType defvaltype(Reader& r) {
  DefValType t;
  size_t at = r.pos();
  uint8_t b = r.u8();
  if (auto p = primitive_code(b)) {
    t.kind = *p;
    return t;
  }
  switch (b) {
    case 0x72: t.kind = TypeKind::Record; t.fields = labeled_list(r); break;
    case 0x71: {
      t.kind = TypeKind::Variant;
      uint32_t n = r.count();
      t.cases.reserve(r.reserve_hint(n));
      for (uint32_t i = 0; i < n; ++i) {
        CaseRef c;
        c.label = r.name();
        c.type = optional_valtype(r, "optional component value type");
        size_t z = r.pos();
        if (uint8_t x = r.u8(); x != 0) Reader::bad_byte(z, x, "zero byte required");
        t.cases.push_back(std::move(c));
      }
      break;
    }
    case 0x70: t.kind = TypeKind::List; t.elem = read_valtype(r); break;
    case 0x67: t.kind = TypeKind::List; t.elem = read_valtype(r); t.fixed_length = r.u32(); break;
    case 0x6f: {
      t.kind = TypeKind::Tuple;
      uint32_t n = r.count();
      t.elems.reserve(r.reserve_hint(n));
      for (uint32_t i = 0; i < n; ++i) t.elems.push_back(read_valtype(r));
      break;
    }
    case 0x6e: t.kind = TypeKind::Flags; t.labels = label_list(r); break;
    case 0x6d: t.kind = TypeKind::Enum; t.labels = label_list(r); break;
    case 0x6b: t.kind = TypeKind::Option; t.elem = read_valtype(r); break;
    case 0x6a:
      t.kind = TypeKind::Result;
      t.ok = optional_valtype(r, "optional component value type");
      t.err = optional_valtype(r, "optional component value type");
      break;
    case 0x69: t.kind = TypeKind::Own; t.resource = r.u32(); break;
    case 0x68: t.kind = TypeKind::Borrow; t.resource = r.u32(); break;
    case 0x66: t.kind = TypeKind::Stream; t.elem = optional_valtype(r, "optional component value type"); break;
    case 0x65: t.kind = TypeKind::Future; t.elem = optional_valtype(r, "optional component value type"); break;
    case 0x63: t.kind = TypeKind::Map; t.key = read_valtype(r); t.elem = read_valtype(r); break;
    default: Reader::bad_byte(at, b, "component defined type");
  }
  return t;
}

void limits(Reader& r, wasm::Limits& l) {
  size_t at = r.pos();
  uint8_t flags = r.u8();
  if (flags > 1) Reader::bad_byte(at, flags, "limits (only 32-bit unshared limits are supported)");
  l.min = r.u32();
  if (flags == 1) l.max = r.u32();
}

CoreExternType core_extern_type(Reader& r) {
  CoreExternType t;
  size_t at = r.pos();
  uint8_t b = r.u8();
  switch (b) {
    case 0x00: t.kind = CoreExternType::Kind::Func; t.type_index = r.u32(); break;
    case 0x01: {
      t.kind = CoreExternType::Kind::Table;
      size_t e = r.pos();
      t.table.elem = read_core_valtype(r);
      if (!wasm::is_ref(t.table.elem)) Reader::bad_byte(e, static_cast<uint8_t>(t.table.elem), "reference type");
      limits(r, t.table.limits);
      break;
    }
    case 0x02: t.kind = CoreExternType::Kind::Memory; limits(r, t.memory.limits); break;
    case 0x03: {
      t.kind = CoreExternType::Kind::Global;
      t.global.type = read_core_valtype(r);
      t.global.mut = r.boolean();
      break;
    }
    case 0x04: {
      t.kind = CoreExternType::Kind::Tag;
      size_t z = r.pos();
      if (uint8_t x = r.u8(); x != 0) Reader::bad_byte(z, x, "tag attribute");
      t.type_index = r.u32();
      break;
    }
    default: Reader::bad_byte(at, b, "external kind");
  }
  return t;
}

wasm::FuncType core_func_type(Reader& r) {
  wasm::FuncType f;
  for (auto* list : {&f.params, &f.results}) {
    uint32_t n = r.count();
    list->reserve(r.reserve_hint(n));
    for (uint32_t i = 0; i < n; ++i) list->push_back(read_core_valtype(r));
  }
  return f;
}

// core:subtype after its 0x50/0x4f (or a bare comptype when `bare`).
CoreSubType core_subtype(Reader& r, bool final, bool bare) {
  CoreSubType s;
  s.final = final;
  if (!bare) {
    uint32_t n = r.count();
    s.supertypes.reserve(r.reserve_hint(n));
    for (uint32_t i = 0; i < n; ++i) s.supertypes.push_back(r.u32());
  }
  size_t at = r.pos();
  uint8_t b = r.u8();
  if (b == 0x5f || b == 0x5e) Reader::fail(at, "GC struct and array types are not supported");
  if (b != 0x60) Reader::bad_byte(at, b, "type");
  s.func = core_func_type(r);
  return s;
}

CoreSubType rec_entry(Reader& r) {
  uint8_t b = r.peek();
  if (b == 0x50 || b == 0x4f) {
    r.u8();
    return core_subtype(r, b == 0x4f, false);
  }
  return core_subtype(r, true, true);
}

CoreModuleDecl module_decl(Reader& r) {
  CoreModuleDecl d;
  d.offset = r.pos();
  uint8_t b = r.u8();
  switch (b) {
    case 0x00:
      d.kind = CoreModuleDecl::Kind::Import;
      d.module = r.name();
      d.name = r.name();
      d.type = core_extern_type(r);
      break;
    case 0x01: d.kind = CoreModuleDecl::Kind::Type; d.def = read_core_type(r); break;
    case 0x02: {
      d.kind = CoreModuleDecl::Kind::Alias;
      size_t at = r.pos();
      if (uint8_t s = r.u8(); s != 0x10) Reader::bad_byte(at, s, "outer alias kind");
      at = r.pos();
      if (uint8_t t = r.u8(); t != 0x01) Reader::bad_byte(at, t, "outer alias target");
      d.outer_count = r.u32();
      d.outer_index = r.u32();
      break;
    }
    case 0x03:
      d.kind = CoreModuleDecl::Kind::Export;
      d.name = r.name();
      d.type = core_extern_type(r);
      break;
    default: Reader::bad_byte(d.offset, b, "type definition");
  }
  return d;
}

TypeDecl type_decl(Reader& r, bool component) {
  TypeDecl d;
  d.offset = r.pos();
  uint8_t b = r.u8();
  switch (b) {
    case 0x00: d.kind = TypeDecl::Kind::CoreType; d.core_type = read_core_type(r); break;
    case 0x01: d.kind = TypeDecl::Kind::Type; d.type = read_type(r); break;
    case 0x02: d.kind = TypeDecl::Kind::Alias; d.alias = std::make_shared<const Alias>(read_alias(r)); break;
    case 0x03:
    case 0x04:
      if (b == 0x03 && !component) Reader::bad_byte(d.offset, b, "component or instance type declaration");
      d.kind = b == 0x03 ? TypeDecl::Kind::Import : TypeDecl::Kind::Export;
      d.name = read_extern_name(r);
      d.extern_type = read_extern_type(r);
      break;
    default: Reader::bad_byte(d.offset, b, "component or instance type declaration");
  }
  return d;
}

}  // namespace

Nest::Nest(Reader& r) : r_(r) {
  if (++r_.depth > kMaxNesting)
    Reader::fail(r.pos(), "definitions nested too deeply (implementation limit: " + std::to_string(kMaxNesting) + ")");
}

ValTypeRef read_valtype(Reader& r) {
  ValTypeRef v;
  if (auto p = primitive_code(r.peek())) {
    r.u8();
    v.prim = *p;
    return v;
  }
  v.is_index = true;
  v.index = type_index_s33(r, "component value type");
  return v;
}

std::optional<ValTypeRef> read_resultlist(Reader& r) {
  size_t at = r.pos();
  uint8_t b = r.u8();
  if (b == 0x00) return read_valtype(r);
  if (b != 0x01) Reader::bad_byte(at, b, "component function results");
  at = r.pos();
  if (uint8_t z = r.u8(); z != 0x00) Reader::bad_byte(at, z, "number of results");
  return std::nullopt;
}

wasm::ValType read_core_valtype(Reader& r) {
  size_t at = r.pos();
  uint8_t b = r.u8();
  switch (b) {
    case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x7b: case 0x70: case 0x6f:
      return static_cast<wasm::ValType>(b);
  }
  Reader::bad_byte(at, b, "value type");
}

std::shared_ptr<const CoreType> read_core_type(Reader& r) {
  Nest nest(r);
  auto t = std::make_shared<CoreType>();
  t->offset = r.pos();
  uint8_t b = r.peek();
  if (b == 0x50) {  // core:moduletype
    r.u8();
    t->kind = CoreType::Kind::Module;
    uint32_t n = r.count();
    t->module.reserve(r.reserve_hint(n));
    for (uint32_t i = 0; i < n; ++i) t->module.push_back(module_decl(r));
  } else if (b == 0x4e) {  // rec group
    r.u8();
    uint32_t n = r.count();
    t->rec.reserve(r.reserve_hint(n));
    for (uint32_t i = 0; i < n; ++i) t->rec.push_back(rec_entry(r));
  } else if (b == 0x00) {  // 0x00 0x50: a non-final sub (Binary.md's pre-1.0 prefix)
    r.u8();
    size_t at = r.pos();
    if (uint8_t s = r.u8(); s != 0x50) Reader::bad_byte(at, s, "non-final sub type");
    t->rec.push_back(core_subtype(r, false, false));
  } else {
    t->rec.push_back(rec_entry(r));
  }
  return t;
}

std::shared_ptr<const TypeDef> read_type(Reader& r) {
  Nest nest(r);
  auto t = std::make_shared<TypeDef>();
  t->offset = r.pos();
  uint8_t b = r.peek();
  switch (b) {
    case 0x40:
    case 0x43:
      r.u8();
      t->kind = TypeDef::Kind::Func;
      t->func.async = b == 0x43;
      t->func.params = labeled_list(r);
      t->func.result = read_resultlist(r);
      break;
    case 0x41:
    case 0x42: {
      r.u8();
      t->kind = b == 0x41 ? TypeDef::Kind::Component : TypeDef::Kind::Instance;
      uint32_t n = r.count();
      t->decls.reserve(r.reserve_hint(n));
      for (uint32_t i = 0; i < n; ++i) t->decls.push_back(type_decl(r, b == 0x41));
      break;
    }
    case 0x3f: {
      r.u8();
      t->kind = TypeDef::Kind::Resource;
      t->resource.rep = read_core_valtype(r);
      size_t at = r.pos();
      uint8_t o = r.u8();
      if (o > 1) Reader::bad_byte(at, o, "resource destructor");
      if (o == 1) t->resource.dtor = r.u32();
      break;
    }
    default:
      t->kind = TypeDef::Kind::Val;
      t->val = defvaltype(r);
  }
  return t;
}

Sort read_core_sort(Reader& r, const char* what) {
  size_t at = r.pos();
  uint8_t b = r.u8();
  switch (b) {
    case 0x00: return Sort::CoreFunc;
    case 0x01: return Sort::CoreTable;
    case 0x02: return Sort::CoreMemory;
    case 0x03: return Sort::CoreGlobal;
    case 0x04: return Sort::CoreTag;
    case 0x10: return Sort::CoreType;
    case 0x11: return Sort::CoreModule;
    case 0x12: return Sort::CoreInstance;
  }
  Reader::bad_byte(at, b, what);
}

Sort read_sort(Reader& r, const char* what) {
  size_t at = r.pos();
  uint8_t b = r.u8();
  switch (b) {
    case 0x00: return read_core_sort(r, what);
    case 0x01: return Sort::Func;
    case 0x02: return Sort::Value;
    case 0x03: return Sort::Type;
    case 0x04: return Sort::Component;
    case 0x05: return Sort::Instance;
  }
  Reader::bad_byte(at, b, what);
}

AttributedName read_extern_name(Reader& r) {
  AttributedName n;
  size_t at = r.pos();
  uint8_t b = r.u8();
  if (b > 2) Reader::bad_byte(at, b, "component name");
  n.name = r.name();
  if (b == 2) {
    uint32_t count = r.count();
    n.attributes.reserve(r.reserve_hint(count));
    for (uint32_t i = 0; i < count; ++i) {
      size_t a = r.pos();
      uint8_t k = r.u8();
      if (k > 2) Reader::bad_byte(a, k, "name option");
      n.attributes.push_back({static_cast<NameAttribute::Kind>(k), r.name()});
    }
  }
  return n;
}

ExternType read_extern_type(Reader& r) {
  ExternType t;
  size_t at = r.pos();
  uint8_t b = r.u8();
  switch (b) {
    case 0x00: {
      size_t s = r.pos();
      if (uint8_t c = r.u8(); c != 0x11) Reader::bad_byte(s, c, "component external kind");
      t.kind = ExternType::Kind::CoreModule;
      t.index = r.u32();
      break;
    }
    case 0x01: t.kind = ExternType::Kind::Func; t.index = r.u32(); break;
    case 0x02: {
      t.kind = ExternType::Kind::Value;
      size_t s = r.pos();
      uint8_t v = r.u8();
      if (v > 1) Reader::bad_byte(s, v, "value bound");
      t.eq = v == 0;
      if (t.eq) t.index = r.u32();
      else t.value_type = read_valtype(r);
      break;
    }
    case 0x03: {
      t.kind = ExternType::Kind::Type;
      size_t s = r.pos();
      uint8_t v = r.u8();
      if (v > 1) Reader::bad_byte(s, v, "type bound");
      t.eq = v == 0;
      if (t.eq) t.index = r.u32();
      break;
    }
    case 0x04: t.kind = ExternType::Kind::Component; t.index = r.u32(); break;
    case 0x05: t.kind = ExternType::Kind::Instance; t.index = r.u32(); break;
    default: Reader::bad_byte(at, b, "component external kind");
  }
  return t;
}

// The sort bytes come first but are interpreted by the target that follows
// them, as wasmparser does (its messages name the target's kind).
Alias read_alias(Reader& r) {
  Alias a;
  a.offset = r.pos();
  size_t at1 = r.pos();
  uint8_t b1 = r.u8();
  size_t at2 = r.pos();
  uint8_t b2 = b1 == 0x00 ? r.u8() : 0;
  size_t tat = r.pos();
  uint8_t target = r.u8();
  Reader sort_bytes(r.data(), at1, tat);
  switch (target) {
    case 0x00:
      a.target = Alias::Target::Export;
      a.sort = read_sort(sort_bytes, "component external kind");
      a.instance = r.u32();
      a.name = r.name();
      break;
    case 0x01:
      a.target = Alias::Target::CoreExport;
      if (b1 != 0x00) Reader::bad_byte(at1, b1, "core export alias kind");
      a.sort = read_sort(sort_bytes, "external kind");
      a.instance = r.u32();
      a.name = r.name();
      break;
    case 0x02: {
      a.target = Alias::Target::Outer;
      bool ok = b1 == 0x00 ? (b2 == 0x10 || b2 == 0x11) : (b1 == 0x03 || b1 == 0x04);
      if (!ok) Reader::bad_byte(b1 == 0x00 ? at2 : at1, b1 == 0x00 ? b2 : b1, "component outer alias kind");
      a.sort = read_sort(sort_bytes, "component outer alias kind");
      a.count = r.u32();
      a.index = r.u32();
      break;
    }
    default: Reader::bad_byte(tat, target, "alias");
  }
  return a;
}

}  // namespace whirl::component::binary
