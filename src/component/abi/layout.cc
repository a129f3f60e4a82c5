#include "component/abi/layout.h"

#include <algorithm>

namespace whirl::component::abi {

const char* to_string(CoreType t) {
  static const char* const names[] = {"i32", "i64", "f32", "f64"};
  return names[size_t(t)];
}

// ---- record-like and variant-like views (despecialization) ----

size_t field_count(const ValType& t) {
  if (t.kind == TypeKind::Record) return t.fields.size();
  if (t.kind == TypeKind::Tuple) return t.elems.size();
  return 0;
}

const ValType* field_type(const ValType& t, size_t i) {
  if (t.kind == TypeKind::Record) return t.fields[i].type.get();
  return t.elems[i].get();
}

bool is_variant_like(const ValType& t) {
  switch (t.kind) {
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: return true;
    default: return false;
  }
}

size_t case_count(const ValType& t) {
  switch (t.kind) {
    case TypeKind::Variant: return t.cases.size();
    case TypeKind::Enum: return t.labels.size();
    case TypeKind::Option: case TypeKind::Result: return 2;
    default: return 0;
  }
}

const ValType* case_type(const ValType& t, size_t i) {
  switch (t.kind) {
    case TypeKind::Variant: return t.cases[i].type.get();
    case TypeKind::Option: return i == 0 ? nullptr : t.elem.get();
    case TypeKind::Result: return i == 0 ? t.ok.get() : t.err.get();
    default: return nullptr;
  }
}

std::string case_label(const ValType& t, size_t i) {
  switch (t.kind) {
    case TypeKind::Variant: return t.cases[i].label;
    case TypeKind::Enum: return t.labels[i];
    case TypeKind::Option: return i == 0 ? "none" : "some";
    case TypeKind::Result: return i == 0 ? "ok" : "error";
    default: return "";
  }
}

ValTypePtr map_entry_type(const ValType& map) {
  auto t = std::make_shared<ValType>();
  t->kind = TypeKind::Tuple;
  t->elems = {map.key, map.elem};
  return t;
}

// ---- sizes and alignment ----

uint64_t align_to(uint64_t ptr, uint64_t alignment) {
  return alignment == 0 ? ptr : (ptr + alignment - 1) / alignment * alignment;
}

// ceil(log2(n) / 8) bytes, as definitions.py's discriminant_type.
uint32_t discriminant_size(size_t n) {
  if (n <= (size_t(1) << 8)) return 1;
  if (n <= (size_t(1) << 16)) return 2;
  return 4;
}

uint32_t flags_size(size_t n) { return n <= 8 ? 1 : n <= 16 ? 2 : 4; }

uint32_t max_case_alignment(const ValType& t, PtrType p) {
  const bool cached = p == PtrType::I32;
  if (cached)
    if (uint32_t a = t.abi32.case_align.load(std::memory_order_relaxed)) return a;
  uint32_t a = 1;
  for (size_t i = 0, n = case_count(t); i < n; ++i)
    if (const ValType* c = case_type(t, i)) a = std::max(a, alignment(*c, p));
  if (cached) t.abi32.case_align.store(a, std::memory_order_relaxed);
  return a;
}

namespace {
uint32_t aggregate_alignment(const ValType& t, PtrType p);
uint64_t aggregate_size(const ValType& t, PtrType p);
bool is_aggregate(TypeKind k) {
  switch (k) {
    case TypeKind::Record: case TypeKind::Tuple: case TypeKind::Variant: case TypeKind::Enum:
    case TypeKind::Option: case TypeKind::Result: return true;
    default: return false;
  }
}
}  // namespace

uint32_t alignment(const ValType& t, PtrType p) {
  if (is_aggregate(t.kind)) {
    if (p != PtrType::I32) return aggregate_alignment(t, p);
    if (uint32_t a = t.abi32.align.load(std::memory_order_relaxed)) return a;
    uint32_t a = aggregate_alignment(t, p);
    t.abi32.align.store(a, std::memory_order_relaxed);
    return a;
  }
  switch (t.kind) {
    case TypeKind::Bool: case TypeKind::S8: case TypeKind::U8: return 1;
    case TypeKind::S16: case TypeKind::U16: return 2;
    case TypeKind::S32: case TypeKind::U32: case TypeKind::F32: case TypeKind::Char: return 4;
    case TypeKind::S64: case TypeKind::U64: case TypeKind::F64: return 8;
    case TypeKind::String: case TypeKind::Map: return ptr_size(p);
    case TypeKind::ErrorContext: case TypeKind::Own: case TypeKind::Borrow:
    case TypeKind::Stream: case TypeKind::Future: return 4;
    case TypeKind::List:
      return t.fixed_length && t.elem ? alignment(*t.elem, p) : ptr_size(p);
    case TypeKind::Flags: return flags_size(t.labels.size());
    default: return 1;
  }
}

namespace {
uint32_t aggregate_alignment(const ValType& t, PtrType p) {
  if (t.kind == TypeKind::Record || t.kind == TypeKind::Tuple) {
    uint32_t a = 1;
    for (size_t i = 0, n = field_count(t); i < n; ++i)
      if (const ValType* f = field_type(t, i)) a = std::max(a, alignment(*f, p));
    return a;
  }
  return std::max(discriminant_size(case_count(t)), max_case_alignment(t, p));
}
}  // namespace

uint64_t payload_offset(const ValType& t, PtrType p) {
  return align_to(discriminant_size(case_count(t)), max_case_alignment(t, p));
}

std::vector<uint64_t> field_offsets(const ValType& t, PtrType p) {
  std::vector<uint64_t> out;
  uint64_t s = 0;
  for (size_t i = 0, n = field_count(t); i < n; ++i) {
    const ValType* f = field_type(t, i);
    if (!f) break;
    s = align_to(s, alignment(*f, p));
    out.push_back(s);
    s += elem_size(*f, p);
  }
  return out;
}

uint64_t elem_size(const ValType& t, PtrType p) {
  if (is_aggregate(t.kind)) {
    if (p != PtrType::I32) return aggregate_size(t, p);
    uint64_t s = t.abi32.size.load(std::memory_order_relaxed);
    if (s != ~0ull) return s;
    s = aggregate_size(t, p);
    t.abi32.size.store(s, std::memory_order_relaxed);
    return s;
  }
  switch (t.kind) {
    case TypeKind::Bool: case TypeKind::S8: case TypeKind::U8: return 1;
    case TypeKind::S16: case TypeKind::U16: return 2;
    case TypeKind::S32: case TypeKind::U32: case TypeKind::F32: case TypeKind::Char: return 4;
    case TypeKind::S64: case TypeKind::U64: case TypeKind::F64: return 8;
    case TypeKind::String: case TypeKind::Map: return 2 * ptr_size(p);
    case TypeKind::ErrorContext: case TypeKind::Own: case TypeKind::Borrow:
    case TypeKind::Stream: case TypeKind::Future: return 4;
    case TypeKind::List:
      return t.fixed_length && t.elem ? *t.fixed_length * elem_size(*t.elem, p) : 2 * ptr_size(p);
    case TypeKind::Flags: return flags_size(t.labels.size());
    default: return 1;
  }
}

namespace {
uint64_t aggregate_size(const ValType& t, PtrType p) {
  if (t.kind == TypeKind::Record || t.kind == TypeKind::Tuple) {
    uint64_t s = 0;
    for (size_t i = 0, n = field_count(t); i < n; ++i) {
      const ValType* f = field_type(t, i);
      if (!f) continue;
      s = align_to(s, alignment(*f, p)) + elem_size(*f, p);
    }
    return align_to(s, alignment(t, p));
  }
  uint64_t s = payload_offset(t, p), cs = 0;
  for (size_t i = 0, n = case_count(t); i < n; ++i)
    if (const ValType* c = case_type(t, i)) cs = std::max(cs, elem_size(*c, p));
  return align_to(s + cs, alignment(t, p));
}
}  // namespace

// ---- validity for the ABI ----

namespace {

// Not in the spec: a fixed-length list multiplies its element's flat values
// and bytes; both are bounded so that flattening or laying out a type
// stays cheap. The size bound keeps every offset within 64 bits.
constexpr uint64_t kMaxFlatLength = uint64_t(1) << 16;
constexpr uint64_t kMaxElemSize = (uint64_t(1) << 32) - 1;

struct Checker {
  Expected<uint64_t> flat_length(const ValType* t, uint32_t depth) {  // and checks t
    if (!t) return make_error("a value type is missing");
    if (depth > kMaxTypeDepth) return make_error("value type nested deeper than " + std::to_string(kMaxTypeDepth));
    auto sum = [&](auto count, auto get) -> Expected<uint64_t> {
      uint64_t n = 0;
      for (size_t i = 0; i < count; ++i) {
        auto f = flat_length(get(i), depth + 1);
        if (!f) return f;
        n += *f;
      }
      return n;
    };
    uint64_t n = 1;
    switch (t->kind) {
      case TypeKind::String: return 2;
      case TypeKind::Map: {
        auto k = flat_length(t->key.get(), depth + 1);
        if (!k) return k;
        auto v = flat_length(t->elem.get(), depth + 1);
        if (!v) return v;
        return 2;
      }
      case TypeKind::List: {
        auto e = flat_length(t->elem.get(), depth + 1);
        if (!e) return e;
        if (!t->fixed_length) return 2;
        if (*t->fixed_length == 0) return make_error("a fixed-length list has length 0");
        n = *t->fixed_length * *e;
        break;
      }
      case TypeKind::Record: case TypeKind::Tuple: {
        if (field_count(*t) == 0) return make_error(std::string(t->kind == TypeKind::Record ? "a record" : "a tuple") + " has no fields");
        auto s = sum(field_count(*t), [&](size_t i) { return field_type(*t, i); });
        if (!s) return s;
        n = *s;
        break;
      }
      case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
        size_t cases = case_count(*t);
        if (cases == 0) return make_error(std::string(t->kind == TypeKind::Enum ? "an enum" : "a variant") + " has no cases");
        if (cases > 0xffffffffu) return make_error("a variant has more than 2^32-1 cases");
        uint64_t payload = 0;
        for (size_t i = 0; i < cases; ++i) {
          const ValType* c = case_type(*t, i);
          bool required = t->kind == TypeKind::Option && i == 1;
          if (!c && !required) continue;
          auto f = flat_length(c, depth + 1);
          if (!f) return f;
          payload = std::max(payload, *f);
        }
        n = 1 + payload;
        break;
      }
      case TypeKind::Flags:
        if (t->labels.empty() || t->labels.size() > 32)
          return make_error("flags have " + std::to_string(t->labels.size()) + " labels (1 to 32 allowed)");
        return 1;
      case TypeKind::Own: case TypeKind::Borrow:
        if (!t->resource) return make_error("a handle type names no resource");
        return 1;
      case TypeKind::Stream: case TypeKind::Future:
        if (t->elem) {
          auto e = flat_length(t->elem.get(), depth + 1);
          if (!e) return e;
        }
        return 1;
      default: return 1;
    }
    if (n > kMaxFlatLength)
      return make_error("value type flattens to more than " + std::to_string(kMaxFlatLength) + " core values");
    if (elem_size(*t, PtrType::I64) > kMaxElemSize)
      return make_error("value type is larger than 2^32-1 bytes");
    return n;
  }
};

}  // namespace

