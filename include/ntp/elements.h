// Element types as C++ types, for code that works on tensors of any dtype: visit_dtype calls a generic
// function with the C++ type a tensor of that dtype stores, and convert_elements is ONNX's Cast.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "ntp/dtype.h"
#include "ntp/tensor.h"

namespace ntp {

// bf16 storage: arithmetic goes through float.
struct BFloat16 {
  std::uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float value) : bits(f32_to_bf16(value)) {}   // NOLINT(google-explicit-constructor): a number type
  operator float() const { return bf16_to_f32(bits); }  // NOLINT(google-explicit-constructor)
};

// IEEE half precision; GCC computes with it through float.
#if defined(__FLT16_MANT_DIG__)
using Float16 = _Float16;
#else
// Compilers without _Float16 on this target (clang 14 on x86-64, which builds the fuzz harnesses): a storage
// type that converts through float, rounding to nearest even as _Float16 does.
struct Float16 {
  std::uint16_t bits = 0;
  Float16() = default;
  Float16(float value) : bits(from_float(value)) {}  // NOLINT(google-explicit-constructor): a number type
  operator float() const {                           // NOLINT(google-explicit-constructor)
    const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000U) << 16;
    const std::uint32_t exponent = (bits >> 10) & 0x1fU, fraction = bits & 0x3ffU;
    if (exponent == 0) {  // zero or subnormal: fraction * 2^-24
      const float magnitude = static_cast<float>(fraction) / 16777216.0F;
      return sign != 0 ? -magnitude : magnitude;
    }
    const std::uint32_t word = sign | (exponent == 31 ? 0x7f800000U | (fraction << 13)
                                                      : ((exponent + 112) << 23) | (fraction << 13));
    float value = 0;
    std::memcpy(&value, &word, sizeof value);
    return value;
  }
  static std::uint16_t from_float(float value) {
    std::uint32_t word = 0;
    std::memcpy(&word, &value, sizeof word);
    const auto sign = static_cast<std::uint16_t>((word >> 16) & 0x8000U);
    word &= 0x7fffffffU;
    if (word > 0x7f800000U) return static_cast<std::uint16_t>(sign | 0x7e00U);   // NaN
    if (word >= 0x477ff000U) return static_cast<std::uint16_t>(sign | 0x7c00U);  // 65520 and up: infinity
    if (word < 0x38800000U) {  // below 2^-14: a subnormal, fraction = |value| * 2^24 rounded to even
      float magnitude = 0;
      std::memcpy(&magnitude, &word, sizeof magnitude);
      return static_cast<std::uint16_t>(sign |
                                        static_cast<std::uint16_t>(std::nearbyint(magnitude * 16777216.0F)));
    }
    word += 0xfffU + ((word >> 13) & 1U);  // round the 13 dropped bits to nearest even
    return static_cast<std::uint16_t>(sign | ((word - (112U << 23)) >> 13));
  }
};
#endif

template <class T>
inline constexpr bool is_floating_element =
    std::is_floating_point_v<T> || std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

// An element as double and back (the half-precision types go through float).
template <class T>
double to_double(T value) {
  if constexpr (std::is_same_v<T, BFloat16> || std::is_same_v<T, Float16>)
    return static_cast<double>(static_cast<float>(value));
  else
    return static_cast<double>(value);
}
template <class T>
T from_double(double value) {
  if constexpr (std::is_same_v<T, BFloat16> || std::is_same_v<T, Float16>)
    return T(static_cast<float>(value));
  else
    return static_cast<T>(value);
}

// Calls f(std::type_identity<T>{}) with T the element type of `type`: float, BFloat16, Float16, int8_t,
// uint8_t, int32_t, int64_t, double, bool.
template <class F>
decltype(auto) visit_dtype(DType type, F&& f) {
  switch (type) {
    case DType::f32:
      return f(std::type_identity<float>{});
    case DType::bf16:
      return f(std::type_identity<BFloat16>{});
    case DType::f16:
      return f(std::type_identity<Float16>{});
    case DType::s8:
      return f(std::type_identity<std::int8_t>{});
    case DType::u8:
      return f(std::type_identity<std::uint8_t>{});
    case DType::s32:
      return f(std::type_identity<std::int32_t>{});
    case DType::s64:
      return f(std::type_identity<std::int64_t>{});
    case DType::f64:
      return f(std::type_identity<double>{});
    case DType::boolean:
      return f(std::type_identity<bool>{});
  }
  throw std::logic_error("visit_dtype: unknown element type");
}

// Writes `from`'s elements into `to` (same element count, any two types) as ONNX's Cast does: floating
// to integer truncates toward zero and saturates (NaN gives 0), anything to bool is x != 0.
void convert_elements(const Tensor& from, Tensor& to);
// A copy of `from` with elements of `type`.
Tensor converted(const Tensor& from, DType type);
// One element as double / as int64 (exact for integers), for shape arithmetic and printing.
double element_as_double(const Tensor& tensor, std::int64_t index);
std::int64_t element_as_int(const Tensor& tensor, std::int64_t index);

}  // namespace ntp
