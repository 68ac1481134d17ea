#include "ntp/tensor.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "ntp/status.h"

namespace ntp {

namespace {
constexpr std::size_t kAlignment = 64;  // a cache line; what SIMD kernels and oneDNN like

std::shared_ptr<std::byte> allocate(const Shape& shape, DType dtype) {
  const auto bytes = static_cast<std::size_t>(byte_count(shape, dtype_size(dtype)));  // checked: no wrap to 0
  const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* memory = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (memory == nullptr)
    throw UserError({},
                    fmt::format("cannot allocate {:.1f} GiB for a tensor of shape {}",
                                static_cast<double>(bytes) / (1U << 30), shape_to_string(shape)),
                    "use smaller parameters; `ntp inspect` shows where the memory goes");
  std::memset(memory, 0, rounded == 0 ? kAlignment : rounded);
  return {static_cast<std::byte*>(memory), [](std::byte* p) { std::free(p); }};
}
}  // namespace

Tensor::Tensor(Shape shape, DType dtype)
    : shape_(std::move(shape)),
      dtype_(dtype),
      elements_(element_count(shape_)),
      storage_(allocate(shape_, dtype_)) {}

Tensor Tensor::reshaped(Shape shape) const {
  if (element_count(shape) != elements_)
    throw std::logic_error("reshape from " + shape_to_string(shape_) + " to " + shape_to_string(shape));
  Tensor view = *this;
  view.shape_ = std::move(shape);
  return view;
}

Tensor Tensor::clone() const {
  Tensor copy(shape_, dtype_);
  if (bytes() != 0) std::memcpy(copy.data(), data(), bytes());
  return copy;
}

std::uint16_t f32_to_bf16(float value) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffU) > 0x7f800000U) return static_cast<std::uint16_t>((bits >> 16) | 0x40U);  // NaN
  const std::uint32_t rounding = 0x7fffU + ((bits >> 16) & 1U);
  return static_cast<std::uint16_t>((bits + rounding) >> 16);
}

float bf16_to_f32(std::uint16_t value) {
  const std::uint32_t bits = static_cast<std::uint32_t>(value) << 16;
  float result = 0;
  std::memcpy(&result, &bits, sizeof result);
  return result;
}

}  // namespace ntp
