// What the linear-memory tests share: a module from text, calls of its
// exports as i32 (or -1000 - trap code), and the exports that reach into
// memory 0.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"

namespace whirl::wasm::testing {

inline std::shared_ptr<const CompiledModule> load(const std::string& wat) {
  auto bytes = text::wat_to_binary(wat);
  EXPECT_TRUE(bytes) << bytes.error().message;
  if (!bytes) return nullptr;
  auto m = load_module(*bytes);
  EXPECT_TRUE(m) << m.error().message;
  return m ? *m : nullptr;
}

// i32 result, or -1000 - trap code.
inline int64_t call(Store& s, Instance* inst, const char* name, std::vector<Value> args = {}) {
  auto r = s.invoke(inst->find_export(name)->as_func(), args);
  if (!r) return -1000 - int(r.error().code);
  return r->empty() ? 0 : int64_t(int32_t((*r)[0].as_u32()));
}
constexpr int64_t kOob = -1000 - int(TrapCode::MemoryOutOfBounds);

// load8(addr), store8(addr, byte), grow(pages), size() over memory 0.
inline const char* const kAccess = R"(
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))";

}  // namespace whirl::wasm::testing
