#include "component/abi/lift_lower.h"

#include <bit>
#include <cmath>

#include "component/abi/memory_access.h"

namespace whirl::component::abi {

using detail::check_aligned;
using detail::check_range;
using detail::read_uint;
using detail::trap;
using detail::write_uint;

namespace {

constexpr uint32_t kCanonicalNan32 = 0x7fc00000;
constexpr uint64_t kCanonicalNan64 = 0x7ff8000000000000;

float canonicalize_nan32(float f) { return std::isnan(f) ? std::bit_cast<float>(kCanonicalNan32) : f; }
double canonicalize_nan64(double f) { return std::isnan(f) ? std::bit_cast<double>(kCanonicalNan64) : f; }
// maybe_scramble_nan in the deterministic profile: the canonical NaN.
uint32_t encode_float_as_i32(float f) { return std::bit_cast<uint32_t>(canonicalize_nan32(f)); }
uint64_t encode_float_as_i64(double f) { return std::bit_cast<uint64_t>(canonicalize_nan64(f)); }

Expected<uint32_t, Trap> convert_i32_to_char(uint64_t i) {
  if (i >= 0x110000) return trap("invalid char: " + std::to_string(i) + " is above U+10FFFF");
  if (i >= 0xD800 && i <= 0xDFFF) return trap("invalid char: " + std::to_string(i) + " is a surrogate");
  return uint32_t(i);
}

Unexpected<Trap> mismatch(const Value& v, const ValType& t) {
  return trap("value " + to_string(v) + " does not match type " + component::to_string(t));
}

uint32_t int_width(TypeKind k) {  // bytes of an integer kind
  switch (k) {
    case TypeKind::S8: case TypeKind::U8: return 1;
    case TypeKind::S16: case TypeKind::U16: return 2;
    case TypeKind::S32: case TypeKind::U32: return 4;
    default: return 8;
  }
}
bool is_signed(TypeKind k) {
  return k == TypeKind::S8 || k == TypeKind::S16 || k == TypeKind::S32 || k == TypeKind::S64;
}

// The value's bits as an integer of its type's width (two's complement for
// signed kinds), after checking the value fits.
Expected<uint64_t, Trap> int_bits(const Value& v, const ValType& t) {
  uint32_t bits = int_width(t.kind) * 8;
  if (is_signed(t.kind)) {
    int64_t lo = bits == 64 ? INT64_MIN : -(int64_t(1) << (bits - 1));
    int64_t hi = bits == 64 ? INT64_MAX : (int64_t(1) << (bits - 1)) - 1;
    if (v.s < lo || v.s > hi) return mismatch(v, t);
    return bits == 64 ? uint64_t(v.s) : uint64_t(v.s) & ((uint64_t(1) << bits) - 1);
  }
  if (bits < 64 && v.u >> bits) return mismatch(v, t);
  return v.u;
}

Value int_value(TypeKind k, uint64_t raw) {  // raw: the low int_width(k) bytes matter
  uint32_t bits = int_width(k) * 8;
  if (bits < 64) raw &= (uint64_t(1) << bits) - 1;
  if (!is_signed(k)) return Value::uint(k, raw);
  if (bits < 64 && (raw >> (bits - 1)) & 1) return Value::sint(k, int64_t(raw | ~((uint64_t(1) << bits) - 1)));
  return Value::sint(k, int64_t(raw));
}

// Index of the value's case in the variant-like type t (match_case).
Expected<size_t, Trap> match_case(const Value& v, const ValType& t) {
  size_t index;
  switch (t.kind) {
    case TypeKind::Option: index = v.items.empty() ? 0 : 1; break;
    case TypeKind::Result: index = v.is_err ? 1 : 0; break;
    default: {
      size_t n = case_count(t);
      for (index = 0; index < n; ++index)
        if (case_label(t, index) == v.label) break;
      if (index == n) return mismatch(v, t);
    }
  }
  const ValType* ct = case_type(t, index);
  if ((ct != nullptr) != (v.items.size() == 1) || v.items.size() > 1) return mismatch(v, t);
  return index;
}

Value make_case(const ValType& t, size_t index, std::optional<Value> payload) {
  Value v;
  v.kind = t.kind;
  if (t.kind == TypeKind::Result) v.is_err = index == 1;
  if (t.kind == TypeKind::Variant || t.kind == TypeKind::Enum) v.label = case_label(t, index);
  if (payload) v.items.push_back(std::move(*payload));
  return v;
}

Value unpack_flags(uint64_t i, const ValType& t) {
  Value v = Value::flags({});
  for (size_t k = 0; k < t.labels.size() && k < 32; ++k)
    if ((i >> k) & 1) v.labels.push_back(t.labels[k]);
  return v;
}

Expected<uint64_t, Trap> pack_flags(const Value& v, const ValType& t) {
  uint64_t i = 0;
  for (const auto& l : v.labels) {
    size_t k = 0;
    while (k < t.labels.size() && t.labels[k] != l) ++k;
    if (k == t.labels.size() || k >= 32) return mismatch(v, t);
    i |= uint64_t(1) << k;
  }
  return i;
}

const ValType& list_elem(const ValType& t, ValTypePtr& holder) {  // list or map element type
  if (t.kind == TypeKind::Map) {
    holder = map_entry_type(t);
    return *holder;
  }
  return *t.elem;
}

Expected<void, Trap> check_list_length(CallContext& cx, uint64_t length, uint64_t esize) {
  if (esize && length > kMaxListByteLength / esize)
    return trap("list of " + std::to_string(length) + " elements exceeds the maximum of 2^28-1 bytes");
  return {};
}

// ---- handles ----

Expected<Value, Trap> lift_handle(CallContext& cx, const ValType& t, uint64_t index) {
  if (t.kind != TypeKind::Own && t.kind != TypeKind::Borrow)
    return trap("lifting " + component::to_string(t) + " (async values, error contexts) is not supported yet");
  Value v = t.kind == TypeKind::Own ? Value::own(uint32_t(index)) : Value::borrow(uint32_t(index));
  if (HandleTable* h = cx.handles()) {
    auto rep = t.kind == TypeKind::Own ? h->lift_own(uint32_t(index), *t.resource)
                                       : h->lift_borrow(uint32_t(index), *t.resource);
    if (!rep) return unexpected(rep.error());
    v.u = *rep;
  }
  return v;
}

Expected<uint32_t, Trap> lower_handle(CallContext& cx, const Value& v, const ValType& t) {
  if (t.kind != TypeKind::Own && t.kind != TypeKind::Borrow)
    return trap("lowering " + component::to_string(t) + " (async values, error contexts) is not supported yet");
  if (v.kind != t.kind || v.u > 0xffffffffu) return mismatch(v, t);
  if (HandleTable* h = cx.handles())
    return t.kind == TypeKind::Own ? h->lower_own(uint32_t(v.u), *t.resource)
                                   : h->lower_borrow(uint32_t(v.u), *t.resource);
  return uint32_t(v.u);
}

// ---- load / store without the top-level checks ----

Expected<Value, Trap> load_list_from_valid_range(CallContext& cx, uint64_t ptr, uint64_t length, const ValType& et,
                                                 TypeKind kind);
// definitions.py's load_list_from_range: length, alignment and bounds, then the elements.
Expected<Value, Trap> load_list_from_range(CallContext& cx, uint64_t ptr, uint64_t length, const ValType& et,
                                           TypeKind kind);
Expected<void, Trap> store_list_into_valid_range(CallContext& cx, const Value& v, uint64_t ptr, const ValType& et);
// definitions.py's store_list_into_range: realloc'd, checked, stored; the pointer.
Expected<uint64_t, Trap> store_list_into_range(CallContext& cx, const Value& v, const ValType& et);

Expected<Value, Trap> load_at(CallContext& cx, uint64_t ptr, const ValType& t) {
  uint32_t psize = ptr_size(cx.ptr_type);
  switch (t.kind) {
    case TypeKind::Bool: {
      auto i = read_uint(cx, ptr, 1);
      if (!i) return unexpected(i.error());
      return Value::boolean(*i != 0);
    }
    case TypeKind::S8: case TypeKind::U8: case TypeKind::S16: case TypeKind::U16:
    case TypeKind::S32: case TypeKind::U32: case TypeKind::S64: case TypeKind::U64: {
      auto i = read_uint(cx, ptr, int_width(t.kind));
      if (!i) return unexpected(i.error());
      return int_value(t.kind, *i);
    }
    case TypeKind::F32: {
      auto i = read_uint(cx, ptr, 4);
      if (!i) return unexpected(i.error());
      return Value::float32(canonicalize_nan32(std::bit_cast<float>(uint32_t(*i))));
    }
    case TypeKind::F64: {
      auto i = read_uint(cx, ptr, 8);
      if (!i) return unexpected(i.error());
      return Value::float64(canonicalize_nan64(std::bit_cast<double>(*i)));
    }
    case TypeKind::Char: {
      auto i = read_uint(cx, ptr, 4);
      if (!i) return unexpected(i.error());
      auto c = convert_i32_to_char(*i);
      if (!c) return unexpected(c.error());
      return Value::character(*c);
    }
    case TypeKind::String: {
      auto begin = read_uint(cx, ptr, psize);
      if (!begin) return unexpected(begin.error());
      auto units = read_uint(cx, ptr + psize, psize);
      if (!units) return unexpected(units.error());
      return load_string_from_range(cx, *begin, *units);
    }
    case TypeKind::List: case TypeKind::Map: {
      ValTypePtr holder;
      const ValType& et = list_elem(t, holder);
      if (t.fixed_length) return load_list_from_valid_range(cx, ptr, *t.fixed_length, et, TypeKind::List);
      auto begin = read_uint(cx, ptr, psize);
      if (!begin) return unexpected(begin.error());
      auto length = read_uint(cx, ptr + psize, psize);
      if (!length) return unexpected(length.error());
      return load_list_from_range(cx, *begin, *length, et, t.kind);
    }
    case TypeKind::Record: case TypeKind::Tuple: {
      Value v;
      v.kind = t.kind;
      for (size_t i = 0, n = field_count(t); i < n; ++i) {
        const ValType& ft = *field_type(t, i);
        ptr = align_to(ptr, alignment(ft, cx.ptr_type));
        auto f = load_at(cx, ptr, ft);
        if (!f) return f;
        v.items.push_back(std::move(*f));
        if (t.kind == TypeKind::Record) v.labels.push_back(t.fields[i].label);
        ptr += elem_size(ft, cx.ptr_type);
      }
      return v;
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      size_t n = case_count(t);
      uint32_t disc_size = discriminant_size(n);
      auto index = read_uint(cx, ptr, disc_size);
      if (!index) return unexpected(index.error());
      if (*index >= n)
        return trap("variant discriminant " + std::to_string(*index) + " out of range (" + std::to_string(n) +
                    " cases)");
      const ValType* ct = case_type(t, *index);
      if (!ct) return make_case(t, *index, std::nullopt);
      auto payload = load_at(cx, align_to(ptr + disc_size, max_case_alignment(t, cx.ptr_type)), *ct);
      if (!payload) return payload;
      return make_case(t, *index, std::move(*payload));
    }
    case TypeKind::Flags: {
      auto i = read_uint(cx, ptr, flags_size(t.labels.size()));
      if (!i) return unexpected(i.error());
      return unpack_flags(*i, t);
    }
    default: {  // own, borrow, stream, future, error-context: an i32 index
      auto i = read_uint(cx, ptr, 4);
      if (!i) return unexpected(i.error());
      return lift_handle(cx, t, *i);
    }
  }
}

Expected<Value, Trap> load_list_from_range(CallContext& cx, uint64_t ptr, uint64_t length, const ValType& et,
                                           TypeKind kind) {
  uint64_t esize = elem_size(et, cx.ptr_type);
  WHIRL_TRY(check_list_length(cx, length, esize));
  WHIRL_TRY(check_aligned(ptr, alignment(et, cx.ptr_type), "list"));
  WHIRL_TRY(check_range(cx, ptr, length * esize));
  if (kind == TypeKind::List && et.kind == TypeKind::U8)
    return Value::byte_list(std::string(reinterpret_cast<const char*>(cx.memory().data() + ptr), length));
  return load_list_from_valid_range(cx, ptr, length, et, kind);
}

Expected<Value, Trap> load_list_from_valid_range(CallContext& cx, uint64_t ptr, uint64_t length, const ValType& et,
                                                 TypeKind kind) {
  Value v;
  v.kind = kind;
  v.items.reserve(length);
  uint64_t esize = elem_size(et, cx.ptr_type);
  for (uint64_t i = 0; i < length; ++i) {
    auto e = load_at(cx, ptr + i * esize, et);
    if (!e) return e;
    v.items.push_back(std::move(*e));
  }
  return v;
}

Expected<void, Trap> store_at(CallContext& cx, const Value& v, const ValType& t, uint64_t ptr) {
  uint32_t psize = ptr_size(cx.ptr_type);
  if (v.kind != t.kind) return mismatch(v, t);
  switch (t.kind) {
    case TypeKind::Bool: return write_uint(cx, ptr, 1, v.b ? 1 : 0);
    case TypeKind::S8: case TypeKind::U8: case TypeKind::S16: case TypeKind::U16:
    case TypeKind::S32: case TypeKind::U32: case TypeKind::S64: case TypeKind::U64: {
      auto bits = int_bits(v, t);
      if (!bits) return unexpected(bits.error());
      return write_uint(cx, ptr, int_width(t.kind), *bits);
    }
    case TypeKind::F32: return write_uint(cx, ptr, 4, encode_float_as_i32(v.f32));
    case TypeKind::F64: return write_uint(cx, ptr, 8, encode_float_as_i64(v.f64));
    case TypeKind::Char: {
      if (!convert_i32_to_char(v.u)) return mismatch(v, t);
      return write_uint(cx, ptr, 4, v.u);
    }
    case TypeKind::String: {
      auto s = store_string_into_range(cx, v);
      if (!s) return unexpected(s.error());
      WHIRL_TRY(write_uint(cx, ptr, psize, s->ptr));
      return write_uint(cx, ptr + psize, psize, s->tagged_code_units);
    }
    case TypeKind::List: case TypeKind::Map: {
      ValTypePtr holder;
      const ValType& et = list_elem(t, holder);
      if (t.fixed_length) {
        if (v.list_size() != *t.fixed_length) return mismatch(v, t);
        return store_list_into_valid_range(cx, v, ptr, et);
      }
      auto begin = store_list_into_range(cx, v, et);
      if (!begin) return unexpected(begin.error());
      WHIRL_TRY(write_uint(cx, ptr, psize, *begin));
      return write_uint(cx, ptr + psize, psize, v.list_size());
    }
    case TypeKind::Record: case TypeKind::Tuple: {
      size_t n = field_count(t);
      if (v.items.size() != n) return mismatch(v, t);
      for (size_t i = 0; i < n; ++i) {
        if (t.kind == TypeKind::Record && (i >= v.labels.size() || v.labels[i] != t.fields[i].label))
          return mismatch(v, t);
        const ValType& ft = *field_type(t, i);
        ptr = align_to(ptr, alignment(ft, cx.ptr_type));
        WHIRL_TRY(store_at(cx, v.items[i], ft, ptr));
        ptr += elem_size(ft, cx.ptr_type);
      }
      return {};
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      auto index = match_case(v, t);
      if (!index) return unexpected(index.error());
      uint32_t disc_size = discriminant_size(case_count(t));
      WHIRL_TRY(write_uint(cx, ptr, disc_size, *index));
      const ValType* ct = case_type(t, *index);
      if (!ct) return {};
      return store_at(cx, v.items[0], *ct, align_to(ptr + disc_size, max_case_alignment(t, cx.ptr_type)));
    }
    case TypeKind::Flags: {
      auto i = pack_flags(v, t);
      if (!i) return unexpected(i.error());
      return write_uint(cx, ptr, flags_size(t.labels.size()), *i);
    }
    default: {
      auto h = lower_handle(cx, v, t);
      if (!h) return unexpected(h.error());
      return write_uint(cx, ptr, 4, *h);
    }
  }
}

Expected<uint64_t, Trap> store_list_into_range(CallContext& cx, const Value& v, const ValType& et) {
  uint64_t esize = elem_size(et, cx.ptr_type), ealign = alignment(et, cx.ptr_type);
  WHIRL_TRY(check_list_length(cx, v.list_size(), esize));
  uint64_t byte_length = v.list_size() * esize;
  auto begin = cx.realloc(0, 0, ealign, byte_length);
  if (!begin) return begin;
  WHIRL_TRY(check_aligned(*begin, ealign, "list"));
  WHIRL_TRY(check_range(cx, *begin, byte_length));
  WHIRL_TRY(store_list_into_valid_range(cx, v, *begin, et));
  return *begin;
}

Expected<void, Trap> store_list_into_valid_range(CallContext& cx, const Value& v, uint64_t ptr, const ValType& et) {
  if (v.bytes_form) {
    if (et.kind != TypeKind::U8) return trap("a list of bytes given for a list of another element type");
    return detail::write_bytes(cx, ptr, v.str.data(), v.str.size());
  }
  uint64_t esize = elem_size(et, cx.ptr_type);
  for (size_t i = 0; i < v.items.size(); ++i) WHIRL_TRY(store_at(cx, v.items[i], et, ptr + i * esize));
  return {};
}

}  // namespace

// ---- core values ----

CoreValue CoreValue::f32(float v) { return {CoreType::F32, std::bit_cast<uint32_t>(v)}; }
CoreValue CoreValue::f64(double v) { return {CoreType::F64, std::bit_cast<uint64_t>(v)}; }
float CoreValue::as_f32() const { return std::bit_cast<float>(uint32_t(bits)); }
double CoreValue::as_f64() const { return std::bit_cast<double>(bits); }

std::string to_string(const CoreValue& v) {
  std::string s = to_string(v.type);
  if (v.type == CoreType::F32 || v.type == CoreType::F64) {
    char buf[24];
    snprintf(buf, sizeof buf, ":0x%llx", static_cast<unsigned long long>(v.bits));
    return s + buf;
  }
  return s + ":" + std::to_string(v.bits);
}

Expected<uint64_t, Trap> FlatReader::next(CoreType want) {
  if (pos_ >= vs_.size()) return trap(std::string("missing core value: expected an ") + to_string(want));
  const CoreValue& v = vs_[pos_];
  if (v.type != want)
    return trap("core value " + std::to_string(pos_) + " is " + to_string(v) + ", expected an " + to_string(want));
  ++pos_;
  bool narrow = want == CoreType::I32 || want == CoreType::F32;
  return narrow ? v.bits & 0xffffffffu : v.bits;
}

// ---- top-level load / store ----

Expected<Value, Trap> load(CallContext& cx, uint64_t ptr, const ValType& t) {
  WHIRL_TRY(check_aligned(ptr, alignment(t, cx.ptr_type), "value"));
  WHIRL_TRY(check_range(cx, ptr, elem_size(t, cx.ptr_type)));
  return load_at(cx, ptr, t);
}

Expected<void, Trap> store(CallContext& cx, const Value& v, const ValType& t, uint64_t ptr) {
  WHIRL_TRY(check_aligned(ptr, alignment(t, cx.ptr_type), "value"));
  WHIRL_TRY(check_range(cx, ptr, elem_size(t, cx.ptr_type)));
  return store_at(cx, v, t, ptr);
}


// ---- flat lifting ----

namespace {

// lift_flat_variant's CoerceValueIter: the payload reads the joined core
// types and takes the narrower ones it wants out of them.
class CoerceReader : public FlatReader {
 public:
  CoerceReader(FlatReader& in, const std::vector<CoreType>& have) : FlatReader({}), in_(in), have_(have) {}
  Expected<uint64_t, Trap> next(CoreType want) override {
    if (k_ >= have_.size()) return trap("variant payload reads past its flat values");
    auto x = in_.next(have_[k_++]);
    if (!x) return x;
    // i32->f32, i64->f64: the same bits; i64->i32 and i64->f32: the low 32.
    return (want == CoreType::I32 || want == CoreType::F32) ? *x & 0xffffffffu : *x;
  }
  size_t used() const { return k_; }

