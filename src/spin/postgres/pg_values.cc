#include "spin/postgres/pg_values.h"

#include <cstring>
#include <vector>

#include "spin/postgres/pg_codec.h"

namespace whirl::spin::postgres {
namespace {

using component::TypeKind;

const PgType kBuiltins[] = {
    {oid::kBool, "bool"},           {oid::kBytea, "bytea"},         {oid::kChar, "char"},
    {oid::kName, "name"},           {oid::kInt8, "int8"},           {oid::kInt2, "int2"},
    {oid::kInt4, "int4"},           {oid::kText, "text"},           {26, "oid"},
    {oid::kJson, "json"},           {oid::kFloat4, "float4"},       {oid::kFloat8, "float8"},
    {oid::kUnknown, "unknown"},     {oid::kBpchar, "bpchar"},       {oid::kVarchar, "varchar"},
    {oid::kDate, "date"},           {oid::kTime, "time"},           {oid::kTimestamp, "timestamp"},
    {oid::kTimestamptz, "timestamptz"}, {oid::kInterval, "interval"}, {1266, "timetz"},
    {oid::kNumeric, "numeric"},     {oid::kUuid, "uuid"},           {oid::kJsonb, "jsonb"},
    {869, "inet"},                  {650, "cidr"},                  {829, "macaddr"},
    {1560, "bit"},                  {1562, "varbit"},               {790, "money"},
    {142, "xml"},                   {2278, "void"},                 {2249, "record"},
    {oid::kInt4Range, "int4range", 0, oid::kInt4}, {oid::kInt8Range, "int8range", 0, oid::kInt8},
    {oid::kNumRange, "numrange", 0, oid::kNumeric}, {3908, "tsrange", 0, oid::kTimestamp},
    {3910, "tstzrange", 0, oid::kTimestamptz}, {3912, "daterange", 0, oid::kDate},
    {1000, "_bool", oid::kBool},    {1001, "_bytea", oid::kBytea},  {1002, "_char", oid::kChar},
    {1003, "_name", oid::kName},    {1005, "_int2", oid::kInt2},    {oid::kInt4Array, "_int4", oid::kInt4},
    {oid::kTextArray, "_text", oid::kText}, {oid::kBpcharArray, "_bpchar", oid::kBpchar},
    {oid::kVarcharArray, "_varchar", oid::kVarchar}, {oid::kInt8Array, "_int8", oid::kInt8},
    {1021, "_float4", oid::kFloat4}, {1022, "_float8", oid::kFloat8}, {oid::kNumericArray, "_numeric", oid::kNumeric},
    {2951, "_uuid", oid::kUuid},    {3807, "_jsonb", oid::kJsonb},  {199, "_json", oid::kJson},
    {1182, "_date", oid::kDate},    {1115, "_timestamp", oid::kTimestamp}, {1185, "_timestamptz", oid::kTimestamptz},
};

// The Rust type Spin converts each parameter-value case to, for messages.
const char* rust_type(const std::string& label) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"boolean", "bool"}, {"int8", "i8"}, {"int16", "i16"}, {"int32", "i32"}, {"int64", "i64"},
      {"floating32", "f32"}, {"floating64", "f64"}, {"str", "alloc::string::String"},
      {"binary", "alloc::vec::Vec<u8>"}, {"date", "chrono::naive::date::NaiveDate"},
      {"time", "chrono::naive::time::NaiveTime"}, {"datetime", "chrono::naive::datetime::NaiveDateTime"},
      {"timestamp", "chrono::datetime::DateTime<chrono::offset::utc::Utc>"}, {"uuid", "uuid::Uuid"},
      {"jsonb", "serde_json::value::Value"}, {"decimal", "rust_decimal::decimal::Decimal"},
      {"range-int32", "postgres_range::Range<i32>"}, {"range-int64", "postgres_range::Range<i64>"},
      {"range-decimal", "postgres_range::Range<RangeableDecimal>"},
      {"array-int32", "alloc::vec::Vec<core::option::Option<i32>>"},
      {"array-int64", "alloc::vec::Vec<core::option::Option<i64>>"},
      {"array-decimal", "alloc::vec::Vec<core::option::Option<rust_decimal::decimal::Decimal>>"},
      {"array-str", "alloc::vec::Vec<core::option::Option<alloc::string::String>>"}, {"interval", "Interval"}};
  for (const auto& [l, n] : kNames)
    if (label == l) return n;
  return "?";
}

