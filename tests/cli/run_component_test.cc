// `whirl run` on components: --invoke calls an export with WAVE arguments and
// prints the WAVE result; wasi:cli/run's result is the exit status; what a
// user gets wrong is one clear line. Expected values are worked out by hand.
#include <gtest/gtest.h>

#include <string>

#include "cli_process.h"

namespace {

using whirl::testing::CliOutput;
using whirl::testing::run_whirl;

std::string write_file(const std::string& name, const std::string& content) {
  return whirl::testing::write_scratch_file("whirl-run-component-test", name, content);
}

// Adds in the guest; a record and a string go in and come back through
// linear memory (realloc and the return area).
const char* kCalc = R"((component
  (core module $m
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (local.get $p))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    ;; swap({a, b}) -> {a: b, b: a}: the record comes flat, goes back through a return area.
    (func (export "swap") (param i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 1))
      (i32.store (i32.const 20) (local.get 0))
      (i32.const 16))
    ;; shout(s) returns s: the string's bytes are already in memory (ptr, len).
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 32) (local.get 0))
      (i32.store (i32.const 36) (local.get 1))
      (i32.const 32))
    (func (export "fail") unreachable))
  (core instance $i (instantiate $m))
  (type $pair (record (field "a" u32) (field "b" u32)))
  (export $p "pair" (type $pair))
  (func (export "add") (param "x" u32) (param "y" u32) (result u32) (canon lift (core func $i "add")))
  (func (export "swap") (param "p" $p) (result $p)
    (canon lift (core func $i "swap") (memory (core memory $i "mem"))))
  (func (export "echo") (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (func (export "fail") (canon lift (core func $i "fail")))
))";

TEST(RunComponent, InvokeTakesAndPrintsWave) {
  auto calc = write_file("calc.wat", kCalc);
  CliOutput out = run_whirl("run --invoke 'add(40, 2)' " + calc);
  EXPECT_EQ(out.exit_code, 0) << out.text;
  EXPECT_EQ(out.text, "42\n");
  out = run_whirl("run --invoke 'swap({b: 7, a: 1})' " + calc);
  EXPECT_EQ(out.text, "{a: 7, b: 1}\n");
  out = run_whirl("run --invoke 'echo(\"h\\u{e9}llo, \\\"world\\\"\")' " + calc);
  EXPECT_EQ(out.text, "\"h\xc3\xa9llo, \\\"world\\\"\"\n");
  // The name alone takes the arguments after FILE, one WAVE value each.
  out = run_whirl("run --invoke add " + calc + " 4294967295 1");
  EXPECT_EQ(out.text, "0\n");
}

TEST(RunComponent, MistakesAreOneClearLine) {
  auto calc = write_file("calc.wat", kCalc);
  CliOutput out = run_whirl("run --invoke 'add(1)' " + calc);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.text, "whirl run: `add` takes 2 argument(s), got 1\n");
  out = run_whirl("run --invoke 'add(1, -1)' " + calc);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(out.text.find("argument `y` (-1) is not a u32"), std::string::npos) << out.text;
  out = run_whirl("run --invoke 'mul(1, 2)' " + calc);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.text, "whirl run: " + calc + ": no exported function `mul` (exports: pair, add, swap, echo, fail)\n");
  out = run_whirl("run " + calc);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(out.text.find("exports no `wasi:cli/run`"), std::string::npos) << out.text;
}

TEST(RunComponent, TrapIsExit134WithBacktrace) {
  auto calc = write_file("calc.wat", kCalc);
  CliOutput out = run_whirl("run --invoke 'fail()' " + calc);
  EXPECT_EQ(out.exit_code, 134);
  EXPECT_NE(out.text.find("wasm trap: unreachable"), std::string::npos) << out.text;
}

TEST(RunComponent, MissingImportNamesTheInterfaceAndVersion) {
  auto c = write_file("needs.wat", R"((component
    (import "acme:db/query@1.2.0" (instance (export "get" (func (param "k" string) (result string)))))))");
  CliOutput out = run_whirl("run " + c);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.text, "whirl run: " + c + ": component imports instance `acme:db/query@1.2.0`, which is not defined\n");
}

}  // namespace
