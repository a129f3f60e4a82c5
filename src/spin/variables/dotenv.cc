// Dotenv files, as the dotenvy crate Spin's environment provider uses
// reads them (the common subset; see providers.h).
#include <cctype>
#include <fstream>
#include <sstream>

#include "spin/variables/providers.h"

namespace whirl::spin::variables {
namespace {

bool is_key_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Parser {
 public:
  Parser(std::string_view text, const EnvLookup& env, std::map<std::string, std::string>& out)
      : s_(text), env_(env), out_(out) {}

  // Returns the 1-based line of the first bad entry, or 0.
  size_t run() {
    while (i_ < s_.size()) {
      size_t start_line = line_;
      if (!entry()) return start_line;
    }
    return 0;
  }

 private:
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }
  void bump() {
    if (s_[i_] == '\n') ++line_;
    ++i_;
  }
  void skip_blanks() {
    while (!at_end() && (peek() == ' ' || peek() == '\t')) bump();
  }
  void skip_line() {
    while (!at_end() && peek() != '\n') bump();
    if (!at_end()) bump();
  }

  std::string lookup(const std::string& name) {
    if (env_)
      if (auto v = env_(name)) return *v;
    auto it = out_.find(name);
    return it == out_.end() ? std::string() : it->second;
  }

  // After `$`: NAME or {NAME}.
  bool substitute(std::string& value) {
    if (peek() == '{') {
      bump();
      std::string name;
      while (!at_end() && peek() != '}' && peek() != '\n') {
        name += peek();
        bump();
      }
      if (peek() != '}') return false;
      bump();
      value += lookup(name);
      return true;
    }
    std::string name;
    while (!at_end() && std::isalnum(static_cast<unsigned char>(peek()))) {
      name += peek();
      bump();
    }
    value += lookup(name);
    return true;
  }

  bool entry() {
    skip_blanks();
    if (at_end()) return true;
    if (peek() == '\n' || peek() == '\r' || peek() == '#') {
      skip_line();
      return true;
    }
    std::string key;
    auto read_key = [&] {
      key.clear();
      if (!is_key_start(peek())) return;
      while (!at_end() && is_key_char(peek())) {
        key += peek();
        bump();
      }
    };
    read_key();
    if (key == "export" && (peek() == ' ' || peek() == '\t')) {
      skip_blanks();
      read_key();
    }
    if (key.empty() || peek() != '=') return false;
    bump();
    std::string value;
    bool expecting_end = false;
    while (!at_end() && peek() != '\n') {
      char c = peek();
      if (expecting_end) {
        if (c == ' ' || c == '\t' || c == '\r') {
          bump();
          continue;
        }
        if (c == '#') break;
        return false;
      }
      if (c == '\'') {  // literal up to the next quote, lines included
        bump();
        while (!at_end() && peek() != '\'') {
          value += peek();
          bump();
        }
        if (at_end()) return false;
        bump();
      } else if (c == '"') {
        bump();
        while (!at_end() && peek() != '"') {
          char d = peek();
          bump();
          if (d == '\\') {
            if (at_end()) return false;
            char e = peek();
            bump();
            if (e == 'n') value += '\n';
            else if (e == '\\' || e == '"' || e == '\'' || e == '$' || e == ' ') value += e;
            else return false;
          } else if (d == '$') {
            if (!substitute(value)) return false;
          } else {
            value += d;
          }
        }
        if (at_end()) return false;
        bump();
      } else if (c == '\\') {
        bump();
        char e = peek();
        if (e == '\\' || e == '"' || e == '\'' || e == '$' || e == ' ') {
          value += e;
          bump();
        } else {
          return false;
        }
      } else if (c == '$') {
        bump();
        if (!substitute(value)) return false;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        bump();
        expecting_end = true;
      } else {
        value += c;
        bump();
      }
    }
    skip_line();  // a comment, then the newline
    out_[key] = std::move(value);
    return true;
  }

  std::string_view s_;
  const EnvLookup& env_;
  std::map<std::string, std::string>& out_;
  size_t i_ = 0;
  size_t line_ = 1;
};

}  // namespace

Expected<std::map<std::string, std::string>> read_dotenv(const std::filesystem::path& path, const EnvLookup& env) {
  std::map<std::string, std::string> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;  // as dotenvy: no file, no values
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (size_t line = Parser(text, env, out).run())
    return make_error(path.string() + ":" + std::to_string(line) + ": cannot parse this dotenv line");
  return out;
}

}  // namespace whirl::spin::variables