bool str_accepts(const PgType* t) {
  if (!t) return false;
  switch (t->oid) {
    case oid::kVarchar: case oid::kText: case oid::kBpchar: case oid::kName: case oid::kUnknown: return true;
    default: return t->name == "citext" || t->name == "ltree" || t->name == "lquery" || t->name == "ltxtquery";
  }
}

bool accepts(const std::string& label, const PgType& t, const TypeLookup& types) {
  auto elem = [&]() -> const PgType* { return t.elem ? types(t.elem) : nullptr; };
  if (label == "boolean") return t.oid == oid::kBool;
  if (label == "int8") return t.oid == oid::kChar;
  if (label == "int16") return t.oid == oid::kInt2;
  if (label == "int32") return t.oid == oid::kInt4;
  if (label == "int64") return t.oid == oid::kInt8;
  if (label == "floating32") return t.oid == oid::kFloat4;
  if (label == "floating64") return t.oid == oid::kFloat8;
  if (label == "str") return str_accepts(&t);
  if (label == "binary") return t.oid == oid::kBytea;
  if (label == "date") return t.oid == oid::kDate;
  if (label == "time") return t.oid == oid::kTime;
  if (label == "datetime") return t.oid == oid::kTimestamp;
  if (label == "timestamp") return t.oid == oid::kTimestamptz;
  if (label == "uuid") return t.oid == oid::kUuid;
  if (label == "jsonb") return t.oid == oid::kJson || t.oid == oid::kJsonb;
  if (label == "decimal") return t.oid == oid::kNumeric;
  if (label == "range-int32") return t.range_sub == oid::kInt4;
  if (label == "range-int64") return t.range_sub == oid::kInt8;
  if (label == "range-decimal") return t.range_sub == oid::kNumeric;
  if (label == "array-int32") return t.elem == oid::kInt4;
  if (label == "array-int64") return t.elem == oid::kInt8;
  if (label == "array-decimal") return t.elem == oid::kNumeric;
  if (label == "array-str") return str_accepts(elem());
  if (label == "interval") return t.oid == oid::kInterval;
  return label == "db-null";
}

uint64_t u(const Value& v) { return v.u; }

DateTime datetime_of(const Value& tuple) {
  const auto& f = tuple.items;
  DateTime t;
  t.year = f[0].s, t.month = unsigned(u(f[1])), t.day = unsigned(u(f[2]));
  t.hour = unsigned(u(f[3])), t.minute = unsigned(u(f[4])), t.second = unsigned(u(f[5]));
  t.nanos = uint32_t(u(f[6]));
  return t;
}

// chrono's range of DateTime::<Utc>::from_timestamp(secs, 0).
bool epoch_seconds_ok(int64_t secs) {
  int64_t days = secs / 86400 - (secs % 86400 < 0);
  if (days > INT32_MAX || days < INT32_MIN) return false;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  return chrono_year_ok(y);
}

std::string date_error(const Value& t) {
  return "invalid date y=" + std::to_string(t.items[0].s) + ", m=" + std::to_string(u(t.items[1])) +
         ", d=" + std::to_string(u(t.items[2]));
}
std::string time_error(const Value& h, const Value& m, const Value& s, const Value& ns) {
  return "invalid time " + std::to_string(u(h)) + ":" + std::to_string(u(m)) + ":" + std::to_string(u(s)) + ":" +
         std::to_string(u(ns));
}

