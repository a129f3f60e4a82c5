// Runs the decoder over every binary module of the spec test suite
// (../shared/wasm-testsuite, top-level non-SIMD files): modules that must
// load decode, `assert_malformed` binary modules fail with a message that
// contains the reference interpreter's text, and the binary modules of
// `assert_invalid` & co. decode (their failure is the validator's or the
// runtime's business). Skipped when the suite is not checked out.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "wasm/binary/decoder.h"

namespace {

namespace fs = std::filesystem;

// The top-level suite is 2.0's ("zero byte expected" where 3.0 has memory indices).
const whirl::wasm::Features kWasm2Suite = whirl::wasm::Features::wasm2();

std::optional<fs::path> suite_dir() {
  // WHIRL_TEST_DATA is <repo>/tests/data (it need not exist); the suite is
  // ../shared/wasm-testsuite next to the repository.
  fs::path p = (fs::path(WHIRL_TEST_DATA) / ".." / ".." / ".." / "shared" / "wasm-testsuite")
                   .lexically_normal();
  std::error_code ec;
  if (fs::is_directory(p, ec)) return fs::canonical(p, ec);
  return std::nullopt;
}

// A minimal S-expression reader: enough of the script syntax to find the
// binary modules and the expected messages.
struct Sexp {
  enum Kind { Atom, String, List } kind = Atom;
  std::string text;  // Atom: the token; String: the decoded bytes
  std::vector<Sexp> items;
  size_t line = 0;
};

class SexpReader {
 public:
  explicit SexpReader(std::string src) : s_(std::move(src)) {}

  bool next(Sexp& out) {
    skip_space();
    if (i_ >= s_.size()) return false;
    out = read();
    return true;
  }

 private:
  void skip_space() {
    for (;;) {
      while (i_ < s_.size() && isspace(static_cast<unsigned char>(s_[i_]))) {
        if (s_[i_] == '\n') ++line_;
        ++i_;
      }
      if (s_.compare(i_, 2, ";;") == 0) {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (s_.compare(i_, 2, "(;") == 0) {
        int depth = 0;
        do {
          if (s_.compare(i_, 2, "(;") == 0) ++depth, i_ += 2;
          else if (s_.compare(i_, 2, ";)") == 0) --depth, i_ += 2;
          else if (s_[i_++] == '\n') ++line_;
        } while (depth > 0 && i_ < s_.size());
      } else {
        return;
      }
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  static void utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xc0 | cp >> 6), out += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += char(0xe0 | cp >> 12), out += char(0x80 | ((cp >> 6) & 0x3f)), out += char(0x80 | (cp & 0x3f));
    } else {
      out += char(0xf0 | cp >> 18), out += char(0x80 | ((cp >> 12) & 0x3f));
      out += char(0x80 | ((cp >> 6) & 0x3f)), out += char(0x80 | (cp & 0x3f));
    }
  }

  Sexp read() {
    Sexp e;
    e.line = line_;
    char c = s_[i_];
    if (c == '(') {
      e.kind = Sexp::List;
      ++i_;
      for (;;) {
        skip_space();
        if (i_ >= s_.size()) break;
        if (s_[i_] == ')') {
          ++i_;
          break;
        }
        e.items.push_back(read());
      }
    } else if (c == '"') {
      e.kind = Sexp::String;
      ++i_;
      while (i_ < s_.size() && s_[i_] != '"') {
        char d = s_[i_++];
        if (d != '\\') {
          e.text += d;
          continue;
        }
        char x = s_[i_++];
        switch (x) {
          case 'n': e.text += '\n'; break;
          case 't': e.text += '\t'; break;
          case 'r': e.text += '\r'; break;
          case '\\': e.text += '\\'; break;
          case '\'': e.text += '\''; break;
          case '"': e.text += '"'; break;
          case 'u': {
            ++i_;  // '{'
            uint32_t cp = 0;
            while (s_[i_] != '}') cp = cp * 16 + hex(s_[i_++]);
            ++i_;
            utf8(e.text, cp);
            break;
          }
          default:
            e.text += char(hex(x) * 16 + hex(s_[i_++]));
        }
      }
      ++i_;
    } else {
      while (i_ < s_.size() && !isspace(static_cast<unsigned char>(s_[i_])) && s_[i_] != '(' &&
             s_[i_] != ')')
        e.text += s_[i_++];
    }
    return e;
  }