 private:
  FlatReader& in_;
  const std::vector<CoreType>& have_;
  size_t k_ = 0;
};

CoreType ptr_core(PtrType p) { return p == PtrType::I32 ? CoreType::I32 : CoreType::I64; }

}  // namespace

Expected<Value, Trap> lift_flat(CallContext& cx, FlatReader& in, const ValType& t) {
  CoreType pt = ptr_core(cx.ptr_type);
  switch (t.kind) {
    case TypeKind::Bool: {
      auto i = in.next(CoreType::I32);
      if (!i) return unexpected(i.error());
      return Value::boolean(*i != 0);
    }
    case TypeKind::S8: case TypeKind::U8: case TypeKind::S16: case TypeKind::U16:
    case TypeKind::S32: case TypeKind::U32: case TypeKind::S64: case TypeKind::U64: {
      auto i = in.next(int_width(t.kind) == 8 ? CoreType::I64 : CoreType::I32);
      if (!i) return unexpected(i.error());
      return int_value(t.kind, *i);  // lift_flat_unsigned/signed: the low bits, wrapped
    }
    case TypeKind::F32: {
      auto i = in.next(CoreType::F32);
      if (!i) return unexpected(i.error());
      return Value::float32(canonicalize_nan32(std::bit_cast<float>(uint32_t(*i))));
    }
    case TypeKind::F64: {
      auto i = in.next(CoreType::F64);
      if (!i) return unexpected(i.error());
      return Value::float64(canonicalize_nan64(std::bit_cast<double>(*i)));
    }
    case TypeKind::Char: {
      auto i = in.next(CoreType::I32);
      if (!i) return unexpected(i.error());
      auto c = convert_i32_to_char(*i);
      if (!c) return unexpected(c.error());
      return Value::character(*c);
    }
    case TypeKind::String: {
      auto ptr = in.next(pt);
      if (!ptr) return unexpected(ptr.error());
      auto units = in.next(pt);
      if (!units) return unexpected(units.error());
      return load_string_from_range(cx, *ptr, *units);
    }
    case TypeKind::List: case TypeKind::Map: {
      ValTypePtr holder;
      const ValType& et = list_elem(t, holder);
      if (t.fixed_length) {
        Value v = Value::list({});
        for (uint32_t i = 0; i < *t.fixed_length; ++i) {
          auto e = lift_flat(cx, in, et);
          if (!e) return e;
          v.items.push_back(std::move(*e));
        }
        return v;
      }
      auto ptr = in.next(pt);
      if (!ptr) return unexpected(ptr.error());
      auto length = in.next(pt);
      if (!length) return unexpected(length.error());
      return load_list_from_range(cx, *ptr, *length, et, t.kind);
    }
    case TypeKind::Record: case TypeKind::Tuple: {
      Value v;
      v.kind = t.kind;
      for (size_t i = 0, n = field_count(t); i < n; ++i) {
        auto f = lift_flat(cx, in, *field_type(t, i));
        if (!f) return f;
        v.items.push_back(std::move(*f));
        if (t.kind == TypeKind::Record) v.labels.push_back(t.fields[i].label);
      }
      return v;
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      std::vector<CoreType> flat = flatten_type(t, cx.ptr_type);
      flat.erase(flat.begin());  // the discriminant
      auto index = in.next(CoreType::I32);
      if (!index) return unexpected(index.error());
      size_t n = case_count(t);
      if (*index >= n)
        return trap("variant discriminant " + std::to_string(*index) + " out of range (" + std::to_string(n) +
                    " cases)");
      CoerceReader payload_in(in, flat);
      std::optional<Value> payload;
      if (const ValType* ct = case_type(t, *index)) {
        auto p = lift_flat(cx, payload_in, *ct);
        if (!p) return p;
        payload = std::move(*p);
      }
      for (size_t i = payload_in.used(); i < flat.size(); ++i) {
        auto skip = in.next(flat[i]);
        if (!skip) return unexpected(skip.error());
      }
      return make_case(t, *index, std::move(payload));
    }
    case TypeKind::Flags: {
      auto i = in.next(CoreType::I32);
      if (!i) return unexpected(i.error());
      return unpack_flags(*i, t);
    }
    default: {
      auto i = in.next(CoreType::I32);
      if (!i) return unexpected(i.error());
      return lift_handle(cx, t, *i);
    }
  }
}

// ---- flat lowering ----

Expected<void, Trap> lower_flat(CallContext& cx, const Value& v, const ValType& t, std::vector<CoreValue>& out) {
  CoreType pt = ptr_core(cx.ptr_type);
  if (v.kind != t.kind) return mismatch(v, t);
  switch (t.kind) {
    case TypeKind::Bool: out.push_back(CoreValue::i32(v.b ? 1 : 0)); return {};
    case TypeKind::S8: case TypeKind::U8: case TypeKind::S16: case TypeKind::U16:
    case TypeKind::S32: case TypeKind::U32: case TypeKind::S64: case TypeKind::U64: {
      auto bits = int_bits(v, t);
      if (!bits) return unexpected(bits.error());
      if (int_width(t.kind) == 8) {
        out.push_back(CoreValue::i64(*bits));
      } else {
        // lower_flat_signed: a negative value as its 32-bit two's complement.
        uint64_t x = is_signed(t.kind) ? uint64_t(uint32_t(int32_t(v.s))) : *bits;
        out.push_back(CoreValue::i32(uint32_t(x)));
      }
      return {};
    }
    case TypeKind::F32: out.push_back({CoreType::F32, encode_float_as_i32(v.f32)}); return {};
    case TypeKind::F64: out.push_back({CoreType::F64, encode_float_as_i64(v.f64)}); return {};
    case TypeKind::Char:
      if (!convert_i32_to_char(v.u)) return mismatch(v, t);
      out.push_back(CoreValue::i32(uint32_t(v.u)));
      return {};
    case TypeKind::String: {
      auto s = store_string_into_range(cx, v);
      if (!s) return unexpected(s.error());
      out.push_back({pt, s->ptr});
      out.push_back({pt, s->tagged_code_units});
      return {};
    }
    case TypeKind::List: case TypeKind::Map: {
      ValTypePtr holder;
      const ValType& et = list_elem(t, holder);
      if (t.fixed_length) {
        if (v.list_size() != *t.fixed_length) return mismatch(v, t);
        if (v.bytes_form) {
          for (char c : v.str) WHIRL_TRY(lower_flat(cx, Value::uint(TypeKind::U8, uint8_t(c)), et, out));
          return {};
        }
        for (const Value& e : v.items) WHIRL_TRY(lower_flat(cx, e, et, out));
        return {};
      }
      auto begin = store_list_into_range(cx, v, et);
      if (!begin) return unexpected(begin.error());
      out.push_back({pt, *begin});
      out.push_back({pt, v.list_size()});
      return {};
    }
    case TypeKind::Record: case TypeKind::Tuple: {
      size_t n = field_count(t);
      if (v.items.size() != n) return mismatch(v, t);
      for (size_t i = 0; i < n; ++i) {
        if (t.kind == TypeKind::Record && (i >= v.labels.size() || v.labels[i] != t.fields[i].label))
          return mismatch(v, t);
        WHIRL_TRY(lower_flat(cx, v.items[i], *field_type(t, i), out));
      }
      return {};
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      auto index = match_case(v, t);
      if (!index) return unexpected(index.error());
      std::vector<CoreType> flat = flatten_type(t, cx.ptr_type);
      out.push_back(CoreValue::i32(uint32_t(*index)));
      size_t start = out.size();
      if (const ValType* ct = case_type(t, *index)) WHIRL_TRY(lower_flat(cx, v.items[0], *ct, out));
      // Widen the payload to the joined types (f32 -> i32 and f32/f64 ->
      // i64 keep their bits; i32 -> i64 zero-extends), then pad with zeros.
      for (size_t i = start; i < out.size(); ++i) out[i].type = flat[1 + i - start];
      while (out.size() - start + 1 < flat.size()) out.push_back({flat[out.size() - start + 1], 0});
      return {};
    }
    case TypeKind::Flags: {
      auto i = pack_flags(v, t);
      if (!i) return unexpected(i.error());
      out.push_back(CoreValue::i32(uint32_t(*i)));
      return {};
    }
    default: {
      auto h = lower_handle(cx, v, t);
      if (!h) return unexpected(h.error());
      out.push_back(CoreValue::i32(*h));
      return {};
    }
  }
}

// ---- parameter and result lists ----

namespace {

ValType tuple_of(std::span<const ValTypePtr> ts) {
  ValType t;
  t.kind = TypeKind::Tuple;
  t.elems.assign(ts.begin(), ts.end());
  return t;
}

size_t flat_count(std::span<const ValTypePtr> ts, PtrType p, std::optional<size_t> flat32) {
  if (flat32 && p == PtrType::I32) return *flat32;
  std::vector<CoreType> flat;
  for (const auto& t : ts) flatten_type_into(*t, p, flat);
  return flat.size();
}

}  // namespace

Expected<std::vector<Value>, Trap> lift_flat_values(CallContext& cx, uint32_t max_flat, FlatReader& in,
                                                    std::span<const ValTypePtr> ts, std::optional<size_t> flat32) {
  std::vector<Value> out;
  if (flat_count(ts, cx.ptr_type, flat32) > max_flat) {
    auto ptr = in.next(ptr_core(cx.ptr_type));
    if (!ptr) return unexpected(ptr.error());
    ValType tuple = tuple_of(ts);
    auto v = load(cx, *ptr, tuple);  // traps if misaligned or out of bounds
    if (!v) return unexpected(v.error());
    return std::move(v->items);
  }
  for (const auto& t : ts) {
    auto v = lift_flat(cx, in, *t);
    if (!v) return unexpected(v.error());
    out.push_back(std::move(*v));
  }
  return out;
}

Expected<std::vector<CoreValue>, Trap> lower_flat_values(CallContext& cx, uint32_t max_flat,
                                                         std::span<const Value> vs, std::span<const ValTypePtr> ts,
                                                         std::optional<uint64_t> out_ptr, std::optional<size_t> flat32) {
  if (vs.size() != ts.size())
    return trap(std::to_string(vs.size()) + " values for " + std::to_string(ts.size()) + " types");
  std::vector<CoreValue> out;
  if (flat_count(ts, cx.ptr_type, flat32) > max_flat) {
    ValType tuple = tuple_of(ts);
    uint64_t ptr;
    if (out_ptr) {
      ptr = *out_ptr;
    } else {
      auto p = cx.realloc(0, 0, alignment(tuple, cx.ptr_type), elem_size(tuple, cx.ptr_type));
      if (!p) return unexpected(p.error());
      ptr = *p;
      out.push_back({ptr_core(cx.ptr_type), ptr});
    }
    Value tv = Value::tuple(std::vector<Value>(vs.begin(), vs.end()));
    WHIRL_TRY(store(cx, tv, tuple, ptr));  // traps if misaligned or out of bounds
    return out;
  }
  for (size_t i = 0; i < vs.size(); ++i) WHIRL_TRY(lower_flat(cx, vs[i], *ts[i], out));
  return out;
}

}  // namespace whirl::component::abi