Expected<void> check_decimal(const std::string& text) {
  if (!decimal_to_numeric(text)) return make_error("invalid decimal " + text);
  return {};
}

Expected<void> check_range_bounds(const Value& range) {
  for (const Value& side : range.items)
    if (!side.items.empty())
      if (auto ok = check_decimal(side.items[0].items[0].str); !ok) return ok;
  return {};
}

// postgres_range: integer bounds are made canonical ([lo, hi)), and a
// range whose lower bound is not below its upper one is empty.
template <class T>
std::string encode_range(const Value& range, bool discrete, uint32_t sub,
                         const std::function<std::string(const Value&)>& bytes_of) {
  (void)sub;
  struct Bound {
    bool present = false, inclusive = false;
    T value{};
    std::string text;
  };
  Bound b[2];
  for (int k = 0; k < 2; ++k) {
    const Value& side = range.items[size_t(k)];
    if (side.items.empty()) continue;
    const Value& tuple = side.items[0];
    b[k].present = true;
    b[k].inclusive = tuple.items[1].label == "inclusive";
    if constexpr (std::is_same_v<T, int64_t>) {
      b[k].value = tuple.items[0].s;
      if (discrete && k == 0 && !b[k].inclusive) ++b[k].value, b[k].inclusive = true;
      if (discrete && k == 1 && b[k].inclusive) ++b[k].value, b[k].inclusive = false;
    }
    Value bound = tuple.items[0];
    if constexpr (std::is_same_v<T, int64_t>) bound.s = b[k].value;
    b[k].text = bytes_of(bound);
  }
  bool empty = false;
  if (b[0].present && b[1].present) {
    if constexpr (std::is_same_v<T, int64_t>) {
      empty = b[0].inclusive && b[1].inclusive ? b[0].value > b[1].value : b[0].value >= b[1].value;
    }
  }
  std::string out;
  uint8_t flags = 0;
  if (empty) {
    out.push_back(char(0x01));
    return out;
  }
  if (!b[0].present) flags |= 0x08;
  else if (b[0].inclusive) flags |= 0x02;
  if (!b[1].present) flags |= 0x10;
  else if (b[1].inclusive) flags |= 0x04;
  out.push_back(char(flags));
  for (const Bound& x : b)
    if (x.present) {
      put_i32(out, int32_t(x.text.size()));
      out += x.text;
    }
  return out;
}

std::string encode_array(const Value& list, uint32_t elem_oid,
                         const std::function<std::string(const Value&)>& bytes_of) {
  std::string out;
  bool nulls = false;
  for (const Value& o : list.items) nulls |= o.items.empty();
  put_i32(out, 1);
  put_i32(out, nulls ? 1 : 0);
  put_i32(out, int32_t(elem_oid));
  put_i32(out, int32_t(list.items.size()));
  put_i32(out, 1);
  for (const Value& o : list.items) {
    if (o.items.empty()) {
      put_i32(out, -1);
      continue;
    }
    std::string b = bytes_of(o.items[0]);
    put_i32(out, int32_t(b.size()));
    out += b;
  }
  return out;
}

std::string be32(int64_t v) {
  std::string s;
  put_i32(s, int32_t(v));
  return s;
}
std::string be64(int64_t v) {
  std::string s;
  put_i64(s, v);
  return s;
}
std::string numeric_of(const Value& v) { return decimal_to_numeric(v.str).value_or(std::string()); }

}  // namespace

const PgType* builtin_type(uint32_t id) {
  for (const PgType& t : kBuiltins)
    if (t.oid == id) return &t;
  return nullptr;
}

