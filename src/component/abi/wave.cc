#include "component/abi/wave.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/utf8.h"

namespace whirl::component::abi {

namespace {

struct Fail {
  size_t at;
  std::string message;
};

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  Value value(const ValType& t, int depth = 0) {
    if (depth > 100) fail("value nested too deeply");
    skip();
    switch (t.kind) {
      case TypeKind::Bool: {
        std::string w = word();
        if (w == "true") return Value::boolean(true);
        if (w == "false") return Value::boolean(false);
        fail("expected `true` or `false`");
      }
      case TypeKind::S8: return sint(t.kind, -128, 127);
      case TypeKind::S16: return sint(t.kind, -32768, 32767);
      case TypeKind::S32: return sint(t.kind, INT32_MIN, INT32_MAX);
      case TypeKind::S64: return sint(t.kind, INT64_MIN, INT64_MAX);
      case TypeKind::U8: return uint(t.kind, 255);
      case TypeKind::U16: return uint(t.kind, 65535);
      case TypeKind::U32: return uint(t.kind, UINT32_MAX);
      case TypeKind::U64: return uint(t.kind, UINT64_MAX);
      case TypeKind::F32: return Value::float32(float(number()));
      case TypeKind::F64: return Value::float64(number());
      case TypeKind::Char: {
        std::string c = quoted('\'');
        uint32_t cp = 0;
        size_t used = decode_one(c, &cp);
        if (used == 0 || used != c.size()) fail("a char is exactly one character");
        return Value::character(cp);
      }
      case TypeKind::String: return Value::string(quoted('"'));
      case TypeKind::List: {
        std::vector<Value> items;
        seq('[', ']', [&] { items.push_back(value(*t.elem, depth + 1)); });
        if (t.fixed_length && items.size() != *t.fixed_length)
          fail("expected " + std::to_string(*t.fixed_length) + " elements");
        return Value::list(std::move(items));
      }
      case TypeKind::Tuple: {
        std::vector<Value> items;
        size_t i = 0;
        seq('(', ')', [&] {
          if (i >= t.elems.size()) fail("too many tuple elements");
          items.push_back(value(*t.elems[i++], depth + 1));
        });
        if (items.size() != t.elems.size()) fail("expected " + std::to_string(t.elems.size()) + " tuple elements");
        return Value::tuple(std::move(items));
      }
      case TypeKind::Record: return record(t, depth);
      case TypeKind::Flags: {
        std::vector<std::string> set;
        seq('{', '}', [&] {
          std::string l = label();
          bool known = false;
          for (const auto& x : t.labels) known = known || x == l;
          if (!known) fail("unknown flag `" + l + "`");
          set.push_back(l);
        });
        // In type order, as lifting produces them.
        std::vector<std::string> ordered;
        for (const auto& x : t.labels)
          for (const auto& y : set)
            if (x == y) {
              ordered.push_back(x);
              break;
            }
        return Value::flags(std::move(ordered));
      }
      case TypeKind::Enum: {
        std::string l = label();
        for (const auto& x : t.labels)
          if (x == l) return Value::enumeration(l);
        fail("unknown enum case `" + l + "`");
      }
      case TypeKind::Variant: {
        std::string l = label();
        for (const auto& c : t.cases)
          if (c.label == l) {
            if (!c.type) return Value::variant(l);
            return Value::variant(l, payload(*c.type, depth));
          }
        fail("unknown variant case `" + l + "`");
      }
      case TypeKind::Option: {
        std::string l = label();
        if (l == "none") return Value::none();
        if (l == "some") return Value::some(payload(*t.elem, depth));
        fail("expected `some(...)` or `none`");
      }
      case TypeKind::Result: {
        std::string l = label();
        if (l != "ok" && l != "err") fail("expected `ok` or `err`");
        const ValTypePtr& pt = l == "ok" ? t.ok : t.err;
        skip();
        if (pt && peek() == '(') {
          Value p = payload(*pt, depth);
          return l == "ok" ? Value::ok(std::move(p)) : Value::err(std::move(p));
        }
        if (pt) fail("`" + l + "` needs a payload");
        return l == "ok" ? Value::ok() : Value::err();
      }
      default: fail("values of this type have no text form");
    }
  }

  void end() {
    skip();
    if (pos_ != s_.size()) fail("unexpected text after the value");
  }

