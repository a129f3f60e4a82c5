// Every module of the spec suite's non-SIMD scripts goes through text ->
// binary -> decode -> validate and stops exactly where the script says:
// modules load, assert_malformed fails in parsing or decoding,
// assert_invalid fails in validation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wasm/binary/decoder.h"
#include "wasm/text/wast.h"
#include "wasm/text/wat.h"
#include "wasm/validate/validator.h"

namespace whirl::wasm::text {
namespace {

enum Phase { Parse, Decode, Validate, Loaded };

Phase load(const WastModule& m, std::string& err) {
  std::vector<uint8_t> bytes = m.binary;
  if (m.form != WastModule::Form::Binary) {
    auto b = wat_to_binary(m.text);
    if (!b) return err = b.error().message, Parse;
    bytes = std::move(*b);
  }
  // The top-level suite is 2.0's: one memory (3.0 reverses its "multiple memories").
  const Features wasm2 = Features::wasm2();
  auto d = decode_module(bytes, nullptr, wasm2);
  if (!d) return err = d.error().message, Decode;
  auto v = validate_module(*d, wasm2);
  if (!v) return err = v.error().message, Validate;
  return Loaded;
}

TEST(SpecText, EveryModuleStopsInTheRightPhase) {
  std::filesystem::path dir = WHIRL_SPEC_DIR;
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "spec suite not found at " << dir;
  int modules = 0, files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (entry.path().extension() != ".wast" || name.rfind("simd_", 0) == 0) continue;
    ++files;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto commands = parse_wast(ss.str());
    ASSERT_TRUE(commands) << name << ": " << commands.error().message;
    for (const auto& c : *commands) {
      if (!c.has_module) continue;
      ++modules;
      std::string err;
      Phase got = load(c.module, err);
      std::string where = name + ":" + std::to_string(c.line);
      if (c.kind == WastCommandKind::AssertMalformed) EXPECT_LE(got, Decode) << where;
      else if (c.kind == WastCommandKind::AssertInvalid) EXPECT_EQ(got, Validate) << where << ": " << err;
      else EXPECT_EQ(got, Loaded) << where << ": " << err;
    }
  }
  EXPECT_EQ(files, 90);
  EXPECT_GT(modules, 3000);
}

TEST(SpecText, ModuleFieldsOnlyScriptIsOneModule) {
  auto c = parse_wast("(func) (memory 0) (func (export \"f\"))");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->size(), 1u);
  EXPECT_TRUE((*c)[0].has_module);
  EXPECT_TRUE(wat_to_binary((*c)[0].module.text));
}

TEST(SpecText, ErrorsNameLineAndColumn) {
  auto r = wat_to_binary("(module\n  (func (i32.bogus)))");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("2:10: unknown operator i32.bogus"), std::string::npos) << r.error().message;
  auto u = wat_to_binary("(module (func br $nowhere))");
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("unknown label"), std::string::npos) << u.error().message;
}

}  // namespace
}  // namespace whirl::wasm::text
