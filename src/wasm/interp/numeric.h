// Exact WebAssembly numerics: NaN rules for min/max, float->int
// conversions that trap or saturate, bit-exact float sign operations.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace whirl::wasm::interp {

inline float f32_of(uint64_t b) { return std::bit_cast<float>(uint32_t(b)); }
inline double f64_of(uint64_t b) { return std::bit_cast<double>(b); }
inline uint64_t bits_of(float f) { return std::bit_cast<uint32_t>(f); }
inline uint64_t bits_of(double d) { return std::bit_cast<uint64_t>(d); }

template <class F>
F quiet(F x) {
  // Any arithmetic NaN is allowed; adding to itself quiets a signalling NaN.
  return x + x;
}

template <class F>
F wasm_min(F a, F b) {
  if (std::isnan(a)) return quiet(a);
  if (std::isnan(b)) return quiet(b);
  if (a == b) return std::signbit(a) ? a : b;  // min(-0, +0) = -0
  return a < b ? a : b;
}

template <class F>
F wasm_max(F a, F b) {
  if (std::isnan(a)) return quiet(a);
  if (std::isnan(b)) return quiet(b);
  if (a == b) return std::signbit(a) ? b : a;  // max(-0, +0) = +0
  return a > b ? a : b;
}

template <class F>
F wasm_nearest(F x) {
  if (std::isnan(x)) return quiet(x);
  return std::nearbyint(x);  // default rounding mode: to nearest, ties to even
}

// ceil/floor/trunc/sqrt: libm may pass a signalling NaN through unchanged,
// but the result must be an arithmetic (quiet) NaN.
template <class F, class Fn>
F rounding(F x, Fn fn) {
  if (std::isnan(x)) return quiet(x);
  return fn(x);
}

enum class ConvResult { Ok, Nan, Overflow };

// Truncation of a float to an integer type I: checks that trunc(x) fits.
template <class I, class F>
ConvResult trunc_checked(F x, I* out) {
  if (std::isnan(x)) return ConvResult::Nan;
  double t = std::trunc(double(x));
  if constexpr (std::is_signed_v<I>) {
    constexpr double lo = -double(uint64_t(1) << (sizeof(I) * 8 - 1));
    if (t < lo || t >= -lo) return ConvResult::Overflow;
  } else {
    constexpr double hi = sizeof(I) == 8 ? 18446744073709551616.0 : 4294967296.0;
    if (t <= -1.0 || t >= hi) return ConvResult::Overflow;
  }
  // For 64-bit types, double(x) is exact for f32/f64 inputs; conversion is exact after trunc.
  *out = static_cast<I>(x);
  return ConvResult::Ok;
}

template <class I, class F>
I trunc_sat(F x) {
  if (std::isnan(x)) return 0;
  I r;
  switch (trunc_checked<I>(x, &r)) {
    case ConvResult::Ok: return r;
    default: return x < 0 ? std::numeric_limits<I>::min() : std::numeric_limits<I>::max();
  }
}

}  // namespace whirl::wasm::interp