Expected<void> check_param(const Value& p) {
  const std::string& l = p.label;
  const Value* v = p.payload();
  if (!v) return {};
  if (l == "date") {
    if (!valid_date(v->items[0].s, unsigned(u(v->items[1])), unsigned(u(v->items[2])))) return make_error(date_error(*v));
  } else if (l == "time") {
    const auto& f = v->items;
    if (!valid_time(unsigned(u(f[0])), unsigned(u(f[1])), unsigned(u(f[2])), uint32_t(u(f[3]))))
      return make_error(time_error(f[0], f[1], f[2], f[3]));
  } else if (l == "datetime") {
    const auto& f = v->items;
    if (!valid_date(f[0].s, unsigned(u(f[1])), unsigned(u(f[2])))) return make_error(date_error(*v));
    if (!valid_time(unsigned(u(f[3])), unsigned(u(f[4])), unsigned(u(f[5])), uint32_t(u(f[6]))))
      return make_error(time_error(f[3], f[4], f[5], f[6]));
  } else if (l == "timestamp") {
    if (!epoch_seconds_ok(v->s)) return make_error("invalid epoch timestamp " + std::to_string(v->s));
  } else if (l == "uuid") {
    if (!parse_uuid(v->str)) return make_error("invalid UUID " + v->str);
  } else if (l == "jsonb") {
    std::string text = v->list_bytes();
    if (!normalize_json(text)) return make_error("invalid JSON " + text);
  } else if (l == "decimal") {
    return check_decimal(v->str);
  } else if (l == "range-decimal") {
    return check_range_bounds(*v);
  } else if (l == "array-decimal") {
    for (const Value& o : v->items)
      if (!o.items.empty())
        if (auto ok = check_decimal(o.items[0].str); !ok) return ok;
  }
  return {};
}

Expected<std::optional<std::string>> encode_param(const Value& p, const PgType& t, const TypeLookup& types) {
  const std::string& l = p.label;
  if (!accepts(l, t, types))
    return make_error(std::string("cannot convert between the Rust type `") + rust_type(l) +
                      "` and the Postgres type `" + t.name + "`");
  const Value* v = p.payload();
  if (!v) return std::optional<std::string>();  // db-null
  std::string out;
  if (l == "boolean") out.push_back(v->b ? 1 : 0);
  else if (l == "int8") out.push_back(char(int8_t(v->s)));
  else if (l == "int16") put_i16(out, int16_t(v->s));
  else if (l == "int32") put_i32(out, int32_t(v->s));
  else if (l == "int64") put_i64(out, v->s);
  else if (l == "floating32") {
    uint32_t bits;
    std::memcpy(&bits, &v->f32, 4);
    put_i32(out, int32_t(bits));
  } else if (l == "floating64") {
    uint64_t bits;
    std::memcpy(&bits, &v->f64, 8);
    put_i64(out, int64_t(bits));
  } else if (l == "str") out = v->str;
  else if (l == "binary") out = v->list_bytes();
  else if (l == "date") {
    put_i32(out, int32_t(days_from_civil(v->items[0].s, unsigned(u(v->items[1])), unsigned(u(v->items[2]))) -
                         kPgEpochDays));
  } else if (l == "time") {
    const auto& f = v->items;
    put_i64(out, int64_t(u(f[0]) * 3600 + u(f[1]) * 60 + u(f[2])) * 1'000'000 + int64_t(u(f[3]) / 1000));
  } else if (l == "datetime") put_i64(out, civil_to_timestamp(datetime_of(*v)));
  else if (l == "timestamp") put_i64(out, (v->s - kPgEpochDays * 86400) * 1'000'000);
  else if (l == "uuid") {
    auto b = *parse_uuid(v->str);
    out.assign(reinterpret_cast<const char*>(b.data()), 16);
  } else if (l == "jsonb") {
    if (t.oid == oid::kJsonb) out.push_back(1);
    out += *normalize_json(v->list_bytes());
  } else if (l == "decimal") out = numeric_of(*v);
  else if (l == "range-int32")
    out = encode_range<int64_t>(*v, true, t.range_sub, [](const Value& x) { return be32(x.s); });
  else if (l == "range-int64")
    out = encode_range<int64_t>(*v, true, t.range_sub, [](const Value& x) { return be64(x.s); });
  else if (l == "range-decimal")
    out = encode_range<std::string>(*v, false, t.range_sub, numeric_of);
  else if (l == "array-int32") out = encode_array(*v, t.elem, [](const Value& x) { return be32(x.s); });
  else if (l == "array-int64") out = encode_array(*v, t.elem, [](const Value& x) { return be64(x.s); });
  else if (l == "array-decimal") out = encode_array(*v, t.elem, numeric_of);
  else if (l == "array-str") out = encode_array(*v, t.elem, [](const Value& x) { return x.str; });
  else if (l == "interval") {
    put_i64(out, v->items[0].s);
    put_i32(out, int32_t(v->items[1].s));
    put_i32(out, int32_t(v->items[2].s));
  }
  return std::optional<std::string>(std::move(out));
}

