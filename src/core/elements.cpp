#include "ntp/elements.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace ntp {

namespace {

// A floating value as the integer type T: truncated toward zero, saturated, NaN as 0.
template <class T>
T saturate(double value) {
  if (std::isnan(value)) return T{0};
  constexpr auto low = static_cast<double>(std::numeric_limits<T>::lowest());
  constexpr auto high = static_cast<double>(std::numeric_limits<T>::max());
  if (value <= low) return std::numeric_limits<T>::lowest();
  if (value >= high) return std::numeric_limits<T>::max();
  return static_cast<T>(std::trunc(value));
}

template <class To, class From>
To cast_element(From value) {
  if constexpr (std::is_same_v<To, bool>) {
    if constexpr (is_floating_element<From>)
      return to_double(value) != 0.0;
    else
      return value != From{0};
  } else if constexpr (is_floating_element<To>) {
    if constexpr (std::is_same_v<From, BFloat16> || std::is_same_v<From, Float16>)
      return To(static_cast<float>(value));
    else if constexpr (std::is_same_v<To, BFloat16>)
      return To(static_cast<float>(value));
    else
      return static_cast<To>(value);
  } else if constexpr (is_floating_element<From>) {
    return saturate<To>(to_double(value));
  } else {
    return static_cast<To>(value);  // integers wrap as C++ (and numpy) do
  }
}

}  // namespace

void convert_elements(const Tensor& from, Tensor& to) {
  if (from.elements() != to.elements()) throw std::logic_error("convert_elements: element counts differ");
  if (from.dtype() == to.dtype()) {
    if (from.bytes() != 0 && from.data() != to.data()) std::memcpy(to.data(), from.data(), from.bytes());
    return;
  }
  visit_dtype(from.dtype(), [&](auto from_type) {
    using From = typename decltype(from_type)::type;
    visit_dtype(to.dtype(), [&](auto to_type) {
      using To = typename decltype(to_type)::type;
      const From* source = from.as<From>();
      To* target = to.as<To>();
      for (std::int64_t i = 0; i < from.elements(); ++i) {
        target[i] = cast_element<To>(source[i]);
      }
    });
  });
}

Tensor converted(const Tensor& from, DType type) {
  Tensor result(from.shape(), type);
  convert_elements(from, result);
  return result;
}

double element_as_double(const Tensor& tensor, std::int64_t index) {
  return visit_dtype(tensor.dtype(), [&](auto type) {
    using T = typename decltype(type)::type;
    return to_double(tensor.as<T>()[index]);
  });
}

std::int64_t element_as_int(const Tensor& tensor, std::int64_t index) {
  return visit_dtype(tensor.dtype(), [&](auto type) {
    using T = typename decltype(type)::type;
    if constexpr (is_floating_element<T>)
      return saturate<std::int64_t>(to_double(tensor.as<T>()[index]));
    else
      return static_cast<std::int64_t>(tensor.as<T>()[index]);
  });
}

}  // namespace ntp
