// .wast script parser: the spec test-suite's command language.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "component/abi/value.h"
#include "wasm/types.h"

namespace whirl::wasm::text {

// A constant in an action's arguments or an expected result.
struct WastValue {
  enum class Kind : uint8_t {
    I32, I64, F32, F64,   // bits holds the value (floats as raw IEEE bits)
    V128,                 // SIMD: not supported yet; bits unused
    RefNull,              // type = FuncRef or ExternRef
    RefExtern,            // bits = the host value N of (ref.extern N)
    RefFunc,              // expected only: any non-null funcref
    NanCanonical,         // expected only: type = F32 or F64
    NanArithmetic,        // expected only: type = F32 or F64
  };
  Kind kind = Kind::I32;
  ValType type = ValType::I32;
  uint64_t bits = 0;
};

struct WastModule {
  enum class Form : uint8_t { Text, Binary, Quote };
  Form form = Form::Text;
  bool component = false;         // (component ...) rather than (module ...)
  bool definition = false;        // (component definition ...): validated, not instantiated
  std::optional<std::string> id;  // "$name" including the '$'
  std::string text;               // Text: the whole "(module ...)"/"(component ...)" source; Quote: the joined strings
  std::vector<uint8_t> binary;    // Binary: the joined bytes
};

struct WastAction {
  enum class Kind : uint8_t { Invoke, Get };
  Kind kind = Kind::Invoke;
  std::optional<std::string> module_id;  // "$name" or nothing = the last module
  std::string field;                     // export name (UTF-8, escapes decoded)
  std::vector<WastValue> args;
  // The component reading of the arguments: (bool.const true), (u32.const 7),
  // (str.const "x"), (list.const ...), ... and f32/f64.const, which read both
  // ways. When `component` is set some argument is component-only and `args`
  // lacks it.
  std::vector<component::abi::Value> component_args;
  bool component = false;
};

enum class WastCommandKind : uint8_t {
  Module,                // module
  Register,              // register "name" $id?
  Action,                // a bare invoke/get
  AssertReturn,          // action + expected
  AssertTrap,            // action + message, or module + message (uninstantiable)
  AssertExhaustion,      // action + message
  AssertInvalid,         // module + message
  AssertMalformed,       // module + message
  AssertUnlinkable,      // module + message
  AssertUninstantiable,  // module + message
  ComponentInstance,     // (component instance $id $definition)
  AssertException,       // action (a wasm exception escapes it)
};

struct WastCommand {
  WastCommandKind kind = WastCommandKind::Module;
  uint32_t line = 0;                  // 1-based line of the command's '('
  bool has_module = false;            // module is set
  WastModule module;
  bool has_action = false;            // action is set
  WastAction action;
  std::vector<WastValue> expected;    // AssertReturn
  std::vector<component::abi::Value> component_expected;  // AssertReturn: as WastAction::component_args
  bool component_values = false;      // some expected value is component-only
  std::string instance_id;            // ComponentInstance: "$id"
  std::string definition_id;          // ComponentInstance: the "$id" of a component definition
  std::string message;                // assertion text
  std::string register_name;          // Register
  std::optional<std::string> register_module;  // Register: "$id" or the last module
};

// A component value constant ((u8.const 1), (str.const "x"), (record.const
// (field "a" u8.const 1)), (variant.const "c" (u8.const 1)), (option.none),
// (result.ok), (flags.const "a"), ...), as the component-model tests write
// them; errors read "LINE:COL: message".
Expected<component::abi::Value> parse_component_value(std::string_view source);

// Parses a whole script. Fails only on a script that is not well formed as
// s-expressions or uses an unknown command; module text is not parsed here.
Expected<std::vector<WastCommand>> parse_wast(std::string_view source);

}  // namespace whirl::wasm::text