Value column_type(const PgType& t) {
  switch (t.oid) {
    case oid::kBool: return Value::variant("boolean");
    case oid::kBytea: return Value::variant("binary");
    case oid::kFloat4: return Value::variant("floating32");
    case oid::kFloat8: return Value::variant("floating64");
    case oid::kInt2: return Value::variant("int16");
    case oid::kInt4: return Value::variant("int32");
    case oid::kInt8: return Value::variant("int64");
    case oid::kText: case oid::kVarchar: case oid::kBpchar: return Value::variant("str");
    case oid::kTimestamp: case oid::kTimestamptz: return Value::variant("datetime");
    case oid::kDate: return Value::variant("date");
    case oid::kTime: return Value::variant("time");
    case oid::kUuid: return Value::variant("uuid");
    case oid::kJsonb: return Value::variant("jsonb");
    case oid::kNumeric: return Value::variant("decimal");
    case oid::kInt4Range: return Value::variant("range-int32");
    case oid::kInt8Range: return Value::variant("range-int64");
    case oid::kNumRange: return Value::variant("range-decimal");
    case oid::kInt4Array: return Value::variant("array-int32");
    case oid::kInt8Array: return Value::variant("array-int64");
    case oid::kNumericArray: return Value::variant("array-decimal");
    case oid::kTextArray: case oid::kVarcharArray: case oid::kBpcharArray: return Value::variant("array-str");
    case oid::kInterval: return Value::variant("interval");
    default: return Value::variant("other", Value::string(t.name));
  }
}

namespace {

Value sint(TypeKind k, int64_t v) { return Value::sint(k, v); }
Value uint(TypeKind k, uint64_t v) { return Value::uint(k, v); }

struct Reader {
  const char* p;
  size_t n;
  bool take(size_t k, const char*& out) {
    if (n < k) return false;
    out = p, p += k, n -= k;
    return true;
  }
};

Value datetime_value(const DateTime& t) {
  return Value::tuple({sint(TypeKind::S32, t.year), uint(TypeKind::U8, t.month), uint(TypeKind::U8, t.day),
                       uint(TypeKind::U8, t.hour), uint(TypeKind::U8, t.minute), uint(TypeKind::U8, t.second),
                       uint(TypeKind::U32, t.nanos)});
}

Expected<Value> decode_range(const char* data, int len, TypeKind kind) {
  Reader r{data, size_t(len)};
  const char* f;
  if (!r.take(1, f)) return make_error("invalid range");
  uint8_t flags = uint8_t(*f);
  std::vector<Value> sides;
  auto bound = [&](bool present, bool inclusive) -> Expected<Value> {
    if (!present) return Value::none();
    const char* lp;
    if (!r.take(4, lp)) return make_error("invalid range");
    int32_t blen = get_i32(lp);
    const char* b;
    if (blen < 0 || !r.take(size_t(blen), b)) return make_error("invalid range");
    Value v;
    if (kind == TypeKind::S32) v = sint(TypeKind::S32, get_i32(b));
    else if (kind == TypeKind::S64) v = sint(TypeKind::S64, get_i64(b));
    else {
      auto d = numeric_to_decimal(std::string_view(b, size_t(blen)));
      if (!d) return unexpected(d.error());
      v = Value::string(*d);
    }
    return Value::some(Value::tuple({std::move(v), Value::enumeration(inclusive ? "inclusive" : "exclusive")}));
  };
  if (flags & 0x01) return Value::tuple({Value::none(), Value::none()});
  auto lo = bound(!(flags & 0x08), flags & 0x02);
  if (!lo) return lo;
  auto hi = bound(!(flags & 0x10), flags & 0x04);
  if (!hi) return hi;
  return Value::tuple({std::move(*lo), std::move(*hi)});
}

Expected<Value> decode_array(const char* data, int len, const std::function<Expected<Value>(const char*, int)>& elem) {
  Reader r{data, size_t(len)};
  const char* h;
  if (!r.take(12, h)) return make_error("invalid array");
  int32_t ndim = get_i32(h);
  if (ndim > 1) return make_error("array contains too many dimensions");
  std::vector<Value> items;
  if (ndim == 0) return Value::list({});
  const char* d;
  if (!r.take(8, d)) return make_error("invalid array");
  int32_t count = get_i32(d);
  for (int32_t i = 0; i < count; ++i) {
    const char* lp;
    if (!r.take(4, lp)) return make_error("invalid array");
    int32_t elen = get_i32(lp);
    if (elen < 0) {
      items.push_back(Value::none());
      continue;
    }
    const char* e;
    if (!r.take(size_t(elen), e)) return make_error("invalid array");
    auto v = elem(e, elen);
    if (!v) return v;
    items.push_back(Value::some(std::move(*v)));
  }
  return Value::list(std::move(items));
}

Expected<Value> wrong_size() { return make_error("invalid buffer size"); }

}  // namespace

