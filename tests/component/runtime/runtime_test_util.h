// Shared helpers of the component runtime tests: components from text
// (wasm::text::component_to_binary), loaded, instantiated and called.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "component/abi/value.h"
#include "component/runtime/component.h"
#include "wasm/text/component_text.h"

namespace whirl::component::abi {
// gtest prints values as WAVE.
inline void PrintTo(const Value& v, std::ostream* os) { *os << to_string(v); }
}  // namespace whirl::component::abi

namespace whirl::component::runtime::test {

using abi::Value;

inline std::shared_ptr<const LoadedComponent> load(std::string_view text) {
  auto bytes = wasm::text::component_to_binary(text);
  EXPECT_TRUE(bytes) << bytes.error().message;
  if (!bytes) return nullptr;
  auto c = load_component(*bytes);
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : nullptr;
}

inline std::shared_ptr<ComponentInstance> instantiate(const std::shared_ptr<const LoadedComponent>& c,
                                                      const Linker& linker = {}, const ComponentImports& imports = {},
                                                      std::any host_data = {}) {
  if (!c) return nullptr;
  auto inst = runtime::instantiate(c, wasm::Store::create(), linker, std::move(host_data), imports);
  EXPECT_TRUE(inst) << inst.error().message;
  if (!inst) return nullptr;
  return std::shared_ptr<ComponentInstance>(std::move(*inst));
}

// The error instantiation fails with ("" if it succeeds).
inline InstantiateError instantiate_error(const std::shared_ptr<const LoadedComponent>& c, const Linker& linker = {},
                                          const ComponentImports& imports = {}) {
  auto inst = runtime::instantiate(c, wasm::Store::create(), linker, {}, imports);
  EXPECT_FALSE(inst) << "instantiated";
  return inst ? InstantiateError{} : inst.error();
}

inline Expected<std::vector<Value>, CallError> try_call(ComponentInstance& inst, std::string_view name,
                                                        std::vector<Value> args = {}) {
  auto f = inst.find_func(name);
  if (!f) return unexpected(CallError{"no export " + std::string(name)});
  return inst.call(f, std::move(args));
}

// Calls and expects success; the results.
inline std::vector<Value> call(ComponentInstance& inst, std::string_view name, std::vector<Value> args = {}) {
  auto r = try_call(inst, name, std::move(args));
  EXPECT_TRUE(r) << name << ": " << r.error().message;
  return r ? *r : std::vector<Value>{};
}

// Calls and expects a trap; its message.
inline std::string trap(ComponentInstance& inst, std::string_view name, std::vector<Value> args = {}) {
  auto r = try_call(inst, name, std::move(args));
  EXPECT_FALSE(r) << name << " returned";
  return r ? std::string() : r.error().message;
}

inline Value u32(uint32_t v) { return Value::uint(TypeKind::U32, v); }
inline Value s32(int32_t v) { return Value::sint(TypeKind::S32, v); }
inline Value str(std::string s) { return Value::string(std::move(s)); }

// A core module body's bump allocator: `realloc` exported, allocations
// from 1024 up (the test functions use addresses below that); a
// reallocation copies the old bytes, as transcoding relies on.
inline constexpr std::string_view kBumpRealloc = R"(
      (global $bump (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
        (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                               (i32.sub (i32.const 0) (local.get 2))))
        (global.set $bump (i32.add (local.get $p) (local.get 3)))
        (if (local.get 0)
          (then (memory.copy (local.get $p) (local.get 0)
                  (select (local.get 1) (local.get 3) (i32.lt_u (local.get 1) (local.get 3))))))
        (local.get $p)))";

}  // namespace whirl::component::runtime::test
