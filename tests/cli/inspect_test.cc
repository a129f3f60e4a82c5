// `whirl inspect FILE`: a core module's imports and exports, a component's
// world as WIT-like text, and one error line (exit 1) for a broken file.
#include <gtest/gtest.h>


#include <algorithm>
#include <cstdio>
#include <string>

#include "cli_process.h"

namespace {

using whirl::testing::CliOutput;

CliOutput inspect(const std::string& file) { return whirl::testing::run_whirl("inspect " + file); }

std::string write_file(const std::string& name, const std::string& content) {
  return whirl::testing::write_scratch_file("whirl-inspect-test", name, content);
}

TEST(Inspect, CoreModuleImportsAndExports) {
  auto f = write_file("module.wat", R"((module
    (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
    (import "env" "mem" (memory 1 2))
    (import "env" "g" (global (mut i64)))
    (table 2 funcref)
    (global i32 (i32.const 0))
    (func (export "_start"))
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (export "tab" (table 0))
    (export "mem" (memory 0))
    (export "g2" (global 1))))");
  auto out = inspect(f);
  EXPECT_EQ(out.exit_code, 0) << out.text;
  EXPECT_EQ(out.text,
            "imports:\n"
            "  import \"wasi_snapshot_preview1\" \"fd_write\": func (param i32 i32 i32 i32) (result i32)\n"
            "  import \"env\" \"mem\": memory 1 2\n"
            "  import \"env\" \"g\": global (mut i64)\n"
            "exports:\n"
            "  export \"_start\": func\n"
            "  export \"add\": func (param i32 i32) (result i32)\n"
            "  export \"tab\": table 2 funcref\n"
            "  export \"mem\": memory 1 2\n"
            "  export \"g2\": global i32\n");
}

TEST(Inspect, EmptyCoreModule) {
  auto out = inspect(write_file("empty.wasm", std::string("\0asm\1\0\0\0", 8)));
  EXPECT_EQ(out.exit_code, 0) << out.text;
  EXPECT_EQ(out.text, "imports:\nexports:\n");
}

// Hand-built: type 0 = func(x: u32) -> string; type 1 = an instance type
// exporting resource `stream`, `[method]stream.read: func(self:
// borrow<stream>) -> string` and `get: func() -> string`; imports `f`
// (type 0) and `wasi:demo/io@0.1.0` (type 1); exports `g` (func 0, the
// imported `f`).
const std::string kComponent(
    "\x00\x61\x73\x6d\x0d\x00\x01\x00"
    // type section
    "\x07\x48\x02"
    "\x40\x01\x01x\x79\x00\x73"
    "\x42\x06"
    "\x04\x00\x06stream\x03\x01"
    "\x01\x68\x00"
    "\x01\x40\x01\x04self\x01\x00\x73"
    "\x04\x00\x13[method]stream.read\x01\x02"
    "\x01\x40\x00\x00\x73"
    "\x04\x00\x03get\x01\x03"
    // import section
    "\x0a\x1c\x02"
    "\x00\x01\x66\x01\x00"
    "\x00\x12wasi:demo/io@0.1.0\x05\x01"
    // export section
    "\x0b\x07\x01\x00\x01g\x01\x00\x00",
    8 + 74 + 30 + 9);

TEST(Inspect, ComponentWorld) {
  auto out = inspect(write_file("demo.component.wasm", kComponent));
  EXPECT_EQ(out.exit_code, 0) << out.text;
  EXPECT_EQ(out.text,
            "world root {\n"
            "  import f: func(x: u32) -> string;\n"
            "  import wasi:demo/io@0.1.0;\n"
            "    resource stream;\n"
            "    [method]stream.read: func(self: borrow<stream>) -> string;\n"
            "    get: func() -> string;\n"
            "  export g: func(x: u32) -> string;\n"
            "}\n");
}

TEST(Inspect, EmptyComponent) {
  auto out = inspect(write_file("empty.component.wasm", std::string("\0asm\x0d\0\1\0", 8)));
  EXPECT_EQ(out.exit_code, 0) << out.text;
  EXPECT_EQ(out.text, "world root {\n}\n");
}

TEST(Inspect, BrokenFilesAreOneErrorLine) {
  auto truncated = write_file("truncated.component.wasm", kComponent.substr(0, 14));
  auto out = inspect(truncated);
  EXPECT_EQ(out.exit_code, 1) << out.text;
  EXPECT_EQ(out.text, "whirl inspect: " + truncated + ": at offset 0xe: unexpected end-of-file\n");

  // Exports func 5; the component has one function (the import `f`).
  std::string bad_export = kComponent;
  bad_export[bad_export.size() - 2] = 5;
  auto unknown = write_file("unknown-func.component.wasm", bad_export);
  out = inspect(unknown);
  EXPECT_EQ(out.exit_code, 1) << out.text;
  EXPECT_EQ(out.text, "whirl inspect: " + unknown + ": at offset 0x73: unknown function 5: function index out of bounds\n");

  auto invalid = write_file("invalid.wat", "(module (func (result i32)))");
  out = inspect(invalid);
  EXPECT_EQ(out.exit_code, 1) << out.text;
  EXPECT_EQ(out.text, "whirl inspect: " + invalid + ": func 0 at offset 0x18: type mismatch: operand stack is empty\n");

  out = inspect(write_file("garbage.wat", "garbage"));
  EXPECT_EQ(out.exit_code, 1) << out.text;
  EXPECT_EQ(out.text.find("whirl inspect: "), 0u) << out.text;
  EXPECT_EQ(std::count(out.text.begin(), out.text.end(), '\n'), 1) << out.text;
}

}  // namespace
