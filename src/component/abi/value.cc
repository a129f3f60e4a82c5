#include "component/abi/value.h"

#include "common/utf8.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace whirl::component::abi {

Value Value::boolean(bool v) { Value x; x.kind = TypeKind::Bool; x.b = v; return x; }
Value Value::sint(TypeKind k, int64_t v) { Value x; x.kind = k; x.s = v; return x; }
Value Value::uint(TypeKind k, uint64_t v) { Value x; x.kind = k; x.u = v; return x; }
Value Value::float32(float v) { Value x; x.kind = TypeKind::F32; x.f32 = v; return x; }
Value Value::float64(double v) { Value x; x.kind = TypeKind::F64; x.f64 = v; return x; }
Value Value::character(uint32_t c) { Value x; x.kind = TypeKind::Char; x.u = c; return x; }

Value Value::string(std::string utf8, StringSource source) {
  Value x;
  x.kind = TypeKind::String;
  x.str = std::move(utf8);
  x.source = source;
  return x;
}

Value Value::list(std::vector<Value> items) { Value x; x.kind = TypeKind::List; x.items = std::move(items); return x; }
Value Value::byte_list(std::string bytes) {
  Value x;
  x.kind = TypeKind::List;
  x.bytes_form = true;
  x.str = std::move(bytes);
  return x;
}

std::string Value::list_bytes() const {
  if (bytes_form) return str;
  std::string out;
  out.reserve(items.size());
  for (const auto& v : items) out.push_back(char(v.kind == TypeKind::S8 ? uint8_t(v.s) : uint8_t(v.u)));
  return out;
}
Value Value::tuple(std::vector<Value> items) { Value x; x.kind = TypeKind::Tuple; x.items = std::move(items); return x; }

Value Value::record(std::vector<std::pair<std::string, Value>> fields) {
  Value x;
  x.kind = TypeKind::Record;
  for (auto& [name, v] : fields) {
    x.labels.push_back(std::move(name));
    x.items.push_back(std::move(v));
  }
  return x;
}

Value Value::variant(std::string label) { Value x; x.kind = TypeKind::Variant; x.label = std::move(label); return x; }
Value Value::variant(std::string label, Value payload) {
  Value x = variant(std::move(label));
  x.items.push_back(std::move(payload));
  return x;
}
Value Value::enumeration(std::string label) { Value x; x.kind = TypeKind::Enum; x.label = std::move(label); return x; }
Value Value::none() { Value x; x.kind = TypeKind::Option; return x; }
Value Value::some(Value v) { Value x = none(); x.items.push_back(std::move(v)); return x; }
Value Value::ok() { Value x; x.kind = TypeKind::Result; return x; }
Value Value::ok(Value v) { Value x = ok(); x.items.push_back(std::move(v)); return x; }
Value Value::err() { Value x = ok(); x.is_err = true; return x; }
Value Value::err(Value v) { Value x = err(); x.items.push_back(std::move(v)); return x; }
Value Value::flags(std::vector<std::string> set) { Value x; x.kind = TypeKind::Flags; x.labels = std::move(set); return x; }
Value Value::own(uint32_t h) { Value x; x.kind = TypeKind::Own; x.u = h; return x; }
Value Value::borrow(uint32_t h) { Value x; x.kind = TypeKind::Borrow; x.u = h; return x; }

bool operator==(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == TypeKind::List && (a.bytes_form || b.bytes_form))
    return a.list_size() == b.list_size() && a.list_bytes() == b.list_bytes();
  switch (a.kind) {
    case TypeKind::Bool: return a.b == b.b;
    case TypeKind::S8: case TypeKind::S16: case TypeKind::S32: case TypeKind::S64: return a.s == b.s;
    case TypeKind::F32: return (std::isnan(a.f32) && std::isnan(b.f32)) || a.f32 == b.f32;
    case TypeKind::F64: return (std::isnan(a.f64) && std::isnan(b.f64)) || a.f64 == b.f64;
    case TypeKind::String: return a.str == b.str;
    case TypeKind::Record: return a.labels == b.labels && a.items == b.items;
    case TypeKind::Variant: case TypeKind::Enum: return a.label == b.label && a.items == b.items;
    case TypeKind::Result: return a.is_err == b.is_err && a.items == b.items;
    case TypeKind::List: case TypeKind::Tuple: case TypeKind::Map: case TypeKind::Option: return a.items == b.items;
    case TypeKind::Flags: {
      auto x = a.labels, y = b.labels;
      std::sort(x.begin(), x.end());
      std::sort(y.begin(), y.end());
      return x == y;
    }
    default: return a.u == b.u;  // unsigned, char, handles
  }
}