Expected<Value> decode_value(const PgType& t, const char* data, int len, bool null) {
  // tokio-postgres checks the type before the value: a timestamptz column
  // fails even where it is NULL (Spin reads timestamps as NaiveDateTime).
  if (t.oid == oid::kTimestamptz)
    return make_error("cannot convert between the Rust type `chrono::naive::datetime::NaiveDateTime` and the "
                      "Postgres type `timestamptz`");
  if (null) return Value::variant("db-null");
  auto need = [&](int n) { return len == n; };
  switch (t.oid) {
    case oid::kBool:
      if (!need(1)) return wrong_size();
      return Value::variant("boolean", Value::boolean(data[0] != 0));
    case oid::kBytea: return Value::variant("binary", Value::byte_list(std::string(data, size_t(len))));
    case oid::kFloat4: {
      if (!need(4)) return wrong_size();
      uint32_t bits = uint32_t(get_i32(data));
      float f;
      std::memcpy(&f, &bits, 4);
      return Value::variant("floating32", Value::float32(f));
    }
    case oid::kFloat8: {
      if (!need(8)) return wrong_size();
      uint64_t bits = uint64_t(get_i64(data));
      double f;
      std::memcpy(&f, &bits, 8);
      return Value::variant("floating64", Value::float64(f));
    }
    case oid::kInt2:
      if (!need(2)) return wrong_size();
      return Value::variant("int16", sint(TypeKind::S16, get_i16(data)));
    case oid::kInt4:
      if (!need(4)) return wrong_size();
      return Value::variant("int32", sint(TypeKind::S32, get_i32(data)));
    case oid::kInt8:
      if (!need(8)) return wrong_size();
      return Value::variant("int64", sint(TypeKind::S64, get_i64(data)));
    case oid::kText: case oid::kVarchar: case oid::kBpchar:
      return Value::variant("str", Value::string(std::string(data, size_t(len))));
    case oid::kTimestamp: {
      if (!need(8)) return wrong_size();
      auto dt = timestamp_to_civil(get_i64(data));
      if (!dt) return make_error("value too large to decode");
      return Value::variant("datetime", datetime_value(*dt));
    }
    case oid::kDate: {
      if (!need(4)) return wrong_size();
      int64_t y;
      unsigned m, d;
      civil_from_days(int64_t(get_i32(data)) + kPgEpochDays, y, m, d);
      if (!chrono_year_ok(y)) return make_error("value too large to decode");
      return Value::variant("date", Value::tuple({sint(TypeKind::S32, y), uint(TypeKind::U8, m), uint(TypeKind::U8, d)}));
    }
    case oid::kTime: {
      if (!need(8)) return wrong_size();
      // chrono adds the microseconds to midnight, wrapping 24:00:00 to 00:00:00.
      int64_t us = get_i64(data) % 86'400'000'000;
      if (us < 0) us += 86'400'000'000;
      int64_t s = us / 1'000'000;
      return Value::variant("time", Value::tuple({uint(TypeKind::U8, uint64_t(s / 3600)), uint(TypeKind::U8, uint64_t(s / 60 % 60)),
                                                  uint(TypeKind::U8, uint64_t(s % 60)),
                                                  uint(TypeKind::U32, uint64_t(us % 1'000'000 * 1000))}));
    }
    case oid::kUuid:
      if (!need(16)) return wrong_size();
      return Value::variant("uuid", Value::string(format_uuid(reinterpret_cast<const uint8_t*>(data))));
    case oid::kJsonb: {
      if (len < 1 || data[0] != 1) return make_error("unsupported JSONB encoding version");
      auto j = normalize_json(std::string_view(data + 1, size_t(len - 1)));
      if (!j) return make_error("invalid JSON from database");
      return Value::variant("jsonb", Value::byte_list(std::move(*j)));
    }
    case oid::kNumeric: {
      auto d = numeric_to_decimal(std::string_view(data, size_t(len)));
      if (!d) return unexpected(d.error());
      return Value::variant("decimal", Value::string(std::move(*d)));
    }
    case oid::kInt4Range: case oid::kInt8Range: case oid::kNumRange: {
      TypeKind k = t.oid == oid::kInt4Range ? TypeKind::S32 : t.oid == oid::kInt8Range ? TypeKind::S64 : TypeKind::String;
      auto r = decode_range(data, len, k);
      if (!r) return r;
      const char* label = k == TypeKind::S32 ? "range-int32" : k == TypeKind::S64 ? "range-int64" : "range-decimal";
      return Value::variant(label, std::move(*r));
    }
    case oid::kInt4Array: case oid::kInt8Array: case oid::kNumericArray:
    case oid::kTextArray: case oid::kVarcharArray: case oid::kBpcharArray: {
      uint32_t o = t.oid;
      auto a = decode_array(data, len, [o](const char* e, int n) -> Expected<Value> {
        if (o == oid::kInt4Array) {
          if (n != 4) return wrong_size();
          return sint(TypeKind::S32, get_i32(e));
        }
        if (o == oid::kInt8Array) {
          if (n != 8) return wrong_size();
          return sint(TypeKind::S64, get_i64(e));
        }
        if (o == oid::kNumericArray) {
          auto d = numeric_to_decimal(std::string_view(e, size_t(n)));
          if (!d) return unexpected(d.error());
          return Value::string(std::move(*d));
        }
        return Value::string(std::string(e, size_t(n)));
      });
      if (!a) return a;
      const char* label = o == oid::kInt4Array ? "array-int32" : o == oid::kInt8Array ? "array-int64"
                          : o == oid::kNumericArray ? "array-decimal" : "array-str";
      return Value::variant(label, std::move(*a));
    }
    case oid::kInterval:
      if (!need(16)) return make_error("unexpected binary format for Postgres INTERVAL");
      return Value::variant("interval", Value::record({{"micros", sint(TypeKind::S64, get_i64(data))},
                                                        {"days", sint(TypeKind::S32, get_i32(data + 8))},
                                                        {"months", sint(TypeKind::S32, get_i32(data + 12))}}));
    default: return Value::variant("unsupported", Value::byte_list(std::string(data, size_t(len))));
  }
}

}  // namespace whirl::spin::postgres