Expected<void> check_abi_type(const ValType& t) {
  auto r = Checker{}.flat_length(&t, 0);
  if (!r) return unexpected(std::move(r).error());
  return {};
}

// ---- flattening ----

CoreType join(CoreType a, CoreType b) {
  if (a == b) return a;
  if ((a == CoreType::I32 && b == CoreType::F32) || (a == CoreType::F32 && b == CoreType::I32)) return CoreType::I32;
  return CoreType::I64;
}

namespace {
void flatten_uncached(const ValType& t, PtrType p, std::vector<CoreType>& out);
constexpr uint64_t kFlatKnown = uint64_t(1) << 63;
}  // namespace

void flatten_type_into(const ValType& t, PtrType p, std::vector<CoreType>& out) {
  if (!is_aggregate(t.kind) || p != PtrType::I32) return flatten_uncached(t, p, out);
  uint64_t c = t.abi32.flat.load(std::memory_order_relaxed);
  if (c & kFlatKnown) {
    const uint32_t n = uint32_t(c >> 32) & 0xffff;
    if (n <= 16) {
      for (uint32_t i = 0; i < n; ++i) out.push_back(CoreType((c >> (2 * i)) & 3));
      return;
    }
  }
  const size_t start = out.size();
  flatten_uncached(t, p, out);
  const size_t n = out.size() - start;
  uint64_t packed = kFlatKnown | (uint64_t(std::min<size_t>(n, 0xffff)) << 32);
  for (size_t i = 0; i < n && i < 16; ++i) packed |= uint64_t(out[start + i]) << (2 * i);
  t.abi32.flat.store(packed, std::memory_order_relaxed);
}