namespace {

// WAVE escapes inside "..." and '...'.
void append_escaped(std::string& out, uint32_t c, char quote) {
  switch (c) {
    case '\\': out += "\\\\"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  if (c == uint32_t(quote)) {
    out += '\\';
    out += quote;
  } else if (c < 0x20 || c == 0x7F) {
    char buf[16];
    auto r = std::to_chars(buf, buf + sizeof buf, c, 16);
    out += "\\u{" + std::string(buf, r.ptr) + "}";
  } else {
    append_utf8(out, c);
  }
}

template <class F>
std::string float_text(F f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

void print(std::string& out, const Value& v);

void print_items(std::string& out, const std::vector<Value>& items, const char* open, const char* close) {
  out += open;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    print(out, items[i]);
  }
  out += close;
}

void print_payload(std::string& out, const std::string& name, const Value& v) {
  out += name;
  if (const Value* p = v.payload()) {
    out += '(';
    print(out, *p);
    out += ')';
  }
}

void print(std::string& out, const Value& v) {
  switch (v.kind) {
    case TypeKind::Bool: out += v.b ? "true" : "false"; return;
    case TypeKind::S8: case TypeKind::S16: case TypeKind::S32: case TypeKind::S64: out += std::to_string(v.s); return;
    case TypeKind::U8: case TypeKind::U16: case TypeKind::U32: case TypeKind::U64: out += std::to_string(v.u); return;
    case TypeKind::F32: out += float_text(v.f32); return;
    case TypeKind::F64: out += float_text(v.f64); return;
    case TypeKind::Char:
      out += '\'';
      append_escaped(out, uint32_t(v.u), '\'');
      out += '\'';
      return;
    case TypeKind::String: {
      out += '"';
      // Decode UTF-8 to escape per code point; bytes that are not UTF-8
      // (only in a hand-made value) print as U+FFFD.
      const auto* s = reinterpret_cast<const unsigned char*>(v.str.data());
      size_t n = v.str.size();
      for (size_t i = 0; i < n;) {
        uint32_t c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n) {
          append_utf8(out, 0xFFFD);
          ++i;
          continue;
        }
        if (len > 1) {
          c &= 0x3F >> (len - 1);
          for (size_t k = 1; k < len; ++k) c = (c << 6) | (s[i + k] & 0x3F);
        }
        append_escaped(out, c, '"');
        i += len;
      }
      out += '"';
      return;
    }
    case TypeKind::List: case TypeKind::Map:
      if (v.bytes_form) {
        out += '[';
        for (size_t i = 0; i < v.str.size(); ++i) out += (i ? ", " : "") + std::to_string(uint8_t(v.str[i]));
        out += ']';
        return;
      }
      print_items(out, v.items, "[", "]");
      return;
    case TypeKind::Tuple: print_items(out, v.items, "(", ")"); return;
    case TypeKind::Record:
      out += '{';
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        out += (i < v.labels.size() ? v.labels[i] : "?") + ": ";
        print(out, v.items[i]);
      }
      out += '}';
      return;
    case TypeKind::Variant: case TypeKind::Enum: print_payload(out, v.label, v); return;
    case TypeKind::Option: print_payload(out, v.items.empty() ? "none" : "some", v); return;
    case TypeKind::Result: print_payload(out, v.is_err ? "err" : "ok", v); return;
    case TypeKind::Flags:
      out += '{';
      for (size_t i = 0; i < v.labels.size(); ++i) out += (i ? ", " : "") + v.labels[i];
      out += '}';
      return;
    case TypeKind::Own: out += "own(" + std::to_string(v.u) + ")"; return;
    case TypeKind::Borrow: out += "borrow(" + std::to_string(v.u) + ")"; return;
    default: out += "handle(" + std::to_string(v.u) + ")"; return;  // error-context, stream, future
  }
}

}  // namespace

std::string to_string(const Value& v) {
  std::string out;
  print(out, v);
  return out;
}

}  // namespace whirl::component::abi
