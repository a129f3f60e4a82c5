#include "wasm/text/sexpr.h"

#include "common/utf8.h"

namespace whirl::wasm::text {
namespace {

constexpr int kMaxDepth = 2000;

bool is_idchar(char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '"': case '(': case ')': case ',': case ';': case '[': case ']': case '{': case '}': return false;
    default: return true;
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  Expected<std::vector<Node>> all() {
    std::vector<Node> out;
    for (;;) {
      WHIRL_TRY(skip());
      if (pos_ >= s_.size()) return out;
      Node n;
      WHIRL_TRY(node(n, 0));
      out.push_back(std::move(n));
    }
  }

 private:
  Unexpected<Error> fail(const std::string& what) {
    return make_error(std::to_string(line_) + ":" + std::to_string(pos_ - line_start_ + 1) + ": " + what);
  }

  void advance() {
    if (s_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }

  Expected<void> skip() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance();
      } else if (c == ';' && pos_ + 1 < s_.size() && s_[pos_ + 1] == ';') {
        while (pos_ < s_.size() && s_[pos_] != '\n' && s_[pos_] != '\r') advance();
      } else if (c == '(' && pos_ + 1 < s_.size() && s_[pos_ + 1] == ';') {
        int depth = 0;
        do {
          if (pos_ + 1 >= s_.size()) return fail("unclosed block comment");
          if (s_[pos_] == '(' && s_[pos_ + 1] == ';') {
            ++depth;
            advance();
          } else if (s_[pos_] == ';' && s_[pos_ + 1] == ')') {
            --depth;
            advance();
          }
          advance();
        } while (depth > 0);
      } else {
        return {};
      }
    }
    return {};
  }

  Expected<void> node(Node& n, int depth) {
    n.line = line_;
    n.col = uint32_t(pos_ - line_start_ + 1);
    n.begin = pos_;
    char c = s_[pos_];
    if (c == '(') {
      if (depth > kMaxDepth) return fail("nesting too deep");
      n.kind = Node::Kind::List;
      advance();
      for (;;) {
        WHIRL_TRY(skip());
        if (pos_ >= s_.size()) return fail("unclosed parenthesis");
        if (s_[pos_] == ')') {
          advance();
          n.end = pos_;
          return {};
        }
        Node child;
        WHIRL_TRY(node(child, depth + 1));
        n.children.push_back(std::move(child));
      }
    }
    if (c == ')') return fail("unexpected token \")\"");
    if (c == '"') {
      n.kind = Node::Kind::String;
      WHIRL_TRY(string(n.text));
      n.end = pos_;
      return {};
    }
    size_t start = pos_;
    while (pos_ < s_.size() && is_idchar(s_[pos_])) advance();
    if (pos_ == start) return fail("unexpected character");
    if (pos_ < s_.size() && s_[pos_] == '"') return fail("unexpected token (no space before string)");
    n.text = std::string(s_.substr(start, pos_ - start));
    n.kind = n.text[0] == '$' ? Node::Kind::Id : Node::Kind::Atom;
    if (n.kind == Node::Kind::Id && n.text.size() == 1) return fail("empty identifier");
    n.end = pos_;
    return {};
  }

  Expected<void> string(std::string& out) {
    advance();  // opening quote
    for (;;) {
      if (pos_ >= s_.size()) return fail("unclosed string");
      char c = s_[pos_];
      if (c == '"') {
        advance();
        if (pos_ < s_.size() && (is_idchar(s_[pos_]) || s_[pos_] == '"'))
          return fail("unexpected token after string");
        return {};
      }
      if (c == '\n' || (unsigned char)c < 0x20 || c == 0x7f) return fail("illegal character in string");
      if (c != '\\') {
        out += c;
        advance();
        continue;
      }
      advance();
      if (pos_ >= s_.size()) return fail("unclosed string");
      char e = s_[pos_];
      advance();
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '"': out += '"'; break;
        case '\'': out += '\''; break;
        case '\\': out += '\\'; break;
        case 'u': {
          if (pos_ >= s_.size() || s_[pos_] != '{') return fail("malformed unicode escape");
          advance();
          uint32_t cp = 0;
          int digits = 0;
          while (pos_ < s_.size() && s_[pos_] != '}') {
            int d = hex_digit(s_[pos_]);
            if (d < 0 && s_[pos_] == '_' && digits > 0) {
              advance();
              continue;
            }
            if (d < 0) return fail("malformed unicode escape");
            cp = cp * 16 + uint32_t(d);
            if (cp > 0x10ffff) return fail("malformed unicode escape");
            ++digits;
            advance();
          }
          if (pos_ >= s_.size() || digits == 0) return fail("malformed unicode escape");
          advance();
          if (cp >= 0xd800 && cp < 0xe000) return fail("malformed unicode escape");
          append_utf8(out, cp);
          break;
        }
        default: {
          int h = hex_digit(e);
          int l = pos_ < s_.size() ? hex_digit(s_[pos_]) : -1;
          if (h < 0 || l < 0) return fail("illegal escape");
          advance();
          out += char(h * 16 + l);
        }
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
};

}  // namespace

Expected<std::vector<Node>> read_sexprs(std::string_view source) { return Reader(source).all(); }

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    int n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
    else return false;
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace whirl::wasm::text