namespace {
void flatten_uncached(const ValType& t, PtrType p, std::vector<CoreType>& out) {
  CoreType ptr = p == PtrType::I32 ? CoreType::I32 : CoreType::I64;
  switch (t.kind) {
    case TypeKind::S64: case TypeKind::U64: out.push_back(CoreType::I64); return;
    case TypeKind::F32: out.push_back(CoreType::F32); return;
    case TypeKind::F64: out.push_back(CoreType::F64); return;
    case TypeKind::String: case TypeKind::Map: out.insert(out.end(), {ptr, ptr}); return;
    case TypeKind::List:
      if (t.fixed_length && t.elem) {
        size_t start = out.size();
        flatten_type_into(*t.elem, p, out);
        size_t one = out.size() - start;
        for (uint32_t i = 1; i < *t.fixed_length; ++i)
          for (size_t j = 0; j < one; ++j) out.push_back(out[start + j]);
      } else {
        out.insert(out.end(), {ptr, ptr});
      }
      return;
    case TypeKind::Record: case TypeKind::Tuple:
      for (size_t i = 0, n = field_count(t); i < n; ++i)
        if (const ValType* f = field_type(t, i)) flatten_type_into(*f, p, out);
      return;
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      out.push_back(CoreType::I32);  // the discriminant, whatever its size
      size_t start = out.size();
      std::vector<CoreType> c;
      for (size_t i = 0, n = case_count(t); i < n; ++i) {
        const ValType* ct = case_type(t, i);
        if (!ct) continue;
        c.clear();
        flatten_type_into(*ct, p, c);
        for (size_t j = 0; j < c.size(); ++j) {
          if (start + j < out.size()) out[start + j] = join(out[start + j], c[j]);
          else out.push_back(c[j]);
        }
      }
      return;
    }
    default: out.push_back(CoreType::I32); return;  // bool, ints up to 32 bits, char, flags, handles
  }
}
}  // namespace