  [[noreturn]] void fail(std::string m) { throw Fail{pos_, std::move(m)}; }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  void expect(char c) {
    skip();
    if (peek() != c) fail(std::string("expected `") + c + "`");
    ++pos_;
  }
  std::string word() {
    skip();
    size_t b = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-' ||
                                s_[pos_] == '_' || s_[pos_] == '.' || s_[pos_] == '+'))
      ++pos_;
    return std::string(s_.substr(b, pos_ - b));
  }
  // A label, `%` allowing keywords as labels.
  std::string label() {
    skip();
    if (peek() == '%') ++pos_;
    std::string w = word();
    if (w.empty()) fail("expected a name");
    return w;
  }

  Value payload(const ValType& t, int depth) {
    expect('(');
    Value v = value(t, depth + 1);
    expect(')');
    return v;
  }

  template <class F>
  void seq(char open, char close, F item) {
    expect(open);
    skip();
    if (peek() == close) {
      ++pos_;
      return;
    }
    for (;;) {
      item();
      skip();
      if (peek() == ',') {
        ++pos_;
        skip();
        if (peek() == close) {  // trailing comma
          ++pos_;
          return;
        }
        continue;
      }
      if (peek() == close) {
        ++pos_;
        return;
      }
      fail(std::string("expected `,` or `") + close + "`");
    }
  }

  Value record(const ValType& t, int depth) {
    std::vector<Value> items(t.fields.size());
    std::vector<bool> seen(t.fields.size());
    expect('{');
    skip();
    if (peek() == ':') {  // `{:}`: every field an omitted option
      ++pos_;
      expect('}');
    } else {
      pos_--;  // let seq read the '{' again
      seq('{', '}', [&] {
        std::string l = label();
        expect(':');
        for (size_t i = 0; i < t.fields.size(); ++i)
          if (t.fields[i].label == l) {
            if (seen[i]) fail("field `" + l + "` given twice");
            items[i] = value(*t.fields[i].type, depth + 1);
            seen[i] = true;
            return;
          }
        fail("unknown field `" + l + "`");
      });
    }
    std::vector<std::pair<std::string, Value>> fields;
    for (size_t i = 0; i < t.fields.size(); ++i) {
      if (!seen[i]) {
        if (t.fields[i].type->kind != TypeKind::Option) fail("missing field `" + t.fields[i].label + "`");
        items[i] = Value::none();
      }
      fields.emplace_back(t.fields[i].label, std::move(items[i]));
    }
    return Value::record(std::move(fields));
  }

  Value sint(TypeKind k, int64_t lo, int64_t hi) {
    std::string w = word();
    int64_t v = 0;
    auto r = std::from_chars(w.data(), w.data() + w.size(), v);
    if (w.empty() || r.ec != std::errc() || r.ptr != w.data() + w.size() || v < lo || v > hi)
      fail("expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    return Value::sint(k, v);
  }
  Value uint(TypeKind k, uint64_t hi) {
    std::string w = word();
    uint64_t v = 0;
    auto r = std::from_chars(w.data(), w.data() + w.size(), v);
    if (w.empty() || r.ec != std::errc() || r.ptr != w.data() + w.size() || v > hi)
      fail("expected an integer from 0 to " + std::to_string(hi));
    return Value::uint(k, v);
  }
  double number() {
    skip();
    bool neg = peek() == '-';
    if (neg) ++pos_;
    std::string w = word();
    if (w == "nan" && !neg) return std::numeric_limits<double>::quiet_NaN();
    if (w == "inf") return neg ? -INFINITY : INFINITY;
    double v = 0;
    auto r = std::from_chars(w.data(), w.data() + w.size(), v);
    if (w.empty() || r.ec != std::errc() || r.ptr != w.data() + w.size()) fail("expected a number");
    return neg ? -v : v;
  }

  // The UTF-8 bytes of a '...' or "..." literal, escapes decoded.
  std::string quoted(char q) {
    expect(q);
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated literal");
      char c = s_[pos_++];
      if (c == q) return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case '\\': case '\'': case '"': out += e; break;
        case 'u': {
          if (peek() != '{') fail("expected `{` after \\u");
          size_t close = s_.find('}', pos_);
          if (close == std::string_view::npos) fail("unterminated \\u{...}");
          uint32_t cp = 0;
          auto hex = s_.substr(pos_ + 1, close - pos_ - 1);
          auto r = std::from_chars(hex.data(), hex.data() + hex.size(), cp, 16);
          if (hex.empty() || r.ptr != hex.data() + hex.size() || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
            fail("invalid \\u{...} escape");
          pos_ = close + 1;
          append_utf8(out, cp);
          break;
        }
        default: fail(std::string("unknown escape \\") + e);
      }
    }
  }

  static size_t decode_one(const std::string& s, uint32_t* cp) {
    if (s.empty()) return 0;
    auto c = static_cast<unsigned char>(s[0]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || len > s.size()) return 0;
    uint32_t v = len == 1 ? c : c & (0x3F >> (len - 1));
    for (size_t k = 1; k < len; ++k) v = (v << 6) | (static_cast<unsigned char>(s[k]) & 0x3F);
    *cp = v;
    return len;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Expected<Value> parse_wave(std::string_view text, const ValType& t) {
  Reader r(text);
  try {
    Value v = r.value(t);
    r.end();
    return v;
  } catch (const Fail& f) {
    return make_error("at " + std::to_string(f.at) + ": " + f.message);
  }
}

Expected<WaveCall> parse_wave_call(std::string_view text) {
  WaveCall call;
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  std::string_view t = trim(text);
  size_t open = t.find('(');
  if (open == std::string_view::npos || t.back() != ')') return make_error("expected a call such as `name(arg, ...)`");
  call.name = std::string(trim(t.substr(0, open)));
  if (call.name.empty()) return make_error("the call names no function");
  std::string_view body = t.substr(open + 1, t.size() - open - 2);
  int depth = 0;
  char quote = 0;
  size_t start = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '(' || c == '[' || c == '{') ++depth;
    else if (c == ')' || c == ']' || c == '}') --depth;
    else if (c == ',' && depth == 0) {
      call.args.emplace_back(trim(body.substr(start, i - start)));
      start = i + 1;
    }
    if (depth < 0) return make_error("unbalanced brackets in the call");
  }
  if (quote || depth != 0) return make_error("unbalanced brackets or quotes in the call");
  std::string_view last = trim(body.substr(start));
  if (!last.empty()) call.args.emplace_back(last);  // else nothing, or a trailing comma
  return call;
}

}  // namespace whirl::component::abi