  std::string s_;
  size_t i_ = 0;
  size_t line_ = 1;
};

// The bytes of `(module $id? binary "..."*)`, if `e` is one.
std::optional<std::vector<uint8_t>> binary_module(const Sexp& e) {
  if (e.kind != Sexp::List || e.items.empty() || e.items[0].text != "module") return std::nullopt;
  size_t k = 1;
  if (k < e.items.size() && e.items[k].kind == Sexp::Atom && e.items[k].text.starts_with("$")) ++k;
  if (k >= e.items.size() || e.items[k].kind != Sexp::Atom || e.items[k].text != "binary")
    return std::nullopt;
  std::vector<uint8_t> bytes;
  for (++k; k < e.items.size(); ++k)
    bytes.insert(bytes.end(), e.items[k].text.begin(), e.items[k].text.end());
  return bytes;
}

struct Counts {
  int ok = 0, malformed = 0;
};

Counts check_file(const fs::path& file) {
  Counts counts;
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  SexpReader reader(ss.str());
  Sexp cmd;
  std::string name = file.filename().string();
  while (reader.next(cmd)) {
    if (cmd.kind != Sexp::List || cmd.items.empty()) continue;
    const std::string& head = cmd.items[0].text;
    if (auto bytes = binary_module(cmd)) {
      auto m = whirl::wasm::decode_module(*bytes, nullptr, kWasm2Suite);
      EXPECT_TRUE(m.has_value()) << name << ":" << cmd.line << ": " << (m ? "" : m.error().message);
      ++counts.ok;
      continue;
    }
    if (cmd.items.size() < 2) continue;
    auto bytes = binary_module(cmd.items[1]);
    if (!bytes) continue;
    auto m = whirl::wasm::decode_module(*bytes, nullptr, kWasm2Suite);
    if (head == "assert_malformed") {
      std::string expected = cmd.items.size() > 2 ? cmd.items[2].text : "";
      EXPECT_FALSE(m.has_value()) << name << ":" << cmd.line << ": expected \"" << expected << "\"";
      if (!m) {
        EXPECT_NE(m.error().message.find(expected), std::string::npos)
            << name << ":" << cmd.line << ": expected \"" << expected << "\", got \""
            << m.error().message << "\"";
      }
      if (!m && std::getenv("WHIRL_VERBOSE"))
        std::printf("%s:%zu: \"%s\" -> %s\n", name.c_str(), cmd.line, expected.c_str(),
                    m.error().message.c_str());
      ++counts.malformed;
    } else {
      EXPECT_TRUE(m.has_value()) << name << ":" << cmd.line << " (" << head
                                 << "): " << (m ? "" : m.error().message);
      ++counts.ok;
    }
  }
  return counts;
}

TEST(SpecBinary, AllBinaryModulesOfTheSuite) {
  auto dir = suite_dir();
  if (!dir) GTEST_SKIP() << "spec test suite not found";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(*dir)) {
    auto p = entry.path();
    if (p.extension() == ".wast" && !p.filename().string().starts_with("simd_")) files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  Counts total;
  for (const auto& f : files) {
    Counts c = check_file(f);
    total.ok += c.ok;
    total.malformed += c.malformed;
  }
  std::printf("binary modules: %d expected to decode, %d malformed\n", total.ok, total.malformed);
  // The suite has a few hundred of each; make sure the scan found them.
  EXPECT_GT(total.ok, 50);
  EXPECT_GT(total.malformed, 500);
}

}  // namespace