std::vector<CoreType> flatten_type(const ValType& t, PtrType p) {
  std::vector<CoreType> out;
  flatten_type_into(t, p, out);
  return out;
}

CoreFuncType flatten_functype(const FuncType& ft, FlattenContext cx, FlattenOptions opts) {
  CoreType ptr = opts.ptr == PtrType::I32 ? CoreType::I32 : CoreType::I64;
  CoreFuncType out;
  for (const auto& p : ft.params)
    if (p.type) flatten_type_into(*p.type, opts.ptr, out.params);
  if (ft.result) flatten_type_into(*ft.result, opts.ptr, out.results);
  if (!opts.async) {
    if (out.params.size() > kMaxFlatParams) out.params = {ptr};
    if (out.results.size() > kMaxFlatResults) {
      if (cx == FlattenContext::Lift) {
        out.results = {ptr};
      } else {
        out.params.push_back(ptr);
        out.results.clear();
      }
    }
    return out;
  }
  if (cx == FlattenContext::Lift) {
    if (out.params.size() > kMaxFlatParams) out.params = {ptr};
    out.results.clear();
    if (opts.callback) out.results = {CoreType::I32};
  } else {
    if (out.params.size() > kMaxFlatAsyncParams) out.params = {ptr};
    if (!out.results.empty()) out.params.push_back(ptr);
    out.results = {CoreType::I32};
  }
  return out;
}

}  // namespace whirl::component::abi
