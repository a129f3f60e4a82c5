#include "wasm/script/values.h"

#include <cstdio>
#include <cstring>

namespace whirl::wasm::script {

using Kind = text::WastValue::Kind;

Value to_value(const text::WastValue& v) {
  switch (v.kind) {
    case Kind::I32: return Value::i32(static_cast<uint32_t>(v.bits));
    case Kind::I64: return Value::i64(v.bits);
    case Kind::F32: return Value::f32_bits(static_cast<uint32_t>(v.bits));
    case Kind::F64: return Value::f64_bits(v.bits);
    case Kind::RefNull: return Value::null(v.type);
    case Kind::RefExtern: return Value::externref(v.bits + 1);
    default: return Value{};  // patterns and v128 are never arguments
  }
}

namespace {

bool is_canonical_nan32(uint32_t b) { return (b & 0x7fffffffu) == 0x7fc00000u; }
bool is_arithmetic_nan32(uint32_t b) { return (b & 0x7fc00000u) == 0x7fc00000u; }
bool is_canonical_nan64(uint64_t b) { return (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull; }
bool is_arithmetic_nan64(uint64_t b) { return (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull; }

std::string hex(uint64_t bits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(bits));
  return buf;
}

std::string float_text(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

}  // namespace

bool matches(const text::WastValue& e, const Value& got) {
  switch (e.kind) {
    case Kind::I32: return got.type == ValType::I32 && got.as_u32() == static_cast<uint32_t>(e.bits);
    case Kind::I64: return got.type == ValType::I64 && got.bits == e.bits;
    case Kind::F32: return got.type == ValType::F32 && got.as_u32() == static_cast<uint32_t>(e.bits);
    case Kind::F64: return got.type == ValType::F64 && got.bits == e.bits;
    case Kind::NanCanonical:
      if (got.type != e.type) return false;
      return e.type == ValType::F32 ? is_canonical_nan32(got.as_u32()) : is_canonical_nan64(got.bits);
    case Kind::NanArithmetic:
      if (got.type != e.type) return false;
      return e.type == ValType::F32 ? is_arithmetic_nan32(got.as_u32()) : is_arithmetic_nan64(got.bits);
    case Kind::RefNull: return got.type == e.type && got.is_null();
    case Kind::RefExtern: return got.type == ValType::ExternRef && got.bits == e.bits + 1;
    case Kind::RefFunc: return got.type == ValType::FuncRef && !got.is_null();
    case Kind::V128: return false;
  }
  return false;
}

std::string describe(const text::WastValue& v) {
  switch (v.kind) {
    case Kind::I32: return "(i32.const " + std::to_string(static_cast<int32_t>(v.bits)) + ")";
    case Kind::I64: return "(i64.const " + std::to_string(static_cast<int64_t>(v.bits)) + ")";
    case Kind::F32: {
      float f;
      auto b = static_cast<uint32_t>(v.bits);
      std::memcpy(&f, &b, 4);
      return "(f32.const " + float_text(f) + " [" + hex(b) + "])";
    }
    case Kind::F64: {
      double d;
      std::memcpy(&d, &v.bits, 8);
      return "(f64.const " + float_text(d) + " [" + hex(v.bits) + "])";
    }
    case Kind::NanCanonical: return std::string("(") + to_string(v.type) + ".const nan:canonical)";
    case Kind::NanArithmetic: return std::string("(") + to_string(v.type) + ".const nan:arithmetic)";
    case Kind::RefNull: return v.type == ValType::FuncRef ? "(ref.null func)" : "(ref.null extern)";
    case Kind::RefExtern: return "(ref.extern " + std::to_string(v.bits) + ")";
    case Kind::RefFunc: return "(ref.func)";
    case Kind::V128: return "(v128.const ...)";
  }
  return "?";
}

std::string describe(const Value& v) {
  switch (v.type) {
    case ValType::I32: return "(i32.const " + std::to_string(static_cast<int32_t>(v.as_u32())) + ")";
    case ValType::I64: return "(i64.const " + std::to_string(static_cast<int64_t>(v.bits)) + ")";
    case ValType::F32: return "(f32.const " + float_text(v.as_f32()) + " [" + hex(v.as_u32()) + "])";
    case ValType::F64: return "(f64.const " + float_text(v.as_f64()) + " [" + hex(v.bits) + "])";
    case ValType::FuncRef: return v.is_null() ? "(ref.null func)" : "(ref.func " + hex(v.bits) + ")";
    case ValType::ExternRef:
      return v.is_null() ? "(ref.null extern)" : "(ref.extern " + std::to_string(v.bits - 1) + ")";
    case ValType::V128: return "(v128.const ...)";
  }
  return "?";
}

}  // namespace whirl::wasm::script
